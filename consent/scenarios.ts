/**
 * Research scenarios (场景备案, 最小必要; DESIGN §7): a researcher submits one naming the minimum fields,
 * the cohort, the documents they will run, a period, a quota and a minimum cell size; stewards review
 * it (two distinct stewards when it reads level-5 records; never the applicant). Every refusal at
 * submission is BAD_USER_INPUT naming the offender, and nothing is written. Each write is audited in
 * its own transaction, under the scenario's id.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, lt, lte, sql, type SQL } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import type { ClassificationMap, DataCategory } from '../schema/classification.js';
import type { Actor } from '../schema/context.js';
import { isKnownAreaCode } from '../schema/districts.js';
import { ERROR_CODES, InvalidInputError } from '../schema/errors.js';
import {
  AGE_GRANULARITIES,
  DEFAULT_MIN_CELL_SIZE,
  FRAME_COORDINATES,
  MIN_CELL_SIZE_FLOOR,
  PLACE_GRANULARITIES,
  RESEARCH_COORDINATES,
  type AgeGranularity,
  type PlaceGranularity,
} from '../schema/research.js';
import { sensitivityOfDiagnosis, sensitivityOfLabCode } from '../schema/sensitivity.js';
import type { Database } from '../subgraphs/runtime/database.js';
import type { Executor } from './grants.js';
import { authorize, decidePlatform, type ScenarioListScope } from './policy.js';
import { checkDocument, documentId, type CheckedDocument } from './scenario-documents.js';
import { researchScenarios, scenarioDocuments, scenarioReviews, type ResearchScenarioRow, type ScenarioReviewRow, type StoredCohort } from './scenario-tables.js';
import { auditWrite, type WriteAudit } from './write-audit.js';

export const SCENARIO_STATUSES = ['PENDING_REVIEW', 'APPROVED', 'REJECTED', 'EXPIRED'] as const;
export type ScenarioStatus = (typeof SCENARIO_STATUSES)[number];
export const REVIEW_DECISIONS = ['APPROVE', 'REJECT'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** Limits of a submission: long enough for a real protocol, short enough to review. */
export const SCENARIO_LIMITS = {
  title: 200,
  purpose: 2000,
  reference: 200,
  fields: 30,
  documents: 20,
  documentLength: 10_000,
  queryQuota: 10_000,
  maxMinCellSize: 1000,
  diagnosisPrefixes: 50,
  districts: 50,
  comment: 1000,
} as const;
/** The most scenarios one listing returns (newest first). */
export const SCENARIO_LIST_LIMIT = 100;

export interface CohortCriteria {
  diagnosisCodePrefixes?: readonly string[] | null;
  ageMin?: number | null;
  ageMax?: number | null;
  sex?: string | null;
  districtCodes?: readonly string[] | null;
  from?: Date | null;
  until?: Date | null;
}

/** A submission (DESIGN §10 `ScenarioInput`). */
export interface NewScenario {
  title: string;
  purpose: string;
  ethicsApproval: string;
  impactAssessment: string;
  fields: readonly string[];
  cohort: CohortCriteria;
  documents: readonly string[];
  validUntil: Date;
  queryQuota: number;
  minCellSize?: number | null;
  ageGranularity?: string | null;
  placeGranularity?: string | null;
}

export interface ScenarioReviewRecord {
  reviewerSub: string;
  decision: ReviewDecision;
  comment: string | null;
  reviewedAt: Date;
}

export interface ScenarioRecord {
  id: string;
  title: string;
  purpose: string;
  ethicsApproval: string;
  impactAssessment: string;
  applicantSub: string;
  status: ScenarioStatus;
  fields: string[];
  categories: DataCategory[];
  cohort: StoredCohort;
  touchesLevel5: boolean;
  documentIds: string[];
  approvalsRequired: number;
  reviews: ScenarioReviewRecord[];
  queryQuota: number;
  queriesUsed: number;
  minCellSize: number;
  ageGranularity: AgeGranularity;
  placeGranularity: PlaceGranularity;
  validUntil: Date;
  submittedAt: Date;
  decidedAt: Date | null;
}

function signedIn(actor: Actor | null): Actor {
  if (!actor) throw new GraphQLError('Sign in first.', { extensions: { code: ERROR_CODES.UNAUTHENTICATED } });
  return actor;
}

/** A scenario's status at `now`: an approved or pending one past its end date has EXPIRED. */
export function scenarioStatusAt(row: Pick<ResearchScenarioRow, 'status' | 'validUntil'>, now: Date): ScenarioStatus {
  if ((row.status === 'APPROVED' || row.status === 'PENDING_REVIEW') && row.validUntil.getTime() <= now.getTime()) return 'EXPIRED';
  return row.status as ScenarioStatus;
}

// ---------------------------------------------------------------------------------------------------
// Submission

function requiredText(value: string, field: string, max: number): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!text) throw new InvalidInputError(`${field} is required.`, { field });
  if (text.length > max) throw new InvalidInputError(`${field} is at most ${max} characters.`, { field });
  return text;
}

function integerIn(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new InvalidInputError(`${field} must be a whole number from ${min} to ${max}, not ${value}.`, { field });
  return value;
}

function oneOf<T extends string>(value: string | null | undefined, allowed: readonly T[], fallback: T, field: string): T {
  if (value === null || value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new InvalidInputError(`${field} must be one of ${allowed.join(', ')}.`, { field });
  return value as T;
}

/** Checks the listed coordinates against the supergraph's classification map; returns their consent categories. */
function checkFields(fields: readonly string[], classifications: ClassificationMap): DataCategory[] {
  if (fields.length === 0) throw new InvalidInputError('fields must list at least one coordinate (Type.field).', { field: 'fields' });
  if (fields.length > SCENARIO_LIMITS.fields) throw new InvalidInputError(`fields lists at most ${SCENARIO_LIMITS.fields} coordinates.`, { field: 'fields' });
  const categories = new Set<DataCategory>();
  const seen = new Set<string>();
  fields.forEach((coordinate, index) => {
    const field = `fields[${index}]`;
    if (seen.has(coordinate)) throw new InvalidInputError(`${field}: ${coordinate} is listed twice.`, { field });
    seen.add(coordinate);
    const classification = /^\w+\.\w+$/.test(coordinate) ? classifications.get(coordinate) : undefined;
    if (!classification) throw new InvalidInputError(`${field}: ${coordinate} is not a field of the platform (Type.field, e.g. LabItem.value).`, { field });
    if (classification.level >= 4 || classification.encrypted || classification.mask || coordinate === 'Resident.id') {
      throw new InvalidInputError(`${field}: ${coordinate} identifies a person directly (a level-4 identifier or free text, or the platform's resident id); research works on pseudonyms.`, { field });
    }
    if (!RESEARCH_COORDINATES.has(coordinate)) {
      throw new InvalidInputError(`${field}: ${coordinate} is not offered to research; a scenario lists from ${[...RESEARCH_COORDINATES].sort().join(', ')}.`, { field });
    }
    if (!FRAME_COORDINATES.has(coordinate)) categories.add(classification.category);
  });
  return categories.size > 0 ? [...categories].sort() : ['DEMOGRAPHICS'];
}

const DIAGNOSIS_PREFIX = /^[A-Z][0-9]{0,2}(\.[0-9A-Z]{0,4})?$/;
const SEX_CODES = ['0', '1', '2', '9'];

function checkCohort(cohort: CohortCriteria): StoredCohort {
  const stored: StoredCohort = {};
  const prefixes = cohort.diagnosisCodePrefixes ?? [];
  if (prefixes.length > SCENARIO_LIMITS.diagnosisPrefixes) throw new InvalidInputError(`cohort.diagnosisCodePrefixes lists at most ${SCENARIO_LIMITS.diagnosisPrefixes}.`, { field: 'cohort.diagnosisCodePrefixes' });
  prefixes.forEach((prefix, index) => {
    if (!DIAGNOSIS_PREFIX.test(prefix)) throw new InvalidInputError(`cohort.diagnosisCodePrefixes[${index}]: ${prefix} is not an ICD-10 code prefix (e.g. E11).`, { field: `cohort.diagnosisCodePrefixes[${index}]` });
  });
  if (prefixes.length > 0) stored.diagnosisCodePrefixes = [...new Set(prefixes)];
  if (cohort.ageMin !== null && cohort.ageMin !== undefined) stored.ageMin = integerIn(cohort.ageMin, 'cohort.ageMin', 0, 130);
  if (cohort.ageMax !== null && cohort.ageMax !== undefined) stored.ageMax = integerIn(cohort.ageMax, 'cohort.ageMax', 0, 130);
  if (stored.ageMin !== undefined && stored.ageMax !== undefined && stored.ageMin > stored.ageMax) throw new InvalidInputError('cohort.ageMin is above cohort.ageMax.', { field: 'cohort.ageMin' });
  if (cohort.sex !== null && cohort.sex !== undefined) {
    if (!SEX_CODES.includes(cohort.sex)) throw new InvalidInputError('cohort.sex is a GB/T 2261.1 code: 0, 1, 2 or 9.', { field: 'cohort.sex' });
    stored.sex = cohort.sex;
  }
  const districts = cohort.districtCodes ?? [];
  if (districts.length > SCENARIO_LIMITS.districts) throw new InvalidInputError(`cohort.districtCodes lists at most ${SCENARIO_LIMITS.districts}.`, { field: 'cohort.districtCodes' });
  districts.forEach((code, index) => {
    if (!/^\d{6}$/.test(code) || !isKnownAreaCode(code)) throw new InvalidInputError(`cohort.districtCodes[${index}]: ${code} is not a GB/T 2260 district code.`, { field: `cohort.districtCodes[${index}]` });
  });
  if (districts.length > 0) stored.districtCodes = [...new Set(districts)];
  if (cohort.from) stored.from = cohort.from.toISOString();
  if (cohort.until) stored.until = cohort.until.toISOString();
  if (cohort.from && cohort.until && cohort.from.getTime() >= cohort.until.getTime()) throw new InvalidInputError('cohort.from is not before cohort.until.', { field: 'cohort.from' });
  return stored;
}

/** Whether a diagnosis code prefix reaches a sensitive ICD-10 range (F covers F00–F99; B2 covers B20–B24). */
function prefixTouchesLevel5(prefix: string): boolean {
  const category = prefix.slice(0, 3);
  if (category.length === 3) return sensitivityOfDiagnosis(category) !== 'NONE';
  const last = category.length === 1 ? '99' : '9';
  // Sensitive when any 3-character category under the prefix is (ranges are contiguous and short).
  for (let n = 0; n <= Number(last); n += 1) {
    if (sensitivityOfDiagnosis(`${category}${String(n).padStart(3 - category.length, '0')}`) !== 'NONE') return true;
  }
  return false;
}

/**
 * Files a researcher's scenario, PENDING_REVIEW. `classifications` is the supergraph's classification
 * map: a listed coordinate must exist there and be neither identifying nor free text.
 */
/** How the platform itself files a scenario (the demo seed): a fixed id, more approvals than the rules require. */
export interface SubmitOptions {
  id?: string;
  approvalsRequired?: number;
}

export async function submitScenario(
  db: Database,
  actor: Actor | null,
  input: NewScenario,
  classifications: ClassificationMap,
  now = new Date(),
  audit?: WriteAudit,
  options: SubmitOptions = {},
): Promise<ScenarioRecord> {
  const applicant = signedIn(actor);
  authorize(applicant, 'submit', 'Scenario');
  const title = requiredText(input.title, 'title', SCENARIO_LIMITS.title);
  const purpose = requiredText(input.purpose, 'purpose', SCENARIO_LIMITS.purpose);
  const ethicsApproval = requiredText(input.ethicsApproval, 'ethicsApproval', SCENARIO_LIMITS.reference);
  const impactAssessment = requiredText(input.impactAssessment, 'impactAssessment', SCENARIO_LIMITS.reference);
  const cohort = checkCohort(input.cohort ?? {});
  // Selecting the cohort by diagnosis reads clinical data, whether or not the answers show it.
  const categories = [...new Set([...checkFields(input.fields, classifications), ...(cohort.diagnosisCodePrefixes ? (['CLINICAL'] as const) : [])])].sort();
  if (!(input.validUntil instanceof Date) || Number.isNaN(input.validUntil.getTime()) || input.validUntil.getTime() <= now.getTime()) {
    throw new InvalidInputError('validUntil is in the past; a scenario ends after it is submitted.', { field: 'validUntil' });
  }
  const queryQuota = integerIn(input.queryQuota, 'queryQuota', 1, SCENARIO_LIMITS.queryQuota);
  const minCellSize = input.minCellSize ?? DEFAULT_MIN_CELL_SIZE;
  if (Number.isInteger(minCellSize) && minCellSize < MIN_CELL_SIZE_FLOOR) {
    throw new InvalidInputError(`minCellSize is ${minCellSize}; it is never below ${MIN_CELL_SIZE_FLOOR} (default ${DEFAULT_MIN_CELL_SIZE}).`, { field: 'minCellSize' });
  }
  integerIn(minCellSize, 'minCellSize', MIN_CELL_SIZE_FLOOR, SCENARIO_LIMITS.maxMinCellSize);
  const ageGranularity = oneOf(input.ageGranularity, AGE_GRANULARITIES, 'FIVE_YEAR_BAND', 'ageGranularity');
  const placeGranularity = oneOf(input.placeGranularity, PLACE_GRANULARITIES, 'DISTRICT', 'placeGranularity');
  if (input.documents.length === 0) throw new InvalidInputError('documents must register at least one GraphQL document.', { field: 'documents' });
  if (input.documents.length > SCENARIO_LIMITS.documents) throw new InvalidInputError(`documents registers at most ${SCENARIO_LIMITS.documents}.`, { field: 'documents' });
  const allowance = { fields: new Set(input.fields), ageGranularity, placeGranularity };
  const documents: CheckedDocument[] = [];
  input.documents.forEach((text, index) => {
    if (text.length > SCENARIO_LIMITS.documentLength) throw new InvalidInputError(`documents[${index}] is longer than ${SCENARIO_LIMITS.documentLength} characters.`, { field: `documents[${index}]` });
    const checked = checkDocument(text, index, allowance);
    if (documents.some((d) => d.id === checked.id)) throw new InvalidInputError(`documents[${index}] repeats an earlier document.`, { field: `documents[${index}]` });
    documents.push(checked);
  });
  const touchesLevel5 =
    (cohort.diagnosisCodePrefixes ?? []).some(prefixTouchesLevel5) || documents.some((d) => d.itemCodes.some((code) => sensitivityOfLabCode(code) !== 'NONE'));
  const id = options.id ?? `scn-${randomUUID()}`;
  const approvalsRequired = Math.max(touchesLevel5 ? 2 : 1, options.approvalsRequired ?? 1);
  await db.transaction(async (tx) => {
    await tx.insert(researchScenarios).values({
      id,
      title,
      purpose,
      ethicsApproval,
      impactAssessment,
      applicantSub: applicant.sub,
      applicantInstitutionId: applicant.institutionId ?? null,
      fields: [...input.fields],
      categories,
      cohort,
      touchesLevel5,
      approvalsRequired,
      status: 'PENDING_REVIEW',
      validUntil: input.validUntil,
      queryQuota,
      minCellSize,
      ageGranularity,
      placeGranularity,
      submittedAt: now,
    });
    await tx.insert(scenarioDocuments).values(documents.map((d, position) => ({ scenarioId: id, position, sha256: d.id, text: d.text })));
    await auditWrite(tx, audit, applicant, { residentId: null, scenarioId: id, operation: 'submitScenario', at: now });
  });
  return (await recordsOf(db, await db.select().from(researchScenarios).where(eq(researchScenarios.id, id)), now))[0]!;
}

// ---------------------------------------------------------------------------------------------------
// Reading

async function recordsOf(db: Executor, rows: readonly ResearchScenarioRow[], now: Date): Promise<ScenarioRecord[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const [reviews, documents] = await Promise.all([
    db.select().from(scenarioReviews).where(inArray(scenarioReviews.scenarioId, ids)).orderBy(asc(scenarioReviews.reviewedAt), asc(scenarioReviews.id)),
    db.select({ scenarioId: scenarioDocuments.scenarioId, sha256: scenarioDocuments.sha256 }).from(scenarioDocuments).where(inArray(scenarioDocuments.scenarioId, ids)).orderBy(asc(scenarioDocuments.position)),
  ]);
  return rows.map((row) => toRecord(row, reviews.filter((r) => r.scenarioId === row.id), documents.filter((d) => d.scenarioId === row.id).map((d) => d.sha256), now));
}

function toRecord(row: ResearchScenarioRow, reviews: readonly ScenarioReviewRow[], documentIds: string[], now: Date): ScenarioRecord {
  return {
    id: row.id,
    title: row.title,
    purpose: row.purpose,
    ethicsApproval: row.ethicsApproval,
    impactAssessment: row.impactAssessment,
    applicantSub: row.applicantSub,
    status: scenarioStatusAt(row, now),
    fields: row.fields,
    categories: row.categories,
    cohort: row.cohort,
    touchesLevel5: row.touchesLevel5,
    documentIds,
    approvalsRequired: row.approvalsRequired,
    reviews: reviews.map((r) => ({ reviewerSub: r.reviewerSub, decision: r.decision as ReviewDecision, comment: r.comment, reviewedAt: r.reviewedAt })),
    queryQuota: row.queryQuota,
    queriesUsed: row.queriesUsed,
    minCellSize: row.minCellSize,
    ageGranularity: row.ageGranularity as AgeGranularity,
    placeGranularity: row.placeGranularity as PlaceGranularity,
    validUntil: row.validUntil,
    submittedAt: row.submittedAt,
    decidedAt: row.decidedAt,
  };
}

function statusCondition(status: ScenarioStatus, now: Date): SQL {
  if (status === 'EXPIRED') return and(inArray(researchScenarios.status, ['APPROVED', 'PENDING_REVIEW']), lte(researchScenarios.validUntil, now))!;
  if (status === 'REJECTED') return eq(researchScenarios.status, status);
  return and(eq(researchScenarios.status, status), gt(researchScenarios.validUntil, now))!;
}

/** A researcher's own scenarios, or every scenario for a steward (the queue: `PENDING_REVIEW`); newest first, at most 100. */
export async function listScenarios(db: Executor, actor: Actor | null, status?: ScenarioStatus | null, now = new Date()): Promise<ScenarioRecord[]> {
  const caller = signedIn(actor);
  const scope = authorize(caller, 'list', 'Scenario') as ScenarioListScope;
  const conditions: SQL[] = [];
  if (scope === 'OWN_SCENARIOS') conditions.push(eq(researchScenarios.applicantSub, caller.sub));
  if (status) conditions.push(statusCondition(status, now));
  const rows = await db
    .select()
    .from(researchScenarios)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(desc(researchScenarios.submittedAt), desc(researchScenarios.id))
    .limit(SCENARIO_LIST_LIMIT);
  return recordsOf(db, rows, now);
}

/** One scenario by id, for the platform's own use (the gateway, the research subgraph); no authorisation. */
export async function scenarioById(db: Executor, id: string, now = new Date()): Promise<ScenarioRecord | undefined> {
  const rows = await db.select().from(researchScenarios).where(eq(researchScenarios.id, id));
  return (await recordsOf(db, rows, now))[0];
}

// ---------------------------------------------------------------------------------------------------
// Review

/**
 * Records one steward's review. A rejection needs a comment and rejects at once; an approval approves
 * when it is the last one required (two distinct stewards for level 5). The review, the status change
 * and the audit entry commit together.
 */
export async function reviewScenario(
  db: Database,
  actor: Actor | null,
  id: string,
  decision: ReviewDecision,
  comment?: string | null,
  now = new Date(),
  audit?: WriteAudit,
): Promise<ScenarioRecord> {
  const reviewer = signedIn(actor);
  authorize(reviewer, 'review', 'Scenario');
  if (!(REVIEW_DECISIONS as readonly string[]).includes(decision)) throw new InvalidInputError('decision must be APPROVE or REJECT.', { field: 'decision' });
  const text = comment?.trim() ? comment.trim() : null;
  if (text && text.length > SCENARIO_LIMITS.comment) throw new InvalidInputError(`comment is at most ${SCENARIO_LIMITS.comment} characters.`, { field: 'comment' });
  if (decision === 'REJECT' && !text) throw new InvalidInputError('A rejection needs a comment saying why, for the applicant.', { field: 'comment' });
  await db.transaction(async (tx) => {
    // The row lock serialises concurrent reviews of one scenario: the count of approvals is exact.
    const [row] = await tx.select().from(researchScenarios).where(eq(researchScenarios.id, id)).for('update');
    if (!row) throw new InvalidInputError('No such research scenario.', { field: 'id' });
    const reviews = await tx.select().from(scenarioReviews).where(eq(scenarioReviews.scenarioId, id));
    authorize(reviewer, 'review', { type: 'Scenario', attributes: { submitterSub: row.applicantSub, status: row.status, reviewedBy: reviews.map((r) => r.reviewerSub) } });
    const status = scenarioStatusAt(row, now);
    if (status !== 'PENDING_REVIEW') throw new InvalidInputError(`This scenario is ${status}, no longer pending review.`, { field: 'id' });
    await tx.insert(scenarioReviews).values({ id: `srev-${randomUUID()}`, scenarioId: id, reviewerSub: reviewer.sub, decision, comment: text, reviewedAt: now });
    const approvals = reviews.filter((r) => r.decision === 'APPROVE').length + (decision === 'APPROVE' ? 1 : 0);
    const next = decision === 'REJECT' ? 'REJECTED' : approvals >= row.approvalsRequired ? 'APPROVED' : 'PENDING_REVIEW';
    if (next !== 'PENDING_REVIEW') await tx.update(researchScenarios).set({ status: next, decidedAt: now }).where(eq(researchScenarios.id, id));
    await auditWrite(tx, audit, reviewer, { residentId: null, scenarioId: id, operation: 'reviewScenario', at: now });
  });
  return (await scenarioById(db, id, now))!;
}

// ---------------------------------------------------------------------------------------------------
// Running registered documents (the gateway's check)

export type RegisteredDocumentRefusal = 'OPERATION_NOT_REGISTERED' | 'SCENARIO_NOT_APPROVED' | 'QUOTA_EXCEEDED';

/** The registered document with this hex SHA-256, if any scenario registered it: its text and scenarios. */
export async function registeredDocumentsByHash(db: Executor, sha256: string): Promise<Array<{ scenarioId: string; text: string }>> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) return [];
  return db.select({ scenarioId: scenarioDocuments.scenarioId, text: scenarioDocuments.text }).from(scenarioDocuments).where(eq(scenarioDocuments.sha256, sha256));
}

/**
 * The text of the registered document with this hex SHA-256 when a scenario the actor may run (by the
 * policy: their own, approved now) registered it. Another researcher's document is not found, exactly
 * like an unknown hash: a hash tells nobody what others registered.
 */
export async function approvedDocumentByHash(db: Executor, actor: Actor, sha256: string, now = new Date()): Promise<string | undefined> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  const rows = await db
    .select({ text: scenarioDocuments.text, applicantSub: researchScenarios.applicantSub })
    .from(scenarioDocuments)
    .innerJoin(researchScenarios, eq(researchScenarios.id, scenarioDocuments.scenarioId))
    .where(and(eq(scenarioDocuments.sha256, sha256), eq(researchScenarios.status, 'APPROVED'), gt(researchScenarios.validUntil, now)));
  return rows.find((row) => mayRunScenario(actor, { applicantSub: row.applicantSub, status: 'APPROVED' }))?.text;
}

/** Whether `text` is one of the scenario's registered documents (by its hash). */
export async function isRegisteredDocument(db: Executor, scenarioId: string, text: string): Promise<boolean> {
  const [row] = await db
    .select({ id: scenarioDocuments.sha256 })
    .from(scenarioDocuments)
    .where(and(eq(scenarioDocuments.scenarioId, scenarioId), eq(scenarioDocuments.sha256, documentId(text))))
    .limit(1);
  return row !== undefined;
}

/**
 * Reserves one research query of the scenario's quota before it runs: one conditional UPDATE, so
 * concurrent queries cannot overrun it. `undefined` when reserved; else why the query may not run.
 * A query that is then refused gives its reservation back (`releaseResearchQuery`): only answered
 * queries count.
 */
export async function countResearchQuery(db: Executor, scenarioId: string, now = new Date()): Promise<Exclude<RegisteredDocumentRefusal, 'OPERATION_NOT_REGISTERED'> | undefined> {
  const [counted] = await db
    .update(researchScenarios)
    .set({ queriesUsed: sql`${researchScenarios.queriesUsed} + 1` })
    .where(
      and(
        eq(researchScenarios.id, scenarioId),
        eq(researchScenarios.status, 'APPROVED'),
        gt(researchScenarios.validUntil, now),
        lt(researchScenarios.queriesUsed, researchScenarios.queryQuota),
      ),
    )
    .returning({ id: researchScenarios.id });
  if (counted) return undefined;
  const [row] = await db.select().from(researchScenarios).where(eq(researchScenarios.id, scenarioId));
  return row && scenarioStatusAt(row, now) === 'APPROVED' ? 'QUOTA_EXCEEDED' : 'SCENARIO_NOT_APPROVED';
}

/** Gives back the reservation of a research query that was not answered (refused, or failed). */
export async function releaseResearchQuery(db: Executor, scenarioId: string): Promise<void> {
  await db
    .update(researchScenarios)
    .set({ queriesUsed: sql`greatest(${researchScenarios.queriesUsed} - 1, 0)` })
    .where(eq(researchScenarios.id, scenarioId));
}

/** Whether the policy lets this actor run this scenario's documents (its researcher, while approved). */
export function mayRunScenario(actor: Actor, scenario: Pick<ScenarioRecord, 'applicantSub' | 'status'>): boolean {
  return decidePlatform(actor, 'read', { type: 'ResearchField', attributes: { researcherSub: scenario.applicantSub, scenarioStatus: scenario.status } }).allowed;
}
