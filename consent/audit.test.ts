import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { testBackends } from '../testkit/databases.js';
import { migrateAll, type DatabaseHandle } from '../subgraphs/runtime/index.js';
import { appendAuditEntries, entryHash, verifyAuditChain, type AuditEvent, type AuditSigner, type AuditVerifier } from './audit.js';

const keys = generateKeyPairSync('ed25519');
const signer: AuditSigner = { keyId: 'audit-1', privateKey: keys.privateKey };
const verifier: AuditVerifier = new Map([['audit-1', keys.publicKey]]);

function event(residentId: string, rows: number): AuditEvent {
  return {
    requestId: `req-${rows}`,
    actorSub: 'clinician-a',
    actorRole: 'clinician',
    residentId,
    purpose: 'TREAT',
    operationHash: 'op',
    fieldsByCategory: { CLINICAL: ['Encounter.id'] },
    deniedByCategory: {},
    rowsReturned: rows,
    outcome: 'ALLOWED',
  };
}

describe.each(testBackends())('the audit chain on $name', (backend) => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    if (dispose) await dispose();
    ({ handle, dispose } = await backend.open());
    await migrateAll(handle, ['consent']);
    // Five requests, one of them touching two residents (one checkpoint per request).
    for (const batch of [[event('r1', 1)], [event('r2', 2), event('r3', 3)], [event('r1', 4)], [event('r2', 5)]]) {
      await handle.db.transaction((tx) => appendAuditEntries(tx, batch, signer).then(() => undefined));
    }
  });
  afterAll(async () => {
    await dispose?.();
  });

  const seqs = async () => (await handle.query<{ seq: string }>('select seq::text as seq from consent.audit_entry order by audit_entry.seq')).map((r) => r.seq);

  it('verifies an intact chain with its signed checkpoints', async () => {
    expect(await verifyAuditChain(handle.db, { verifier })).toMatchObject({ valid: true, entries: 5 });
    expect((await handle.query<{ n: string }>('select count(*)::text as n from consent.audit_checkpoint'))[0]!.n).toBe('4');
  });

  it('detects a chain rewritten with recomputed hashes by someone without the audit key', async () => {
    // The attacker alters entry 2 and recomputes every hash after it: the plain chain verifies again.
    await handle.query('update consent.audit_entry set rows_returned = 99 where seq = $1', [(await seqs())[1]]);
    const rows = await handle.query<Record<string, unknown>>('select * from consent.audit_entry order by seq');
    let prev = '0'.repeat(64);
    for (const row of rows) {
      const content = {
        id: row['id'], at: new Date(row['at'] as string), requestId: row['request_id'], actorSub: row['actor_sub'], actorRole: row['actor_role'],
        institutionId: row['institution_id'], practitionerId: row['practitioner_id'], residentId: row['resident_id'], purpose: row['purpose'],
        grantId: row['grant_id'], scenarioId: row['scenario_id'], operationHash: row['operation_hash'], operationName: row['operation_name'],
        fieldsByCategory: row['fields_by_category'], deniedByCategory: row['denied_by_category'], rowsReturned: row['rows_returned'],
        outcome: row['outcome'], breakGlass: row['break_glass'], breakGlassReason: row['break_glass_reason'],
      } as Parameters<typeof entryHash>[1];
      const hash = entryHash(prev, content);
      await handle.query('update consent.audit_entry set prev_hash = $1, hash = $2 where seq = $3', [prev, hash, row['seq']]);
      prev = hash;
    }
    expect(await verifyAuditChain(handle.db)).toMatchObject({ valid: true });
    expect(await verifyAuditChain(handle.db, { verifier })).toMatchObject({ valid: false, brokenAt: { position: 3, problem: 'ALTERED' } });
  });

  it('detects a deleted last entry through its checkpoint, and a deleted tail with its checkpoints through an anchor', async () => {
    const head = await verifyAuditChain(handle.db, { verifier });
    if (!head.valid) throw new Error('expected an intact chain');
    const last = (await seqs()).at(-1)!;
    await handle.query('delete from consent.audit_entry where seq = $1', [last]);
    expect(await verifyAuditChain(handle.db, { verifier })).toMatchObject({ valid: false, brokenAt: { position: 5, problem: 'MISSING_ENTRIES' } });
    await handle.query('delete from consent.audit_checkpoint where seq = $1', [last]);
    expect(await verifyAuditChain(handle.db, { verifier })).toMatchObject({ valid: true, entries: 4 });
    expect(await verifyAuditChain(handle.db, { verifier, anchor: { entries: head.entries, lastHash: head.lastHash } })).toMatchObject({
      valid: false,
      brokenAt: { position: 5, problem: 'TRUNCATED' },
    });
  });

  it('reports entries appended without the audit key, and checkpoints signed by another key', async () => {
    await handle.db.transaction((tx) => appendAuditEntries(tx, [event('r9', 9)]).then(() => undefined));
    expect(await verifyAuditChain(handle.db, { verifier })).toMatchObject({ valid: false, brokenAt: { position: 6, problem: 'UNSIGNED_TAIL' } });
    const forger: AuditSigner = { keyId: 'audit-1', privateKey: generateKeyPairSync('ed25519').privateKey };
    await handle.db.transaction((tx) => appendAuditEntries(tx, [event('r9', 10)], forger).then(() => undefined));
    expect(await verifyAuditChain(handle.db, { verifier })).toMatchObject({ valid: false, brokenAt: { position: 7, problem: 'BAD_SIGNATURE' } });
  });
});
