/**
 * Gathers the facts a decision depends on, fresh from the database on every request: a revoked
 * consent or grant therefore takes effect on the next request, on every gateway sharing the database.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { SensitivityLevel } from '../schema/classification.js';
import type { Actor, PurposeOfUse } from '../schema/context.js';
import { insertRows } from '../subgraphs/runtime/bulk-insert.js';
import { tableRowMapper, type Database } from '../subgraphs/runtime/database.js';
import { currentConsentsQuery, deniedCategories, isInForce, toConsentRecord, type ConsentRecord } from './consents.js';
import { grantByTokenHashQuery, hashGrantToken, judgeGrant, type Executor, type GrantProblem } from './grants.js';
import { factsNeededBy, ownResidentIdOf, type DecisionFacts } from './policy.js';
import { accessGrants, careRelationships, consentVersions, guardianships, type AccessGrantRow } from './tables.js';

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

export async function gatherFacts(db: Database, request: FactsRequest): Promise<FactsResult> {
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
    // Break-glass needs no grant and consumes none; a grant sent along is ignored, not refused.
    const grantToken = request.grantToken && request.purpose !== 'ETREAT' ? request.grantToken : undefined;
    const clinical = await clinicalFacts(db, { residentId, institutionId: actor.institutionId, now, ...(grantToken ? { grantToken } : {}) });
    facts.relationship.treatedAtActorInstitution = clinical.treated;

    // The same definition of "this consent applies" as access requests use (consents.ts).
    const recipient = { institutionId: actor.institutionId, practitionerId: actor.practitionerId ?? null };
    facts.deniedByConsent = [...deniedCategories(clinical.consentsInForce, recipient, request.purpose, now)];

    if (grantToken) {
      const check = judgeGrant(clinical.grant, { residentId, granteeSub: actor.sub, purpose: request.purpose, now });
      if (!check.ok) return { ok: false, grantProblem: check.problem };
      facts.grant = { id: check.grant.id, categories: check.grant.categories, maxLevel: check.grant.maxLevel as SensitivityLevel };
    }
  }
  return { ok: true, facts };
}

interface ClinicalFacts {
  treated: boolean;
  consentsInForce: ConsentRecord[];
  grant: AccessGrantRow | undefined;
}

/**
 * What a clinician's decision needs, in one round trip: whether the actor's institution treats the
 * resident, the resident's consents as of now, and the presented grant. Each part is the query it is
 * on its own (currentConsentsQuery, grantByTokenHashQuery), embedded as a subquery; the statement is
 * built once per database and prepared (building it cost more CPU than the rest of the decision).
 */
function clinicalFactsStatement(db: Database) {
  const care = db
    .select({ one: sql`1` })
    .from(careRelationships)
    .where(and(eq(careRelationships.residentId, sql.placeholder('residentId')), eq(careRelationships.institutionId, sql.placeholder('institutionId'))));
  const consents = currentConsentsQuery(db, sql.placeholder('residentId'), sql.placeholder('now'));
  const grant = grantByTokenHashQuery(db, sql.placeholder('tokenHash'));
  return db
    .select({
      treated: sql<boolean>`exists(${care})`,
      consents: sql<Array<Record<string, unknown>> | string>`(select coalesce(json_agg(c), '[]'::json) from (${consents}) c)`,
      grant: sql<Record<string, unknown> | string | null>`(select row_to_json(g) from (${grant}) g)`,
    })
    .from(sql`(select 1) as one`)
    .prepare('healthmesh_clinical_facts');
}

/** The statement's json rows as the tables' rows (column mappers built once, not per request). */
const consentVersionRow = tableRowMapper(consentVersions);
const accessGrantRow = tableRowMapper(accessGrants);

const clinicalFactsStatements = new WeakMap<Database, ReturnType<typeof clinicalFactsStatement>>();

async function clinicalFacts(db: Database, request: { residentId: string; institutionId: string; now: Date; grantToken?: string }): Promise<ClinicalFacts> {
  let statement = clinicalFactsStatements.get(db);
  if (!statement) clinicalFactsStatements.set(db, (statement = clinicalFactsStatement(db)));
  const [row] = await statement.execute({
    residentId: request.residentId,
    institutionId: request.institutionId,
    now: request.now.toISOString(),
    // No token: a hash no grant has (token hashes are 64 hex digits).
    tokenHash: request.grantToken ? hashGrantToken(request.grantToken) : '',
  });
  if (!row) throw new Error('the facts query returned no row');
  return {
    treated: row.treated,
    consentsInForce: parsedJson(row.consents)
      .map((json) => toConsentRecord(consentVersionRow(json)))
      .filter((consent) => isInForce(consent, request.now)),
    grant: row.grant ? accessGrantRow(parsedJson(row.grant)) : undefined,
  };
}

/** A json column's value: parsed by both drivers as configured, parsed here if one hands back text. */
function parsedJson<Value>(value: Value | string): Value {
  return typeof value === 'string' ? (JSON.parse(value) as Value) : value;
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
  await insertRows(
    db,
    careRelationships,
    relationships.map((r) => ({
      residentId: r.residentId,
      institutionId: r.institutionId,
      since: r.since,
      startedByOperation: r.operation,
      startedByRequestId: r.requestId,
      startedByRecordIds: [...r.recordIds],
    })),
    { onConflictDoNothing: true },
  );
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
