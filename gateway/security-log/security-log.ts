/**
 * The bounded security log (DESIGN §3.8): refused probes are recorded here, not in the audit chain,
 * so nobody can flood residents' access logs or the chain by naming resident ids. Writes are a ring
 * of `maxEvents` slots: one statement per event, no growth, no delete of old rows.
 */
import { desc, sql } from 'drizzle-orm';
import { IllFormedAuditTextError, isStorableText } from '../../consent/audit.js';
import type { Executor } from '../../consent/grants.js';
import { securityEvents, type SecurityEventKind, type SecurityEventRow } from './tables.js';

/** The bound when none is configured (`HEALTHMESH_SECURITY_LOG_MAX_EVENTS`). */
export const DEFAULT_SECURITY_LOG_MAX_EVENTS = 100_000;
/** The most events one read returns. */
export const MAX_SECURITY_EVENTS_READ = 1_000;

/** One refused probe: who (or anonymous), how it was refused, what was sent; never whom it named. */
export interface SecurityEvent {
  requestId: string;
  actorSub: string;
  actorRole: string;
  kind: SecurityEventKind;
  code: string;
  operationHash: string;
  residentsNamed: number;
  at?: Date;
}

/** An event as read back, in the order written (`seq`). */
export type RecordedSecurityEvent = Omit<SecurityEventRow, 'slot'>;

export interface SecurityLog {
  /** The most rows the log ever holds. */
  readonly maxEvents: number;
  /** Writes one event in the caller's transaction, so it commits (or not) with the request's other writes. */
  record(executor: Executor, event: SecurityEvent): Promise<void>;
}

/** A security log holding at most `maxEvents` events (the oldest is overwritten first). */
export function openSecurityLog(options: { maxEvents?: number } = {}): SecurityLog {
  const maxEvents = options.maxEvents ?? DEFAULT_SECURITY_LOG_MAX_EVENTS;
  if (!Number.isSafeInteger(maxEvents) || maxEvents < 1 || maxEvents > 2_147_483_647) throw new RangeError(`the security log bound must be a positive integer, got ${maxEvents}`);
  return {
    maxEvents,
    async record(executor, event) {
      for (const field of ['requestId', 'actorSub', 'actorRole', 'kind', 'code', 'operationHash'] as const) {
        if (!isStorableText(event[field])) throw new IllFormedAuditTextError(field);
      }
      if (!Number.isInteger(event.residentsNamed) || event.residentsNamed < 0) throw new RangeError('residentsNamed is a non-negative integer');
      const at = (event.at ?? new Date()).toISOString();
      // The slot is the event's number modulo the bound; a writer holding an older number never
      // overwrites a newer event. Slots beyond a lowered bound are dropped in the same statement (an
      // index range that is empty unless the bound was just lowered).
      await executor.execute(sql`
        with pruned as (delete from ${securityEvents} where slot >= ${maxEvents}),
             next as (select nextval('security.security_event_seq') as seq)
        insert into ${securityEvents} as event (slot, seq, at, request_id, actor_sub, actor_role, kind, code, operation_hash, residents_named)
        select (next.seq % ${maxEvents}::bigint)::integer, next.seq, ${at}::timestamptz, ${event.requestId}, ${event.actorSub}, ${event.actorRole},
               ${event.kind}, ${event.code}, ${event.operationHash}, ${event.residentsNamed}::integer
        from next
        on conflict (slot) do update set
          seq = excluded.seq, at = excluded.at, request_id = excluded.request_id, actor_sub = excluded.actor_sub, actor_role = excluded.actor_role,
          kind = excluded.kind, code = excluded.code, operation_hash = excluded.operation_hash, residents_named = excluded.residents_named
        where event.seq < excluded.seq`);
    },
  };
}

/** The most recent security events, newest first (at most `MAX_SECURITY_EVENTS_READ`). */
export async function recentSecurityEvents(db: Executor, options: { limit: number }): Promise<RecordedSecurityEvent[]> {
  const limit = Number.isFinite(options.limit) ? Math.max(1, Math.min(MAX_SECURITY_EVENTS_READ, Math.floor(options.limit))) : MAX_SECURITY_EVENTS_READ;
  const rows = await db.select().from(securityEvents).orderBy(desc(securityEvents.seq)).limit(limit);
  return rows.map(({ slot, ...event }) => {
    void slot;
    return event;
  });
}
