import { authorizeFeedWrite, feedInstitutionOf } from '../../consent/policy.js';
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, lt, type SQL } from 'drizzle-orm';
import { Arg, Ctx, Directive, Field, FieldResolver, ID, InputType, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { classified } from '../../schema/classification.js';
import { assertKnownCode } from '../../schema/codes.js';
import { InvalidInputError } from '../../schema/errors.js';
import { looksLikeFieldCiphertext } from '../../schema/protected-value.js';
import { recordSensitivity } from '../../schema/sensitivity.js';
import { MAX_FEED_BATCH } from '../../schema/feed-quality.js';
import { inputIs, FEED_CHECK_ONLY, rootIs } from '../../schema/enforcement.js';
import { lookupIds } from '../runtime/reference-lookup.js';
import { insertRows, isAnyOf } from '../runtime/bulk-insert.js';
import { historyPage } from '../runtime/history.js';
import { boundedPageSize, residentRowFilter } from '../runtime/row-filter.js';
import type { SubgraphContext } from '../runtime/server.js';
import { diagnoses, encounters, prescriptions, type DiagnosisRow, type EncounterRow, type PrescriptionRow } from './tables.js';
import { Diagnosis, Encounter, Prescription, Resident } from './types.js';

/** Encounter as resolved here: keeps the resident id so nested lists apply the same row filter. */
type EncounterNode = Encounter & { residentId: string };

function toEncounter(row: EncounterRow): EncounterNode {
  return {
    id: row.id,
    residentId: row.residentId,
    encounterClass: row.encounterClass,
    department: row.department,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    chiefComplaint: row.chiefComplaint,
    sensitivity: row.sensitivity,
    level: row.level,
    institution: { id: row.institutionId },
    attendingPractitioner: row.attendingPractitionerId ? { id: row.attendingPractitionerId } : null,
  };
}

function toDiagnosis(row: DiagnosisRow): Diagnosis {
  return {
    id: row.id,
    code: row.code,
    codeSystem: row.codeSystem,
    codeSystemVersion: row.codeSystemVersion,
    display: row.display,
    rank: row.rank,
    recordedAt: row.recordedAt,
    sensitivity: row.sensitivity,
    level: row.level,
    institution: { id: row.institutionId },
  };
}

function toPrescription(row: PrescriptionRow): Prescription {
  return {
    id: row.id,
    drugCode: row.drugCode,
    drugName: row.drugName,
    dosage: row.dosage,
    route: row.route,
    frequency: row.frequency,
    days: row.days,
    prescribedAt: row.prescribedAt,
    sensitivity: row.sensitivity,
    level: row.level,
    institution: { id: row.institutionId },
  };
}

function withBefore(filter: SQL, column: Parameters<typeof lt>[0], before: Date | undefined): SQL {
  return before ? and(filter, lt(column, before))! : filter;
}

@Resolver(() => Resident)
export class ResidentClinicalResolver {
  @Directive(classified('CLINICAL', 3))
  @FieldResolver(() => [Encounter], { nullable: true, description: 'Newest first; at most 100 per page; filter by period and institution; page with `after` (no total).' })
  async encounters(
    @Root() resident: Resident,
    @Ctx() context: SubgraphContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('before', () => Date, { nullable: true, description: 'Only encounters that started before this time.' }) before?: Date,
    @Arg('from', () => Date, { nullable: true, description: 'Only records at or after this time.' }) from?: Date,
    @Arg('until', () => Date, { nullable: true, description: 'Only records at or before this time.' }) until?: Date,
    @Arg('institutionId', () => ID, { nullable: true, description: 'Only records of this institution.' }) institutionId?: string,
    @Arg('after', () => String, { nullable: true, description: 'Cursor: the id of the last record of the previous page.' }) after?: string,
  ): Promise<EncounterNode[]> {
    const filter = withBefore(residentRowFilter(context.request, 'CLINICAL', encounters, resident.id), encounters.startedAt, before);
    const rows = await historyPage(context, encounters, { id: encounters.id, institutionId: encounters.institutionId, order: [encounters.startedAt] }, filter, { from, until, institutionId, after }, boundedPageSize(first));
    return rows.map(toEncounter);
  }

  @Directive(classified('CLINICAL', 3))
  @FieldResolver(() => [Diagnosis], { nullable: true, description: 'Newest first; at most 100 per page; filter by period and institution; page with `after` (no total).' })
  async diagnoses(
    @Root() resident: Resident,
    @Ctx() context: SubgraphContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('before', () => Date, { nullable: true }) before?: Date,
    @Arg('from', () => Date, { nullable: true, description: 'Only records at or after this time.' }) from?: Date,
    @Arg('until', () => Date, { nullable: true, description: 'Only records at or before this time.' }) until?: Date,
    @Arg('institutionId', () => ID, { nullable: true, description: 'Only records of this institution.' }) institutionId?: string,
    @Arg('after', () => String, { nullable: true, description: 'Cursor: the id of the last record of the previous page.' }) after?: string,
  ): Promise<Diagnosis[]> {
    const filter = withBefore(residentRowFilter(context.request, 'CLINICAL', diagnoses, resident.id), diagnoses.recordedAt, before);
    const rows = await historyPage(context, diagnoses, { id: diagnoses.id, institutionId: diagnoses.institutionId, order: [diagnoses.recordedAt] }, filter, { from, until, institutionId, after }, boundedPageSize(first));
    return rows.map(toDiagnosis);
  }

  @Directive(classified('CLINICAL', 3))
  @FieldResolver(() => [Prescription], { nullable: true, description: 'Newest first; at most 100 per page; filter by period and institution; page with `after` (no total).' })
  async prescriptions(
    @Root() resident: Resident,
    @Ctx() context: SubgraphContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('before', () => Date, { nullable: true }) before?: Date,
    @Arg('from', () => Date, { nullable: true, description: 'Only records at or after this time.' }) from?: Date,
    @Arg('until', () => Date, { nullable: true, description: 'Only records at or before this time.' }) until?: Date,
    @Arg('institutionId', () => ID, { nullable: true, description: 'Only records of this institution.' }) institutionId?: string,
    @Arg('after', () => String, { nullable: true, description: 'Cursor: the id of the last record of the previous page.' }) after?: string,
  ): Promise<Prescription[]> {
    const filter = withBefore(residentRowFilter(context.request, 'CLINICAL', prescriptions, resident.id), prescriptions.prescribedAt, before);
    const rows = await historyPage(context, prescriptions, { id: prescriptions.id, institutionId: prescriptions.institutionId, order: [prescriptions.prescribedAt] }, filter, { from, until, institutionId, after }, boundedPageSize(first));
    return rows.map(toPrescription);
  }
}

@Resolver(() => Encounter)
export class EncounterResolver {
  @Directive(classified('CLINICAL', 3))
  @FieldResolver(() => [Diagnosis], { nullable: true, description: 'Diagnoses of this encounter (at most 50).' })
  async diagnoses(@Root() encounter: EncounterNode, @Ctx() context: SubgraphContext): Promise<Diagnosis[]> {
    // The encounters of one page share one query, under the resident's row filter.
    const rows = await context.batches.load(`diagnoses:${encounter.residentId}`, encounter.id, async (encounterIds) => {
      const filter = residentRowFilter(context.request, 'CLINICAL', diagnoses, encounter.residentId);
      const found = await context.db
        .select()
        .from(diagnoses)
        .where(and(filter, inArray(diagnoses.encounterId, [...encounterIds])))
        .orderBy(asc(diagnoses.rank), asc(diagnoses.id));
      return groupByEncounter(found, 50);
    });
    return (rows ?? []).map(toDiagnosis);
  }

  @Directive(classified('CLINICAL', 3))
  @FieldResolver(() => [Prescription], { nullable: true, description: 'Prescriptions of this encounter (at most 50).' })
  async prescriptions(@Root() encounter: EncounterNode, @Ctx() context: SubgraphContext): Promise<Prescription[]> {
    const rows = await context.batches.load(`prescriptions:${encounter.residentId}`, encounter.id, async (encounterIds) => {
      const filter = residentRowFilter(context.request, 'CLINICAL', prescriptions, encounter.residentId);
      const found = await context.db
        .select()
        .from(prescriptions)
        .where(and(filter, inArray(prescriptions.encounterId, [...encounterIds])))
        .orderBy(desc(prescriptions.id));
      return groupByEncounter(found, 50);
    });
    return (rows ?? []).map(toPrescription);
  }
}

/** Rows by encounter, at most `limit` each, keeping the query's order. */
function groupByEncounter<Row extends { encounterId: string }>(rows: readonly Row[], limit: number): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const group = groups.get(row.encounterId) ?? [];
    if (group.length < limit) group.push(row);
    groups.set(row.encounterId, group);
  }
  return groups;
}

@InputType()
export class DiagnosisInput {
  @Field(() => String) code!: string;
  @Field(() => String) codeSystem!: string;
  @Field(() => String) codeSystemVersion!: string;
  @Field(() => String) display!: string;
  @Field(() => String, { description: 'PRIMARY or SECONDARY.' }) rank!: string;
}

@InputType()
export class PrescriptionInput {
  @Field(() => String) drugCode!: string;
  @Field(() => String) drugName!: string;
  @Field(() => String) dosage!: string;
  @Field(() => String) route!: string;
  @Field(() => String) frequency!: string;
  @Field(() => Int) days!: number;
}

@InputType({ description: 'One encounter with its diagnoses and prescriptions, as pushed by a hospital system.' })
export class EncounterInput {
  @Directive(inputIs.reference('RESIDENT'))
  @Field(() => ID) residentId!: string;
  @Field(() => ID, { nullable: true, description: "The record's institution, when the sender names it: it must be the sender's own (else OWN_INSTITUTION)." })
  institutionId?: string;
  @Field(() => String, { description: 'OUTPATIENT, INPATIENT or EMERGENCY.' }) encounterClass!: string;
  @Field(() => String) department!: string;
  @Field(() => Date) startedAt!: Date;
  @Field(() => Date, { nullable: true }) endedAt?: Date;
  @Directive(inputIs.reference('PRACTITIONER'))
  @Field(() => String, { nullable: true }) attendingPractitionerId?: string;
  @Directive(inputIs.identifying('TEXT', 'Encounter.chiefComplaint'))
  @Field(() => String, { nullable: true }) chiefComplaint?: string;
  @Field(() => [DiagnosisInput]) diagnoses!: DiagnosisInput[];
  @Field(() => [PrescriptionInput], { nullable: true }) prescriptions?: PrescriptionInput[];
}

const ENCOUNTER_CLASSES = new Set(['OUTPATIENT', 'INPATIENT', 'EMERGENCY']);
const DIAGNOSIS_RANKS = new Set(['PRIMARY', 'SECONDARY']);

@Resolver()
export class ClinicalFeedResolver {
  @Query(() => [ID], {
    nullable: 'items',
    description:
      "For each encounter id, its resident's id when it is an encounter of the calling hospital system's own institution, else null: the gateway's check of a feed's references only (not in the API schema).",
  })
  @Directive('@inaccessible')
  @Directive(rootIs.internal)
  async ownEncounterResidentIds(@Arg('ids', () => [ID]) ids: string[], @Ctx() context: SubgraphContext): Promise<Array<string | null>> {
    const institutionId = feedInstitutionOf(context.request.actor);
    const distinct = lookupIds(ids);
    // Only the sender's own encounters are ever confirmed: another institution's look exactly like unknown ones.
    if (!institutionId || distinct.length === 0) return ids.map(() => null);
    const rows = await context.db
      .select({ id: encounters.id, residentId: encounters.residentId })
      .from(encounters)
      .where(and(eq(encounters.institutionId, institutionId), isAnyOf(encounters.id, distinct)));
    const residentOf = new Map(rows.map((row) => [row.id, row.residentId]));
    return ids.map((id) => residentOf.get(id) ?? null);
  }

  @Mutation(() => [ID], { description: `HIS feed: records encounters with their diagnoses and prescriptions, all or nothing (at most ${MAX_FEED_BATCH.recordEncounters}).` })
  @Directive(rootIs.feed('input', 'CLINICAL', { checkOnly: FEED_CHECK_ONLY.argument }))
  async recordEncounters(
    @Arg('input', () => [EncounterInput]) input: EncounterInput[],
    @Arg(FEED_CHECK_ONLY.argument, () => Boolean, { defaultValue: false, description: FEED_CHECK_ONLY.description }) checkOnly: boolean,
    @Ctx() context: SubgraphContext,
  ): Promise<string[]> {
    const institutionId = authorizeFeedWrite(context.request.actor, input.map((record) => record.institutionId));
    if (input.length === 0 || input.length > MAX_FEED_BATCH.recordEncounters) throw new InvalidInputError(`Push between 1 and ${MAX_FEED_BATCH.recordEncounters} encounters at a time.`, { field: 'input' });
    input.forEach(validateEncounter);
    if (checkOnly) return [];
    // Rows are built first and written in one statement per table: one round trip each, not two per encounter.
    const encounterRows: Array<typeof encounters.$inferInsert> = [];
    const diagnosisRows: Array<typeof diagnoses.$inferInsert> = [];
    const prescriptionRows: Array<typeof prescriptions.$inferInsert> = [];
    for (const item of input) {
      const encounterId = `enc-${randomUUID()}`;
      // The visit is level 5 by any of its diagnoses or by its department; its parts reveal it, so they take its label.
      const encounterSensitivity = recordSensitivity({ diagnosisCodes: item.diagnoses.map((d) => d.code), department: item.department });
      const itemDiagnoses = item.diagnoses.map((d) => {
        const sensitivity = recordSensitivity({ diagnosisCodes: [d.code], within: [encounterSensitivity.sensitivity] });
        return {
          id: `dx-${randomUUID()}`,
          residentId: item.residentId,
          encounterId,
          institutionId,
          code: d.code.toUpperCase(),
          codeSystem: d.codeSystem,
          codeSystemVersion: d.codeSystemVersion,
          display: d.display,
          rank: d.rank,
          recordedAt: item.startedAt,
          ...sensitivity,
        };
      });
      encounterRows.push({
        id: encounterId,
        residentId: item.residentId,
        institutionId,
        encounterClass: item.encounterClass,
        department: item.department,
        startedAt: item.startedAt,
        endedAt: item.endedAt ?? null,
        attendingPractitionerId: item.attendingPractitionerId ?? null,
        chiefComplaint: item.chiefComplaint ?? null,
        ...encounterSensitivity,
      });
      diagnosisRows.push(...itemDiagnoses);
      const itemPrescriptions = (item.prescriptions ?? []).map((p) => ({
        id: `rx-${randomUUID()}`,
        residentId: item.residentId,
        encounterId,
        institutionId,
        ...p,
        prescribedAt: item.startedAt,
        ...recordSensitivity({ within: [encounterSensitivity.sensitivity] }),
      }));
      prescriptionRows.push(...itemPrescriptions);
    }
    await context.db.transaction(async (tx) => {
      await insertRows(tx, encounters, encounterRows);
      await insertRows(tx, diagnoses, diagnosisRows);
      await insertRows(tx, prescriptions, prescriptionRows);
    });
    return encounterRows.map((row) => row.id);
  }
}

function validateEncounter(item: EncounterInput, index: number): void {
  const at = `input[${index}]`;
  if (!ENCOUNTER_CLASSES.has(item.encounterClass)) throw new InvalidInputError(`${at}.encounterClass must be OUTPATIENT, INPATIENT or EMERGENCY.`, { field: `${at}.encounterClass` });
  if (item.endedAt && item.endedAt < item.startedAt) throw new InvalidInputError(`${at}.endedAt is before startedAt.`, { field: `${at}.endedAt` });
  if (item.startedAt.getTime() > Date.now() + 5 * 60_000) throw new InvalidInputError(`${at}.startedAt is in the future.`, { field: `${at}.startedAt` });
  if (item.diagnoses.length === 0) throw new InvalidInputError(`${at} needs at least one diagnosis.`, { field: `${at}.diagnoses` });
  // Free text may identify a person: only the gateway's ciphertext is stored.
  if (item.chiefComplaint != null && !looksLikeFieldCiphertext(item.chiefComplaint)) {
    throw new InvalidInputError(`${at}.chiefComplaint must arrive encrypted by the gateway.`, { field: `${at}.chiefComplaint` });
  }
  item.diagnoses.forEach((d, j) => {
    if (!DIAGNOSIS_RANKS.has(d.rank)) throw new InvalidInputError(`${at}.diagnoses[${j}].rank must be PRIMARY or SECONDARY.`, { field: `${at}.diagnoses[${j}].rank` });
    assertKnownCode({ system: d.codeSystem, version: d.codeSystemVersion, code: d.code }, `${at}.diagnoses[${j}].code`);
  });
  (item.prescriptions ?? []).forEach((p, j) => {
    if (!Number.isInteger(p.days) || p.days < 1 || p.days > 365) throw new InvalidInputError(`${at}.prescriptions[${j}].days must be 1 to 365.`, { field: `${at}.prescriptions[${j}].days` });
  });
}
