/**
 * The recognition report (reminders, acceptances, declines by reason, cost saved, per institution and
 * local day) and the steward's catalogue: items and each institution's EQA status per item.
 */
import { and, asc, count, eq, gte, inArray, lte, or, sum } from 'drizzle-orm';
import { Arg, Ctx, Directive, ID, Mutation, Query, Resolver } from 'type-graphql';
import { authorize, decidePlatform, feedInstitutionOf } from '../../consent/policy.js';
import { assertKnownCode, DICOM_BODY_PART, LOINC } from '../../schema/codes.js';
import type { Actor } from '../../schema/context.js';
import { InvalidInputError } from '../../schema/errors.js';
import { rootIs } from '../../schema/enforcement.js';
import { lookupIds } from '../runtime/reference-lookup.js';
import type { SubgraphContext } from '../runtime/server.js';
import { signedIn } from './recognition-resolvers.js';
import { DECLINE_REASONS, IMAGING_GROUPS, ITEM_GROUPS, localIsoDay } from './recognition.js';
import {
  RecognitionEqaStatus,
  RecognitionEqaStatusInput,
  RecognitionInstitutionGrade,
  RecognitionInstitutionGradeInput,
  RecognitionItem,
  RecognitionItemInput,
  RecognitionReportRow,
} from './recognition-types.js';
import { recognitionCandidates, recognitionDecisions, recognitionEqaStatuses, recognitionInstitutionGrades, recognitionItems, type RecognitionEqaStatusRow, type RecognitionItemRow } from './tables.js';

/** Longest period one report covers, in days. */
export const MAX_REPORT_DAYS = 366;
/** The DICOM modality each imaging group's items carry. */
const MODALITY_OF_GROUP: Readonly<Record<string, string>> = { PLAIN_RADIOGRAPHY: 'DX', CT: 'CT', MR: 'MR', ULTRASOUND: 'US' };
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

function toItem(row: RecognitionItemRow): RecognitionItem {
  return {
    code: row.code,
    name: row.name,
    group: row.itemGroup,
    loinc: row.loinc,
    validityDays: row.validityDays,
    priceYuan: Number(row.priceYuan),
    modality: row.modality,
    bodyPart: row.bodyPart,
    recognisedGrades: row.recognisedGrades,
    unit: row.unit,
  };
}

function toEqa(row: RecognitionEqaStatusRow): RecognitionEqaStatus {
  return { institutionId: row.institutionId, itemCode: row.itemCode, validFrom: row.validFrom, validUntil: row.validUntil, passed: row.passed, hrMark: row.hrMark };
}

/** Which institutions' rows the actor may read: all (null), or exactly the one named or their own; FORBIDDEN otherwise. */
function reportScope(actor: Actor, institutionId: string | undefined): string | null {
  if (institutionId !== undefined) {
    authorize(actor, 'read', { type: 'RecognitionReport', attributes: { institutionId } });
    return institutionId;
  }
  if (decidePlatform(actor, 'read', { type: 'RecognitionReport', attributes: {} }).allowed) return null;
  if (actor.institutionId) {
    authorize(actor, 'read', { type: 'RecognitionReport', attributes: { institutionId: actor.institutionId } });
    return actor.institutionId;
  }
  authorize(actor, 'read', { type: 'RecognitionReport', attributes: {} });
  return null;
}

function isRealDay(day: string): boolean {
  return ISO_DAY.test(day) && new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) === day;
}

function validateItem(input: RecognitionItemInput): void {
  const at = (field: string) => ({ field: `input.${field}` });
  if (!/^[A-Z0-9][A-Z0-9%._-]{0,39}$/.test(input.code)) throw new InvalidInputError('input.code must be 1–40 capitals, digits, %, ., _ or -.', at('code'));
  if (input.name.trim().length === 0 || input.name.length > 100) throw new InvalidInputError('input.name must be 1–100 characters.', at('name'));
  if (!(ITEM_GROUPS as readonly string[]).includes(input.group)) throw new InvalidInputError(`input.group must be one of ${ITEM_GROUPS.join(', ')}.`, at('group'));
  if (input.loinc !== undefined && input.loinc !== null) assertKnownCode({ ...LOINC, code: input.loinc }, 'input.loinc');
  if (!Number.isInteger(input.validityDays) || input.validityDays < 1 || input.validityDays > 3650) throw new InvalidInputError('input.validityDays must be a whole number of days from 1 to 3650.', at('validityDays'));
  if (!Number.isFinite(input.priceYuan) || input.priceYuan < 0 || input.priceYuan > 99_999_999 || Math.round(input.priceYuan * 100) !== input.priceYuan * 100) {
    throw new InvalidInputError('input.priceYuan must be a non-negative amount in yuan with at most two decimals.', at('priceYuan'));
  }
  const imaging = IMAGING_GROUPS.has(input.group);
  if (imaging && input.modality !== MODALITY_OF_GROUP[input.group]) throw new InvalidInputError(`input.modality of a ${input.group} item must be ${MODALITY_OF_GROUP[input.group]}.`, at('modality'));
  if (!imaging && input.modality != null) throw new InvalidInputError('input.modality is for imaging items only.', at('modality'));
  if (imaging && !/^[A-Z][A-Z_]{1,29}$/.test(input.bodyPart ?? '')) throw new InvalidInputError('input.bodyPart of an imaging item must be a DICOM body part (CHEST, HEAD, …).', at('bodyPart'));
  // The body part a feed's record must carry for the item (KNOWN_ITEM) and pass CODE_SYSTEM with: an item no feed could send is refused here.
  if (imaging) assertKnownCode({ ...DICOM_BODY_PART, code: input.bodyPart! }, 'input.bodyPart');
  if (!imaging && input.bodyPart != null) throw new InvalidInputError('input.bodyPart is for imaging items only.', at('bodyPart'));
  if (input.recognisedGrades.length === 0 || input.recognisedGrades.some((grade) => grade.trim().length === 0 || grade.length > 20)) {
    throw new InvalidInputError('input.recognisedGrades must name at least one institution grade.', at('recognisedGrades'));
  }
  if (imaging && input.unit != null) throw new InvalidInputError('input.unit is for lab items only.', at('unit'));
  if (input.unit != null && (input.unit.trim().length === 0 || input.unit.length > 20)) throw new InvalidInputError('input.unit must be 1–20 characters.', at('unit'));
}

/** Refuses `input.<field>` unless it is a real calendar day (YYYY-MM-DD). */
function assertDay(value: string, field: string): void {
  if (!isRealDay(value)) throw new InvalidInputError(`input.${field} must be a date (YYYY-MM-DD).`, { field: `input.${field}` });
}

function validateInstitutionId(institutionId: string): void {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(institutionId)) throw new InvalidInputError('input.institutionId is not an institution id.', { field: 'input.institutionId' });
}

@Resolver()
export class RecognitionReportResolver {
  @Query(() => [RecognitionReportRow], {
    description:
      'Per institution (of the asking clinicians) and local day, from `from` to `until` (both included, at most 366 days): reminders shown (recognizable candidates returned), accepted, declined by reason, cost saved. Steward: every institution; a clinician: their own institution.',
  })
  @Directive(rootIs.platform)
  async recognitionReport(
    @Arg('from', () => Date) from: Date,
    @Arg('until', () => Date) until: Date,
    @Ctx() context: SubgraphContext,
    @Arg('institutionId', () => ID, { nullable: true }) institutionId?: string,
  ): Promise<RecognitionReportRow[]> {
    const actor = signedIn(context);
    const scope = reportScope(actor, institutionId ?? undefined);
    const [first, last] = [localIsoDay(from), localIsoDay(until)];
    if (first > last) throw new InvalidInputError('until is before from.', { field: 'until' });
    if ((Date.parse(last) - Date.parse(first)) / 86_400_000 >= MAX_REPORT_DAYS) throw new InvalidInputError(`A report covers at most ${MAX_REPORT_DAYS} days.`, { field: 'until' });
    const shown = await context.db
      .select({ institutionId: recognitionCandidates.shownToInstitutionId, day: recognitionCandidates.shownOn, reminders: count() })
      .from(recognitionCandidates)
      .where(
        and(
          eq(recognitionCandidates.recognizable, true),
          gte(recognitionCandidates.shownOn, first),
          lte(recognitionCandidates.shownOn, last),
          scope === null ? undefined : eq(recognitionCandidates.shownToInstitutionId, scope),
        ),
      )
      .groupBy(recognitionCandidates.shownToInstitutionId, recognitionCandidates.shownOn);
    const decided = await context.db
      .select({ institutionId: recognitionDecisions.institutionId, day: recognitionDecisions.decidedOn, accepted: recognitionDecisions.accepted, reason: recognitionDecisions.reason, decisions: count(), saved: sum(recognitionDecisions.savedYuan) })
      .from(recognitionDecisions)
      .where(and(gte(recognitionDecisions.decidedOn, first), lte(recognitionDecisions.decidedOn, last), scope === null ? undefined : eq(recognitionDecisions.institutionId, scope)))
      .groupBy(recognitionDecisions.institutionId, recognitionDecisions.decidedOn, recognitionDecisions.accepted, recognitionDecisions.reason);
    const rows = new Map<string, RecognitionReportRow & { cents: number }>();
    const rowOf = (institution: string, day: string) => {
      const key = `${day}\u0000${institution}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { institutionId: institution, day, remindersShown: 0, accepted: 0, declined: 0, declinedByReason: [], costSavedYuan: 0, cents: 0 }));
      return row;
    };
    for (const s of shown) rowOf(s.institutionId, s.day).remindersShown += Number(s.reminders);
    for (const d of decided) {
      const row = rowOf(d.institutionId, d.day);
      const n = Number(d.decisions);
      if (d.accepted) {
        row.accepted += n;
        // Sums in cents: yuan amounts never pass through binary fractions on the way.
        row.cents += Math.round(Number(d.saved ?? '0') * 100);
      } else {
        row.declined += n;
        row.declinedByReason.push({ reason: d.reason ?? 'OTHER', count: n });
      }
    }
    return [...rows.keys()].sort().map((key) => {
      const { cents, ...row } = rows.get(key)!;
      row.declinedByReason.sort((a, b) => DECLINE_REASONS.indexOf(a.reason as never) - DECLINE_REASONS.indexOf(b.reason as never));
      return { ...row, costSavedYuan: cents / 100 };
    });
  }

  @Query(() => [RecognitionItem], { description: 'The mutual-recognition catalogue, by code (clinicians, hospital systems, stewards).' })
  @Directive(rootIs.platform)
  async recognitionCatalogue(@Ctx() context: SubgraphContext): Promise<RecognitionItem[]> {
    authorize(signedIn(context), 'read', 'RecognitionCatalogue');
    return (await context.db.select().from(recognitionItems).orderBy(asc(recognitionItems.code))).map(toItem);
  }

  @Query(() => [RecognitionItem], {
    description:
      "The catalogue items whose code or LOINC is one of `codes`: the gateway's check of a hospital feed's KNOWN_ITEM and UNIT rules, once per batch for the codes it names (not in the API schema).",
  })
  @Directive('@inaccessible')
  @Directive(rootIs.internal)
  async feedCatalogueItems(@Arg('codes', () => [String]) codes: string[], @Ctx() context: SubgraphContext): Promise<RecognitionItem[]> {
    // Asked for a feed only: as the checks of its references, nobody else is answered.
    const distinct = lookupIds(codes);
    if (!feedInstitutionOf(context.request.actor) || distinct.length === 0) return [];
    const rows = await context.db
      .select()
      .from(recognitionItems)
      .where(or(inArray(recognitionItems.code, distinct), inArray(recognitionItems.loinc, distinct)));
    return rows.map(toItem);
  }

  @Query(() => [RecognitionEqaStatus], { description: 'EQA (室间质评) statuses per item of the institutions named (clinicians, hospital systems, stewards).' })
  @Directive(rootIs.platform)
  async recognitionEqaStatuses(@Arg('institutionIds', () => [ID]) institutionIds: string[], @Ctx() context: SubgraphContext): Promise<RecognitionEqaStatus[]> {
    authorize(signedIn(context), 'read', 'RecognitionCatalogue');
    if (institutionIds.length === 0 || institutionIds.length > 50) throw new InvalidInputError('Name between 1 and 50 institutions.', { field: 'institutionIds' });
    const rows = await context.db
      .select()
      .from(recognitionEqaStatuses)
      .where(inArray(recognitionEqaStatuses.institutionId, institutionIds))
      .orderBy(asc(recognitionEqaStatuses.institutionId), asc(recognitionEqaStatuses.itemCode), asc(recognitionEqaStatuses.validFrom));
    return rows.map(toEqa);
  }

  @Mutation(() => RecognitionItem, { description: 'Steward: creates or replaces a catalogue item (by code).' })
  @Directive(rootIs.write())
  async upsertRecognitionItem(@Arg('input', () => RecognitionItemInput) input: RecognitionItemInput, @Ctx() context: SubgraphContext): Promise<RecognitionItem> {
    authorize(signedIn(context), 'maintain', 'RecognitionCatalogue');
    validateItem(input);
    const values = {
      code: input.code,
      name: input.name.trim(),
      itemGroup: input.group,
      loinc: input.loinc ?? null,
      validityDays: input.validityDays,
      priceYuan: input.priceYuan.toFixed(2),
      modality: input.modality ?? null,
      bodyPart: input.bodyPart ?? null,
      recognisedGrades: input.recognisedGrades.map((grade) => grade.trim()),
      unit: input.unit?.trim() ?? null,
      updatedAt: new Date(),
    };
    const [row] = await context.db.insert(recognitionItems).values(values).onConflictDoUpdate({ target: recognitionItems.code, set: values }).returning();
    return toItem(row!);
  }

  @Mutation(() => RecognitionEqaStatus, { description: 'Steward: records an institution’s EQA result for an item over a period, with its HR mark (replaces the period starting that day).' })
  @Directive(rootIs.write())
  async setRecognitionEqaStatus(@Arg('input', () => RecognitionEqaStatusInput) input: RecognitionEqaStatusInput, @Ctx() context: SubgraphContext): Promise<RecognitionEqaStatus> {
    authorize(signedIn(context), 'maintain', 'RecognitionCatalogue');
    validateInstitutionId(input.institutionId);
    assertDay(input.validFrom, 'validFrom');
    assertDay(input.validUntil, 'validUntil');
    if (input.validUntil < input.validFrom) throw new InvalidInputError('input.validUntil is before input.validFrom.', { field: 'input.validUntil' });
    const [item] = await context.db.select({ code: recognitionItems.code }).from(recognitionItems).where(eq(recognitionItems.code, input.itemCode));
    if (!item) throw new InvalidInputError('input.itemCode is not in the recognition catalogue.', { field: 'input.itemCode' });
    const values = { ...input, updatedAt: new Date() };
    const [row] = await context.db
      .insert(recognitionEqaStatuses)
      .values(values)
      .onConflictDoUpdate({ target: [recognitionEqaStatuses.institutionId, recognitionEqaStatuses.itemCode, recognitionEqaStatuses.validFrom], set: { validUntil: input.validUntil, passed: input.passed, hrMark: input.hrMark, updatedAt: values.updatedAt } })
      .returning();
    return toEqa(row!);
  }

  @Query(() => [RecognitionInstitutionGrade], { description: 'The grades over time of the institutions named, as recognition judges them (clinicians, hospital systems, stewards).' })
  @Directive(rootIs.platform)
  async recognitionInstitutionGrades(@Arg('institutionIds', () => [ID]) institutionIds: string[], @Ctx() context: SubgraphContext): Promise<RecognitionInstitutionGrade[]> {
    authorize(signedIn(context), 'read', 'RecognitionCatalogue');
    if (institutionIds.length === 0 || institutionIds.length > 50) throw new InvalidInputError('Name between 1 and 50 institutions.', { field: 'institutionIds' });
    return context.db
      .select({ institutionId: recognitionInstitutionGrades.institutionId, validFrom: recognitionInstitutionGrades.validFrom, grade: recognitionInstitutionGrades.grade })
      .from(recognitionInstitutionGrades)
      .where(inArray(recognitionInstitutionGrades.institutionId, institutionIds))
      .orderBy(asc(recognitionInstitutionGrades.institutionId), asc(recognitionInstitutionGrades.validFrom));
  }

  @Mutation(() => RecognitionInstitutionGrade, { description: 'Steward: records an institution’s grade from a day on (replaces the period starting that day).' })
  @Directive(rootIs.write())
  async setRecognitionInstitutionGrade(@Arg('input', () => RecognitionInstitutionGradeInput) input: RecognitionInstitutionGradeInput, @Ctx() context: SubgraphContext): Promise<RecognitionInstitutionGrade> {
    authorize(signedIn(context), 'maintain', 'RecognitionCatalogue');
    validateInstitutionId(input.institutionId);
    assertDay(input.validFrom, 'validFrom');
    const grade = input.grade.trim();
    if (grade.length === 0 || grade.length > 20) throw new InvalidInputError('input.grade must be 1–20 characters.', { field: 'input.grade' });
    const values = { institutionId: input.institutionId, validFrom: input.validFrom, grade, updatedAt: new Date() };
    await context.db
      .insert(recognitionInstitutionGrades)
      .values(values)
      .onConflictDoUpdate({ target: [recognitionInstitutionGrades.institutionId, recognitionInstitutionGrades.validFrom], set: { grade, updatedAt: values.updatedAt } });
    return { institutionId: values.institutionId, validFrom: values.validFrom, grade };
  }
}
