/**
 * Mutual recognition of results (互认, DESIGN §8): which prior results of a resident can stand in for the
 * tests about to be ordered, the clinician's decision on each, the daily report, and the steward's
 * catalogue. Whether the caller may see the resident's RESULTS at all is the gateway's decision
 * (`recognizableResults` is declared as reading the resident of `residentId`); the rows read here are
 * row-filtered by the signed context like every other results list.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { Arg, Ctx, Directive, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { classified } from '../../schema/classification.js';
import { authorize } from '../../consent/policy.js';
import type { Actor } from '../../schema/context.js';
import { ERROR_CODES, InvalidInputError } from '../../schema/errors.js';
import { rootIs } from '../../schema/enforcement.js';
import { lookupIds } from '../runtime/reference-lookup.js';
import { residentRowFilter } from '../runtime/row-filter.js';
import type { SubgraphContext } from '../runtime/server.js';
import { DECLINE_REASONS, IMAGING_GROUPS, judgeCandidate, localIsoDay, parseDeclineReason, type EqaPeriod, type GradePeriod } from './recognition.js';
import {
  imagingReports,
  labItems,
  labReports,
  recognitionCandidates,
  recognitionDecisions,
  recognitionEqaStatuses,
  recognitionInstitutionGrades,
  recognitionItems,
  type RecognitionCandidateRow,
  type RecognitionItemRow,
} from './tables.js';
import { RecognitionCandidate, RecognitionDecision } from './recognition-types.js';
import { toImagingReport, toLabReport } from './resolvers.js';
import { ImagingReport, LabReport } from './types.js';

/** Most item codes one question may name (an order rarely has more than a few dozen). */
export const MAX_ITEM_CODES = 50;
/** Most prior results shown per item: the newest ones. */
export const MAX_CANDIDATES_PER_ITEM = 10;

type CandidateNode = RecognitionCandidate & { residentId: string; labReportId: string | null; imagingReportId: string | null };

/** The signed-in caller; UNAUTHENTICATED without one. */
export function signedIn(context: SubgraphContext): Actor {
  const actor = context.request.actor;
  if (!actor) throw new GraphQLError('Sign in first.', { extensions: { code: ERROR_CODES.UNAUTHENTICATED } });
  return actor;
}

function toCandidate(row: RecognitionCandidateRow, validUntil: Date | null): CandidateNode {
  return {
    id: row.id,
    residentId: row.residentId,
    itemCode: row.itemCode,
    recognizable: row.recognizable,
    reasons: row.reasons,
    performedAt: row.performedAt,
    institution: { id: row.resultInstitutionId },
    validUntil,
    labReportId: row.labReportId,
    imagingReportId: row.imagingReportId,
  };
}

/** A prior result found for a requested code, before it is judged. */
interface PriorResult {
  itemCode: string;
  item?: RecognitionItemRow;
  performedAt: Date;
  institutionId: string;
  labReportId?: string;
  labItemId?: string;
  imagingReportId?: string;
}

/** The catalogue items the requested codes name (by code, or by LOINC for lab items), by requested code. */
async function itemsForCodes(context: SubgraphContext, codes: readonly string[]): Promise<Map<string, RecognitionItemRow>> {
  const rows = await context.db
    .select()
    .from(recognitionItems)
    .where(or(inArray(recognitionItems.code, [...codes]), inArray(recognitionItems.loinc, [...codes])));
  const byCode = new Map<string, RecognitionItemRow>();
  for (const code of codes) {
    const item = rows.find((row) => row.code === code) ?? rows.find((row) => row.loinc === code && !IMAGING_GROUPS.has(row.itemGroup));
    if (item) byCode.set(code, item);
  }
  return byCode;
}

/** The resident's prior results for each requested code, as far as the signed context lets this request see them. */
async function priorResults(context: SubgraphContext, residentId: string, codes: readonly string[], items: Map<string, RecognitionItemRow>): Promise<PriorResult[]> {
  const found: PriorResult[] = [];
  // Lab items match the catalogue item's code as the laboratory's local code, or its LOINC; an unlisted code matches local codes.
  const labMatchers = codes.flatMap((code) => {
    const item = items.get(code);
    if (item && IMAGING_GROUPS.has(item.itemGroup)) return [];
    const localCode = item?.code ?? code;
    return [{ code, localCode, loinc: item?.loinc ?? null }];
  });
  if (labMatchers.length > 0) {
    const reportFilter = residentRowFilter(context.request, 'RESULTS', labReports, residentId);
    const localCodes = labMatchers.map((m) => m.localCode);
    const loincs = labMatchers.flatMap((m) => (m.loinc ? [m.loinc] : []));
    const codeCondition: SQL = loincs.length > 0 ? or(inArray(labItems.localCode, localCodes), inArray(labItems.loinc, loincs))! : inArray(labItems.localCode, localCodes);
    const rows = await context.db
      .select({ reportId: labReports.id, itemId: labItems.id, localCode: labItems.localCode, loinc: labItems.loinc, collectedAt: labReports.collectedAt, institutionId: labReports.institutionId })
      .from(labItems)
      .innerJoin(labReports, and(eq(labItems.reportId, labReports.id), eq(labItems.residentId, labReports.residentId)))
      .where(and(reportFilter, eq(labItems.residentId, residentId), codeCondition))
      .orderBy(sql`${labReports.collectedAt} desc`, asc(labItems.id));
    for (const matcher of labMatchers) {
      const matching = rows.filter((row) => row.localCode === matcher.localCode || (matcher.loinc !== null && row.loinc === matcher.loinc));
      for (const row of matching.slice(0, MAX_CANDIDATES_PER_ITEM)) {
        const item = items.get(matcher.code);
        found.push({ itemCode: item?.code ?? matcher.code, ...(item ? { item } : {}), performedAt: row.collectedAt, institutionId: row.institutionId, labReportId: row.reportId, labItemId: row.itemId });
      }
    }
  }
  const imagingItems = codes.flatMap((code) => {
    const item = items.get(code);
    return item && IMAGING_GROUPS.has(item.itemGroup) && item.modality && item.bodyPart ? [item] : [];
  });
  if (imagingItems.length > 0) {
    const filter = residentRowFilter(context.request, 'RESULTS', imagingReports, residentId);
    const rows = await context.db
      .select({ id: imagingReports.id, modality: imagingReports.modality, bodyPart: imagingReports.bodyPart, performedAt: imagingReports.performedAt, institutionId: imagingReports.institutionId })
      .from(imagingReports)
      .where(and(filter, or(...imagingItems.map((item) => and(eq(imagingReports.modality, item.modality!), eq(imagingReports.bodyPart, item.bodyPart!))))))
      .orderBy(sql`${imagingReports.performedAt} desc`, asc(imagingReports.id));
    for (const item of imagingItems) {
      const matching = rows.filter((row) => row.modality === item.modality && row.bodyPart === item.bodyPart);
      for (const row of matching.slice(0, MAX_CANDIDATES_PER_ITEM)) {
        found.push({ itemCode: item.code, item, performedAt: row.performedAt, institutionId: row.institutionId, imagingReportId: row.id });
      }
    }
  }
  return found;
}

/** EQA periods by `institution item`. */
async function eqaPeriods(context: SubgraphContext, priors: readonly PriorResult[]): Promise<Map<string, EqaPeriod[]>> {
  const institutions = [...new Set(priors.map((p) => p.institutionId))];
  const itemCodes = [...new Set(priors.flatMap((p) => (p.item ? [p.item.code] : [])))];
  const periods = new Map<string, EqaPeriod[]>();
  if (institutions.length === 0 || itemCodes.length === 0) return periods;
  const rows = await context.db
    .select()
    .from(recognitionEqaStatuses)
    .where(and(inArray(recognitionEqaStatuses.institutionId, institutions), inArray(recognitionEqaStatuses.itemCode, itemCodes)));
  for (const row of rows) {
    const key = `${row.institutionId}\u0000${row.itemCode}`;
    const list = periods.get(key) ?? [];
    list.push({ validFrom: row.validFrom, validUntil: row.validUntil, passed: row.passed, hrMark: row.hrMark });
    periods.set(key, list);
  }
  return periods;
}

/** Grade periods by institution, for the institutions that produced the results. */
async function gradePeriods(context: SubgraphContext, priors: readonly PriorResult[]): Promise<Map<string, GradePeriod[]>> {
  const institutions = [...new Set(priors.flatMap((p) => (p.item ? [p.institutionId] : [])))];
  const periods = new Map<string, GradePeriod[]>();
  if (institutions.length === 0) return periods;
  const rows = await context.db
    .select({ institutionId: recognitionInstitutionGrades.institutionId, validFrom: recognitionInstitutionGrades.validFrom, grade: recognitionInstitutionGrades.grade })
    .from(recognitionInstitutionGrades)
    .where(inArray(recognitionInstitutionGrades.institutionId, institutions));
  for (const { institutionId, ...period } of rows) periods.set(institutionId, [...(periods.get(institutionId) ?? []), period]);
  return periods;
}

function validateItemCodes(itemCodes: readonly string[]): string[] {
  if (itemCodes.length === 0 || itemCodes.length > MAX_ITEM_CODES) throw new InvalidInputError(`Name between 1 and ${MAX_ITEM_CODES} item codes.`, { field: 'itemCodes' });
  itemCodes.forEach((code, index) => {
    if (!/^[A-Za-z0-9%._-]{1,40}$/.test(code)) throw new InvalidInputError(`itemCodes[${index}] is not an item code.`, { field: `itemCodes[${index}]` });
  });
  return [...new Set(itemCodes)];
}

@Resolver(() => RecognitionCandidate)
export class RecognitionResolver {
  @Query(() => [RecognitionCandidate], {
    description:
      'Clinician, with a basis for the resident’s RESULTS: for the tests about to be ordered, every prior result of those items, recognizable or not, and why not. Each call is audited and its candidates kept, so a decision can name one.',
  })
  @Directive(rootIs.subject('residentId'))
  async recognizableResults(
    @Arg('residentId', () => ID) residentId: string,
    @Arg('itemCodes', () => [String]) itemCodes: string[],
    @Ctx() context: SubgraphContext,
  ): Promise<CandidateNode[]> {
    const actor = signedIn(context);
    authorize(actor, 'ask', 'RecognitionQuery');
    const askingInstitutionId = actor.institutionId!;
    const requested = validateItemCodes(itemCodes);
    const items = await itemsForCodes(context, requested);
    // A code and the LOINC of the same item name one test: its results are shown once.
    const seen = new Set<string>();
    const codes = requested.filter((code) => {
      const key = items.get(code)?.code ?? code;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const priors = await priorResults(context, residentId, codes, items);
    if (priors.length === 0) return [];
    const [eqa, grades] = await Promise.all([eqaPeriods(context, priors), gradePeriods(context, priors)]);
    const now = new Date();
    const judged = priors.map((prior) => {
      const verdict = judgeCandidate({
        ...(prior.item ? { item: prior.item } : {}),
        performedAt: prior.performedAt,
        resultInstitutionId: prior.institutionId,
        askingInstitutionId,
        eqa: prior.item ? (eqa.get(`${prior.institutionId}\u0000${prior.item.code}`) ?? []) : [],
        grades: grades.get(prior.institutionId) ?? [],
        now,
      });
      const row: RecognitionCandidateRow = {
        id: `rc-${randomUUID()}`,
        residentId,
        itemCode: prior.itemCode,
        labReportId: prior.labReportId ?? null,
        labItemId: prior.labItemId ?? null,
        imagingReportId: prior.imagingReportId ?? null,
        resultInstitutionId: prior.institutionId,
        performedAt: prior.performedAt,
        recognizable: verdict.recognizable,
        reasons: verdict.reasons,
        shownToSub: actor.sub,
        shownToInstitutionId: askingInstitutionId,
        shownAt: now,
        shownOn: localIsoDay(now),
      };
      return { row, validUntil: verdict.validUntil };
    });
    await context.db.insert(recognitionCandidates).values(judged.map((j) => j.row));
    return judged.map((j) => toCandidate(j.row, j.validUntil));
  }

  @FieldResolver(() => LabReport, { nullable: true, description: 'The lab report the result is an item of.' })
  @Directive(classified('RESULTS', 3))
  async labReport(@Root() candidate: CandidateNode, @Ctx() context: SubgraphContext): Promise<LabReport | null> {
    if (!candidate.labReportId) return null;
    const filter = residentRowFilter(context.request, 'RESULTS', labReports, candidate.residentId);
    const [row] = await context.db.select().from(labReports).where(and(filter, eq(labReports.id, candidate.labReportId)));
    return row ? toLabReport(row) : null;
  }

  @FieldResolver(() => ImagingReport, { nullable: true })
  @Directive(classified('RESULTS', 3))
  async imagingReport(@Root() candidate: CandidateNode, @Ctx() context: SubgraphContext): Promise<ImagingReport | null> {
    if (!candidate.imagingReportId) return null;
    const filter = residentRowFilter(context.request, 'RESULTS', imagingReports, candidate.residentId);
    const [row] = await context.db.select().from(imagingReports).where(and(filter, eq(imagingReports.id, candidate.imagingReportId)));
    return row ? toImagingReport(row) : null;
  }
}

/** The stable code of a second decision for the same candidate (409). */
export const ALREADY_DECIDED = 'CONFLICT';

function declineReasonOf(accepted: boolean, reason: string | null | undefined): { code: string; text: string | null } | null {
  const given = reason?.trim() ? reason : undefined;
  if (accepted) {
    if (given !== undefined) throw new InvalidInputError('An acceptance takes no reason; send reason only when declining.', { field: 'reason' });
    return null;
  }
  if (given === undefined) throw new InvalidInputError(`A decline needs a reason: one of ${DECLINE_REASONS.join(', ')}.`, { field: 'reason' });
  const parsed = parseDeclineReason(given);
  if (!parsed) {
    throw new InvalidInputError(`reason must be one of ${DECLINE_REASONS.join(', ')}; OTHER needs a text ("OTHER: …").`, { field: 'reason' });
  }
  return parsed;
}

@Resolver()
export class RecognitionDecisionResolver {
  @Query(() => [ID], {
    nullable: 'items',
    description:
      "For each candidate id, its resident's id when it was shown to the caller, else null: the gateway's audit of a committed decision only (not in the API schema).",
  })
  @Directive('@inaccessible')
  @Directive(rootIs.internal)
  async recognitionCandidateResidentIds(@Arg('ids', () => [ID]) ids: string[], @Ctx() context: SubgraphContext): Promise<Array<string | null>> {
    const sub = context.request.actor?.sub;
    const distinct = lookupIds(ids);
    if (!sub || distinct.length === 0) return ids.map(() => null);
    const rows = await context.db
      .select({ id: recognitionCandidates.id, residentId: recognitionCandidates.residentId })
      .from(recognitionCandidates)
      .where(and(eq(recognitionCandidates.shownToSub, sub), inArray(recognitionCandidates.id, distinct)));
    const residentOf = new Map(rows.map((row) => [row.id, row.residentId]));
    return ids.map((id) => residentOf.get(id) ?? null);
  }

  @Mutation(() => RecognitionDecision, {
    description:
      'The clinician a candidate was shown to accepts it (the test is not repeated) or declines it with a reason: CONDITION_CHANGED, FAST_CHANGING_VALUE, BEFORE_SURGERY_OR_TRANSFUSION, EMERGENCY, FORENSIC, PATIENT_REQUEST or `OTHER: text`. One decision per candidate.',
  })
  @Directive(rootIs.write({ about: { argument: 'candidateId', kind: 'RECOGNITION_CANDIDATE', category: 'RESULTS' } }))
  async recordRecognitionDecision(
    @Arg('candidateId', () => ID) candidateId: string,
    @Arg('accepted', () => Boolean) accepted: boolean,
    @Ctx() context: SubgraphContext,
    @Arg('reason', () => String, { nullable: true }) reason?: string | null,
  ): Promise<RecognitionDecision> {
    const actor = signedIn(context);
    const decline = declineReasonOf(accepted, reason);
    const [candidate] = await context.db.select().from(recognitionCandidates).where(eq(recognitionCandidates.id, candidateId));
    // An unknown candidate and one shown to someone else get the same refusal (never "it exists").
    authorize(actor, 'record', { type: 'RecognitionDecision', attributes: candidate ? { shownToSub: candidate.shownToSub } : {} });
    if (!candidate) throw new Error('unreachable: the policy allows no decision without a candidate');
    if (accepted && !candidate.recognizable) {
      throw new InvalidInputError(`This result cannot be recognised (${candidate.reasons.join(', ')}): decline it with a reason.`, { field: 'accepted' });
    }
    const [item] = await context.db.select({ priceYuan: recognitionItems.priceYuan }).from(recognitionItems).where(eq(recognitionItems.code, candidate.itemCode));
    const now = new Date();
    const [written] = await context.db
      .insert(recognitionDecisions)
      .values({
        id: `rd-${randomUUID()}`,
        candidateId,
        residentId: candidate.residentId,
        accepted,
        reason: decline?.code ?? null,
        reasonText: decline?.text ?? null,
        decidedBySub: actor.sub,
        institutionId: candidate.shownToInstitutionId,
        savedYuan: accepted ? (item?.priceYuan ?? '0') : '0',
        decidedAt: now,
        decidedOn: localIsoDay(now),
      })
      .onConflictDoNothing({ target: [recognitionDecisions.candidateId, recognitionDecisions.residentId] })
      .returning();
    if (!written) throw new GraphQLError('This candidate already has a decision.', { extensions: { code: ALREADY_DECIDED } });
    return {
      id: written.id,
      candidateId: written.candidateId,
      accepted: written.accepted,
      reason: written.reason === null ? null : written.reasonText ? `${written.reason}: ${written.reasonText}` : written.reason,
      decidedAt: written.decidedAt,
    };
  }
}
