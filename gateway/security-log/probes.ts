/**
 * Which of a request's audit events are refused probes: events for residents nobody could show them
 * to. An anonymous caller is accountable to nobody, and an id the platform does not know belongs to
 * nobody, so neither goes into the audit chain (residents' access logs); the request becomes one
 * event in the security log instead. A signed-in caller refused a real resident stays in the chain,
 * so the resident sees who tried. Only where the event is written differs: the caller's answer is
 * the same for an unknown resident and for one that is not theirs.
 */
import { inArray } from 'drizzle-orm';
import { isStorableText, type AuditEvent, type Executor } from '../../consent/index.js';
import { dataKeys } from '../keyring/index.js';
import type { DecidedRequest } from '../request-context.js';
import { operationHash } from '../stages/audit.js';
import type { SecurityEvent } from './security-log.js';

/** The code of a probe that nothing refused (e.g. break-glass on an id with no record: a null answer). */
export const NO_RECORD = 'NO_RECORD';

export interface SeparatedEvents {
  /** Events for the audit chain, in their original order. */
  audited: AuditEvent[];
  /** The request as one security event, when some of its events were probes. */
  probe?: SecurityEvent;
}

/**
 * Residents the platform knows: every resident has a data key in the keyring from the moment their
 * identity is written (seeded or registered), and keeps it (as a tombstone) when shredded. An id
 * that is not storable text cannot be a stored one.
 */
async function knownResidents(executor: Executor, residentIds: readonly string[]): Promise<Set<string>> {
  const candidates = [...new Set(residentIds)].filter(isStorableText);
  if (candidates.length === 0) return new Set();
  const rows = await executor.select({ residentId: dataKeys.residentId }).from(dataKeys).where(inArray(dataKeys.residentId, candidates));
  return new Set(rows.map((row) => row.residentId));
}

/** The code the caller was refused with for these residents' roots. */
function refusalCode(context: DecidedRequest, probes: readonly AuditEvent[]): string {
  for (const event of probes) {
    const [refused] = event.deniedByCategory['REFUSED'] ?? [];
    if (refused) return refused;
  }
  const residents = new Set(probes.map((event) => event.residentId));
  const rootKeys = new Set((context.subjects ?? []).filter((subject) => residents.has(subject.residentId)).map((subject) => subject.rootKey));
  const removed = context.filtered?.removed.find((removal) => rootKeys.has(String(removal.path[0])));
  return removed?.decision.code ?? NO_RECORD;
}

/** Splits a request's audit events into those the chain records and the probe the security log records. */
export async function separateProbes(executor: Executor, context: DecidedRequest, events: readonly AuditEvent[]): Promise<SeparatedEvents> {
  // Anything released is an access, whoever asked: always audited.
  const refused = events.filter((event): event is AuditEvent & { residentId: string } => event.outcome === 'DENIED' && typeof event.residentId === 'string');
  if (refused.length === 0) return { audited: [...events] };
  const anonymous = context.actor === null;
  const known = anonymous ? new Set<string>() : await knownResidents(executor, refused.map((event) => event.residentId));
  const probes = refused.filter((event) => !known.has(event.residentId));
  if (probes.length === 0) return { audited: [...events] };
  return {
    audited: events.filter((event) => !probes.includes(event as (typeof probes)[number])),
    probe: {
      requestId: context.requestId,
      actorSub: context.actor?.sub ?? 'anonymous',
      actorRole: context.actor?.role ?? 'anonymous',
      kind: anonymous ? 'ANONYMOUS_PROBE' : 'UNKNOWN_RESIDENT',
      code: refusalCode(context, probes),
      operationHash: operationHash(context),
      residentsNamed: new Set(probes.map((event) => event.residentId)).size,
    },
  };
}
