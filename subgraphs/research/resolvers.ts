/**
 * The research subgraph's roots. `researchCohort` and `researchAggregate` answer only a request whose
 * signed context names their scenario for a query (the gateway checked it runs a registered document
 * of the approved scenario, within quota); the mart is written and trimmed only under a context that
 * names the scenario for a build. Both are the gateway's (`@internal`, never in the API schema).
 */
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { Arg, Ctx, Directive, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { rootIs } from '../../schema/enforcement.js';
import { ERROR_CODES, InvalidInputError } from '../../schema/errors.js';
import { MIN_CELL_SIZE_FLOOR } from '../../schema/research.js';
import { boundedPageSize } from '../runtime/row-filter.js';
import type { SubgraphContext } from '../runtime/server.js';
import { answerAggregate } from './aggregate.js';
import { aggregateAnswers, martBuilds, martDiagnoses, martLabItems, martSubjects } from './tables.js';
import { AggregateInput, AggregateResult, MartSubjectInput, ResearchSubject, ResearchSubjectConnection } from './types.js';

function requireScenario(context: SubgraphContext, scenarioId: string, use: 'query' | 'build'): void {
  const scenario = context.request.scenario;
  if (scenario?.id === scenarioId && scenario.use === use) return;
  throw new GraphQLError('Research data is answered only for a registered document of an approved scenario.', { extensions: { code: ERROR_CODES.FORBIDDEN } });
}

/** A scenario pseudonym: hex HMAC-SHA-256. Anything else (a resident id, say) is refused, never stored. */
const PSEUDONYM = /^[0-9a-f]{64}$/;
const AGE_BAND = /^\d{1,3}-\d{1,3}$/;
const AREA = /^\d{6}$/;
const SEX = /^[0129]$/;
/** Subjects one store call takes; rows per insert (PostgreSQL's parameter limit). */
const MART_BATCH = 1000;
const INSERT_CHUNK = 500;

function checkSubject(subject: MartSubjectInput, index: number): void {
  const refuse = (what: string) => {
    throw new InvalidInputError(`subjects[${index}]: ${what}.`, { field: `subjects[${index}]` });
  };
  if (!PSEUDONYM.test(subject.pseudonym)) refuse('a pseudonym is a hex HMAC-SHA-256');
  if (subject.sex != null && !SEX.test(subject.sex)) refuse('sex is a GB/T 2261.1 code');
  if (subject.ageBand != null && !AGE_BAND.test(subject.ageBand)) refuse('ageBand is a band of age such as 40-44 or 40-49');
  if (subject.district != null && !AREA.test(subject.district)) refuse('district is a GB/T 2260 code');
}

async function insertChunked<Row>(rows: readonly Row[], insert: (chunk: Row[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) await insert(rows.slice(start, start + INSERT_CHUNK));
}

@Resolver()
export class ResearchResolver {
  @Query(() => ResearchSubjectConnection, { description: 'Researcher: the scenario’s pseudonymous subjects, by pseudonym (20 per page by default, at most 100; no total).' })
  @Directive(rootIs.research('scenarioId'))
  async researchCohort(
    @Ctx() context: SubgraphContext,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
    @Arg('first', () => Int, { nullable: true }) first: number | null | undefined,
    @Arg('scenarioId', () => ID) scenarioId: string,
  ): Promise<ResearchSubjectConnection> {
    requireScenario(context, scenarioId, 'query');
    if (after && !PSEUDONYM.test(after)) throw new InvalidInputError('after is not a cursor of this cohort.', { field: 'after' });
    const size = boundedPageSize(first);
    const filter = eq(martSubjects.scenarioId, scenarioId);
    const rows = await context.db.select().from(martSubjects).where(after ? and(filter, gt(martSubjects.pseudonym, after)) : filter).orderBy(asc(martSubjects.pseudonym)).limit(size + 1);
    const page = rows.slice(0, size);
    const pseudonyms = page.map((row) => row.pseudonym);
    const [diagnoses, labItems] = pseudonyms.length === 0 ? [[], []] : await Promise.all([
      context.db.select().from(martDiagnoses).where(and(eq(martDiagnoses.scenarioId, scenarioId), inArray(martDiagnoses.pseudonym, pseudonyms))),
      context.db.select().from(martLabItems).where(and(eq(martLabItems.scenarioId, scenarioId), inArray(martLabItems.pseudonym, pseudonyms))),
    ]);
    const edges = page.map((row) => {
      const node: ResearchSubject = {
        pseudonym: row.pseudonym,
        sex: row.sex,
        birthYear: row.birthYear,
        ageBand: row.ageBand,
        district: row.district,
        diagnoses: diagnoses.filter((d) => d.pseudonym === row.pseudonym && d.code !== null).map((d) => ({ code: d.code!, codeSystem: d.codeSystem, year: d.year })),
        labItems: labItems.filter((l) => l.pseudonym === row.pseudonym).map((l) => ({ loinc: l.loinc, localCode: l.localCode, value: l.value, unit: l.unit, year: l.year })),
      };
      return { cursor: row.pseudonym, node };
    });
    return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Query(() => AggregateResult, { description: 'Researcher: COUNT, MEAN, MEDIAN or P90 over the scenario’s mart, grouped, small cells suppressed.' })
  @Directive(rootIs.research('scenarioId'))
  async researchAggregate(
    @Ctx() context: SubgraphContext,
    @Arg('input', () => AggregateInput) input: AggregateInput,
    @Arg('scenarioId', () => ID) scenarioId: string,
  ): Promise<AggregateResult> {
    requireScenario(context, scenarioId, 'query');
    return answerAggregate(context.db, scenarioId, input);
  }

  @Mutation(() => Int, { description: 'The gateway’s mart build: stores pseudonymised, generalised subjects (replace: the first batch of a build).' })
  @Directive('@inaccessible')
  @Directive(rootIs.internal)
  async storeScenarioMart(
    @Ctx() context: SubgraphContext,
    @Arg('subjects', () => [MartSubjectInput]) subjects: MartSubjectInput[],
    @Arg('replace', () => Boolean) replace: boolean,
    @Arg('minCellSize', () => Int) minCellSize: number,
    @Arg('scenarioId', () => ID) scenarioId: string,
  ): Promise<number> {
    requireScenario(context, scenarioId, 'build');
    if (subjects.length > MART_BATCH) throw new InvalidInputError(`Store at most ${MART_BATCH} subjects at a time.`, { field: 'subjects' });
    if (!Number.isInteger(minCellSize) || minCellSize < MIN_CELL_SIZE_FLOOR) throw new InvalidInputError(`minCellSize is never below ${MIN_CELL_SIZE_FLOOR}.`, { field: 'minCellSize' });
    subjects.forEach(checkSubject);
    if (new Set(subjects.map((s) => s.pseudonym)).size !== subjects.length) throw new InvalidInputError('A subject is named twice in one store.', { field: 'subjects' });
    await context.db.transaction(async (tx) => {
      if (replace) {
        for (const table of [martSubjects, martDiagnoses, martLabItems]) await tx.delete(table).where(eq(table.scenarioId, scenarioId));
        await tx.delete(aggregateAnswers).where(eq(aggregateAnswers.scenarioId, scenarioId));
      }
      await tx
        .insert(martBuilds)
        .values({ scenarioId, minCellSize, builtAt: new Date() })
        .onConflictDoUpdate({ target: martBuilds.scenarioId, set: { minCellSize, builtAt: new Date() } });
      // Each subject is stored whole, replacing what it had: two gateways building one mart at once (each
      // batch upserts its subjects first, which locks their rows) leave every subject once, never twice.
      await insertChunked(
        subjects.map((s) => ({ scenarioId, pseudonym: s.pseudonym, sex: s.sex ?? null, birthYear: s.birthYear ?? null, ageBand: s.ageBand ?? null, district: s.district ?? null })),
        (chunk) =>
          tx
            .insert(martSubjects)
            .values(chunk)
            .onConflictDoUpdate({
              target: [martSubjects.scenarioId, martSubjects.pseudonym],
              set: { sex: sql`excluded.sex`, birthYear: sql`excluded.birth_year`, ageBand: sql`excluded.age_band`, district: sql`excluded.district` },
            }),
      );
      const pseudonyms = subjects.map((s) => s.pseudonym);
      if (!replace && pseudonyms.length > 0) {
        for (const table of [martDiagnoses, martLabItems]) await tx.delete(table).where(and(eq(table.scenarioId, scenarioId), inArray(table.pseudonym, pseudonyms)));
      }
      await insertChunked(
        subjects.flatMap((s) => (s.diagnoses ?? []).map((d) => ({ scenarioId, pseudonym: s.pseudonym, code: d.code, codeSystem: d.codeSystem ?? null, year: d.year ?? null }))),
        (chunk) => tx.insert(martDiagnoses).values(chunk),
      );
      await insertChunked(
        subjects.flatMap((s) =>
          (s.labItems ?? []).map((l) => {
            const number = l.value !== null && l.value !== undefined && /^-?\d+(\.\d+)?$/.test(l.value.trim()) ? Number(l.value) : null;
            return { scenarioId, pseudonym: s.pseudonym, loinc: l.loinc ?? null, localCode: l.localCode ?? null, value: l.value ?? null, valueNumber: number, unit: l.unit ?? null, year: l.year ?? null };
          }),
        ),
        (chunk) => tx.insert(martLabItems).values(chunk),
      );
    });
    return subjects.length;
  }

  @Mutation(() => Int, { description: 'The gateway’s consent check: removes subjects whose consent no longer permits the scenario.' })
  @Directive('@inaccessible')
  @Directive(rootIs.internal)
  async forgetMartSubjects(
    @Ctx() context: SubgraphContext,
    @Arg('pseudonyms', () => [String]) pseudonyms: string[],
    @Arg('scenarioId', () => ID) scenarioId: string,
  ): Promise<number> {
    requireScenario(context, scenarioId, 'build');
    if (pseudonyms.length === 0) return 0;
    if (!pseudonyms.every((p) => PSEUDONYM.test(p))) throw new InvalidInputError('pseudonyms are hex HMAC-SHA-256.', { field: 'pseudonyms' });
    return context.db.transaction(async (tx) => {
      await tx.delete(martDiagnoses).where(and(eq(martDiagnoses.scenarioId, scenarioId), inArray(martDiagnoses.pseudonym, pseudonyms)));
      await tx.delete(martLabItems).where(and(eq(martLabItems.scenarioId, scenarioId), inArray(martLabItems.pseudonym, pseudonyms)));
      const removed = await tx.delete(martSubjects).where(and(eq(martSubjects.scenarioId, scenarioId), inArray(martSubjects.pseudonym, pseudonyms))).returning({ p: martSubjects.pseudonym });
      return removed.length;
    });
  }
}
