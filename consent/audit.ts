/**
 * The audit chain. Each entry's hash is SHA-256 over the previous entry's hash and the entry's
 * canonical content; appends are serialised with a transaction-scoped advisory lock so the chain never
 * forks. Verification recomputes the chain and reports the first position where it breaks.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Executor } from './grants.js';
import { auditEntries, type AuditEntryRow } from './tables.js';

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
export async function appendAuditEntries(tx: Executor, events: readonly AuditEvent[]): Promise<AuditEntryRow[]> {
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
  return written;
}

export type AuditChainReport =
  | { valid: true; entries: number; lastHash: string }
  | { valid: false; entries: number; brokenAt: { seq: number; position: number; problem: 'ALTERED' | 'MISSING_PREDECESSOR' | 'SEQUENCE_GAP' } };

/**
 * Recomputes the whole chain in pages. Detects an altered row (hash mismatch), a deleted row (the next
 * row's prev_hash no longer matches) and a removed tail is visible as a shorter chain than anchored.
 */
export async function verifyAuditChain(db: Executor, pageSize = 1000): Promise<AuditChainReport> {
  let prevHash = GENESIS_HASH;
  let position = 0;
  let lastSeq = 0;
  for (;;) {
    const page = await db.select().from(auditEntries).where(gt(auditEntries.seq, lastSeq)).orderBy(asc(auditEntries.seq)).limit(pageSize);
    if (page.length === 0) break;
    for (const row of page) {
      position += 1;
      if (row.prevHash !== prevHash) return { valid: false, entries: position - 1, brokenAt: { seq: row.seq, position, problem: 'MISSING_PREDECESSOR' } };
      const { seq: _seq, hash, prevHash: _prev, ...content } = row;
      void _seq;
      void _prev;
      if (entryHash(prevHash, content) !== hash) return { valid: false, entries: position - 1, brokenAt: { seq: row.seq, position, problem: 'ALTERED' } };
      prevHash = hash;
      lastSeq = row.seq;
    }
  }
  return { valid: true, entries: position, lastHash: prevHash };
}

/** A resident's own access log, newest first, keyset-paginated by sequence number. */
export async function auditEntriesForResident(db: Executor, residentId: string, options: { first: number; beforeSeq?: number }): Promise<AuditEntryRow[]> {
  const condition = options.beforeSeq ? and(eq(auditEntries.residentId, residentId), lt(auditEntries.seq, options.beforeSeq)) : eq(auditEntries.residentId, residentId);
  return db.select().from(auditEntries).where(condition).orderBy(desc(auditEntries.seq)).limit(options.first);
}
