import { authorizeFeedWrite } from '../../consent/policy.js';
import { randomUUID } from 'node:crypto';
import { and, lt } from 'drizzle-orm';
import { Arg, Ctx, Directive, Field, FieldResolver, ID, InputType, Int, Mutation, Resolver, Root } from 'type-graphql';
import { classified } from '../../schema/classification.js';
import { assertKnownCode, NIP_VACCINE } from '../../schema/codes.js';
import { InvalidInputError } from '../../schema/errors.js';
import { recordSensitivity } from '../../schema/sensitivity.js';
import { LocalDate } from '../../schema/scalars.js';
import { MAX_FEED_BATCH } from '../../schema/feed-quality.js';
import { inputIs, FEED_CHECK_ONLY, rootIs } from '../../schema/enforcement.js';
import { insertRows } from '../runtime/bulk-insert.js';
import { historyPage } from '../runtime/history.js';
import { boundedPageSize, residentRowFilter } from '../runtime/row-filter.js';
import type { SubgraphContext } from '../runtime/server.js';
import { immunizationRecords, type ImmunizationRecordRow } from './tables.js';
import { ImmunizationRecord, Resident } from './types.js';

const MAX_DOSE_NUMBER = 10;

function toImmunizationRecord(row: ImmunizationRecordRow): ImmunizationRecord {
  return {
    id: row.id,
    vaccineCode: row.vaccineCode,
    vaccineName: row.vaccineName,
    doseNumber: row.doseNumber,
    lotNumber: row.lotNumber,
    manufacturer: row.manufacturer,
    administeredOn: row.administeredOn,
    site: row.site,
    route: row.route,
    institution: { id: row.institutionId },
    sensitivity: row.sensitivity,
    level: row.level,
  };
}

@Resolver(() => Resident)
export class ResidentImmunizationResolver {
  @FieldResolver(() => [ImmunizationRecord], { nullable: true, description: 'Newest first; at most 100 per page; filter by period and institution; page with `after` (no total).' })
  @Directive(classified('PUBLIC_HEALTH', 3))
  async immunizations(
    @Root() resident: Resident,
    @Ctx() context: SubgraphContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('before', () => LocalDate, { nullable: true, description: 'Only doses administered before this date.' }) before?: string,
    @Arg('from', () => LocalDate, { nullable: true, description: 'Only records at or after this date.' }) from?: string,
    @Arg('until', () => LocalDate, { nullable: true, description: 'Only records at or before this date.' }) until?: string,
    @Arg('institutionId', () => ID, { nullable: true, description: 'Only records of this institution.' }) institutionId?: string,
    @Arg('after', () => String, { nullable: true, description: 'Cursor: the id of the last record of the previous page.' }) after?: string,
  ): Promise<ImmunizationRecord[]> {
    const visible = residentRowFilter(context.request, 'PUBLIC_HEALTH', immunizationRecords, resident.id);
    const filter = before ? and(visible, lt(immunizationRecords.administeredOn, before))! : visible;
    const columns = { id: immunizationRecords.id, institutionId: immunizationRecords.institutionId, order: [immunizationRecords.administeredOn, immunizationRecords.doseNumber] };
    const rows = await historyPage(context, immunizationRecords, columns, filter, { from, until, institutionId, after }, boundedPageSize(first));
    return rows.map(toImmunizationRecord);
  }
}

@InputType({ description: 'One administered vaccine dose, as pushed by a hospital system.' })
export class ImmunizationInput {
  @Directive(inputIs.reference('RESIDENT'))
  @Field(() => ID) residentId!: string;
  @Field(() => ID, { nullable: true, description: "The record's institution, when the sender names it: it must be the sender's own (else OWN_INSTITUTION)." })
  institutionId?: string;
  @Field(() => String, { description: 'NIP-VACCINE 2021 code.' }) vaccineCode!: string;
  @Field(() => String) vaccineName!: string;
  @Field(() => Int, { description: '1 to 10.' }) doseNumber!: number;
  @Field(() => String) lotNumber!: string;
  @Field(() => String) manufacturer!: string;
  @Field(() => LocalDate) administeredOn!: string;
  @Field(() => String) site!: string;
  @Field(() => String) route!: string;
}

@Resolver()
export class ImmunizationFeedResolver {
  @Mutation(() => [ID], { description: `HIS feed: records administered vaccine doses, all or nothing (at most ${MAX_FEED_BATCH.recordImmunizations}).` })
  @Directive(rootIs.feed('input', 'PUBLIC_HEALTH', { checkOnly: FEED_CHECK_ONLY.argument }))
  async recordImmunizations(
    @Arg('input', () => [ImmunizationInput]) input: ImmunizationInput[],
    @Arg(FEED_CHECK_ONLY.argument, () => Boolean, { defaultValue: false, description: FEED_CHECK_ONLY.description }) checkOnly: boolean,
    @Ctx() context: SubgraphContext,
  ): Promise<string[]> {
    const institutionId = authorizeFeedWrite(context.request.actor, input.map((record) => record.institutionId));
    if (input.length === 0 || input.length > MAX_FEED_BATCH.recordImmunizations) throw new InvalidInputError(`Push between 1 and ${MAX_FEED_BATCH.recordImmunizations} immunisation records at a time.`, { field: 'input' });
    const today = todayInChina();
    input.forEach((dose, index) => validateImmunization(dose, index, today));
    if (checkOnly) return [];
    const rows = input.map((dose) => ({
      id: `imm-${randomUUID()}`,
      residentId: dose.residentId,
      institutionId,
      vaccineCode: dose.vaccineCode,
      vaccineName: dose.vaccineName,
      doseNumber: dose.doseNumber,
      lotNumber: dose.lotNumber,
      manufacturer: dose.manufacturer,
      administeredOn: dose.administeredOn,
      site: dose.site,
      route: dose.route,
      // No vaccine of the national catalogue carries a special label; the level is still derived, not defaulted.
      ...recordSensitivity({}),
    }));
    await context.db.transaction(async (tx) => {
      await insertRows(tx, immunizationRecords, rows);
    });
    return rows.map((row) => row.id);
  }
}

/** The calendar date in China (UTC+8, no daylight saving), as YYYY-MM-DD: vaccination dates are local dates. */
function todayInChina(now: number = Date.now()): string {
  return new Date(now + 8 * 3_600_000).toISOString().slice(0, 10);
}

function validateImmunization(dose: ImmunizationInput, index: number, today: string): void {
  const at = `input[${index}]`;
  for (const field of ['residentId', 'vaccineName', 'lotNumber', 'manufacturer', 'site', 'route'] as const) {
    if (dose[field].trim().length === 0) throw new InvalidInputError(`${at}.${field} must not be empty.`, { field: `${at}.${field}` });
  }
  if (!Number.isInteger(dose.doseNumber) || dose.doseNumber < 1 || dose.doseNumber > MAX_DOSE_NUMBER) {
    throw new InvalidInputError(`${at}.doseNumber must be 1 to ${MAX_DOSE_NUMBER}.`, { field: `${at}.doseNumber` });
  }
  if (dose.administeredOn > today) throw new InvalidInputError(`${at}.administeredOn is in the future.`, { field: `${at}.administeredOn` });
  assertKnownCode({ ...NIP_VACCINE, code: dose.vaccineCode }, `${at}.vaccineCode`);
}
