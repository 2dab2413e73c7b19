/**
 * Stage 8, audit: one entry per resident touched per request (who, role, institution, purpose,
 * grant, fields by category, rows returned, outcome), built from the decisions and the shaped result.
 */
import { createHash } from 'node:crypto';
import { print, type DocumentNode } from 'graphql';
import type { AuditEvent, AuditOutcome } from '../../consent/index.js';
import type { ClassificationMap } from '../../schema/classification.js';
import type { AuditedRequest, DecidedRequest } from '../request-context.js';
import type { SubjectDecision } from './decide.js';
import { countObjects } from './shape-result.js';

/**
 * Hash of the operation as the client sent it (fragments and all), for the audit entry: SHA-256 of the
 * printed document's UTF-8. The document passed graphql-js's lexer, which refuses lone surrogates in
 * strings and comments, so those bytes are exactly the text: two documents never share a hash.
 */
export function operationHash(context: Pick<AuditedRequest, 'analysis'>): string {
  const document = context.analysis?.document;
  if (!document) return EMPTY_OPERATION_HASH;
  // The parse cache hands back the same document for the same text: print and hash it once.
  let hash = hashes.get(document);
  if (!hash) {
    hash = createHash('sha256').update(Buffer.from(print(document), 'utf8')).digest('hex');
    hashes.set(document, hash);
  }
  return hash;
}

const hashes = new WeakMap<DocumentNode, string>();
const EMPTY_OPERATION_HASH = createHash('sha256').update('').digest('hex');

function addTo(map: Record<string, string[]>, category: string, coordinate: string): void {
  const list = (map[category] ??= []);
  if (!list.includes(coordinate)) list.push(coordinate);
}

/**
 * Audit events for a request that ran: per resident, what was released and what was withheld.
 * `data` is the shaped result (denied selections already null).
 */
export function auditEventsForResult(
  context: DecidedRequest,
  data: Record<string, unknown> | null | undefined,
  classifications: ClassificationMap,
): AuditEvent[] {
  const subjects = context.subjects ?? [];
  const filtered = context.filtered;
  const byResident = new Map<string, AuditEvent>();
  for (const subject of subjects) {
    const event = byResident.get(subject.residentId) ?? baseEvent(context, subject);
    byResident.set(subject.residentId, event);
    for (const coordinate of filtered?.kept.get(subject.rootKey) ?? []) {
      const classification = classifications.get(coordinate);
      if (classification) addTo(event.fieldsByCategory, classification.category, coordinate);
      const decision = subject.decide(coordinate);
      if (decision && decision.effect !== 'denied' && decision.basis === 'GRANT' && subject.facts.grant) event.grantId = subject.facts.grant.id;
      if (decision && decision.effect !== 'denied' && decision.basis === 'BREAK_GLASS') event.breakGlass = true;
    }
    for (const removed of filtered?.removed ?? []) {
      if (removed.path[0] !== subject.rootKey) continue;
      for (const missing of [removed.decision.missing, ...(removed.alsoMissing ?? [])]) addTo(event.deniedByCategory, missing.category, removed.coordinate);
    }
    event.rowsReturned += countObjects(data?.[subject.rootKey]);
  }
  for (const event of byResident.values()) {
    const released = Object.keys(event.fieldsByCategory).length > 0 && event.rowsReturned > 0;
    const withheld = Object.keys(event.deniedByCategory).length > 0;
    event.outcome = outcomeOf(released, withheld);
    if (!event.breakGlass) event.breakGlassReason = null;
  }
  return [...byResident.values()];
}

/** Audit events for a request refused before execution (no data released). */
export function auditEventsForRefusal(context: AuditedRequest, residents: ReadonlyArray<{ residentId: string; rootKey: string }>, reason: string): AuditEvent[] {
  const seen = new Set<string>();
  const events: AuditEvent[] = [];
  for (const root of residents) {
    if (seen.has(root.residentId)) continue;
    seen.add(root.residentId);
    const event = baseEvent(context, root);
    event.deniedByCategory = { REFUSED: [reason] };
    event.outcome = 'DENIED';
    event.breakGlassReason = null;
    events.push(event);
  }
  return events;
}

function outcomeOf(released: boolean, withheld: boolean): AuditOutcome {
  if (!released) return 'DENIED';
  return withheld ? 'PARTIALLY_DENIED' : 'ALLOWED';
}

/** The entry's who, when and which operation, for one resident; nothing released or denied yet. */
export function baseEvent(context: AuditedRequest, subject: Pick<SubjectDecision, 'residentId'>): AuditEvent {
  return {
    requestId: context.requestId,
    actorSub: context.actor?.sub ?? 'anonymous',
    actorRole: context.actor?.role ?? 'anonymous',
    institutionId: context.actor?.institutionId ?? null,
    practitionerId: context.actor?.practitionerId ?? null,
    residentId: subject.residentId,
    purpose: context.purpose ?? null,
    grantId: null,
    operationHash: operationHash(context),
    operationName: context.analysis?.operation.name?.value ?? null,
    fieldsByCategory: {},
    deniedByCategory: {},
    rowsReturned: 0,
    outcome: 'DENIED',
    breakGlass: false,
    breakGlassReason: context.breakGlassReason ?? null,
  };
}
