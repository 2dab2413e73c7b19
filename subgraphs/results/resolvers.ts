import { authorizeFeedWrite } from '../../consent/policy.js';
import { randomUUID } from 'node:crypto';
import { and, asc, eq, getTableColumns, inArray, lt, type SQL } from 'drizzle-orm';
import { Arg, Ctx, Directive, Field, FieldResolver, ID, InputType, Int, Mutation, Resolver, Root } from 'type-graphql';
import { assertKnownCode, DICOM_BODY_PART, DICOM_MODALITY, LOINC } from '../../schema/codes.js';
import { InvalidInputError } from '../../schema/errors.js';
import { classified } from '../../schema/classification.js';
import { labTestCodes, recordSensitivity } from '../../schema/sensitivity.js';
import { MAX_FEED_BATCH } from '../../schema/feed-quality.js';
import { inputIs, FEED_CHECK_ONLY, rootIs } from '../../schema/enforcement.js';
import { insertRows } from '../runtime/bulk-insert.js';
import { historyPage } from '../runtime/history.js';
import { boundedPageSize, residentRowFilter } from '../runtime/row-filter.js';
import type { SubgraphContext } from '../runtime/server.js';
import { imagingReports, labItems, labReports, recognitionItems, type ImagingReportRow, type LabItemRow, type LabReportRow } from './tables.js';
import { ImagingReport, LabItem, LabReport, Resident } from './types.js';

/** Largest number of items one lab report may carry (and the most `LabReport.items` returns). */
export const MAX_ITEMS_PER_REPORT = 100;
const ABNORMAL_FLAGS = new Set(['N', 'H', 'L', 'A']);
/** Clock skew tolerated between a hospital system and the platform. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** LabReport as resolved here: keeps the resident id so its items apply the same row filter. */
export type LabReportNode = LabReport & { residentId: string };

export function toLabReport(row: LabReportRow): LabReportNode {
  return {
    id: row.id,
    residentId: row.residentId,
    panelCode: row.panelCode,
    panelName: row.panelName,
    specimen: row.specimen,
    collectedAt: row.collectedAt,
    reportedAt: row.reportedAt,
    sensitivity: row.sensitivity,
    level: row.level,
    institution: { id: row.institutionId },
  };
}

function toLabItem(row: LabItemRow): LabItem {
  return {
    id: row.id,
    localCode: row.localCode,
    loinc: row.loinc,
    name: row.name,
    value: row.value,
    unit: row.unit,
    referenceRange: row.referenceRange,
    abnormalFlag: row.abnormalFlag,
  };
}

export function toImagingReport(row: ImagingReportRow): ImagingReport {
  return {
    id: row.id,
    modality: row.modality,
    bodyPart: row.bodyPart,
    findings: row.findings,
    impression: row.impression,
    performedAt: row.performedAt,
    contrast: row.contrast,
    sensitivity: row.sensitivity,
    level: row.level,
    institution: { id: row.institutionId },
  };
}

function withBefore(filter: SQL, column: Parameters<typeof lt>[0], before: Date | undefined): SQL {
  return before ? and(filter, lt(column, before))! : filter;
}

@Resolver(() => Resident)
export class ResidentResultsResolver {
  @FieldResolver(() => [LabReport], { nullable: true, description: 'Newest first (by collection time); at most 100 per page; filter by period and institution; page with `after` (no total).' })
  @Directive(classified('RESULTS', 3))
  async labReports(
    @Root() resident: Resident,
    @Ctx() context: SubgraphContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('before', () => Date, { nullable: true, description: 'Only reports collected before this time.' }) before?: Date,
    @Arg('from', () => Date, { nullable: true, description: 'Only records at or after this time.' }) from?: Date,
    @Arg('until', () => Date, { nullable: true, description: 'Only records at or before this time.' }) until?: Date,
    @Arg('institutionId', () => ID, { nullable: true, description: 'Only records of this institution.' }) institutionId?: string,
    @Arg('after', () => String, { nullable: true, description: 'Cursor: the id of the last record of the previous page.' }) after?: string,
  ): Promise<LabReportNode[]> {
    const filter = withBefore(residentRowFilter(context.request, 'RESULTS', labReports, resident.id), labReports.collectedAt, before);
    const rows = await historyPage(context, labReports, { id: labReports.id, institutionId: labReports.institutionId, order: [labReports.collectedAt] }, filter, { from, until, institutionId, after }, boundedPageSize(first));
    return rows.map(toLabReport);
  }

  @FieldResolver(() => [ImagingReport], { nullable: true, description: 'Newest first; at most 100 per page; filter by period and institution; page with `after` (no total).' })
  @Directive(classified('RESULTS', 3))
  async imagingReports(
    @Root() resident: Resident,
    @Ctx() context: SubgraphContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('before', () => Date, { nullable: true, description: 'Only reports performed before this time.' }) before?: Date,
    @Arg('from', () => Date, { nullable: true, description: 'Only records at or after this time.' }) from?: Date,
    @Arg('until', () => Date, { nullable: true, description: 'Only records at or before this time.' }) until?: Date,
    @Arg('institutionId', () => ID, { nullable: true, description: 'Only records of this institution.' }) institutionId?: string,
    @Arg('after', () => String, { nullable: true, description: 'Cursor: the id of the last record of the previous page.' }) after?: string,
  ): Promise<ImagingReport[]> {
    const filter = withBefore(residentRowFilter(context.request, 'RESULTS', imagingReports, resident.id), imagingReports.performedAt, before);
    const rows = await historyPage(context, imagingReports, { id: imagingReports.id, institutionId: imagingReports.institutionId, order: [imagingReports.performedAt] }, filter, { from, until, institutionId, after }, boundedPageSize(first));
    return rows.map(toImagingReport);
  }
}

@Resolver(() => LabReport)
export class LabReportResolver {
  @FieldResolver(() => [LabItem], { nullable: true, description: `Items of this report (at most ${MAX_ITEMS_PER_REPORT}).` })
  @Directive(classified('RESULTS', 3))
  async items(@Root() report: LabReportNode, @Ctx() context: SubgraphContext): Promise<LabItem[]> {
    // Items have no level or institution of their own: they are visible exactly when their report is.
    // All reports of one page are loaded in one query (batched by resident, whose filter applies).
    const items = await context.batches.load(`lab-items:${report.residentId}`, report.id, async (reportIds) => {
      const reportFilter = residentRowFilter(context.request, 'RESULTS', labReports, report.residentId);
      const rows = await context.db
        .select(getTableColumns(labItems))
        .from(labItems)
        .innerJoin(labReports, and(eq(labItems.reportId, labReports.id), eq(labItems.residentId, labReports.residentId)))
        .where(and(reportFilter, inArray(labItems.reportId, [...reportIds]), eq(labItems.residentId, report.residentId)))
        .orderBy(asc(labItems.reportId), asc(labItems.localCode), asc(labItems.id));
      const byReport = new Map<string, LabItem[]>();
      for (const row of rows) {
        const list = byReport.get(row.reportId) ?? [];
        if (list.length < MAX_ITEMS_PER_REPORT) list.push(toLabItem(row));
        byReport.set(row.reportId, list);
      }
      return byReport;
    });
    return items ?? [];
  }
}

/** What every report a hospital system pushes names: its resident, its institution, its encounter. */
@InputType()
abstract class FeedReportInput {
  @Directive(inputIs.reference('RESIDENT'))
  @Field(() => ID) residentId!: string;
  @Field(() => ID, { nullable: true, description: "The record's institution, when the sender names it: it must be the sender's own (else OWN_INSTITUTION)." })
  institutionId?: string;
  @Directive(inputIs.reference('ENCOUNTER'))
  @Field(() => String, { nullable: true }) encounterId?: string;
}

@InputType({ description: "One imaging report (检查报告) of the sender's own institution, as pushed by a hospital system." })
export class ImagingReportInput extends FeedReportInput {
  @Field(() => String, { description: "The examination's code in the recognition catalogue (CT-CHEST, MR-HEAD, …): its modality and body part must be the record's." })
  itemCode!: string;
  @Field(() => String, { description: 'DICOM modality: CT, MR, DX, CR, US, …' }) modality!: string;
  @Field(() => String, { description: 'DICOM Body Part Examined: CHEST, HEAD, LSPINE, …' }) bodyPart!: string;
  @Field(() => String, { description: '检查所见.' }) findings!: string;
  @Field(() => String, { description: '诊断意见.' }) impression!: string;
  @Field(() => Date) performedAt!: Date;
  @Field(() => Boolean, { nullable: true, description: 'Whether contrast medium was used (default false).' }) contrast?: boolean;
}

@InputType({ description: 'One measured item of a lab report.' })
export class LabItemInput {
  @Field(() => String) localCode!: string;
  @Field(() => String, { nullable: true, description: 'LOINC code, when the laboratory has mapped the item.' }) loinc?: string;
  @Field(() => String) name!: string;
  @Field(() => String) value!: string;
  @Field(() => String, { nullable: true }) unit?: string;
  @Field(() => String, { nullable: true }) referenceRange?: string;
  @Field(() => String, { description: 'N normal, H high, L low, A abnormal.' }) abnormalFlag!: string;
}

@InputType({ description: 'One lab report with its items, as pushed by a hospital system.' })
export class LabReportInput extends FeedReportInput {
  @Field(() => String) panelCode!: string;
  @Field(() => String) panelName!: string;
  @Field(() => String) specimen!: string;
  @Field(() => Date) collectedAt!: Date;
  @Field(() => Date) reportedAt!: Date;
  @Field(() => [LabItemInput]) items!: LabItemInput[];
}

@Resolver()
export class ResultsFeedResolver {
  @Mutation(() => [ID], { description: `HIS feed: records lab reports with their items, all or nothing (at most ${MAX_FEED_BATCH.recordLabReports}).` })
  @Directive(rootIs.feed('input', 'RESULTS', { checkOnly: FEED_CHECK_ONLY.argument }))
  async recordLabReports(
    @Arg('input', () => [LabReportInput]) input: LabReportInput[],
    @Arg(FEED_CHECK_ONLY.argument, () => Boolean, { defaultValue: false, description: FEED_CHECK_ONLY.description }) checkOnly: boolean,
    @Ctx() context: SubgraphContext,
  ): Promise<string[]> {
    const institutionId = authorizeFeedWrite(context.request.actor, input.map((record) => record.institutionId));
    if (input.length === 0 || input.length > MAX_FEED_BATCH.recordLabReports) throw new InvalidInputError(`Push between 1 and ${MAX_FEED_BATCH.recordLabReports} lab reports at a time.`, { field: 'input' });
    const now = Date.now();
    input.forEach((report, index) => validateLabReport(report, index, now));
    if (checkOnly) return [];
    const reportRows: Array<typeof labReports.$inferInsert> = [];
    const itemRows: Array<typeof labItems.$inferInsert> = [];
    for (const report of input) {
      const reportId = `lab-${randomUUID()}`;
      const sensitivity = recordSensitivity({ testCodes: labTestCodes(report.panelCode, report.items) });
      reportRows.push({
        id: reportId,
        residentId: report.residentId,
        institutionId,
        encounterId: report.encounterId ?? null,
        panelCode: report.panelCode,
        panelName: report.panelName,
        specimen: report.specimen,
        collectedAt: report.collectedAt,
        reportedAt: report.reportedAt,
        ...sensitivity,
      });
      for (const item of report.items) {
        itemRows.push({
          id: `labi-${randomUUID()}`,
          reportId,
          residentId: report.residentId,
          localCode: item.localCode,
          loinc: item.loinc ?? null,
          name: item.name,
          value: item.value,
          unit: item.unit ?? null,
          referenceRange: item.referenceRange ?? null,
          abnormalFlag: item.abnormalFlag,
        });
      }
    }
    await context.db.transaction(async (tx) => {
      await insertRows(tx, labReports, reportRows);
      await insertRows(tx, labItems, itemRows);
    });
    return reportRows.map((row) => row.id);
  }

  @Mutation(() => [ID], { description: `HIS feed: records the sender's own imaging reports (检查报告), all or nothing (at most ${MAX_FEED_BATCH.recordImagingReports}).` })
  @Directive(rootIs.feed('input', 'RESULTS', { checkOnly: FEED_CHECK_ONLY.argument }))
  async recordImagingReports(
    @Arg('input', () => [ImagingReportInput]) input: ImagingReportInput[],
    @Arg(FEED_CHECK_ONLY.argument, () => Boolean, { defaultValue: false, description: FEED_CHECK_ONLY.description }) checkOnly: boolean,
    @Ctx() context: SubgraphContext,
  ): Promise<string[]> {
    const institutionId = authorizeFeedWrite(context.request.actor, input.map((record) => record.institutionId));
    if (input.length === 0 || input.length > MAX_FEED_BATCH.recordImagingReports) {
      throw new InvalidInputError(`Push between 1 and ${MAX_FEED_BATCH.recordImagingReports} imaging reports at a time.`, { field: 'input' });
    }
    // The gateway checked every quality rule; this is the subgraph's own floor (defence in depth), the same rules in code.
    const now = Date.now();
    // The examinations named, from the steward's catalogue (this subgraph's own table): one query per batch.
    const codes = [...new Set(input.map((report) => report.itemCode))];
    const catalogue = new Map(
      (await context.db.select({ code: recognitionItems.code, modality: recognitionItems.modality, bodyPart: recognitionItems.bodyPart }).from(recognitionItems).where(inArray(recognitionItems.code, codes))).map(
        (item) => [item.code, item],
      ),
    );
    input.forEach((report, index) => validateImagingReport(report, index, now, catalogue));
    if (checkOnly) return [];
    const rows: Array<typeof imagingReports.$inferInsert> = input.map((report) => ({
      id: `img-${randomUUID()}`,
      residentId: report.residentId,
      institutionId,
      encounterId: report.encounterId ?? null,
      modality: report.modality,
      bodyPart: report.bodyPart,
      findings: report.findings,
      impression: report.impression,
      performedAt: report.performedAt,
      contrast: report.contrast ?? false,
      // No modality or body part is sensitive by itself; the level is still derived, not defaulted.
      ...recordSensitivity({}),
    }));
    await context.db.transaction(async (tx) => {
      await insertRows(tx, imagingReports, rows);
    });
    return rows.map((row) => row.id);
  }
}

function validateImagingReport(report: ImagingReportInput, index: number, now: number, catalogue: ReadonlyMap<string, { modality: string | null; bodyPart: string | null }>): void {
  const at = `input[${index}]`;
  for (const field of ['residentId', 'itemCode', 'findings', 'impression'] as const) {
    if (report[field].trim().length === 0) throw new InvalidInputError(`${at}.${field} must not be empty.`, { field: `${at}.${field}` });
  }
  assertKnownCode({ ...DICOM_MODALITY, code: report.modality }, `${at}.modality`);
  assertKnownCode({ ...DICOM_BODY_PART, code: report.bodyPart }, `${at}.bodyPart`);
  const item = catalogue.get(report.itemCode);
  if (!item || item.modality !== report.modality || item.bodyPart !== report.bodyPart) {
    throw new InvalidInputError(`${at}.itemCode is not an examination of the catalogue with this modality and body part.`, { field: `${at}.itemCode` });
  }
  if (report.performedAt.getTime() > now + CLOCK_SKEW_MS) throw new InvalidInputError(`${at}.performedAt is in the future.`, { field: `${at}.performedAt` });
}

function validateLabReport(report: LabReportInput, index: number, now: number): void {
  const at = `input[${index}]`;
  for (const field of ['residentId', 'panelCode', 'panelName', 'specimen'] as const) {
    if (report[field].trim().length === 0) throw new InvalidInputError(`${at}.${field} must not be empty.`, { field: `${at}.${field}` });
  }
  if (report.collectedAt > report.reportedAt) throw new InvalidInputError(`${at}.collectedAt is after reportedAt.`, { field: `${at}.collectedAt` });
  if (report.reportedAt.getTime() > now + CLOCK_SKEW_MS) throw new InvalidInputError(`${at}.reportedAt is in the future.`, { field: `${at}.reportedAt` });
  if (report.items.length === 0 || report.items.length > MAX_ITEMS_PER_REPORT) {
    throw new InvalidInputError(`${at} needs between 1 and ${MAX_ITEMS_PER_REPORT} items.`, { field: `${at}.items` });
  }
  report.items.forEach((item, j) => {
    const itemAt = `${at}.items[${j}]`;
    if (item.localCode.trim().length === 0) throw new InvalidInputError(`${itemAt}.localCode must not be empty.`, { field: `${itemAt}.localCode` });
    if (!ABNORMAL_FLAGS.has(item.abnormalFlag)) throw new InvalidInputError(`${itemAt}.abnormalFlag must be N, H, L or A.`, { field: `${itemAt}.abnormalFlag` });
    if (item.loinc !== undefined && item.loinc !== null) assertKnownCode({ ...LOINC, code: item.loinc }, `${itemAt}.loinc`);
  });
}
