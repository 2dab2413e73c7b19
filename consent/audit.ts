/**
 * The audit chain. Each entry's hash is SHA-256 over the previous entry's hash and the entry's
 * canonical content; appends are serialised with a transaction-scoped advisory lock so the chain never
 * forks. Verification recomputes the chain and reports the first position where it breaks.
 *
 * The hash covers the UTF-8 bytes of the canonical content, and only text that PostgreSQL stores
 * unchanged is ever hashed: a lone surrogate (stored as U+FFFD) or a NUL (not storable at all) is
 * refused before anything is written, so what verification reads back is exactly what was hashed.
 */
import { createHash, createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { and, asc, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { InvalidInputError } from '../schema/errors.js';
import type { Executor } from './grants.js';
import { executedRows, type Database } from '../subgraphs/runtime/database.js';
import { insertRows } from '../subgraphs/runtime/bulk-insert.js';
import { appendToTree, auditRootAt, MissingSubtreeError, planTreeAppend, signTreeHead, writeTreeAppend } from './audit-tree.js';
import { frontierOf, leafHash, subtreeKey, type SubtreeNode } from './merkle/index.js';
import { auditChainVerifications, auditCheckpoints, auditEntries, auditTreeHeads, auditTreeNodes, type AuditEntryRow } from './tables.js';

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

/** A lone surrogate (not well-formed UTF-16, so not encodable as UTF-8) or a NUL (PostgreSQL text and jsonb cannot hold it). */
const UNSTORABLE_TEXT = /[\0\p{Cs}]/u;

/** True when PostgreSQL stores (and gives back) exactly this string: well-formed Unicode without NUL. */
export function isStorableText(value: string): boolean {
  return !UNSTORABLE_TEXT.test(value);
}

/**
 * An audit entry carries text that cannot be stored as it is. Refused rather than repaired: a repaired
 * entry would record something other than what happened, and the request fails closed.
 */
export class IllFormedAuditTextError extends InvalidInputError {
  constructor(field: string) {
    // Never the value itself: it may be an identifier.
    super(`The request carries text in ${field} that is not well-formed Unicode or contains NUL; it cannot be audited, so it is refused.`, { field });
    this.name = 'IllFormedAuditTextError';
    this.extensions['http'] = { status: 400 };
  }
}

type AuditContent = Omit<AuditEntryRow, 'seq' | 'hash' | 'prevHash' | 'leafIndex'>;

function storable<Value extends string | null>(field: string, value: Value): Value {
  if (value === null) return value;
  if (typeof value !== 'string') throw new TypeError(`audit ${field} is not text`);
  if (!isStorableText(value)) throw new IllFormedAuditTextError(field);
  return value;
}

/** Fields by category with keys and coordinates sorted (jsonb keeps neither order). */
function sortedCategories(field: string, value: Record<string, string[]>): Record<string, string[]> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`audit ${field} is not an object of lists`);
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((category) => {
        const coordinates = value[category];
        if (!Array.isArray(coordinates)) throw new TypeError(`audit ${field}.${category} is not a list`);
        return [storable(field, category), coordinates.map((coordinate) => storable(field, coordinate)).sort()];
      }),
  );
}

/**
 * The bytes an entry's hash covers: the UTF-8 of a JSON array in a fixed field order (never the seq,
 * which the database assigns). For well-formed text this is byte for byte the format the chain has
 * always used, so existing chains verify unchanged; ill-formed text throws `IllFormedAuditTextError`.
 */
export function canonicalEntryBytes(entry: AuditContent): Buffer {
  if (!Number.isInteger(entry.rowsReturned) || entry.rowsReturned < 0 || entry.rowsReturned > 2_147_483_647) {
    throw new RangeError('audit rowsReturned is not a non-negative 32-bit integer');
  }
  if (typeof entry.breakGlass !== 'boolean') throw new TypeError('audit breakGlass is not a boolean');
  const fast = fastCanonicalJson(entry);
  if (fast !== undefined) return Buffer.from(fast, 'utf8');
  const json = JSON.stringify([
    storable('id', entry.id),
    entry.at.toISOString(),
    storable('requestId', entry.requestId),
    storable('actorSub', entry.actorSub),
    storable('actorRole', entry.actorRole),
    storable('institutionId', entry.institutionId),
    storable('practitionerId', entry.practitionerId),
    storable('residentId', entry.residentId),
    storable('purpose', entry.purpose),
    storable('grantId', entry.grantId),
    storable('scenarioId', entry.scenarioId),
    storable('operationHash', entry.operationHash),
    storable('operationName', entry.operationName),
    sortedCategories('fieldsByCategory', entry.fieldsByCategory),
    sortedCategories('deniedByCategory', entry.deniedByCategory),
    entry.rowsReturned,
    storable('outcome', entry.outcome),
    entry.breakGlass,
    storable('breakGlassReason', entry.breakGlassReason),
  ]);
  return Buffer.from(json, 'utf8');
}

/** The entry's text fields, in the canonical order. */
const TEXT_FIELDS = ['id', 'requestId', 'actorSub', 'actorRole', 'institutionId', 'practitionerId', 'residentId', 'purpose', 'grantId', 'scenarioId', 'operationHash', 'operationName', 'outcome', 'breakGlassReason'] as const;

/**
 * The canonical JSON of an entry whose text is all storable, checked with one test over all of it
 * (joined by a newline, so two fields can never pair a surrogate across their boundary), or
 * undefined when something is not text or not storable: canonicalEntryBytes then checks field by
 * field to name the culprit. Gives exactly the same bytes: a group commit or a feed batch appends
 * thousands of entries, and twenty separate tests each cost more than the hashing.
 */
function fastCanonicalJson(entry: AuditContent): string | undefined {
  const texts: string[] = [];
  for (const field of TEXT_FIELDS) {
    const value = entry[field];
    if (value === null) continue;
    if (typeof value !== 'string') return undefined;
    texts.push(value);
  }
  for (const categories of [entry.fieldsByCategory, entry.deniedByCategory]) {
    if (categories === null || typeof categories !== 'object' || Array.isArray(categories)) return undefined;
    for (const [category, coordinates] of Object.entries(categories)) {
      if (!Array.isArray(coordinates)) return undefined;
      texts.push(category);
      for (const coordinate of coordinates) {
        if (typeof coordinate !== 'string') return undefined;
        texts.push(coordinate);
      }
    }
  }
  if (!isStorableText(texts.join('\n'))) return undefined;
  const sorted = (value: Record<string, string[]>): Record<string, string[]> => Object.fromEntries(Object.keys(value).sort().map((category) => [category, [...value[category]!].sort()]));
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
    sorted(entry.fieldsByCategory),
    sorted(entry.deniedByCategory),
    entry.rowsReturned,
    entry.outcome,
    entry.breakGlass,
    entry.breakGlassReason,
  ]);
}

/** SHA-256 over the previous hash, a newline and the entry's canonical bytes, as lowercase hex. */
function chainHash(prevHash: string, canonicalBytes: Buffer): string {
  return createHash('sha256').update(Buffer.from(`${prevHash}\n`, 'utf8')).update(canonicalBytes).digest('hex');
}

/** The hash of an entry that follows `prevHash`; throws `IllFormedAuditTextError` for unstorable text. */
export function entryHash(prevHash: string, entry: AuditContent): string {
  return chainHash(prevHash, canonicalEntryBytes(entry));
}

/** The hash of an entry read back from the database, or undefined when its content lost the entry's shape. */
function storedEntryHash(prevHash: string, entry: AuditContent): string | undefined {
  try {
    return entryHash(prevHash, entry);
  } catch {
    return undefined;
  }
}

/** What an entry read back says happened: the row without what the log derives from it. */
export function storedContent(row: AuditEntryRow): AuditContent {
  const { seq, hash, prevHash, leafIndex, ...content } = row;
  void [seq, hash, prevHash, leafIndex];
  return content;
}

function contentOf(event: AuditEvent): AuditContent {
  return {
    id: `audit-${randomUUID()}`,
    // Millisecond precision: what PostgreSQL stores is exactly what was hashed.
    at: new Date(Math.floor((event.at ?? new Date()).getTime())),
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
}

/** An entry ready to append: its content, the bytes its hashes cover and its Merkle leaf hash (computed once, before the audit lock is taken). */
export interface PreparedAuditEntry {
  content: AuditContent;
  canonicalBytes: Buffer;
  leafHash: Buffer;
}

/** Prepares events for appending; throws `IllFormedAuditTextError` (nothing written) for unstorable text. */
export function prepareAuditEntries(events: readonly AuditEvent[]): PreparedAuditEntry[] {
  return events.map((event) => {
    const content = contentOf(event);
    const canonicalBytes = canonicalEntryBytes(content);
    return { content, canonicalBytes, leafHash: leafHash(canonicalBytes) };
  });
}

/**
 * Appends entries to the log. Must run inside a transaction (the advisory lock is released at its
 * end); the caller's other writes (grant consumption) commit or roll back with it.
 */
export async function appendAuditEntries(tx: Executor, events: readonly AuditEvent[], signer?: AuditSigner): Promise<AuditEntryRow[]> {
  // Every entry's bytes first: one unstorable entry refuses the whole batch before anything is written.
  return appendPreparedAuditEntries(tx, prepareAuditEntries(events), signer);
}

/**
 * Appends prepared entries under the audit lock: each becomes the next leaf of the Merkle log and the
 * next link of the hash chain; with a signer, one signed tree head (and chain checkpoint) covers them all.
 */
export async function appendPreparedAuditEntries(tx: Executor, prepared: readonly PreparedAuditEntry[], signer?: AuditSigner): Promise<AuditEntryRow[]> {
  if (prepared.length === 0) return [];
  if (signer && !isStorableText(signer.keyId)) throw new Error('the audit signer key id is not storable text');
  // Awaited before the read, never pipelined with it: postgres.js sends a statement it has not yet
  // prepared on this connection only after describing it, so a read issued behind the lock could
  // run first and append after a stale head.
  await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`);
  let state = await readLogState(tx, prepared.length);
  if (state.unadopted) {
    await adoptUnindexedEntries(tx, signer);
    state = await readLogState(tx, prepared.length);
  }
  let prevHash = state.lastHash;
  const rows: AuditEntryRow[] = prepared.map(({ content, canonicalBytes }, i) => {
    const hash = chainHash(prevHash, canonicalBytes);
    const row = { ...content, seq: state.seqs[i]!, prevHash, hash, leafIndex: state.size + i };
    prevHash = hash;
    return row;
  });
  const tree = planTreeAppend(
    state.size,
    state.frontier,
    prepared.map((entry) => entry.leafHash),
    signer,
  );
  const head = rows.at(-1)!;
  // Everything is known now: the writes go together (one round trip on PostgreSQL).
  await Promise.all([
    insertRows(tx, auditEntries, rows),
    writeTreeAppend(tx, tree),
    signer
      ? tx.insert(auditCheckpoints).values({
          seq: head.seq,
          hash: head.hash,
          keyId: signer.keyId,
          signature: sign(null, checkpointMessage(head.seq, head.hash), signer.privateKey).toString('base64url'),
        })
      : undefined,
  ]);
  return rows;
}

/** The log as the next append finds it (under the audit lock). */
interface LogState {
  /** Leaves in the Merkle log. */
  size: number;
  /** The last entry's chain hash (the genesis hash before the first). */
  lastHash: string;
  /** The Merkle log's frontier (`frontierOf(size)`) with its hashes. */
  frontier: SubtreeNode[];
  /** Sequence numbers for the entries about to be appended, in order. */
  seqs: number[];
  /** The last entry predates the Merkle log: adopt the old entries first. */
  unadopted: boolean;
}

/**
 * Reads the log's state in one statement: the last entry, the frontier of the tree its leaf index
 * implies (for each bit `l` set in the size, the subtree at level `l`, index `(size >> (l + 1)) * 2`),
 * and `count` new sequence numbers. Run after the lock is taken, so it sees the last committed append.
 */
const AUDIT_ENTRIES_TABLE = (({ schema, name }) => `${schema ?? 'public'}.${name}`)(getTableConfig(auditEntries));

async function readLogState(tx: Executor, count: number): Promise<LogState> {
  const [row] = executedRows<{ last_hash: string | null; last_leaf_index: number | string | null; has_last: boolean; frontier: unknown; seqs: Array<number | string> }>(
    await tx.execute(sql`
      with last as (select ${auditEntries.hash} as hash, ${auditEntries.leafIndex} as leaf_index from ${auditEntries} order by ${auditEntries.seq} desc limit 1),
      size as (select coalesce((select leaf_index from last) + 1, 0)::bigint as n),
      wanted as (select b.level, (size.n >> (b.level + 1)) * 2 as idx from size, generate_series(0, 62) as b(level) where (size.n >> b.level) & 1 = 1)
      select (select hash from last) as last_hash, (select leaf_index from last) as last_leaf_index, exists(select 1 from last) as has_last,
        (select coalesce(json_agg(json_build_object('level', n.level, 'index', n.idx, 'hash', n.hash)), '[]'::json)
           from ${auditTreeNodes} n join wanted on n.level = wanted.level and n.idx = wanted.idx) as frontier,
        array(select nextval(pg_get_serial_sequence(${AUDIT_ENTRIES_TABLE}, 'seq')) from generate_series(1, ${count}::int)) as seqs`),
  );
  if (!row) throw new Error('the audit log state query returned no row');
  const unadopted = row.has_last && row.last_leaf_index === null;
  const size = row.last_leaf_index === null ? 0 : Number(row.last_leaf_index) + 1;
  const nodes = (typeof row.frontier === 'string' ? JSON.parse(row.frontier) : row.frontier) as Array<{ level: number; index: number | string; hash: string }>;
  const byKey = new Map(nodes.map((node) => [subtreeKey({ level: Number(node.level), index: Number(node.index) }), node.hash]));
  const frontier = unadopted
    ? []
    : frontierOf(size).map((ref) => {
        const hash = byKey.get(subtreeKey(ref));
        if (hash === undefined) throw new MissingSubtreeError(ref.level, ref.index);
        return { ...ref, hash: Buffer.from(hash, 'hex') };
      });
  return { size, lastHash: row.last_hash ?? GENESIS_HASH, frontier, seqs: row.seqs.map(Number).sort((a, b) => a - b), unadopted };
}

const ADOPTION_PAGE = 1000;

/**
 * Entries written before the Merkle log become its leaves, in seq order, none left out. The hash
 * chain they were protected by is verified first (with the signed checkpoints when the audit key is
 * at hand) and the result is kept in `audit_chain_verification`, broken or not: adoption never
 * drops or repairs an entry, so a chain broken before is still reported where it broke. Runs under
 * the audit lock (first append after the upgrade) or on its own at start (`adoptLegacyAuditEntries`).
 */
async function adoptUnindexedEntries(tx: Executor, signer: AuditSigner | undefined): Promise<void> {
  const verifier: AuditVerifier | undefined = signer ? new Map([[signer.keyId, createPublicKey(signer.privateKey)]]) : undefined;
  const report = await verifyAuditChain(tx, verifier ? { verifier } : {});
  const [lastTree] = await tx.select({ index: auditTreeNodes.index }).from(auditTreeNodes).where(eq(auditTreeNodes.level, 0)).orderBy(desc(auditTreeNodes.index)).limit(1);
  let size = lastTree ? lastTree.index + 1 : 0;
  let upToSeq = 0;
  for (;;) {
    const page = await tx.select().from(auditEntries).where(isNull(auditEntries.leafIndex)).orderBy(asc(auditEntries.seq)).limit(ADOPTION_PAGE);
    if (page.length === 0) break;
    const leaves = page.map((row) => leafHash(canonicalEntryBytes(storedContent(row))));
    await tx.execute(
      sql`update ${auditEntries} set leaf_index = v.leaf_index from (values ${sql.join(
        page.map((row, i) => sql`(${row.seq}::bigint, ${size + i}::bigint)`),
        sql`, `,
      )}) as v(seq, leaf_index) where ${auditEntries.seq} = v.seq`,
    );
    size = (await appendToTree(tx, size, leaves)).size;
    upToSeq = page.at(-1)!.seq;
  }
  if (upToSeq === 0) return;
  await tx.insert(auditChainVerifications).values({
    upToSeq,
    entries: report.entries,
    valid: report.valid,
    signaturesChecked: verifier !== undefined,
    brokenAtPosition: report.valid ? null : report.brokenAt.position,
    problem: report.valid ? null : report.brokenAt.problem,
    lastHash: report.valid ? report.lastHash : null,
  });
  if (signer) {
    const root = await auditRootAt(tx, size);
    await tx.insert(auditTreeHeads).values(signTreeHead(signer, size, root)).onConflictDoNothing();
  }
}

/** Adopts the entries written before the Merkle log, if any (run at start, so no request pays for it). */
export async function adoptLegacyAuditEntries(db: Database, signer: AuditSigner): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`);
    const [unadopted] = await tx.select({ seq: auditEntries.seq }).from(auditEntries).where(isNull(auditEntries.leafIndex)).limit(1);
    if (unadopted) await adoptUnindexedEntries(tx, signer);
  });
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
      const hash = row.hash;
      if (storedEntryHash(prevHash, storedContent(row)) !== hash) return broken(row.seq, position, 'ALTERED');
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
