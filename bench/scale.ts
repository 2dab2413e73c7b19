/**
 * `npm run bench:scale` (part of `npm run bench`), on PostgreSQL only (issue 12, "region's scale"):
 * at each region size, the resident record, the resident's own access log and the clinician's history
 * through the gateway under autocannon load from a separate process, each request for a resident
 * sampled across the whole population (not one hot resident): p50, p99, req/s, and each query's p50 at
 * the largest size over its p50 at the smallest (goal ≤ 1.5). Also the seeding's time and the size of
 * each schema (pg_total_relation_size of its tables, indexes and TOAST included).
 *
 * Each size is seeded once into a database of its own (`healthmesh_bench_scale_<residents>`, keys in
 * `.data/bench-scale-<residents>`, `region.ts`) and reused. Written to bench/results/scale-<date>-postgres.md.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueToken, loadOrCreateSecret } from '../gateway/index.js';
import { DATA_CATEGORIES } from '../schema/classification.js';
import { exitWith, parseCommandLine, positiveInteger } from '../scripts/cli.js';
import type { RunningPlatform } from '../scripts/platform.js';
import { residentId } from '../seed/index.js';
import { startBenchRegion, type BenchRegion } from './region.js';
import { ACCESS_LOG_QUERY, CLINICIAN_HISTORY_QUERY } from './resident-record.js';
import { BENCHMARK_QUERY, demoActorClaims, grantedCaller, PERMITTED_CLINICIAN, postBenchmark } from './runtimes/fixture.js';
import { generateLoad, type LoadRequest, type LoadResult } from './runtimes/load.js';

const { values } = parseCommandLine({
  usage: `usage: npm run bench:scale [-- --residents 2000,100000]   (or node dist/bench/scale.js)

The resident record, the resident's access log and the clinician's history under load at each region
size, on PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL, an admin URL; without one this part is
skipped), each size seeded once into its own database and reused; written to
bench/results/scale-<date>-postgres.md.
  --residents LIST   region sizes (default $BENCH_SCALE_RESIDENTS or 2000,100000; 1,000,000 is possible:
                     BENCH_SCALE_RESIDENTS=2000,100000,1000000, seeding it takes about half an hour)
  BENCH_SCALE_SAMPLES (200)   residents sampled evenly across each region, each request the next one
  BENCH_SCALE_ROUNDS (3)      the sizes take turns, round after round; each figure is the median of its rounds
  BENCH_SCALE_SECONDS (5), BENCH_SCALE_WARMUP_SECONDS (2) per run, BENCH_SCALE_CONNECTIONS (10)`,
  options: { residents: { type: 'string' } },
});

const SECONDS = positiveInteger('BENCH_SCALE_SECONDS', process.env['BENCH_SCALE_SECONDS'], 5);
const ROUNDS = positiveInteger('BENCH_SCALE_ROUNDS', process.env['BENCH_SCALE_ROUNDS'], 3);
const CONNECTIONS = positiveInteger('BENCH_SCALE_CONNECTIONS', process.env['BENCH_SCALE_CONNECTIONS'], 10);
const WARMUP_SECONDS = positiveInteger('BENCH_SCALE_WARMUP_SECONDS', process.env['BENCH_SCALE_WARMUP_SECONDS'], 2);
const SAMPLES = positiveInteger('BENCH_SCALE_SAMPLES', process.env['BENCH_SCALE_SAMPLES'], 200);
const SIZES = (values.residents ?? process.env['BENCH_SCALE_RESIDENTS'] ?? '2000,100000')
  .split(',')
  .map((size) => positiveInteger('--residents', size.trim().replaceAll('_', ''), 2000));
if (SIZES.length === 0 || SIZES.some((size, i) => i > 0 && size <= SIZES[i - 1]!)) exitWith('--residents must list region sizes in increasing order, e.g. 2000,100000');

/** What is measured: the resident record and the history as clinician-a with a grant for that resident; the log as the resident. */
const QUERIES = ['resident record', 'clinician history', 'access log (as the resident)'] as const;
type QueryName = (typeof QUERIES)[number];

interface SizeResult {
  residents: number;
  seedSeconds: number | undefined;
  seededThisRun: boolean;
  schemaBytes: Array<{ schema: string; bytes: number }>;
  load: Record<QueryName, Measured>;
}

/** A query at one size: the median p50 and p99 of its rounds, their mean req/s. */
interface Measured {
  p50: number;
  p99: number;
  rps: number;
}

/** `count` residents spread evenly over the region (never the first few only): the i-th of each stride. */
function sampledResidents(residents: number, count: number): string[] {
  const n = Math.min(count, residents);
  return Array.from({ length: n }, (_, i) => residentId(Math.floor(((i + 0.5) * residents) / n)));
}

/** Each query's rotation: one request per sampled resident, with that resident's grant or token. */
async function rotations(platform: RunningPlatform, seed: string, dataDir: string, sample: readonly string[]): Promise<Record<QueryName, LoadRequest[]>> {
  const grantSecret = loadOrCreateSecret(dataDir, 'grant-token');
  const clinician = demoActorClaims(seed, PERMITTED_CLINICIAN);
  const record: LoadRequest[] = [];
  const history: LoadRequest[] = [];
  const log: LoadRequest[] = [];
  for (const id of sample) {
    const { headers } = await grantedCaller(platform, grantSecret, clinician, id, DATA_CATEGORIES);
    record.push({ body: JSON.stringify({ query: BENCHMARK_QUERY, variables: { id } }), headers });
    history.push({ body: JSON.stringify({ query: CLINICIAN_HISTORY_QUERY, variables: { id } }), headers });
    const token = await issueToken(platform.issuerKey, { sub: `bench-${id}`, role: 'resident', residentId: id });
    log.push({ body: JSON.stringify({ query: ACCESS_LOG_QUERY }), headers: { authorization: `Bearer ${token}` } });
  }
  return { 'resident record': record, 'access log (as the resident)': log, 'clinician history': history };
}

/** Every request of the rotation answers 200 with data and no error (a denial would be measured as a fast answer otherwise). */
async function checkAnswers(url: string, name: QueryName, rotation: readonly LoadRequest[]): Promise<void> {
  let withRows = 0;
  for (const { body, headers } of rotation) {
    const answer = await postBenchmark(url, body, headers);
    if (answer.status !== 200 || answer.errors || !answer.data) throw new Error(`${name}: ${answer.status} ${JSON.stringify(answer.errors?.slice(0, 2))}`);
    if ('resident' in answer.data && answer.data['resident'] === null) throw new Error(`${name}: a sampled resident was not answered`);
    const edges = (answer.data['myAccessLog'] as { edges?: unknown[] } | undefined)?.edges;
    if (edges === undefined || edges.length > 0) withRows += 1;
  }
  // The log is read after the record and history runs read these residents, so each has entries.
  if (withRows < rotation.length) throw new Error(`${name}: ${rotation.length - withRows} of ${rotation.length} sampled residents answered no rows`);
}

/** Each schema's tables with their indexes and TOAST, in bytes, largest first. */
async function schemaSizes(platform: RunningPlatform): Promise<Array<{ schema: string; bytes: number }>> {
  const rows = await platform.database.query<{ schema: string; bytes: string }>(
    `select n.nspname as schema, sum(pg_total_relation_size(c.oid))::bigint as bytes
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'm') and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
      group by n.nspname order by 2 desc`,
  );
  return rows.map((row) => ({ schema: row.schema, bytes: Number(row.bytes) }));
}

/** A region under measurement: its platform, what each query sends, and the runs so far. */
interface RegionUnderLoad {
  residents: number;
  region: BenchRegion;
  byQuery: Record<QueryName, LoadRequest[]>;
  runs: Record<QueryName, LoadResult[]>;
}

async function prepareRegion(adminUrl: string, residents: number): Promise<RegionUnderLoad> {
  const region = await startBenchRegion('scale', residents, adminUrl);
  const byQuery = await rotations(region.platform, region.config.seed, region.config.dataDir, sampledResidents(residents, SAMPLES));
  return { residents, region, byQuery, runs: { 'resident record': [], 'clinician history': [], 'access log (as the resident)': [] } };
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Every region runs at once and the sizes take turns, round after round (the order reversed each
 * round), so a machine getting busier or quieter during the run weighs on every size alike; each
 * figure is the median of its rounds.
 */
async function measure(regions: readonly RegionUnderLoad[]): Promise<SizeResult[]> {
  for (const name of QUERIES) {
    for (const { region, byQuery } of regions) await checkAnswers(region.platform.gateway.url, name, byQuery[name]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const current of round % 2 === 0 ? regions : [...regions].reverse()) {
        const rotation = current.byQuery[name];
        const result = await generateLoad(
          { url: current.region.platform.gateway.url, ...rotation[0]!, rotation },
          { connections: CONNECTIONS, durationSeconds: SECONDS, warmUpSeconds: WARMUP_SECONDS },
        );
        current.runs[name].push(result);
        process.stderr.write(`${current.residents} residents, ${name}, round ${round + 1}: p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.rps.toFixed(1)} req/s\n`);
      }
    }
  }
  const results: SizeResult[] = [];
  for (const { residents, region, runs } of regions) {
    const load = Object.fromEntries(
      QUERIES.map((name) => [name, { p50: median(runs[name].map((r) => r.p50)), p99: median(runs[name].map((r) => r.p99)), rps: runs[name].reduce((sum, r) => sum + r.rps, 0) / runs[name].length }]),
    ) as Record<QueryName, Measured>;
    results.push({ residents, seedSeconds: region.seedSeconds, seededThisRun: region.platform.seeded, schemaBytes: await schemaSizes(region.platform), load });
  }
  return results;
}

const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0);

function report(results: readonly SizeResult[]): string {
  const smallest = results[0]!;
  const schemas = [...new Set(results.flatMap((r) => r.schemaBytes.map((s) => s.schema)))];
  const bytesOf = (result: SizeResult, schema: string) => result.schemaBytes.find((s) => s.schema === schema)?.bytes ?? 0;
  return [
    `# healthmesh at region scale (PostgreSQL), ${new Date().toISOString()}`,
    '',
    `Node ${process.version}. Through the gateway (full enforcement and audit), load from autocannon in a separate process, ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up (discarded), then ${SECONDS} s measured, in ${ROUNDS} rounds: every region runs at once and the sizes take turns (the order reversed each round), each figure the median of its rounds (req/s their mean); no non-2xx answer, no failed request, every request checked once beforehand to answer data without an error. Each request is for the next of ${SAMPLES} residents sampled evenly across the region (one in every population/${SAMPLES}, by index): the resident record and the history as ${PERMITTED_CLINICIAN} (TREAT, a grant for that resident), the access log (first page of 20, read after the other two wrote entries) as the resident.`,
    '',
    `| query | residents | p50 ms | p99 ms | req/s | p50 ÷ p50 at ${smallest.residents} (goal ≤ 1.5) |`,
    '|---|---:|---:|---:|---:|---:|',
    ...QUERIES.flatMap((name) =>
      results.map((r) => `| ${name} | ${r.residents.toLocaleString('en-US')} | ${r.load[name].p50} | ${r.load[name].p99} | ${r.load[name].rps.toFixed(1)} | ${(r.load[name].p50 / smallest.load[name].p50).toFixed(2)} |`),
    ),
    '',
    '## The regions',
    '',
    `Seeding: the platform's first start on an empty database (migrations, then the seed's batch writer: one transaction of \`INSERT … SELECT FROM unnest(…)\` per 250 residents, identifiers encrypted). Sizes: pg_total_relation_size of every table of the schema (indexes and TOAST included), MB, after this run's requests.`,
    '',
    `| residents | seeding s | ${schemas.join(' | ')} | total |`,
    `|---:|---:|${schemas.map(() => '---:|').join('')}---:|`,
    ...results.map((r) => {
      const seeding = r.seedSeconds === undefined ? 'n/a' : `${r.seedSeconds.toFixed(0)}${r.seededThisRun ? '' : ' (earlier run)'}`;
      return `| ${r.residents.toLocaleString('en-US')} | ${seeding} | ${schemas.map((s) => megabytes(bytesOf(r, s))).join(' | ')} | ${megabytes(r.schemaBytes.reduce((sum, s) => sum + s.bytes, 0))} |`;
    }),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const adminUrl = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
  if (!adminUrl) {
    process.stdout.write('scale benchmark skipped: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server\n');
    return;
  }
  const regions: RegionUnderLoad[] = [];
  try {
    // Seeded (or reused) one after the other, then all kept running while the sizes take turns.
    for (const residents of SIZES) regions.push(await prepareRegion(adminUrl, residents));
    const text = report(await measure(regions));
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(join('bench/results', `scale-${new Date().toISOString().slice(0, 10)}-postgres.md`), text);
    process.stdout.write(text);
  } finally {
    for (const { region } of regions) await region.platform.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
