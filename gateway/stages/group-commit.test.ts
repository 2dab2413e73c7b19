import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { testBackends } from '../../testkit/databases.js';
import { migrateAll, openDatabase, type DatabaseHandle } from '../../subgraphs/runtime/index.js';
import { consentTables, IllFormedAuditTextError, issueGrant, verifyAuditLog, type AuditEvent, type AuditSigner } from '../../consent/index.js';
import { commitRefusal, commitUse, GrantUseLostError } from './consume-grant.js';

const keys = generateKeyPairSync('ed25519');
const verifier = new Map([['audit-1', keys.publicKey]]);
// Two signer objects with one key: two independent batchers, so batches also contend for the audit lock.
const signers: AuditSigner[] = [
  { keyId: 'audit-1', privateKey: keys.privateKey },
  { keyId: 'audit-1', privateKey: keys.privateKey },
];

function use(requestId: string, grantId: string | null, residentId = 'res-1'): AuditEvent {
  return {
    requestId,
    actorSub: 'clinician-a',
    actorRole: 'clinician',
    residentId,
    purpose: 'TREAT',
    grantId,
    operationHash: 'op',
    fieldsByCategory: { CLINICAL: ['Encounter.id'] },
    deniedByCategory: {},
    rowsReturned: 1,
    outcome: grantId ? 'ALLOWED' : 'DENIED',
  };
}

describe.each(testBackends())('group commit of grant uses and audit entries on $name', (backend) => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;
  let url: string | undefined;
  const grant = async (uses: number) =>
    (
      await issueGrant(handle.db, new Uint8Array(32), {
        requestId: 'req',
        residentId: 'res-1',
        granteeSub: 'clinician-a',
        granteeInstitutionId: 'inst-01',
        categories: ['CLINICAL'],
        purpose: 'TREAT',
        maxLevel: 4,
        uses,
        validFrom: new Date(Date.now() - 60_000),
        validUntil: new Date(Date.now() + 3_600_000),
      })
    ).row.id;
  const remaining = async (grantId: string) =>
    (await handle.db.select({ n: consentTables.accessGrants.usesRemaining }).from(consentTables.accessGrants).where(eq(consentTables.accessGrants.id, grantId)))[0]!.n;
  const requestIds = async () => (await handle.db.select({ requestId: consentTables.auditEntries.requestId }).from(consentTables.auditEntries)).map((row) => row.requestId);

  beforeAll(async () => {
    ({ handle, dispose, url } = await backend.open());
    await migrateAll(handle, ['consent']);
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('commits many concurrent uses with none lost, none duplicated, and exactly the uses a limited grant allows', async () => {
    const [limited, ample] = [await grant(25), await grant(1000)];
    const before = (await requestIds()).length;
    const calls = Array.from({ length: 240 }, (_, i) => {
      const signer = signers[i % 2]!;
      if (i % 4 === 0) return { kind: 'limited', promise: commitUse(handle.db, [use(`limited-${i}`, limited)], signer) };
      if (i % 4 === 3) return { kind: 'refusal', promise: commitRefusal(handle.db, [use(`refusal-${i}`, null)], signer) };
      return { kind: 'ample', promise: commitUse(handle.db, [use(`ample-${i}`, ample), use(`ample-${i}`, ample, 'res-2')], signer) };
    });
    const outcomes = await Promise.allSettled(calls.map((call) => call.promise));
    const settled = (kind: string, status: 'fulfilled' | 'rejected') => calls.filter((call, i) => call.kind === kind && outcomes[i]!.status === status).length;
    expect(settled('limited', 'fulfilled')).toBe(25);
    expect(settled('limited', 'rejected')).toBe(60 - 25);
    for (const [i, outcome] of outcomes.entries()) if (outcome.status === 'rejected') expect([calls[i]!.kind, outcome.reason]).toEqual(['limited', new GrantUseLostError(limited)]);
    expect(settled('ample', 'fulfilled')).toBe(120);
    expect(settled('refusal', 'fulfilled')).toBe(60);
    expect(await remaining(limited)).toBe(0);
    // One use per request, whatever the number of its entries.
    expect(await remaining(ample)).toBe(1000 - 120);

    const written = (await requestIds()).slice(before);
    // Every acknowledged request's entries, once each; none of a refused one.
    expect(written).toHaveLength(25 + 120 * 2 + 60);
    expect(new Set(written.filter((id) => id.startsWith('limited-'))).size).toBe(25);
    expect(written.filter((id) => id.startsWith('ample-')).sort()).toEqual(calls.flatMap((call, i) => (call.kind === 'ample' ? [`ample-${i}`, `ample-${i}`] : [])).sort());
    const acknowledgedLimited = calls.flatMap((call, i) => (call.kind === 'limited' && outcomes[i]!.status === 'fulfilled' ? [`limited-${i}`] : []));
    expect(written.filter((id) => id.startsWith('limited-')).sort()).toEqual(acknowledgedLimited.sort());

    const heads = await handle.query<{ n: number }>('select count(*)::int as n from consent.audit_tree_head');
    // Batched: far fewer signed heads than requests, and the log verifies end to end.
    expect(heads[0]!.n).toBeLessThan(calls.length / 4);
    expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: true, treeSize: before + written.length });
  });

  it.runIf(backend.name === 'postgres')('keeps every leaf once when two gateway processes (connection pools of their own) append at once', async () => {
    // The second pool stands for a second gateway process: its own connections, its own group commit.
    const other = await openDatabase({ url: url!, maxConnections: 10 });
    try {
      const limited = await grant(30);
      const before = (await requestIds()).length;
      const calls = Array.from({ length: 200 }, (_, i) => {
        const [db, kind] = [i % 2 === 0 ? handle.db : other.db, i % 5 === 0 ? 'limited' : 'refusal'];
        return { kind, promise: kind === 'limited' ? commitUse(db, [use(`pools-limited-${i}`, limited)], signers[0]!) : commitRefusal(db, [use(`pools-${i}`, null)], signers[0]!) };
      });
      const outcomes = await Promise.allSettled(calls.map((call) => call.promise));
      const fulfilled = calls.filter((_, i) => outcomes[i]!.status === 'fulfilled');
      // The grant's 30 uses went to 30 of the 40 requests relying on it, whichever process asked.
      expect(fulfilled.filter((call) => call.kind === 'limited')).toHaveLength(30);
      expect(fulfilled.filter((call) => call.kind === 'refusal')).toHaveLength(160);
      const written = (await requestIds()).slice(before);
      expect(written).toHaveLength(190);
      const [log] = await handle.query<{ entries: number; leaves: number; last: number }>(
        'select count(*)::int as entries, count(distinct leaf_index)::int as leaves, max(leaf_index)::int as last from consent.audit_entry',
      );
      expect(log).toEqual({ entries: before + 190, leaves: before + 190, last: before + 189 });
      expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: true, treeSize: before + 190 });
    } finally {
      await other.close();
    }
  });

  it('consumes distinct grants of one batch together, refusing exactly the requests whose grant has no use left', async () => {
    const grants = await Promise.all(Array.from({ length: 12 }, () => grant(1)));
    // Every third grant is used up before the batch.
    for (const grantId of grants.filter((_, i) => i % 3 === 0)) await commitUse(handle.db, [use(`before-${grantId}`, grantId)], signers[0]!);
    const before = (await requestIds()).length;
    const outcomes = await Promise.allSettled(grants.map((grantId, i) => commitUse(handle.db, [use(`distinct-${i}`, grantId)], signers[0]!)));
    expect(outcomes).toHaveLength(12);
    for (const [i, outcome] of outcomes.entries()) {
      if (i % 3 === 0) expect(outcome).toEqual({ status: 'rejected', reason: new GrantUseLostError(grants[i]!) });
      else expect(outcome.status).toBe('fulfilled');
    }
    for (const grantId of grants) expect(await remaining(grantId)).toBe(0);
    const written = (await requestIds()).slice(before);
    expect(written.sort()).toEqual(grants.flatMap((_, i) => (i % 3 === 0 ? [] : [`distinct-${i}`])).sort());
  });

  it('consumes a grant shared by requests of one batch in one statement: its uses go to the first askers, the rest are refused', async () => {
    const [shared, revoked] = [await grant(3), await grant(5)];
    await handle.query('update consent.access_grant set revoked_at = now() where id = $1', [revoked]);
    const before = (await requestIds()).length;
    // Submitted in one tick: one batch, arrival order 0..7.
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 8 }, (_, i) => commitUse(handle.db, [use(`shared-${i}`, shared)], signers[0]!)),
      commitUse(handle.db, [use('revoked', revoked)], signers[0]!),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([...Array<string>(3).fill('fulfilled'), ...Array<string>(6).fill('rejected')]);
    for (const outcome of outcomes.slice(3, 8)) expect(outcome).toEqual({ status: 'rejected', reason: new GrantUseLostError(shared) });
    expect(outcomes[8]).toEqual({ status: 'rejected', reason: new GrantUseLostError(revoked) });
    expect(await remaining(shared)).toBe(0);
    expect(await remaining(revoked)).toBe(5);
    expect((await requestIds()).slice(before).sort()).toEqual(['shared-0', 'shared-1', 'shared-2']);
  });

  it('refuses only the request whose text cannot be audited, and consumes nothing for it', async () => {
    const limited = await grant(5);
    const bad = { ...use('bad', limited), operationName: 'x\u0000y' };
    const [ok, refused] = await Promise.allSettled([commitUse(handle.db, [use('good', limited)], signers[0]!), commitUse(handle.db, [bad], signers[0]!)]);
    expect(ok.status).toBe('fulfilled');
    expect(refused).toMatchObject({ status: 'rejected', reason: expect.any(IllFormedAuditTextError) });
    expect(await remaining(limited)).toBe(4);
    expect(await requestIds()).toContain('good');
    expect(await requestIds()).not.toContain('bad');
  });

  it('rolls back the first grant of a request whose second grant is used up', async () => {
    const [first, usedUp] = [await grant(3), await grant(1)];
    await commitUse(handle.db, [use('takes-last', usedUp)], signers[0]!);
    const both = commitUse(handle.db, [use('both', first), use('both', usedUp, 'res-2')], signers[0]!);
    const alone = commitUse(handle.db, [use('alone', first)], signers[0]!);
    await expect(both).rejects.toEqual(new GrantUseLostError(usedUp));
    await alone;
    expect(await remaining(first)).toBe(2);
    expect(await requestIds()).not.toContain('both');
  });

  it('fails every request of a batch that cannot commit, and keeps none of it', async () => {
    const limited = await grant(10);
    const broken: AuditSigner = { keyId: 'bad\ud800', privateKey: keys.privateKey };
    const before = (await requestIds()).length;
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => commitUse(handle.db, [use(`doomed-${i}`, limited)], broken)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(await remaining(limited)).toBe(10);
    expect(await requestIds()).toHaveLength(before);
    expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: true });
  });
});
