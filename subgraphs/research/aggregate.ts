/**
 * `researchAggregate` over a scenario's mart, in SQL (COUNT of residents; MEAN, MEDIAN, P90 of each
 * resident's mean value of one lab item), then output protection: suppression (suppression.ts), the
 * repeat limit and the differencing check against every earlier answer of the scenario. An answer is
 * checked and logged under a per-scenario lock, so two concurrent queries are compared with each other.
 */
import { randomUUID } from 'node:crypto';
import { eq, sql, type SQL } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { ERROR_CODES, InvalidInputError } from '../../schema/errors.js';
import { AGGREGATE_DIMENSIONS, AGGREGATE_MEASURES, NUMERIC_COORDINATES, type AggregateMeasure } from '../../schema/research.js';
import { executedRows, type Database } from '../runtime/database.js';
import { suppressedCells } from './suppression.js';
import { aggregateAnswers, martBuilds } from './tables.js';

/** i2b2 locks a query out after 7 identical runs in 30 days; an overlapping one counts the same. */
export const REPEAT_LIMIT = 7;
export const REPEAT_WINDOW_DAYS = 30;
/** Shown for a subject whose value of a dimension is unknown. */
export const UNKNOWN_GROUP = 'UNKNOWN';

export interface AggregateRequest {
  measure: string;
  field?: string | null;
  itemCode?: string | null;
  groupBy: readonly string[];
}

export interface AnsweredCell {
  group: string[];
  value: number | null;
  suppressed: boolean;
}

export interface AggregateAnswer {
  cells: AnsweredCell[];
  minCellSize: number;
}

/** The SQL of each dimension over `base`'s subject `s`, its lab-code join `l`, its diagnosis join `d`. */
const DIMENSION_SQL: Readonly<Record<string, SQL>> = {
  sex: sql`s.sex`,
  ageBand: sql`s.age_band`,
  birthYear: sql`s.birth_year::text`,
  district: sql`s.district`,
  'Diagnosis.code': sql`d.code`,
  'LabItem.loinc': sql`lc.loinc`,
  'LabItem.localCode': sql`lc.local_code`,
};

function checkRequest(request: AggregateRequest): { measure: AggregateMeasure; dimensions: string[]; itemCode: string | null } {
  if (!(AGGREGATE_MEASURES as readonly string[]).includes(request.measure)) throw new InvalidInputError(`measure must be one of ${AGGREGATE_MEASURES.join(', ')}.`, { field: 'input.measure' });
  const measure = request.measure as AggregateMeasure;
  const dimensions = [...request.groupBy];
  if (new Set(dimensions).size !== dimensions.length) throw new InvalidInputError('groupBy names a dimension twice.', { field: 'input.groupBy' });
  for (const dimension of dimensions) {
    if (!Object.hasOwn(AGGREGATE_DIMENSIONS, dimension)) throw new InvalidInputError(`groupBy: ${dimension} is not a dimension.`, { field: 'input.groupBy' });
  }
  if (measure === 'COUNT') return { measure, dimensions, itemCode: null };
  if (!request.field || !NUMERIC_COORDINATES.has(request.field)) throw new InvalidInputError(`${measure} needs a numeric field (${[...NUMERIC_COORDINATES].join(', ')}).`, { field: 'input.field' });
  if (!request.itemCode) throw new InvalidInputError(`${measure} needs an itemCode.`, { field: 'input.itemCode' });
  return { measure, dimensions, itemCode: request.itemCode };
}

interface GroupRow extends Record<string, unknown> {
  groups: string[] | null;
  n: number;
  /** The measure asked for (null for COUNT, whose value is n). */
  value: number | null;
  /** Residents behind every cell together (the same on every row; only where a subject may stand in several cells). */
  total?: number;
}

/** Only the asked measure is computed: percentiles sort every cell's values, a mean does not. */
const MEASURE_SQL: Readonly<Record<AggregateMeasure, SQL>> = {
  COUNT: sql`null::double precision`,
  MEAN: sql`avg(v)`,
  MEDIAN: sql`percentile_cont(0.5) within group (order by v)`,
  P90: sql`percentile_cont(0.9) within group (order by v)`,
};

/** The grouped rows of the answer, in SQL over the mart, and the residents behind all of them. */
async function groupedRows(db: Database, scenarioId: string, measure: AggregateMeasure, dimensions: readonly string[], itemCode: string | null): Promise<{ rows: GroupRow[]; total: number }> {
  const joins: SQL[] = [];
  const multiValued = dimensions.some((dimension) => dimension === 'Diagnosis.code' || dimension.startsWith('LabItem.'));
  if (dimensions.includes('Diagnosis.code')) {
    joins.push(sql`join (select distinct pseudonym, code from research.mart_diagnosis where scenario_id = ${scenarioId} and code is not null) d on d.pseudonym = s.pseudonym`);
  }
  if (dimensions.includes('LabItem.loinc') || dimensions.includes('LabItem.localCode')) {
    joins.push(sql`join (select distinct pseudonym, loinc, local_code from research.mart_lab_item where scenario_id = ${scenarioId}) lc on lc.pseudonym = s.pseudonym`);
  }
  if (measure !== 'COUNT') {
    // One value per resident (their mean of the item), so every cell counts residents, not measurements.
    joins.push(sql`join (select pseudonym, avg(value_number) as v from research.mart_lab_item
      where scenario_id = ${scenarioId} and (loinc = ${itemCode} or local_code = ${itemCode}) and value_number is not null
      group by pseudonym) m on m.pseudonym = s.pseudonym`);
  }
  const groupExpression = dimensions.length === 0 ? sql`array[]::text[]` : sql`array[${sql.join(dimensions.map((d) => sql`coalesce(${DIMENSION_SQL[d]!}, ${UNKNOWN_GROUP})`), sql`, `)}]`;
  const value = measure === 'COUNT' ? sql`null::double precision` : sql`m.v`;
  const base = sql`select s.pseudonym, ${groupExpression} as groups, ${value} as v from research.mart_subject s ${sql.join(joins, sql` `)} where s.scenario_id = ${scenarioId}`;
  if (!multiValued) {
    // One row per subject (no dimension joins a list): a cell's count is its rows, and the residents
    // behind all cells are the sum of the cells (the plain GROUP BY, nothing counted twice).
    const rows = executedRows<GroupRow>(
      await db.execute<GroupRow>(sql`select groups, count(*)::int as n, ${MEASURE_SQL[measure]} as value from (${base}) b group by groups order by groups`),
    );
    return { rows, total: rows.reduce((sum, row) => sum + Number(row.n), 0) };
  }
  // A subject may stand in several cells: the cells and the residents behind them all, in one
  // statement over one materialised base (no rows: no residents).
  const grouped = await db.execute<GroupRow>(sql`with base as materialized (${base})
    select g.groups, g.n, g.value, t.total from
      (select groups, count(distinct pseudonym)::int as n, ${MEASURE_SQL[measure]} as value from base group by groups) g
      cross join (select count(distinct pseudonym)::int as total from base) t
    order by g.groups`);
  const rows = executedRows<GroupRow>(grouped);
  return { rows, total: Number(rows[0]?.total ?? 0) };
}

function signatureOf(measure: string, itemCode: string | null, dimensions: readonly string[]): string {
  return JSON.stringify([measure, itemCode, [...dimensions].sort()]);
}

/** Which residents an answer counts: all subjects, or those with the item, or with a diagnosis or lab code to group by. */
function populationOf(itemCode: string | null, dimensions: readonly string[]): string {
  return JSON.stringify([itemCode, dimensions.includes('Diagnosis.code'), dimensions.some((d) => d.startsWith('LabItem.'))]);
}

const keyOf = (group: readonly string[]) => JSON.stringify(group);

/** Why an answer is refused after computing it (nothing of it is returned). */
function refused(code: string, reason: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, reason } });
}

/**
 * Answers one aggregate of the scenario's mart. Refuses (QUOTA_EXCEEDED, reason REPEATED_QUERY) the
 * same or an overlapping aggregate beyond the repeat limit, and (FORBIDDEN, reason DIFFERENCING) an
 * answer whose residents, or any cell's, differ from an earlier answer's by 1 to k-1.
 */
export async function answerAggregate(db: Database, scenarioId: string, request: AggregateRequest, now = new Date()): Promise<AggregateAnswer> {
  const { measure, dimensions, itemCode } = checkRequest(request);
  const [build] = await db.select().from(martBuilds).where(eq(martBuilds.scenarioId, scenarioId));
  if (!build) throw new GraphQLError('This scenario’s mart is not built yet.', { extensions: { code: ERROR_CODES.SCENARIO_NOT_APPROVED } });
  const k = build.minCellSize;
  const signature = signatureOf(measure, itemCode, dimensions);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`research-answers:${scenarioId}`}))`);
    const since = new Date(now.getTime() - REPEAT_WINDOW_DAYS * 86_400_000);
    // Every earlier answer (the differencing check compares with all of them); the repeat limit counts the window's.
    const all = await tx.select().from(aggregateAnswers).where(eq(aggregateAnswers.scenarioId, scenarioId));
    const earlier = all.filter((answer) => answer.at >= since);
    // Overlapping: the same measure of the same item over dimensions that share one (or either has none).
    const overlapping = earlier.filter(
      (answer) =>
        answer.measure === measure &&
        answer.itemCode === itemCode &&
        (answer.dimensions.length === 0 || dimensions.length === 0 || answer.dimensions.some((d) => dimensions.includes(d))),
    );
    if (overlapping.length >= REPEAT_LIMIT) {
      throw refused(ERROR_CODES.QUOTA_EXCEEDED, 'REPEATED_QUERY', `This aggregate, or one overlapping it, was answered ${overlapping.length} times in ${REPEAT_WINDOW_DAYS} days; the limit is ${REPEAT_LIMIT}.`);
    }
    const { rows, total } = await groupedRows(tx as unknown as Database, scenarioId, measure, dimensions, itemCode);
    const cellCounts: Record<string, number> = {};
    for (const row of rows) cellCounts[keyOf(row.groups ?? [])] = Number(row.n);
    const smallDifference = (a: number, b: number) => Math.abs(a - b) > 0 && Math.abs(a - b) < k;
    const population = populationOf(itemCode, dimensions);
    for (const answer of all) {
      const samePopulation = populationOf(answer.itemCode, answer.dimensions) === population;
      const cellsDiffer =
        answer.signature === signature &&
        [...new Set([...Object.keys(answer.cellCounts), ...Object.keys(cellCounts)])].some((key) => smallDifference(answer.cellCounts[key] ?? 0, cellCounts[key] ?? 0));
      if ((samePopulation && smallDifference(answer.total, total)) || cellsDiffer) {
        throw refused(ERROR_CODES.FORBIDDEN, 'DIFFERENCING', `This answer would differ from an earlier answer of this scenario by fewer than ${k} residents, which could reveal them.`);
      }
    }
    await tx.insert(aggregateAnswers).values({ id: `ans-${randomUUID()}`, scenarioId, signature, measure, itemCode, dimensions, cellCounts, total, at: now });
    const counted = rows.map((row) => ({ group: row.groups ?? [], residents: Number(row.n) }));
    const hidden = suppressedCells(counted, k);
    const cells = rows.map((row, index) => {
      if (hidden.has(index)) return { group: row.groups ?? [], value: null, suppressed: true };
      const value = measure === 'COUNT' ? Number(row.n) : row.value;
      return { group: row.groups ?? [], value: value === null ? null : Number(value), suppressed: false };
    });
    return { cells, minCellSize: k };
  });
}
