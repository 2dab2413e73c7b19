/**
 * Verifying the Merkle audit log. `checkAuditLog` is the auditor's routine check, O(log n): the
 * newest signed head's signature, its root against the stored subtrees, and a consistency proof from
 * the head the auditor anchored last time. `verifyAuditLog` recomputes everything: every leaf from
 * its entry, every stored subtree, the root at every signed head; it reports the first position
 * (1-based leaf position) where the log stops being what the audit key signed.
 */
import { and, asc, between, desc, eq, gte, or, sql } from 'drizzle-orm';
import { executedRows } from '../subgraphs/runtime/database.js';
import { appendLeaves, foldSubtrees, frontierOf, subtreeKey, verifyConsistency, type SubtreeNode } from './merkle/index.js';
import { auditConsistencyProof, auditRootAt, latestTreeHead, MissingSubtreeError, treeHeadSignatureCheck, treeHeadSignatureValid, type SignedTreeHead } from './audit-tree.js';
import type { AuditVerifier } from './audit.js';
import { pageLeaves, type PageLeaves } from './audit-leaves.js';
import type { Executor } from './grants.js';
import { auditEntries, auditTreeHeads, auditTreeNodes } from './tables.js';

/** A head an auditor recorded earlier: the log must still extend it. */
export interface TreeAnchor {
  treeSize: number;
  rootHash: string;
}

export type AuditLogProblem =
  /** The entry's content no longer hashes to its leaf. */
  | 'ALTERED'
  /** The entry's leaf belongs one position later: entries were swapped. */
  | 'REORDERED'
  /** Leaves the log (or a signed head) counts are gone. */
  | 'MISSING_ENTRIES'
  /** A stored subtree hash differs from the one its leaves give (proofs from it would not verify). */
  | 'NODE_ALTERED'
  /** A validly signed head's root is not the root of the stored entries (the log was rewritten). */
  | 'ROOT_MISMATCH'
  /** A head's signature does not verify with the audit key (a forged or altered head). */
  | 'BAD_SIGNATURE'
  /** Entries after the newest signed head (appended without the audit key). */
  | 'UNSIGNED_TAIL'
  /** The log is smaller than, or does not extend, the anchor. */
  | 'TRUNCATED';

export type AuditLogReport =
  | { valid: true; treeSize: number; rootHash: string; head: SignedTreeHead | null }
  | { valid: false; treeSize: number; brokenAt: { position: number; problem: AuditLogProblem } };

const broken = (treeSize: number, position: number, problem: AuditLogProblem): AuditLogReport => ({ valid: false, treeSize, brokenAt: { position, problem } });

/**
 * The routine check, O(log n) reads: the newest head is signed by the audit key, its root is the
 * stored tree's, the entries it counts exist, and it extends the anchor (consistency proof, RFC 9162).
 */
export async function checkAuditLog(db: Executor, verifier: AuditVerifier, anchor?: TreeAnchor): Promise<AuditLogReport> {
  const head = await latestTreeHead(db);
  const [last] = await db.select({ leafIndex: auditEntries.leafIndex }).from(auditEntries).where(gte(auditEntries.leafIndex, 0)).orderBy(desc(auditEntries.leafIndex)).limit(1);
  const entries = last ? last.leafIndex! + 1 : 0;
  if (!head) {
    if (anchor && anchor.treeSize > 0) return broken(entries, 1, 'TRUNCATED');
    return entries === 0 ? { valid: true, treeSize: 0, rootHash: await auditRootAt(db, 0), head: null } : broken(entries, 1, 'UNSIGNED_TAIL');
  }
  if (!treeHeadSignatureValid(head, verifier)) return broken(entries, head.treeSize, 'BAD_SIGNATURE');
  if (entries < head.treeSize) return broken(entries, entries + 1, 'MISSING_ENTRIES');
  let root: string;
  try {
    root = await auditRootAt(db, head.treeSize);
  } catch (error) {
    if (error instanceof MissingSubtreeError) return broken(entries, entries + 1, 'MISSING_ENTRIES');
    throw error;
  }
  if (root !== head.rootHash) return broken(entries, 1, 'ROOT_MISMATCH');
  if (anchor) {
    if (anchor.treeSize > head.treeSize) return broken(entries, head.treeSize + 1, 'TRUNCATED');
    const proof = await auditConsistencyProof(db, anchor.treeSize, head.treeSize);
    if (!verifyConsistency(anchor.treeSize, head.treeSize, proof, Buffer.from(anchor.rootHash, 'hex'), Buffer.from(head.rootHash, 'hex'))) {
      return broken(entries, anchor.treeSize, 'TRUNCATED');
    }
  }
  if (entries > head.treeSize) return broken(entries, head.treeSize + 1, 'UNSIGNED_TAIL');
  return { valid: true, treeSize: head.treeSize, rootHash: head.rootHash, head };
}

export interface FullVerifyOptions {
  anchor?: TreeAnchor;
  pageSize?: number;
}

/** Pages read at once: the database builds the next pages' JSON while this thread hashes one. */
const PAGES_IN_FLIGHT = 4;

/** A stored subtree's hash by level and index (undefined when it is not stored). */
type StoredNodes = (level: number, index: number) => string | undefined;

/**
 * Stored subtrees that a run of new leaves created: one range per level, each level's hashes read as
 * one comma-joined text in index order (a page creates about two subtrees per leaf; as rows they
 * cost more to receive than the entries). A level whose range has a gap, or a hash holding a comma,
 * is read again row by row, so nothing is ever matched to the wrong index.
 */
async function storedNodes(db: Executor, created: readonly SubtreeNode[]): Promise<StoredNodes> {
  const ranges = new Map<number, { lo: number; hi: number }>();
  for (const node of created) {
    const range = ranges.get(node.level);
    if (!range) ranges.set(node.level, { lo: node.index, hi: node.index + (node.level === 0 ? 1 : 0) });
    else range.hi = Math.max(range.hi, node.index + (node.level === 0 ? 1 : 0));
  }
  if (ranges.size === 0) return () => undefined;
  const inRanges = (levels: ReadonlyArray<[number, { lo: number; hi: number }]>) =>
    or(...levels.map(([level, { lo, hi }]) => and(eq(auditTreeNodes.level, level), between(auditTreeNodes.index, lo, hi))));
  const joined = executedRows<{ level: number | string; lo: number | string; hi: number | string; n: number | string; hashes: string }>(
    await db.execute(sql`select ${auditTreeNodes.level} as level, min(${auditTreeNodes.index}) as lo, max(${auditTreeNodes.index}) as hi, count(*) as n,
      string_agg(${auditTreeNodes.hash}, ',' order by ${auditTreeNodes.index}) as hashes
      from ${auditTreeNodes} where ${inRanges([...ranges])} group by ${auditTreeNodes.level}`),
  );
  const byLevel = new Map<number, { lo: number; hashes: string[] }>();
  const irregular = new Set<number>();
  for (const row of joined) {
    const [level, lo, hi, n] = [Number(row.level), Number(row.lo), Number(row.hi), Number(row.n)];
    const hashes = row.hashes.split(',');
    if (hi - lo + 1 === n && hashes.length === n) byLevel.set(level, { lo, hashes });
    else irregular.add(level);
  }
  const single = new Map<string, string>();
  if (irregular.size > 0) {
    const rows = executedRows<{ level: number | string; idx: number | string; hash: string }>(
      await db.execute(
        sql`select ${auditTreeNodes.level} as level, ${auditTreeNodes.index} as idx, ${auditTreeNodes.hash} as hash from ${auditTreeNodes}
          where ${inRanges([...ranges].filter(([level]) => irregular.has(level)))}`,
      ),
    );
    for (const row of rows) single.set(subtreeKey({ level: Number(row.level), index: Number(row.idx) }), row.hash);
  }
  return (level, index) => {
    const run = byLevel.get(level);
    return run ? run.hashes[index - run.lo] : single.get(subtreeKey({ level, index }));
  };
}

/**
 * Recomputes the whole log from the entries and checks it against the stored subtrees, every signed
 * head (signature and root) and the anchor. Linear in the log, paged: memory stays bounded.
 */
export async function verifyAuditLog(db: Executor, verifier: AuditVerifier, options: FullVerifyOptions = {}): Promise<AuditLogReport> {
  const pageSize = options.pageSize ?? 5000;
  const heads = await db.select().from(auditTreeHeads).orderBy(asc(auditTreeHeads.treeSize));
  let nextHead = 0;
  let lastGoodHead = 0;
  let state: { size: number; frontier: SubtreeNode[] } = { size: 0, frontier: [] };
  let previousSeq = 0;
  let anchorRoot: string | undefined;
  const known = new Map<string, Buffer>();
  const rootAt = (size: number) => foldSubtrees(frontierOf(size).map((ref) => known.get(subtreeKey(ref))!)).toString('hex');
  // Heads' signatures are checked on the thread pool while the hashing goes on; a problem found later
  // waits for them, so a bad signature before it is what is reported (the first position wins).
  const signatureChecks: Array<{ head: SignedTreeHead; valid: Promise<boolean> }> = [];
  const firstBadSignature = async (): Promise<AuditLogReport | undefined> => {
    for (const { head, valid } of signatureChecks.splice(0)) if (!(await valid)) return broken(head.treeSize, head.treeSize, 'BAD_SIGNATURE');
    return undefined;
  };
  const reported = async (problem: AuditLogReport): Promise<AuditLogReport> => (await firstBadSignature()) ?? problem;
  /** Checks the heads (and the anchor) of every size up to `size`, whose nodes have all been compared. */
  const settle = (size: number): AuditLogReport | undefined => {
    for (let head = heads[nextHead]; head && head.treeSize <= size; head = heads[nextHead]) {
      signatureChecks.push({ head, valid: treeHeadSignatureCheck(head, verifier) });
      if (rootAt(head.treeSize) !== head.rootHash) return broken(lastGoodHead, lastGoodHead + 1, 'ROOT_MISMATCH');
      lastGoodHead = head.treeSize;
      nextHead += 1;
    }
    if (options.anchor && anchorRoot === undefined && options.anchor.treeSize <= size) anchorRoot = rootAt(options.anchor.treeSize);
    return undefined;
  };
  // Pages are ranges of leaf indices up to the last stored one, so several are read at once (each on a
  // connection of its own) while this one is hashed and its subtrees compared. A
  // page arrives as one JSON text (parsed natively, then mapped once per column: receiving thousands
  // of rows column by column, and drizzle's per-row mapping of a select(), cost more than hashing).
  const pageAt = async (from: number): Promise<string | null> => {
    const [result] = executedRows<{ page: string | null }>(
      await db.execute(sql`select json_agg(e order by e.leaf_index)::text as page
        from (select * from ${auditEntries} where ${auditEntries.leafIndex} >= ${from} and ${auditEntries.leafIndex} < ${from + pageSize}) e`),
    );
    return result?.page ?? null;
  };
  const [newest] = executedRows<{ last: number | string | null }>(await db.execute(sql`select max(${auditEntries.leafIndex}) as last from ${auditEntries}`));
  const lastLeaf = newest?.last === null || newest?.last === undefined ? -1 : Number(newest.last);
  const noEntries: PageLeaves = { leaves: new Uint8Array(0), entries: 0, firstSeq: 0, lastSeq: 0 };
  settle(0);
  // Pages asked for, oldest first.
  const inFlight: Array<{ from: number; hashed: Promise<PageLeaves> }> = [];
  let nextFrom = 0;
  const readMore = () => {
    while (nextFrom <= lastLeaf && inFlight.length < PAGES_IN_FLIGHT) {
      const from = nextFrom;
      nextFrom += pageSize;
      const hashed = pageAt(from).then((text) => (text === null ? noEntries : pageLeaves(text, from)));
      // A page that reports a problem leaves the later ones unawaited: their failure must not go unhandled.
      hashed.catch(() => undefined);
      inFlight.push({ from, hashed });
    }
  };
  for (;;) {
    readMore();
    const page = inFlight.shift();
    if (!page) break;
    // Leaves missing before this page (a page short at its end, or a whole page gone).
    if (state.size !== page.from) return await reported(broken(state.size, state.size + 1, 'MISSING_ENTRIES'));
    const hashed = await page.hashed;
    readMore();
    let { problem, leaves: leafBytes } = hashed;
    // The page's first entry after the previous page's last, in seq order (within a page, pageLeaves checks).
    if (hashed.entries > 0 && !(problem?.offset === 0 && problem.kind === 'MISSING_ENTRIES') && hashed.firstSeq <= previousSeq) {
      problem = { offset: 0, kind: 'REORDERED' };
      leafBytes = leafBytes.subarray(0, 0);
    }
    const leaves = Array.from({ length: leafBytes.length / 32 }, (_, i) => Buffer.from(leafBytes.buffer, leafBytes.byteOffset + i * 32, 32));
    let rowProblem: AuditLogReport | undefined;
    if (problem) {
      const position = state.size + problem.offset + 1;
      // Out of seq order: the pair starts at the previous position.
      rowProblem = problem.kind === 'REORDERED' ? broken(position - 2, position - 1, 'REORDERED') : broken(position - 1, position, problem.kind);
    }
    const next = appendLeaves(state.size, state.frontier, leaves);
    // One query for every stored subtree this page should have created.
    const stored = await storedNodes(db, next.created);
    for (const node of next.created) {
      if (node.level === 0) {
        const settled = settle(node.index);
        if (settled) return await reported(settled);
      }
      const hash = node.hash.toString('hex');
      if (stored(node.level, node.index) !== hash) {
        if (node.level === 0) {
          const kind = stored(0, node.index + 1) === hash ? 'REORDERED' : 'ALTERED';
          return await reported(broken(node.index, node.index + 1, kind));
        }
        const lastCovered = (node.index + 1) * 2 ** node.level;
        return await reported(broken(lastCovered - 1, lastCovered, 'NODE_ALTERED'));
      }
      known.set(subtreeKey(node), node.hash);
    }
    state = next;
    if (hashed.entries > 0) previousSeq = hashed.lastSeq;
    // Only the frontier can be part of a later root: memory stays a few pages' worth.
    known.clear();
    for (const node of state.frontier) known.set(subtreeKey(node), node.hash);
    const settled = settle(state.size) ?? rowProblem;
    if (settled) return await reported(settled);
    const badSignature = await firstBadSignature();
    if (badSignature) return badSignature;
  }
  const head = heads[nextHead];
  if (head) {
    if (!treeHeadSignatureValid(head, verifier)) return broken(state.size, head.treeSize, 'BAD_SIGNATURE');
    return broken(state.size, state.size + 1, 'MISSING_ENTRIES');
  }
  if (options.anchor && (options.anchor.treeSize > state.size || anchorRoot !== options.anchor.rootHash)) {
    return broken(state.size, Math.min(state.size + 1, Math.max(options.anchor.treeSize, 1)), 'TRUNCATED');
  }
  if (lastGoodHead < state.size) return broken(state.size, lastGoodHead + 1, 'UNSIGNED_TAIL');
  return { valid: true, treeSize: state.size, rootHash: rootAt(state.size), head: heads.at(-1) ?? null };
}
