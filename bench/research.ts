/**
 * `npm run bench:research` (part of `npm run bench`): research scenarios at scale (issue 9).
 *  1. How long building a scenario's mart takes: the demo diabetes scenario, submitted afresh and
 *     approved through the gateway, which builds the mart before answering the approval.
 *  2. Its registered aggregate (mean HbA1c by age band and sex) through the gateway (check
 *     registered, quota, audit, suppression, repeat and differencing checks) against the same GROUP BY
 *     in raw SQL over the same mart tables: the ratio (goal ≤ 2).
 *
 * The region is seeded once into a database of its own and reused by later runs: a PostgreSQL
 * database `healthmesh_bench_research_<residents>` under BENCH_DATABASE_URL (an admin URL; created when
 * missing, never dropped), else embedded PGlite; keys and the PGlite data live in
 * .data/bench-research-<residents>. Each run files a scenario of its own, since the repeat and
 * differencing checks remember every earlier answer of a scenario.
 * Written to bench/results/research-<date>-<database>.md.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { issueToken } from '../gateway/index.js';
import { DEFAULT_MIN_CELL_SIZE } from '../schema/research.js';
import { positiveInteger, parseCommandLine } from '../scripts/cli.js';
import { demoActors } from '../seed/index.js';
import { DEMO_SCENARIO, DEMO_SCENARIO_DOCUMENTS } from '../seed/demo-scenario.js';
import { startBenchRegion } from './region.js';

parseCommandLine({
  usage: `usage: npm run bench:research   (or node dist/bench/research.js)

Builds a research mart and runs its aggregate through the gateway against the same GROUP BY in raw SQL,
over a region seeded once and reused, written to bench/results/research-<date>-<database>.md.
  BENCH_RESEARCH_RESIDENTS (100000), BENCH_RESEARCH_RUNS (5, at most 7: the repeat limit),
  BENCH_DATABASE_URL (PostgreSQL admin URL; else PGlite)`,
});

const RESIDENTS = positiveInteger('BENCH_RESEARCH_RESIDENTS', process.env['BENCH_RESEARCH_RESIDENTS'], 100_000);
const RUNS = Math.min(7, positiveInteger('BENCH_RESEARCH_RUNS', process.env['BENCH_RESEARCH_RUNS'], 5));
const AGGREGATE = DEMO_SCENARIO_DOCUMENTS.hba1cByAgeBandAndSex;
/** The same GROUP BY as the research subgraph's for this aggregate, over the same mart tables, without any of the checks. */
const RAW_AGGREGATE = `select s.age_band, s.sex, count(*)::int as n, avg(m.v) as mean
  from research.mart_subject s
  join (select pseudonym, avg(value_number) as v from research.mart_lab_item
        where scenario_id = $1 and (loinc = '4548-4' or local_code = '4548-4') and value_number is not null group by pseudonym) m
    on m.pseudonym = s.pseudonym
  where s.scenario_id = $1
  group by s.age_band, s.sex order by s.age_band, s.sex`;

/** POST without a client timeout: approving a scenario at 100,000 residents waits for its mart. */
function post(url: string, token: string, body: unknown): Promise<{ status: number; body: { data?: Record<string, unknown>; errors?: Array<{ message: string }> } }> {
  const payload = JSON.stringify(body);
  return new Promise((resolvePost, reject) => {
    const outgoing = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${token}` } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          resolvePost({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: Record<string, unknown> } });
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const adminUrl = process.env['BENCH_DATABASE_URL'];
  const { platform, config, databaseUrl, startSeconds } = await startBenchRegion('research', RESIDENTS, adminUrl);
  try {
    const actors = demoActors(config.seed);
    const tokenOf = async (name: string) => {
      const demo = actors.find((a) => a.actor === name);
      if (!demo) throw new Error(`no demo actor ${name}`);
      return issueToken(platform.issuerKey, { sub: demo.actor, role: demo.role, ...(demo.institutionId ? { institutionId: demo.institutionId } : {}) });
    };
    const researcher = await tokenOf('researcher');
    const steward = await tokenOf('steward-1');
    const url = platform.gateway.url;
    const stamp = new Date().toISOString();
    const submitted = await post(url, researcher, {
      query: 'mutation($input: ScenarioInput!) { submitScenario(input: $input) { id approvalsRequired } }',
      variables: { input: { ...DEMO_SCENARIO, title: `${DEMO_SCENARIO.title}（bench ${stamp}）`, documents: [AGGREGATE], validUntil: DEMO_SCENARIO.validUntil.toISOString() } },
    });
    const submittedScenario = submitted.body.data?.['submitScenario'] as { id: string; approvalsRequired: number } | undefined;
    if (!submittedScenario) throw new Error(`submitScenario failed: ${JSON.stringify(submitted.body.errors)}`);
    const scenarioId = submittedScenario.id;
    // The last required approval builds the mart before the answer: its time is the build's.
    let buildMs = 0;
    for (const name of ['steward-1', 'steward-2'].slice(0, submittedScenario.approvalsRequired)) {
      const started = performance.now();
      const approved = await post(url, name === 'steward-1' ? steward : await tokenOf(name), {
        query: 'mutation($id: ID!) { reviewScenario(id: $id, decision: APPROVE, comment: "bench") { status } }',
        variables: { id: scenarioId },
      });
      buildMs = performance.now() - started;
      if (approved.body.errors) throw new Error(`reviewScenario failed: ${JSON.stringify(approved.body.errors)}`);
    }
    const countOf = async (table: string) => (await platform.database.query<{ n: number }>(`select count(*)::int as n from research.${table} where scenario_id = $1`, [scenarioId]))[0]?.n ?? 0;
    const subjects = await countOf('mart_subject');
    if (subjects === 0) throw new Error('the approval built no mart (no consenting, matching resident?)');
    const items = await countOf('mart_lab_item');

    const gatewayMs: number[] = [];
    let cells = 0;
    let suppressed = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      const answer = await post(url, researcher, { query: AGGREGATE, variables: { scenarioId } });
      gatewayMs.push(performance.now() - started);
      const aggregate = answer.body.data?.['researchAggregate'] as { cells: Array<{ suppressed: boolean }> } | undefined;
      if (!aggregate) throw new Error(`researchAggregate failed: ${JSON.stringify(answer.body.errors)}`);
      cells = aggregate.cells.length;
      suppressed = aggregate.cells.filter((cell) => cell.suppressed).length;
    }
    const rawMs: number[] = [];
    let rawCells = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      rawCells = (await platform.database.query(RAW_AGGREGATE, [scenarioId])).length;
      rawMs.push(performance.now() - started);
    }
    if (rawCells !== cells) throw new Error(`the raw GROUP BY has ${rawCells} cells, the research answer ${cells}`);
    const database = databaseUrl ? 'PostgreSQL' : 'PGlite (embedded)';
    const report =
      `# Research scenarios at ${RESIDENTS} residents, ${stamp}\n\n` +
      `Database: ${database}; ${platform.seeded ? `seeded this run (start with seeding ${startSeconds.toFixed(1)} s)` : 'seeded by an earlier run and reused'}. Node ${process.version}.\n\n` +
      `| measure | value |\n|---|---:|\n` +
      `| mart build (approval through the gateway, which builds before answering) | ${(buildMs / 1000).toFixed(2)} s |\n` +
      `| mart subjects / lab items | ${subjects} / ${items} |\n` +
      `| research aggregate through the gateway (HbA1cByAgeBandAndSex: ${cells} cells, ${suppressed} suppressed at k = ${DEMO_SCENARIO.minCellSize ?? DEFAULT_MIN_CELL_SIZE}), median of ${RUNS} | ${median(gatewayMs).toFixed(1)} ms |\n` +
      `| the same GROUP BY in raw SQL over the same mart tables, median of ${RUNS} | ${median(rawMs).toFixed(1)} ms |\n` +
      `| ratio (goal ≤ 2) | ${(median(gatewayMs) / median(rawMs)).toFixed(2)} |\n`;
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(join('bench/results', `research-${stamp.slice(0, 10)}-${databaseUrl ? 'postgres' : 'pglite'}-${RESIDENTS}.md`), report);
    process.stdout.write(report);
  } finally {
    await platform.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
