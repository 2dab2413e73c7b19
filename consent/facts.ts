/**
 * Gathers the facts a decision depends on, fresh from the database on every request: a revoked
 * consent or grant therefore takes effect on the next request, on every gateway sharing the database.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { SensitivityLevel } from '../schema/classification.js';
import type { Actor, PurposeOfUse } from '../schema/context.js';
import { activeConsentsFor, deniedCategories } from './consents.js';
import { checkGrant, type Executor, type GrantProblem } from './grants.js';
import { factsNeededBy, ownResidentIdOf, type DecisionFacts } from './policy.js';
import { careRelationships, guardianships } from './tables.js';

export interface FactsRequest {
  actor: Actor | null;
  purpose?: PurposeOfUse;
  breakGlassReason?: string;
  /** The `X-Access-Grant` token, if presented. */
  grantToken?: string;
  residentId: string;
  now?: Date;
}

export type FactsResult = { ok: true; facts: DecisionFacts } | { ok: false; grantProblem: GrantProblem };

export async function gatherFacts(db: Executor, request: FactsRequest): Promise<FactsResult> {
  const { actor, residentId } = request;
  const now = request.now ?? new Date();
  const facts: DecisionFacts = {
    actor,
    residentId,
    relationship: { self: false, guardian: false, treatedAtActorInstitution: false },
    deniedByConsent: [],
  };
  if (request.purpose) facts.purpose = request.purpose;
  if (request.breakGlassReason) facts.breakGlassReason = request.breakGlassReason;
  if (!actor) return { ok: true, facts };

  const needed = factsNeededBy(actor);
  const self = ownResidentIdOf(actor);
  if (needed.residentRelationship && self) {
    facts.relationship.self = self === residentId;
    if (!facts.relationship.self) {
      const rows = await db
        .select({ residentId: guardianships.residentId })
        .from(guardianships)
        .where(and(eq(guardianships.residentId, residentId), eq(guardianships.guardianId, self)));
      facts.relationship.guardian = rows.length > 0;
    }
    return { ok: true, facts };
  }

  if (needed.clinicalRelationship && actor.institutionId) {
    const [relationship] = await db
      .select({ since: careRelationships.since })
      .from(careRelationships)
      .where(and(eq(careRelationships.residentId, residentId), eq(careRelationships.institutionId, actor.institutionId)));
    facts.relationship.treatedAtActorInstitution = relationship !== undefined;

    // The same definition of "this consent applies" as access requests use (consents.ts).
    const recipient = { institutionId: actor.institutionId, practitionerId: actor.practitionerId ?? null };
    facts.deniedByConsent = [...deniedCategories(await activeConsentsFor(db, residentId, now), recipient, request.purpose, now)];

    // Break-glass needs no grant and consumes none; a grant sent along is ignored, not refused.
    if (request.grantToken && request.purpose !== 'ETREAT') {
      const check = await checkGrant(db, request.grantToken, { residentId, granteeSub: actor.sub, purpose: request.purpose, now });
      if (!check.ok) return { ok: false, grantProblem: check.problem };
      facts.grant = { id: check.grant.id, categories: check.grant.categories, maxLevel: check.grant.maxLevel as SensitivityLevel };
    }
  }
  return { ok: true, facts };
}

/** A care relationship a hospital feed starts, with its provenance (DESIGN §8). */
export interface FedCareRelationship {
  residentId: string;
  /** The sending system's institution, from its token: never from the records it sent. */
  institutionId: string;
  /** The feed mutation (`recordEncounters`, …). */
  operation: string;
  requestId: string;
  /** The records the write created for this resident. */
  recordIds: readonly string[];
  since: Date;
}

/**
 * Records that institutions treat residents, from feed writes that committed; idempotent: a
 * relationship keeps the provenance of the write that started it. Run it in the transaction that
 * audits those writes, so one is never recorded without the other.
 */
export async function recordCareRelationships(db: Executor, relationships: readonly FedCareRelationship[]): Promise<void> {
  if (relationships.length === 0) return;
  await db
    .insert(careRelationships)
    .values(
      relationships.map((r) => ({
        residentId: r.residentId,
        institutionId: r.institutionId,
        since: r.since,
        startedByOperation: r.operation,
        startedByRequestId: r.requestId,
        startedByRecordIds: [...r.recordIds],
      })),
    )
    .onConflictDoNothing();
}

/** Of these requests, the ones whose feed write started a care relationship of this resident (for the access log). */
export async function requestsThatStartedCare(db: Executor, residentId: string, requestIds: readonly string[]): Promise<Set<string>> {
  if (requestIds.length === 0) return new Set();
  const rows = await db
    .select({ requestId: careRelationships.startedByRequestId })
    .from(careRelationships)
    .where(and(eq(careRelationships.residentId, residentId), inArray(careRelationships.startedByRequestId, [...requestIds])));
  return new Set(rows.flatMap((row) => (row.requestId ? [row.requestId] : [])));
}
