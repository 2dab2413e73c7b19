import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testBackends } from '../testkit/databases.js';
import { readEvent, testAuditKey } from '../testkit/audit.js';
import { migrateAll, type DatabaseHandle } from '../subgraphs/runtime/index.js';
import { adoptLegacyAuditEntries, appendAuditEntries, canonicalEntryBytes, storedContent, type AuditEvent, type AuditSigner } from './audit.js';
import { auditConsistencyProof, auditInclusionProof, latestTreeHead, signTreeHead, treeHeadSignatureValid } from './audit-tree.js';
import { checkAuditLog, verifyAuditLog } from './audit-log-verify.js';
import { leafHash, merkleTreeHash, verifyConsistency, verifyInclusion } from './merkle/index.js';
import { auditEntries, auditTreeHeads } from './tables.js';
import { asc } from 'drizzle-orm';

const { signer, verifier } = testAuditKey();
const forger: AuditSigner = testAuditKey().signer;
const event = readEvent;

/** Seven entries in four appends: heads at sizes 1, 3, 6, 7. */
const BATCHES = [[event('r1', 1)], [event('r2', 2), event('r3', 3)], [event('r1', 4), event('r2', 5), event('r3', 6)], [event('r2', 7)]];

describe.each(testBackends())('the Merkle audit log on $name', (backend) => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;
  const append = async (events: AuditEvent[], by: AuditSigner | null = signer) => {
    await handle.db.transaction((tx) => appendAuditEntries(tx, events, by ?? undefined).then(() => undefined));
  };
  const entriesInOrder = () => handle.db.select().from(auditEntries).orderBy(asc(auditEntries.seq));

  beforeAll(async () => {
    ({ handle, dispose } = await backend.open());
    await migrateAll(handle, ['consent']);
  });
  const fresh = async () => {
    await handle.query(
      'truncate consent.audit_entry, consent.audit_checkpoint, consent.audit_tree_node, consent.audit_tree_head, consent.audit_chain_verification restart identity',
    );
    for (const batch of BATCHES) await append(batch);
  };
  beforeEach(fresh);
  afterAll(async () => {
    await dispose?.();
  });

  it('makes every entry a leaf in seq order, signs one head per append, and its root is the RFC 9162 tree hash of the entries', async () => {
    const rows = await entriesInOrder();
    expect(rows.map((row) => row.leafIndex)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const leaves = rows.map((row) => leafHash(canonicalEntryBytes(storedContent(row))));
    const heads = await handle.db.select().from(auditTreeHeads).orderBy(asc(auditTreeHeads.treeSize));
    expect(heads.map((head) => head.treeSize)).toEqual([1, 3, 6, 7]);
    for (const head of heads) {
      expect(head.rootHash).toBe(merkleTreeHash(leaves.slice(0, head.treeSize)).toString('hex'));
      expect(treeHeadSignatureValid(head, verifier)).toBe(true);
      // The signed bytes are the RFC 8785 JSON of the three fields.
      expect(treeHeadSignatureValid({ ...head, treeSize: head.treeSize + 1 }, verifier)).toBe(false);
    }
  });

  it('gives every entry an inclusion proof any RFC 9162 verifier accepts against the newest signed head', async () => {
    const head = (await latestTreeHead(handle.db))!;
    const rows = await entriesInOrder();
    expect(rows).toHaveLength(7);
    for (const row of rows) {
      const proof = await auditInclusionProof(handle.db, row.leafIndex!, head.treeSize);
      expect(verifyInclusion(row.leafIndex!, head.treeSize, leafHash(canonicalEntryBytes(storedContent(row))), proof, Buffer.from(head.rootHash, 'hex'))).toBe(true);
      // Not for another leaf.
      expect(verifyInclusion(row.leafIndex!, head.treeSize, leafHash(Buffer.from('other')), proof, Buffer.from(head.rootHash, 'hex'))).toBe(false);
    }
  });

  it('proves every signed head consistent with every later one', async () => {
    const heads = await handle.db.select().from(auditTreeHeads).orderBy(asc(auditTreeHeads.treeSize));
    let pairs = 0;
    for (const first of heads) {
      for (const second of heads.filter((h) => h.treeSize >= first.treeSize)) {
        const proof = await auditConsistencyProof(handle.db, first.treeSize, second.treeSize);
        expect(verifyConsistency(first.treeSize, second.treeSize, proof, Buffer.from(first.rootHash, 'hex'), Buffer.from(second.rootHash, 'hex'))).toBe(true);
        pairs += 1;
      }
    }
    expect(pairs).toBe(10);
  });

  it('verifies the intact log fully and in O(log n) from an anchor', async () => {
    const full = await verifyAuditLog(handle.db, verifier, { pageSize: 2 });
    expect(full).toMatchObject({ valid: true, treeSize: 7 });
    const head = (await latestTreeHead(handle.db))!;
    expect(full.valid && full.rootHash).toBe(head.rootHash);
    const [third] = await handle.db.select().from(auditTreeHeads).orderBy(asc(auditTreeHeads.treeSize)).offset(1).limit(1);
    expect(await checkAuditLog(handle.db, verifier, { treeSize: third!.treeSize, rootHash: third!.rootHash })).toMatchObject({ valid: true, treeSize: 7 });
    expect(await verifyAuditLog(handle.db, verifier, { anchor: { treeSize: third!.treeSize, rootHash: third!.rootHash } })).toMatchObject({ valid: true });
  });

  it('reports a tampered leaf by its position', async () => {
    await handle.query('update consent.audit_entry set rows_returned = 99 where leaf_index = 4');
    expect(await verifyAuditLog(handle.db, verifier)).toEqual({ valid: false, treeSize: 4, brokenAt: { position: 5, problem: 'ALTERED' } });
  });

  it('reports a reordered pair by the position of its first entry, whether the order or the contents were swapped', async () => {
    await handle.query('update consent.audit_entry set leaf_index = -1 where leaf_index = 2');
    await handle.query('update consent.audit_entry set leaf_index = 2 where leaf_index = 3');
    await handle.query('update consent.audit_entry set leaf_index = 3 where leaf_index = -1');
    expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: false, brokenAt: { position: 3, problem: 'REORDERED' } });
    // Undo, then swap what the two rows say instead (seq and leaf index stay).
    await handle.query('update consent.audit_entry set leaf_index = -1 where leaf_index = 2');
    await handle.query('update consent.audit_entry set leaf_index = 2 where leaf_index = 3');
    await handle.query('update consent.audit_entry set leaf_index = 3 where leaf_index = -1');
    expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: true });
    const [a, b] = (await entriesInOrder()).slice(2, 4);
    const write = (leaf: number, from: typeof a, id: string) =>
      handle.query('update consent.audit_entry set id = $1, request_id = $2, resident_id = $3, rows_returned = $4, at = $5 where leaf_index = $6', [
        id,
        from!.requestId,
        from!.residentId,
        from!.rowsReturned,
        from!.at.toISOString(),
        leaf,
      ]);
    await write(2, a, `${a!.id}-moving`);
    await write(3, a, a!.id);
    await write(2, b, b!.id);
    expect(await verifyAuditLog(handle.db, verifier)).toEqual({ valid: false, treeSize: 2, brokenAt: { position: 3, problem: 'REORDERED' } });
  });

  it('reports a removed tail at the first missing position, and a tail removed with its heads against the anchor', async () => {
    const anchor = (await latestTreeHead(handle.db))!;
    await handle.query('delete from consent.audit_entry where leaf_index >= 5');
    expect(await verifyAuditLog(handle.db, verifier)).toEqual({ valid: false, treeSize: 5, brokenAt: { position: 6, problem: 'MISSING_ENTRIES' } });
    expect(await checkAuditLog(handle.db, verifier)).toMatchObject({ valid: false, brokenAt: { position: 6, problem: 'MISSING_ENTRIES' } });
    await handle.query('delete from consent.audit_tree_head where tree_size > 5');
    await handle.query('delete from consent.audit_tree_node where (idx + 1) * power(2, level) > 5');
    const pinned = { treeSize: anchor.treeSize, rootHash: anchor.rootHash };
    expect(await verifyAuditLog(handle.db, verifier, { anchor: pinned })).toMatchObject({ valid: false, brokenAt: { position: 6, problem: 'TRUNCATED' } });
    expect(await checkAuditLog(handle.db, verifier, pinned)).toMatchObject({ valid: false, brokenAt: { position: 4, problem: 'TRUNCATED' } });
  });

  it('reports a forged head (signed without the audit key) and a rewritten log under a re-signed head', async () => {
    await handle.query('delete from consent.audit_tree_head where tree_size = 7');
    const forged = signTreeHead(forger, 7, (await latestTreeHead(handle.db))!.rootHash);
    await handle.db.insert(auditTreeHeads).values(forged);
    expect(await verifyAuditLog(handle.db, verifier)).toEqual({ valid: false, treeSize: 7, brokenAt: { position: 7, problem: 'BAD_SIGNATURE' } });
    expect(await checkAuditLog(handle.db, verifier)).toMatchObject({ valid: false, brokenAt: { position: 7, problem: 'BAD_SIGNATURE' } });
  });

  it('reports entries appended without the audit key as an unsigned tail, and an altered stored subtree', async () => {
    await append([event('r9', 9)], null);
    expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: false, brokenAt: { position: 8, problem: 'UNSIGNED_TAIL' } });
    expect(await checkAuditLog(handle.db, verifier)).toMatchObject({ valid: false, brokenAt: { position: 8, problem: 'UNSIGNED_TAIL' } });
    await handle.query('delete from consent.audit_entry where leaf_index = 7');
    await handle.query('delete from consent.audit_tree_node where level = 0 and idx = 7');
    await handle.query('delete from consent.audit_tree_node where level = 3');
    await handle.query(`update consent.audit_tree_node set hash = repeat('0', 64) where level = 1 and idx = 1`);
    expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: false, brokenAt: { position: 4, problem: 'NODE_ALTERED' } });
  });

  it('reports a stored subtree that is gone, holds a comma or has the wrong length at its own position, never a neighbour\'s', async () => {
    // Levels are read as one joined text each; a gap or a stray separator must not shift the others.
    await handle.query('create table consent.audit_tree_node_saved as select * from consent.audit_tree_node');
    const restore = async () => {
      await handle.query('truncate consent.audit_tree_node');
      await handle.query('insert into consent.audit_tree_node select * from consent.audit_tree_node_saved');
    };
    await handle.query('delete from consent.audit_tree_node where level = 0 and idx = 2');
    expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: false, brokenAt: { position: 3, problem: 'ALTERED' } });
    await restore();
    await handle.query(`update consent.audit_tree_node set hash = left(hash, 30) || ',' || right(hash, 33) where level = 1 and idx = 1`);
    expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: false, brokenAt: { position: 4, problem: 'NODE_ALTERED' } });
    await restore();
    await handle.query(`update consent.audit_tree_node set hash = hash || 'ab' where level = 0 and idx = 4`);
    expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: false, brokenAt: { position: 5, problem: 'ALTERED' } });
    await restore();
    expect(await verifyAuditLog(handle.db, verifier, { pageSize: 3 })).toMatchObject({ valid: true });
    await handle.query('drop table consent.audit_tree_node_saved');
  });

  it('reports the same problem at the same position whatever the page size (pages are read several at once)', async () => {
    const swap = (a: number, b: number) => [
      `update consent.audit_entry set leaf_index = -1 where leaf_index = ${a}`,
      `update consent.audit_entry set leaf_index = ${a} where leaf_index = ${b}`,
      `update consent.audit_entry set leaf_index = ${b} where leaf_index = -1`,
    ];
    const cases: Array<[string, string[], Record<string, unknown>]> = [
      ['intact', [], { valid: true, treeSize: 7 }],
      ['altered', ['update consent.audit_entry set rows_returned = 99 where leaf_index = 4'], { valid: false, brokenAt: { position: 5, problem: 'ALTERED' } }],
      ['reordered across a page boundary', swap(1, 2), { valid: false, brokenAt: { position: 2, problem: 'REORDERED' } }],
      ['reordered within a page', swap(2, 3), { valid: false, brokenAt: { position: 3, problem: 'REORDERED' } }],
      ['one removed', ['delete from consent.audit_entry where leaf_index = 3'], { valid: false, brokenAt: { position: 4, problem: 'MISSING_ENTRIES' } }],
      ['a whole page removed', ['delete from consent.audit_entry where leaf_index in (2, 3)'], { valid: false, brokenAt: { position: 3, problem: 'MISSING_ENTRIES' } }],
    ];
    for (const [name, tampering, expected] of cases) {
      await fresh();
      for (const statement of tampering) await handle.query(statement);
      for (const pageSize of [1, 2, 3, 5000]) {
        expect([name, pageSize, await verifyAuditLog(handle.db, verifier, { pageSize })]).toEqual([name, pageSize, expect.objectContaining(expected)]);
      }
    }
  });

  it('adopts entries written before the Merkle log in seq order, and keeps what the old chain verified, broken or not', async () => {
    // The state the migration leaves: entries with no leaf index, no tree yet.
    await handle.query('truncate consent.audit_tree_node, consent.audit_tree_head');
    await handle.query('update consent.audit_entry set leaf_index = null');
    await handle.query('update consent.audit_entry set rows_returned = 42 where seq = 2');
    await adoptLegacyAuditEntries(handle.db, signer);
    expect((await entriesInOrder()).map((row) => row.leafIndex)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(await handle.query('select up_to_seq::int as "upToSeq", entries::int as entries, valid, broken_at_position::int as position, problem from consent.audit_chain_verification')).toEqual([
      { upToSeq: 7, entries: 1, valid: false, position: 2, problem: 'ALTERED' },
    ]);
    expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: true, treeSize: 7 });
    // Idempotent: nothing left to adopt, nothing recorded twice; the next append continues after them.
    await adoptLegacyAuditEntries(handle.db, signer);
    await append([event('r4', 8)]);
    expect((await entriesInOrder()).map((row) => row.leafIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await handle.query('select count(*)::int as n from consent.audit_chain_verification')).toEqual([{ n: 1 }]);
    expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: true, treeSize: 8 });
  });

  it('adopts old entries on the first append when nothing adopted them at start', async () => {
    await handle.query('truncate consent.audit_tree_node, consent.audit_tree_head');
    await handle.query('update consent.audit_entry set leaf_index = null');
    await append([event('r4', 8)]);
    expect((await entriesInOrder()).map((row) => row.leafIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await handle.query('select valid, entries::int as entries from consent.audit_chain_verification')).toEqual([{ valid: true, entries: 7 }]);
    expect(await verifyAuditLog(handle.db, verifier)).toMatchObject({ valid: true, treeSize: 8 });
  });
});
