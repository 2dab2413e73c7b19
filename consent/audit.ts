/**
 * The audit chain. Each entry's hash is SHA-256 over the previous entry's hash and the entry's
 * canonical content; appends are serialised with a transaction-scoped advisory lock so the chain never
 * forks. Verification recomputes the chain and reports the first position where it breaks.
 */
import { createHash, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Executor } from './grants.js';
import { auditCheckpoints, auditEntries, type AuditEntryRow } from './tables.js';

/** Signs checkpoints: the gateway's audit key (Ed25519), never stored in the database. */
export interface AuditSigner {
  keyId: string;
  privateKey: KeyObject;
}

/** Verifies checkpoints: public keys by key id (an auditor may hold them anywhere). */
export type AuditVerifier = ReadonlyMap<string, KeyObject>;

/** The chain head an auditor recorded at an earlier verification (an external anchor). */
export interface AuditAnchor {
  entries: number;
  lastHash: string;
}

function checkpointMessage(seq: number, hash: string): Buffer {
  return Buffer.from(`healthmesh-audit-checkpoint\n${seq}\n${hash}`, 'utf8');
}

/** The chain's first `prev_hash`. */
export const GENESIS_HASH = '0'.repeat(64);
/** Arbitrary constant key for pg_advisory_xact_lock: one appender at a time, across gateways. */
const AUDIT_LOCK_KEY = 7_305_102;

export type AuditOutcome = 'ALLOWED' | 'PARTIALLY_DENIED' | 'DENIED';

export interface AuditEvent {
  requestId: string;
  actorSub: string;
  actorRole: string;
  institutionId?: string | null;
  practitionerId?: string | null;
  residentId?: string | null;
  purpose?: string | null;
  grantId?: string | null;
  scenarioId?: string | null;
  operationHash: string;
  operationName?: string | null;
  fieldsByCategory: Record<string, string[]>;
  deniedByCategory: Record<string, string[]>;
  rowsReturned: number;
  outcome: AuditOutcome;
  breakGlass?: boolean;
  breakGlassReason?: string | null;
  at?: Date;
}

/** The content a hash covers, in a fixed key order (never the seq, which the database assigns). */
function canonical(entry: Omit<AuditEntryRow, 'seq' | 'hash' | 'prevHash'>): string {
  const sortKeys = (value: Record<string, string[]>) =>
    Object.fromEntries(Object.keys(value).sort().map((k) => [k, [...value[k]!].sort()]));
  return JSON.stringify([
    entry.id,
    entry.at.toISOString(),
    entry.requestId,
    entry.actorSub,
    entry.actorRole,
    entry.institutionId,
    entry.practitionerId,
    entry.residentId,
    entry.purpose,
    entry.grantId,
    entry.scenarioId,
    entry.operationHash,
    entry.operationName,
    sortKeys(entry.fieldsByCategory),
    sortKeys(entry.deniedByCategory),
    entry.rowsReturned,
    entry.outcome,
    entry.breakGlass,
    entry.breakGlassReason,
  ]);
}

export function entryHash(prevHash: string, entry: Omit<AuditEntryRow, 'seq' | 'hash' | 'prevHash'>): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonical(entry)).digest('hex');
}

/**
 * Appends entries to the chain. Must run inside a transaction (the advisory lock is released at its
 * end); the caller's other writes (grant consumption) commit or roll back with it.
 */
export async function appendAuditEntries(tx: Executor, events: readonly AuditEvent[], signer?: AuditSigner): Promise<AuditEntryRow[]> {
  if (events.length === 0) return [];
  await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`);
  const [last] = await tx.select({ hash: auditEntries.hash }).from(auditEntries).orderBy(desc(auditEntries.seq)).limit(1);
  let prevHash = last?.hash ?? GENESIS_HASH;
  const written: AuditEntryRow[] = [];
  for (const event of events) {
    // Millisecond precision: what PostgreSQL stores is exactly what was hashed.
    const at = new Date(Math.floor((event.at ?? new Date()).getTime()));
    const content = {
      id: `audit-${randomUUID()}`,
      at,
      requestId: event.requestId,
      actorSub: event.actorSub,
      actorRole: event.actorRole,
      institutionId: event.institutionId ?? null,
      practitionerId: event.practitionerId ?? null,
      residentId: event.residentId ?? null,
      purpose: event.purpose ?? null,
      grantId: event.grantId ?? null,
      scenarioId: event.scenarioId ?? null,
      operationHash: event.operationHash,
      operationName: event.operationName ?? null,
      fieldsByCategory: event.fieldsByCategory,
      deniedByCategory: event.deniedByCategory,
      rowsReturned: event.rowsReturned,
      outcome: event.outcome,
      breakGlass: event.breakGlass ?? false,
      breakGlassReason: event.breakGlassReason ?? null,
    };
    const hash = entryHash(prevHash, content);
    const [row] = await tx.insert(auditEntries).values({ ...content, prevHash, hash }).returning();
    written.push(row!);
    prevHash = hash;
  }
  const head = written.at(-1)!;
  if (signer) {
    await tx.insert(auditCheckpoints).values({
      seq: head.seq,
      hash: head.hash,
      keyId: signer.keyId,
      signature: sign(null, checkpointMessage(head.seq, head.hash), signer.privateKey).toString('base64url'),
    });
  }
  return written;
}

export type AuditChainProblem =
  /** An entry's content no longer matches its hash (or a signed checkpoint's hash). */
  | 'ALTERED'
  /** An entry's predecessor is gone (a row was deleted in the middle). */
  | 'MISSING_PREDECESSOR'
  /** A signed checkpoint names an entry that is no longer there (the chain was cut or rewritten). */
  | 'MISSING_ENTRIES'
  /** The last entries carry no signed checkpoint (written without the gateway's audit key). */
  | 'UNSIGNED_TAIL'
  /** A checkpoint's signature does not verify. */
  | 'BAD_SIGNATURE'
  /** The chain is shorter than, or diverges from, the head an auditor recorded earlier. */
  | 'TRUNCATED';

export type AuditChainReport =
  | { valid: true; entries: number; lastHash: string }
  | { valid: false; entries: number; brokenAt: { seq: number; position: number; problem: AuditChainProblem } };

export interface VerifyOptions {
  /** Check the signed checkpoints too (without it only the hash chain is recomputed). */
  verifier?: AuditVerifier;
  /** The head recorded at an earlier verification: the chain must still contain it. */
  anchor?: AuditAnchor;
  pageSize?: number;
}

/**
 * Recomputes the whole chain in pages. Detects an altered row (hash mismatch) and a deleted row (the
 * next row's prev_hash no longer matches); with a verifier, a chain rewritten by someone without the
 * audit key (checkpoint mismatch, bad signature, unsigned tail, checkpointed entries gone); with an
 * anchor, a truncated tail.
 */
export async function verifyAuditChain(db: Executor, options: VerifyOptions = {}): Promise<AuditChainReport> {
  const pageSize = options.pageSize ?? 1000;
  const checkpoints = options.verifier
    ? new Map((await db.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.seq))).map((c) => [c.seq, c]))
    : new Map<number, never>();
  let prevHash = GENESIS_HASH;
  let position = 0;
  let lastSeq = 0;
  let lastCheckpointed = 0;
  let anchorHash: string | undefined;
  const broken = (seq: number, at: number, problem: AuditChainProblem): AuditChainReport => ({ valid: false, entries: at - 1, brokenAt: { seq, position: at, problem } });
  for (;;) {
    const page = await db.select().from(auditEntries).where(gt(auditEntries.seq, lastSeq)).orderBy(asc(auditEntries.seq)).limit(pageSize);
    if (page.length === 0) break;
    for (const row of page) {
      position += 1;
      // A checkpoint between the previous entry and this one names entries that are gone.
      for (const [seq] of checkpoints) {
        if (seq > lastSeq && seq < row.seq) return broken(seq, position, 'MISSING_ENTRIES');
        if (seq >= row.seq) break;
      }
      if (row.prevHash !== prevHash) return broken(row.seq, position, 'MISSING_PREDECESSOR');
      const { seq: _seq, hash, prevHash: _prev, ...content } = row;
      void _seq;
      void _prev;
      if (entryHash(prevHash, content) !== hash) return broken(row.seq, position, 'ALTERED');
      const checkpoint = checkpoints.get(row.seq);
      if (checkpoint && options.verifier) {
        const key = options.verifier.get(checkpoint.keyId);
        const signed = key !== undefined && verify(null, checkpointMessage(checkpoint.seq, checkpoint.hash), key, Buffer.from(checkpoint.signature, 'base64url'));
        if (!signed) return broken(row.seq, position, 'BAD_SIGNATURE');
        if (checkpoint.hash !== hash) return broken(row.seq, position, 'ALTERED');
        lastCheckpointed = row.seq;
      }
      if (options.anchor && position === options.anchor.entries) anchorHash = hash;
      prevHash = hash;
      lastSeq = row.seq;
    }
  }
  for (const [seq] of checkpoints) if (seq > lastSeq) return broken(seq, position + 1, 'MISSING_ENTRIES');
  if (options.verifier && position > 0 && lastCheckpointed !== lastSeq) return broken(lastSeq, position, 'UNSIGNED_TAIL');
  if (options.anchor && options.anchor.entries > 0 && anchorHash !== options.anchor.lastHash) {
    return broken(lastSeq, Math.min(position + 1, options.anchor.entries), 'TRUNCATED');
  }
  return { valid: true, entries: position, lastHash: prevHash };
}

/** A resident's own access log, newest first, keyset-paginated by sequence number. */
export async function auditEntriesForResident(db: Executor, residentId: string, options: { first: number; beforeSeq?: number }): Promise<AuditEntryRow[]> {
  const condition = options.beforeSeq ? and(eq(auditEntries.residentId, residentId), lt(auditEntries.seq, options.beforeSeq)) : eq(auditEntries.residentId, residentId);
  return db.select().from(auditEntries).where(condition).orderBy(desc(auditEntries.seq)).limit(options.first);
}
