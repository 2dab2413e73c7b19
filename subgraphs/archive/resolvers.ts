import { authorizeFeedWrite } from '../../consent/policy.js';
import { randomUUID } from 'node:crypto';
import { and, desc, eq, type SQL } from 'drizzle-orm';
import { Arg, Ctx, Directive, Field, FieldResolver, Float, ID, InputType, Int, Mutation, Resolver, Root } from 'type-graphql';
import { classified } from '../../schema/classification.js';
import { InvalidInputError } from '../../schema/errors.js';
import { recordSensitivity } from '../../schema/sensitivity.js';
import { LocalDate } from '../../schema/scalars.js';
import { inputIs, FEED_CHECK_ONLY, rootIs } from '../../schema/enforcement.js';
import { insertRows } from '../runtime/bulk-insert.js';
import { boundedPageSize, residentRowFilter } from '../runtime/row-filter.js';
import type { SubgraphContext } from '../runtime/server.js';
import { followUps, healthArchives, physicalExams, type FollowUpRow, type HealthArchiveRow, type PhysicalExamRow } from './tables.js';
import { FollowUp, HealthArchive, PhysicalExam, Resident } from './types.js';

/** Most entries of an archive's embedded lists (chronic conditions, allergies) returned. */
const MAX_EMBEDDED = 100;
const PROGRAMMES = new Set(['HYPERTENSION', 'DIABETES']);
const FOLLOW_UP_MODES = new Set(['CLINIC', 'HOME', 'PHONE']);
const ASSESSMENTS = new Set(['CONTROLLED', 'UNCONTROLLED', 'ADVERSE_REACTION', 'COMPLICATION']);

/** HealthArchive as resolved here: keeps the resident id so nested lists apply the same row filter. */
type HealthArchiveNode = HealthArchive & { residentId: string };

/** The archive table names its institution `managingInstitutionId`; the row filter expects `institutionId`. */
const archiveFilterColumns = {
  residentId: healthArchives.residentId,
  level: healthArchives.level,
  institutionId: healthArchives.managingInstitutionId,
};

function toHealthArchive(row: HealthArchiveRow): HealthArchiveNode {
  return {
    id: row.id,
    residentId: row.residentId,
    archiveNumber: row.archiveNumber,
    openedOn: row.openedOn,
    bloodType: row.bloodType,
    managingInstitution: { id: row.managingInstitutionId },
    chronicConditions: row.chronicConditions.slice(0, MAX_EMBEDDED).map((c) => ({
      code: c.code,
      codeSystem: c.codeSystem,
      codeSystemVersion: c.codeSystemVersion,
      display: c.display,
      since: c.since,
    })),
    allergies: row.allergies.slice(0, MAX_EMBEDDED).map((a) => ({ substance: a.substance, reaction: a.reaction })),
    sensitivity: row.sensitivity,
    level: row.level,
  };
}

function toPhysicalExam(row: PhysicalExamRow): PhysicalExam {
  return {
    id: row.id,
    examDate: row.examDate,
    heightCm: row.heightCm,
    weightKg: row.weightKg,
    systolic: row.systolic,
    diastolic: row.diastolic,
    fastingGlucose: row.fastingGlucose,
    summary: row.summary,
    sensitivity: row.sensitivity,
    level: row.level,
    institution: { id: row.institutionId },
  };
}

function toFollowUp(row: FollowUpRow): FollowUp {
  return {
    id: row.id,
    programme: row.programme,
    visitDate: row.visitDate,
    mode: row.mode,
    systolic: row.systolic,
    diastolic: row.diastolic,
    fastingGlucose: row.fastingGlucose,
    assessment: row.assessment,
    nextVisitDate: row.nextVisitDate,
    sensitivity: row.sensitivity,
    level: row.level,
    institution: { id: row.institutionId },
  };
}

@Resolver(() => Resident)
export class ResidentArchiveResolver {
  @FieldResolver(() => HealthArchive, { nullable: true, description: "The resident's health archive, when one is kept and visible to the caller." })
  @Directive(classified('HEALTH_STATUS', 3))
  async healthArchive(@Root() resident: Resident, @Ctx() context: SubgraphContext): Promise<HealthArchiveNode | null> {
    const filter = residentRowFilter(context.request, 'HEALTH_STATUS', archiveFilterColumns, resident.id);
    const [row] = await context.db.select().from(healthArchives).where(filter).limit(1);
    return row ? toHealthArchive(row) : null;
  }
}

@Resolver(() => HealthArchive)
export class HealthArchiveResolver {
  @FieldResolver(() => [PhysicalExam], { nullable: true, description: 'Newest first; at most 100 per page.' })
  @Directive(classified('HEALTH_STATUS', 3))
  async physicalExams(
    @Root() archive: HealthArchiveNode,
    @Ctx() context: SubgraphContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
  ): Promise<PhysicalExam[]> {
    const filter = residentRowFilter(context.request, 'HEALTH_STATUS', physicalExams, archive.residentId);
    const rows = await context.db
      .select()
      .from(physicalExams)
      .where(filter)
      .orderBy(desc(physicalExams.examDate), desc(physicalExams.id))
      .limit(boundedPageSize(first));
    return rows.map(toPhysicalExam);
  }

  @FieldResolver(() => [FollowUp], { nullable: true, description: 'Chronic-disease follow-ups, newest first; at most 100 per page.' })
  @Directive(classified('PUBLIC_HEALTH', 3))
  async followUps(
    @Root() archive: HealthArchiveNode,
    @Ctx() context: SubgraphContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('programme', () => String, { nullable: true, description: 'HYPERTENSION or DIABETES.' }) programme?: string,
  ): Promise<FollowUp[]> {
    if (programme !== undefined && programme !== null && !PROGRAMMES.has(programme)) {
      throw new InvalidInputError('programme must be HYPERTENSION or DIABETES.', { field: 'programme' });
    }
    let filter: SQL = residentRowFilter(context.request, 'PUBLIC_HEALTH', followUps, archive.residentId);
    if (programme) filter = and(filter, eq(followUps.programme, programme))!;
    const rows = await context.db
      .select()
      .from(followUps)
      .where(filter)
      .orderBy(desc(followUps.visitDate), desc(followUps.id))
      .limit(boundedPageSize(first));
    return rows.map(toFollowUp);
  }
}

@InputType({ description: 'One chronic-disease follow-up visit, as pushed by a hospital system.' })
export class FollowUpInput {
  @Directive(inputIs.reference('RESIDENT'))
  @Field(() => ID) residentId!: string;
  @Field(() => String, { description: 'HYPERTENSION or DIABETES.' }) programme!: string;
  @Field(() => LocalDate) visitDate!: string;
  @Field(() => String, { description: 'CLINIC, HOME or PHONE.' }) mode!: string;
  @Field(() => Int, { nullable: true }) systolic?: number;
  @Field(() => Int, { nullable: true }) diastolic?: number;
  @Field(() => Float, { nullable: true }) fastingGlucose?: number;
  @Field(() => String, { description: 'CONTROLLED, UNCONTROLLED, ADVERSE_REACTION or COMPLICATION.' }) assessment!: string;
  @Field(() => LocalDate, { nullable: true }) nextVisitDate?: string;
}

@Resolver()
export class ArchiveFeedResolver {
  @Mutation(() => [ID], { description: 'HIS feed: records chronic-disease follow-up visits, all or nothing (at most 500).' })
  @Directive(rootIs.feed('input', 'PUBLIC_HEALTH', { checkOnly: FEED_CHECK_ONLY.argument }))
  async recordFollowUps(
    @Arg('input', () => [FollowUpInput]) input: FollowUpInput[],
    @Arg(FEED_CHECK_ONLY.argument, () => Boolean, { defaultValue: false, description: FEED_CHECK_ONLY.description }) checkOnly: boolean,
    @Ctx() context: SubgraphContext,
  ): Promise<string[]> {
    const institutionId = authorizeFeedWrite(context.request.actor);
    if (input.length === 0 || input.length > 500) throw new InvalidInputError('Push between 1 and 500 follow-up visits at a time.', { field: 'input' });
    const today = todayInChina();
    input.forEach((visit, index) => validateFollowUp(visit, index, today));
    if (checkOnly) return [];
    const rows = input.map((visit) => ({
      id: `fu-${randomUUID()}`,
      residentId: visit.residentId,
      institutionId,
      programme: visit.programme,
      visitDate: visit.visitDate,
      mode: visit.mode,
      systolic: visit.systolic ?? null,
      diastolic: visit.diastolic ?? null,
      fastingGlucose: visit.fastingGlucose ?? null,
      assessment: visit.assessment,
      nextVisitDate: visit.nextVisitDate ?? null,
      // Follow-ups are of hypertension and diabetes only: no special label, but derived, not defaulted.
      ...recordSensitivity({}),
    }));
    await context.db.transaction(async (tx) => {
      await insertRows(tx, followUps, rows);
    });
    return rows.map((row) => row.id);
  }
}

/** The calendar date in China (UTC+8, no daylight saving), as YYYY-MM-DD. */
function todayInChina(now: number = Date.now()): string {
  return new Date(now + 8 * 3_600_000).toISOString().slice(0, 10);
}

function validateFollowUp(visit: FollowUpInput, index: number, today: string): void {
  const at = `input[${index}]`;
  if (visit.residentId.trim().length === 0) throw new InvalidInputError(`${at}.residentId must not be empty.`, { field: `${at}.residentId` });
  if (!PROGRAMMES.has(visit.programme)) throw new InvalidInputError(`${at}.programme must be HYPERTENSION or DIABETES.`, { field: `${at}.programme` });
  if (!FOLLOW_UP_MODES.has(visit.mode)) throw new InvalidInputError(`${at}.mode must be CLINIC, HOME or PHONE.`, { field: `${at}.mode` });
  if (!ASSESSMENTS.has(visit.assessment)) {
    throw new InvalidInputError(`${at}.assessment must be CONTROLLED, UNCONTROLLED, ADVERSE_REACTION or COMPLICATION.`, { field: `${at}.assessment` });
  }
  if (visit.visitDate > today) throw new InvalidInputError(`${at}.visitDate is in the future.`, { field: `${at}.visitDate` });
  if (visit.nextVisitDate && visit.nextVisitDate < visit.visitDate) throw new InvalidInputError(`${at}.nextVisitDate is before visitDate.`, { field: `${at}.nextVisitDate` });
  for (const field of ['systolic', 'diastolic'] as const) {
    const value = visit[field];
    if (value !== undefined && value !== null && (value < 30 || value > 300)) throw new InvalidInputError(`${at}.${field} must be 30 to 300 mmHg.`, { field: `${at}.${field}` });
  }
  if (visit.fastingGlucose !== undefined && visit.fastingGlucose !== null && (visit.fastingGlucose <= 0 || visit.fastingGlucose > 50)) {
    throw new InvalidInputError(`${at}.fastingGlucose must be above 0 and at most 50 mmol/L.`, { field: `${at}.fastingGlucose` });
  }
}
