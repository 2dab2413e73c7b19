/**
 * Gathers the facts a decision depends on, fresh from the database on every request: a revoked
 * consent or grant therefore takes effect on the next request, on every gateway sharing the database.
 */
import { and, eq } from 'drizzle-orm';
import type { DataCategory, SensitivityLevel } from '../schema/classification.js';
import type { Actor, PurposeOfUse } from '../schema/context.js';
import { activeConsentsFor, matchesRecipient } from './consents.js';
import { checkGrant, type Executor, type GrantProblem } from './grants.js';
import type { DecisionFacts } from './policy.js';
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

  if (actor.role === 'resident') {
    facts.relationship.self = actor.residentId === residentId;
    if (!facts.relationship.self && actor.residentId) {
      const rows = await db
        .select({ residentId: guardianships.residentId })
        .from(guardianships)
        .where(and(eq(guardianships.residentId, residentId), eq(guardianships.guardianId, actor.residentId)));
      facts.relationship.guardian = rows.length > 0;
    }
    return { ok: true, facts };
  }

  if (actor.role === 'clinician' && actor.institutionId) {
    const [relationship] = await db
      .select({ since: careRelationships.since })
      .from(careRelationships)
      .where(and(eq(careRelationships.residentId, residentId), eq(careRelationships.institutionId, actor.institutionId)));
    facts.relationship.treatedAtActorInstitution = relationship !== undefined;

    const recipient = { institutionId: actor.institutionId, practitionerId: actor.practitionerId };
    const denied = new Set<DataCategory>();
    for (const consent of await activeConsentsFor(db, residentId, now)) {
      if (consent.provision !== 'DENY' || !matchesRecipient(consent, recipient)) continue;
      if (request.purpose && !consent.purposes.includes(request.purpose)) continue;
      for (const category of consent.categories) denied.add(category);
    }
    facts.deniedByConsent = [...denied];

    // Break-glass needs no grant and consumes none; a grant sent along is ignored, not refused.
    if (request.grantToken && request.purpose !== 'ETREAT') {
      const check = await checkGrant(db, request.grantToken, { residentId, granteeSub: actor.sub, purpose: request.purpose, now });
      if (!check.ok) return { ok: false, grantProblem: check.problem };
      facts.grant = { id: check.grant.id, categories: check.grant.categories, maxLevel: check.grant.maxLevel as SensitivityLevel };
    }
  }
  return { ok: true, facts };
}

/** Records that an institution treats these residents (from the HIS encounter feed); idempotent. */
export async function recordCareRelationships(db: Executor, institutionId: string, residentIds: readonly string[], since = new Date()): Promise<void> {
  const unique = [...new Set(residentIds)];
  if (unique.length === 0) return;
  await db
    .insert(careRelationships)
    .values(unique.map((residentId) => ({ residentId, institutionId, since })))
    .onConflictDoNothing();
}
