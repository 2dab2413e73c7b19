import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { testBackends } from '../testkit/databases.js';
import { readEvent } from '../testkit/audit.js';
import { migrateAll, type DatabaseHandle } from '../subgraphs/runtime/index.js';
import {
  appendAuditEntries,
  canonicalEntryBytes,
  entryHash,
  GENESIS_HASH,
  IllFormedAuditTextError,
  verifyAuditChain,
  type AuditEvent,
  type AuditSigner,
  type AuditVerifier,
} from './audit.js';
import { verifyAuditLog } from './audit-log-verify.js';
import { leafHash } from './merkle/index.js';

const keys = generateKeyPairSync('ed25519');
const signer: AuditSigner = { keyId: 'audit-1', privateKey: keys.privateKey };
const verifier: AuditVerifier = new Map([['audit-1', keys.publicKey]]);

const event = readEvent;

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

/** Entries as the audit code before canonical bytes wrote them, with the hashes it computed (golden vectors). */
const LEGACY_ENTRIES = [
  {
    id: 'audit-00000000-0000-4000-8000-000000000001', at: new Date('2026-03-01T09:30:00.123Z'), requestId: 'req-legacy-1', actorSub: 'clinician-a', actorRole: 'clinician',
    institutionId: 'inst-01', practitionerId: 'prac-01', residentId: 'res-000001', purpose: 'TREAT', grantId: null, scenarioId: null, operationHash: 'a'.repeat(64),
    operationName: 'ClinicalView', fieldsByCategory: { DEMOGRAPHICS: ['Resident.sex', 'Resident.name'], CLINICAL: ['Encounter.id'] }, deniedByCategory: {},
    rowsReturned: 3, outcome: 'PARTIALLY_DENIED', breakGlass: false, breakGlassReason: null,
  },
  {
    id: 'audit-00000000-0000-4000-8000-000000000002', at: new Date('2026-03-01T09:31:00.000Z'), requestId: 'req-legacy-2', actorSub: 'clinician-b', actorRole: 'clinician',
    institutionId: 'inst-02', practitionerId: null, residentId: 'res-000002', purpose: 'ETREAT', grantId: 'grant-1', scenarioId: null, operationHash: 'b'.repeat(64),
    operationName: null, fieldsByCategory: { CLINICAL: ['Encounter.department'] }, deniedByCategory: { RESULTS: ['LabReport.id'] }, rowsReturned: 1, outcome: 'ALLOWED',
    // CJK, an astral character (a surrogate pair), escapes, a control character, U+2028 and a real U+FFFD: all well-formed.
    breakGlass: true, breakGlassReason: '患者昏迷，急诊抢救 😷\t"引号"\\ \u0001\u2028 \ufffd',
  },
  {
    id: 'audit-00000000-0000-4000-8000-000000000003', at: new Date('2026-03-01T09:32:00.999Z'), requestId: 'req-legacy-3', actorSub: 'anonymous', actorRole: 'anonymous',
    institutionId: null, practitionerId: null, residentId: 'res-000003', purpose: null, grantId: null, scenarioId: null, operationHash: 'c'.repeat(64), operationName: null,
    fieldsByCategory: {}, deniedByCategory: { REFUSED: ['PURPOSE_REQUIRED'] }, rowsReturned: 0, outcome: 'DENIED', breakGlass: false, breakGlassReason: null,
  },
] as const satisfies ReadonlyArray<Parameters<typeof entryHash>[1]>;
const LEGACY_HASHES = [
  '336ac5d9af2447a00ea979ca4d6101e8f79f987be81dc59c1f9ee826d4ab0a34',
  '90b9bee197c69f82f845a143ad774f0ae2ea1949a80a255de9059b26fb7b1ea9',
  '7db3a3d56d7e9f7114e3a1856f69ac8e918b8be21fa44ae9a67101b70b11198b',
];

describe.each(testBackends())('the audit chain’s stored bytes on $name', (backend) => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    if (dispose) await dispose();
    ({ handle, dispose } = await backend.open());
    await migrateAll(handle, ['consent']);
    await handle.db.transaction((tx) => appendAuditEntries(tx, [event('r1', 1)], signer).then(() => undefined));
  });
  afterAll(async () => {
    await dispose?.();
  });

  const count = async () => Number((await handle.query<{ n: string }>('select count(*)::text as n from consent.audit_entry'))[0]!.n);

  const illFormed: Array<[string, Partial<AuditEvent>]> = [
    ['a lone high surrogate in the resident id', { residentId: '\ud800' }],
    ['a lone low surrogate in the actor', { actorSub: 'clinician-\udc00' }],
    ['a NUL in the break-glass reason', { breakGlass: true, breakGlassReason: 'emergency\u0000' }],
    ['a NUL in the operation name', { operationName: 'View\u0000' }],
    ['a lone surrogate in a category’s coordinates', { fieldsByCategory: { CLINICAL: ['Encounter.id', 'x\ud83d'] } }],
    ['a NUL in a category name', { deniedByCategory: { 'REFUSED\u0000': ['GRANT_REQUIRED'] } }],
  ];
  it('has ill-formed cases to refuse', () => {
    expect(illFormed.length).toBeGreaterThan(0);
  });
  it.each(illFormed)('refuses an entry with %s loudly, writes nothing, and the chain stays valid', async (_name, change) => {
    const attempt = handle.db.transaction((tx) => appendAuditEntries(tx, [event('r2', 2), { ...event('r3', 3), ...change }], signer));
    await expect(attempt).rejects.toBeInstanceOf(IllFormedAuditTextError);
    await expect(attempt).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(await count()).toBe(1);
    expect(await verifyAuditChain(handle.db, { verifier })).toMatchObject({ valid: true, entries: 1 });
  });

  it('never puts the refused text in the error message', async () => {
    const error = await handle.db
      .transaction((tx) => appendAuditEntries(tx, [{ ...event('r2', 2), residentId: '11010519491231002X\ud800' }], signer))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IllFormedAuditTextError);
    expect((error as Error).message).not.toContain('11010519491231002X');
    expect((error as IllFormedAuditTextError).field).toBe('residentId');
  });

  it('verifies entries whose text is CJK, astral, escaped, control characters or a real U+FFFD', async () => {
    const text = LEGACY_ENTRIES[1].breakGlassReason;
    await handle.db.transaction((tx) =>
      appendAuditEntries(tx, [{ ...event('居民-😷', 2), breakGlass: true, breakGlassReason: text, fieldsByCategory: { CLINICAL: ['Encounter.id', '诊断\u2028\u0001'] } }], signer).then(() => undefined),
    );
    const [stored] = await handle.query<{ break_glass_reason: string; resident_id: string }>('select break_glass_reason, resident_id from consent.audit_entry where seq = (select max(seq) from consent.audit_entry)');
    expect(stored).toEqual({ break_glass_reason: text, resident_id: '居民-😷' });
    expect(await verifyAuditChain(handle.db, { verifier })).toMatchObject({ valid: true, entries: 2 });
  });

  it('hashes the canonical content as UTF-8 bytes exactly as the previous format did', () => {
    let prev = GENESIS_HASH;
    const hashes = LEGACY_ENTRIES.map((entry) => (prev = entryHash(prev, entry)));
    expect(hashes).toEqual(LEGACY_HASHES);
    const bytes = canonicalEntryBytes(LEGACY_ENTRIES[1]);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.toString('utf8')).toContain('患者昏迷，急诊抢救 😷\\t\\"引号\\"\\\\ \\u0001\u2028 \ufffd');
  });

  it('still verifies a chain written by the previous code, signed checkpoint included, and appends after it', async () => {
    await handle.query('truncate consent.audit_entry, consent.audit_checkpoint, consent.audit_tree_node, consent.audit_tree_head');
    let prev = GENESIS_HASH;
    for (const [index, entry] of LEGACY_ENTRIES.entries()) {
      const hash = LEGACY_HASHES[index]!;
      await handle.query(
        `insert into consent.audit_entry (id, at, request_id, actor_sub, actor_role, institution_id, practitioner_id, resident_id, purpose, grant_id, scenario_id,
           operation_hash, operation_name, fields_by_category, denied_by_category, rows_returned, outcome, break_glass, break_glass_reason, prev_hash, hash)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15::jsonb, $16, $17, $18, $19, $20, $21)`,
        [
          entry.id, entry.at.toISOString(), entry.requestId, entry.actorSub, entry.actorRole, entry.institutionId, entry.practitionerId, entry.residentId, entry.purpose,
          entry.grantId, entry.scenarioId, entry.operationHash, entry.operationName, JSON.stringify(entry.fieldsByCategory), JSON.stringify(entry.deniedByCategory),
          entry.rowsReturned, entry.outcome, entry.breakGlass, entry.breakGlassReason, prev, hash,
        ],
      );
      prev = hash;
    }
    const [{ seq }] = (await handle.query<{ seq: string }>('select max(seq)::text as seq from consent.audit_entry')) as [{ seq: string }];
    // The checkpoint message format of the previous code, spelled out: it must not change either.
    const signature = sign(null, Buffer.from(`healthmesh-audit-checkpoint\n${seq}\n${LEGACY_HASHES[2]}`, 'utf8'), keys.privateKey).toString('base64url');
    await handle.query('insert into consent.audit_checkpoint (seq, hash, key_id, signature) values ($1, $2, $3, $4)', [seq, LEGACY_HASHES[2], 'audit-1', signature]);

    expect(await verifyAuditChain(handle.db, { verifier })).toEqual({ valid: true, entries: 3, lastHash: LEGACY_HASHES[2] });
    await handle.db.transaction((tx) => appendAuditEntries(tx, [event('r4', 4)], signer).then(() => undefined));
    expect(await verifyAuditChain(handle.db, { verifier, anchor: { entries: 3, lastHash: LEGACY_HASHES[2]! } })).toMatchObject({ valid: true, entries: 4 });
    // The first append adopted the three entries as the Merkle log's first leaves, in seq order, and kept the chain's verdict.
    expect((await handle.query<{ leaf: string }>('select leaf_index::text as leaf from consent.audit_entry order by seq')).map((r) => r.leaf)).toEqual(['0', '1', '2', '3']);
    expect(await handle.query('select up_to_seq::text as "upToSeq", entries::text as entries, valid, signatures_checked as "signaturesChecked", problem from consent.audit_chain_verification')).toEqual([
      { upToSeq: seq, entries: '3', valid: true, signaturesChecked: true, problem: null },
    ]);
    const leaves = LEGACY_ENTRIES.map((entry) => leafHash(canonicalEntryBytes(entry)).toString('hex'));
    expect((await handle.query<{ hash: string }>('select hash from consent.audit_tree_node where level = 0 and idx < 3 order by idx')).map((r) => r.hash)).toEqual(leaves);
    expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: true, treeSize: 4 });
  });

  it('reports a stored entry whose categories lost their shape as ALTERED instead of failing', async () => {
    await handle.db.transaction((tx) => appendAuditEntries(tx, [event('r2', 2)], signer).then(() => undefined));
    await handle.query(`update consent.audit_entry set fields_by_category = '{"CLINICAL": 5}'::jsonb where seq = (select max(seq) from consent.audit_entry)`);
    expect(await verifyAuditChain(handle.db, { verifier })).toMatchObject({ valid: false, entries: 1, brokenAt: { position: 2, problem: 'ALTERED' } });
  });
});
