/**
 * The audit trail's Merkle log in the database: every complete subtree's hash (so any root or proof
 * is a handful of reads, never a pass over the leaves) and the signed tree heads. Appends happen
 * under the audit lock (`appendAuditEntries`); everything else here only reads.
 */
import { sign, verify } from 'node:crypto';
import { and, desc, eq, lte, or } from 'drizzle-orm';
import { appendLeaves, consistencyProof, foldSubtrees, frontierOf, inclusionProof, rootAt, subtreeKey, type SubtreeNode, type SubtreeReader } from './merkle/index.js';
import { insertRows } from '../subgraphs/runtime/bulk-insert.js';
import type { Executor } from './grants.js';
import { auditTreeHeads, auditTreeNodes, type AuditTreeHeadRow } from './tables.js';
import type { AuditSigner, AuditVerifier } from './audit.js';

/** A signed tree head (DESIGN §10): the audit key's signature over { treeSize, rootHash, timestamp }. */
export type SignedTreeHead = AuditTreeHeadRow;

/**
 * The signed bytes: RFC 8785 (JCS) canonical JSON of { treeSize, rootHash, timestamp }. For these
 * values (an integer, lowercase hex, an ISO 8601 UTC timestamp) JCS is JSON.stringify with the
 * keys in code-point order, which is what this writes.
 */
export function treeHeadMessage(head: Pick<SignedTreeHead, 'treeSize' | 'rootHash' | 'timestamp'>): Buffer {
  return Buffer.from(JSON.stringify({ rootHash: head.rootHash, timestamp: head.timestamp.toISOString(), treeSize: head.treeSize }), 'utf8');
}

/** Signs the head of a tree of `treeSize` leaves with root `rootHash`, now (millisecond precision, as stored). */
export function signTreeHead(signer: AuditSigner, treeSize: number, rootHash: string, at = new Date()): SignedTreeHead {
  const timestamp = new Date(Math.floor(at.getTime()));
  const head = { treeSize, rootHash, timestamp };
  return { ...head, keyId: signer.keyId, signature: sign(null, treeHeadMessage(head), signer.privateKey).toString('base64url') };
}

/** True when the head's signature verifies with the key its key id names. */
export function treeHeadSignatureValid(head: SignedTreeHead, verifier: AuditVerifier): boolean {
  const key = verifier.get(head.keyId);
  if (!key) return false;
  try {
    return verify(null, treeHeadMessage(head), key, Buffer.from(head.signature, 'base64url'));
  } catch {
    return false;
  }
}

/**
 * The same check run on libuv's thread pool (the callback form of `crypto.verify`): a full
 * verification checks thousands of heads, and this way they are checked beside the hashing.
 */
export function treeHeadSignatureCheck(head: SignedTreeHead, verifier: AuditVerifier): Promise<boolean> {
  const key = verifier.get(head.keyId);
  if (!key) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      verify(null, treeHeadMessage(head), key, Buffer.from(head.signature, 'base64url'), (error, valid) => resolve(!error && valid));
    } catch {
      resolve(false);
    }
  });
}

/** Reads stored complete subtrees: one query for any number of them. */
export function storedSubtrees(db: Executor): SubtreeReader {
  return async (refs) => {
    if (refs.length === 0) return [];
    const rows = await db
      .select()
      .from(auditTreeNodes)
      .where(or(...refs.map((ref) => and(eq(auditTreeNodes.level, ref.level), eq(auditTreeNodes.index, ref.index)))));
    const byKey = new Map(rows.map((row) => [subtreeKey(row), row.hash]));
    return refs.map((ref) => {
      const hash = byKey.get(subtreeKey(ref));
      if (hash === undefined) throw new MissingSubtreeError(ref.level, ref.index);
      return Buffer.from(hash, 'hex');
    });
  };
}

/** A subtree the log should hold is not there (rows deleted, or a size beyond the log). */
export class MissingSubtreeError extends Error {
  constructor(
    readonly level: number,
    readonly index: number,
  ) {
    super(`the audit log has no subtree at level ${level}, index ${index}`);
    this.name = 'MissingSubtreeError';
  }
}

/** What appending leaves writes: every subtree they complete, the new root and, with a signer, its signed head. */
export interface TreeAppend {
  size: number;
  rootHash: string;
  nodes: Array<{ level: number; index: number; hash: string }>;
  head?: SignedTreeHead;
}

/** Computes an append to a tree of `size` leaves whose frontier (with hashes) is given: nothing read, nothing written. */
export function planTreeAppend(size: number, frontier: readonly SubtreeNode[], leafHashes: readonly Buffer[], signer?: AuditSigner): TreeAppend {
  const next = appendLeaves(size, frontier, leafHashes);
  const nodes = next.created.map((node) => ({ level: node.level, index: node.index, hash: node.hash.toString('hex') }));
  const rootHash = foldSubtrees(next.frontier.map((node) => node.hash)).toString('hex');
  return { size: next.size, rootHash, nodes, ...(signer ? { head: signTreeHead(signer, next.size, rootHash) } : {}) };
}

/** Writes a planned append: its statements are sent together (one round trip on PostgreSQL). */
export async function writeTreeAppend(tx: Executor, append: TreeAppend): Promise<void> {
  const writes: Array<Promise<unknown>> = [];
  writes.push(insertRows(tx, auditTreeNodes, append.nodes));
  if (append.head) writes.push(tx.insert(auditTreeHeads).values(append.head));
  await Promise.all(writes);
}

/**
 * Adds leaves at `size`, `size + 1`, … and stores every subtree they complete; with a signer, signs
 * and stores the new head. The caller holds the audit lock and is inside the entries' transaction.
 */
export async function appendToTree(tx: Executor, size: number, leafHashes: readonly Buffer[], signer?: AuditSigner): Promise<{ size: number; rootHash: string; head?: SignedTreeHead }> {
  const refs = frontierOf(size);
  const hashes = await storedSubtrees(tx)(refs);
  const append = planTreeAppend(
    size,
    refs.map((ref, i) => ({ ...ref, hash: hashes[i]! })),
    leafHashes,
    signer,
  );
  await writeTreeAppend(tx, append);
  return { size: append.size, rootHash: append.rootHash, ...(append.head ? { head: append.head } : {}) };
}

/** The newest signed head, or undefined before the first signed append. */
export async function latestTreeHead(db: Executor): Promise<SignedTreeHead | undefined> {
  const [head] = await db.select().from(auditTreeHeads).orderBy(desc(auditTreeHeads.treeSize)).limit(1);
  return head;
}

/** The signed head of exactly this size, if one was signed. */
export async function treeHeadAt(db: Executor, treeSize: number): Promise<SignedTreeHead | undefined> {
  const [head] = await db.select().from(auditTreeHeads).where(eq(auditTreeHeads.treeSize, treeSize)).limit(1);
  return head;
}

/** The newest signed head no larger than `treeSize`. */
export async function treeHeadAtMost(db: Executor, treeSize: number): Promise<SignedTreeHead | undefined> {
  const [head] = await db.select().from(auditTreeHeads).where(lte(auditTreeHeads.treeSize, treeSize)).orderBy(desc(auditTreeHeads.treeSize)).limit(1);
  return head;
}

/** The inclusion proof of leaf `leafIndex` in the log of `treeSize` leaves (lowercase hex, leaf to root). */
export function auditInclusionProof(db: Executor, leafIndex: number, treeSize: number): Promise<string[]> {
  return inclusionProof(storedSubtrees(db), leafIndex, treeSize);
}

/** The consistency proof from the log of `first` leaves to the log of `second` (RFC 9162 §2.1.4). */
export function auditConsistencyProof(db: Executor, first: number, second: number): Promise<string[]> {
  return consistencyProof(storedSubtrees(db), first, second);
}

/** The root of the log of `treeSize` leaves, recomputed from at most log2(n) stored subtrees. */
export async function auditRootAt(db: Executor, treeSize: number): Promise<string> {
  return (await rootAt(storedSubtrees(db), treeSize)).toString('hex');
}
