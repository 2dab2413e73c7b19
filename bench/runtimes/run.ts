/**
 * `npm run bench:runtimes`: the federation runtimes side by side on the platform's own subgraphs
 * (issue 8, point 5). The subgraphs start once over one seeded database; the gateways then run one
 * at a time on their own ports over the same subgraphs and supergraph:
 *   healthmesh (full enforcement and audit), the same with half the query denied, plain
 *   @apollo/gateway, Hive Gateway's runtime (JS planner) and Hive Gateway with the Rust planner.
 * Each answer is checked against healthmesh's before any load; the load comes from autocannon in a
 * child process. The table goes to bench/results/runtimes-<date>.md and standard output.
 *
 * BENCH_DATABASE_URL: a PostgreSQL admin URL (a database of its own is created and dropped);
 * absent, embedded PGlite. BENCH_CONNECTIONS (10), BENCH_DURATION_SECONDS (10),
 * BENCH_WARMUP_SECONDS (3), BENCH_RESIDENTS (300). BENCH_HEALTHMESH_ONLY=1 measures healthmesh alone
 * (for profiling; the ratios need the full run). BENCH_CPU_PROFILE=<directory> writes a CPU profile of
 * this process (gateway and subgraphs) during each measured load but the half-denied one.
 */
import 'reflect-metadata';
import { isDeepStrictEqual } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Kind, parse } from 'graphql';
import { loadSupergraphSdl } from '../../schema/supergraph.js';
import { BENCHMARK_QUERY, postBenchmark, prepareBenchmark, releasedPart, type BenchmarkSetup } from './fixture.js';
import { startUnenforcedGateway, type UnenforcedRuntime } from './gateways.js';
import { generateLoad, type LoadResult, type LoadSettings } from './load.js';
import { startBenchPlatform, type BenchPlatform } from './platform.js';

interface Row {
  scenario: string;
  result: LoadResult;
}

const settings: LoadSettings = {
  connections: Number(process.env['BENCH_CONNECTIONS'] ?? 10),
  durationSeconds: Number(process.env['BENCH_DURATION_SECONDS'] ?? 10),
  warmUpSeconds: Number(process.env['BENCH_WARMUP_SECONDS'] ?? 3),
};

const UNENFORCED: ReadonlyArray<{ runtime: UnenforcedRuntime; scenario: string }> = [
  { runtime: 'apollo-gateway', scenario: '@apollo/gateway 2.14 under @apollo/server, no enforcement' },
  { runtime: 'hive-js-planner', scenario: 'Hive Gateway runtime 2.12, JS planner, no enforcement' },
  { runtime: 'hive-rust-planner', scenario: 'Hive Gateway runtime 2.12 + router-runtime 1.4 (Rust planner), no enforcement' },
];

function table(rows: readonly Row[]): string {
  const baseline = rows[0]!.result.rps;
  const baselineCpu = rows[0]!.result.processCpuMsPerRequest;
  const lines = [
    '| gateway | requests | req/s | p50 ms | p99 ms | req/s ÷ healthmesh | process CPU ms/request | CPU ÷ healthmesh |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { scenario, result } of rows) {
    const cpu = result.processCpuMsPerRequest;
    lines.push(`| ${scenario} | ${result.requests} | ${result.rps.toFixed(1)} | ${result.p50} | ${result.p99} | ${(result.rps / baseline).toFixed(2)} | ${cpu.toFixed(2)} | ${(cpu / baselineCpu).toFixed(2)} |`);
  }
  return lines.join('\n');
}

/** The fields selected on the resident: what "half denied" is counted against. */
function residentFieldCount(): number {
  const operation = parse(BENCHMARK_QUERY).definitions[0];
  const resident = operation?.kind === Kind.OPERATION_DEFINITION ? operation.selectionSet.selections[0] : undefined;
  return resident?.kind === Kind.FIELD ? (resident.selectionSet?.selections.length ?? 0) : 0;
}

async function measureRuntimes(bench: BenchPlatform, setup: BenchmarkSetup): Promise<Row[]> {
  const healthmeshUrl = bench.platform.gateway.url;
  const reference = await postBenchmark(healthmeshUrl, setup.body, setup.permitted.headers);
  if (reference.status !== 200 || reference.errors) throw new Error(`healthmesh refused the benchmark query: ${JSON.stringify(reference.errors)}`);
  const halfDenied = await postBenchmark(healthmeshUrl, setup.body, setup.halfDenied.headers);
  if (!halfDenied.errors?.length) throw new Error('the half-denied caller was denied nothing');

  const rows: Row[] = [
    {
      scenario: 'healthmesh (full enforcement + audit), fully permitted',
      result: await profiled('healthmesh', () => generateLoad({ url: healthmeshUrl, body: setup.body, headers: setup.permitted.headers }, settings)),
    },
    {
      scenario: `healthmesh (full enforcement + audit), half denied: ${halfDenied.errors.length} of ${residentFieldCount()} resident fields (results, archive, immunization)`,
      result: await generateLoad({ url: healthmeshUrl, body: setup.body, headers: setup.halfDenied.headers }, settings),
    },
  ];
  const unenforced = process.env['BENCH_HEALTHMESH_ONLY'] === '1' ? [] : UNENFORCED;
  for (const { runtime, scenario } of unenforced) {
    const gateway = await startUnenforcedGateway(runtime, { subgraphs: setup.subgraphs, supergraphSdl: loadSupergraphSdl(), fetchSettings: setup.fetchSettings, claims: setup.widestClaims });
    try {
      // Correctness first: the same data as healthmesh released, or no number at all.
      const answer = await postBenchmark(gateway.url, setup.body);
      if (answer.status !== 200 || answer.errors) throw new Error(`${runtime} failed the benchmark query: ${JSON.stringify(answer.errors)}`);
      if (!isDeepStrictEqual(await releasedPart(bench.platform, setup.residentId, answer.data, reference.data), reference.data)) {
        throw new Error(`${runtime} answered the benchmark query with other data than healthmesh`);
      }
      rows.push({ scenario, result: await profiled(runtime, () => generateLoad({ url: gateway.url, body: setup.body, headers: {} }, settings)) });
    } finally {
      await gateway.stop();
    }
  }
  return rows;
}

/** Runs `work` under the V8 profiler when BENCH_CPU_PROFILE names a directory: <dir>/<name>.cpuprofile. */
async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  const directory = process.env['BENCH_CPU_PROFILE'];
  if (!directory) return work();
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `${name}.cpuprofile`);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

async function main(): Promise<void> {
  const adminDatabaseUrl = process.env['BENCH_DATABASE_URL'];
  const residents = Number(process.env['BENCH_RESIDENTS'] ?? 300);
  const bench = await startBenchPlatform({ residents, ...(adminDatabaseUrl ? { adminDatabaseUrl } : {}), log: (line) => process.stderr.write(`${line}\n`) });
  let rows: Row[];
  try {
    rows = await measureRuntimes(bench, await prepareBenchmark(bench.platform, bench.config));
  } finally {
    await bench.stop();
  }
  const now = new Date();
  const report =
    `# Federation runtimes side by side, ${now.toISOString()}\n\n` +
    `One resident's record across six subgraphs (population, clinical, results, archive, immunization, resources): ` +
    `the same document and variables for every gateway, as clinician-a with TREAT and a grant for every category. ` +
    `Database: ${bench.database}, ${residents} residents. Node ${process.version}, ${cpus().length} cores shared with the subgraphs and the load generator.\n\n` +
    `Load: autocannon 9 in a separate process, ${settings.connections} connections, ${settings.warmUpSeconds} s warm-up (discarded), then ${settings.durationSeconds} s measured; ` +
    `every run had no non-2xx answer and no failed request. Each gateway's answer was checked against healthmesh's first. ` +
    `Process CPU is this process's CPU time (gateway and subgraphs; not the database's) per measured request: steadier than req/s when others share the machine. ` +
    `The unenforced gateways sign every fetch with one fixed widest context (the platform's per-fetch signer); healthmesh decides, filters, ` +
    `decrypts, consumes a grant use and appends to the audit chain on every request.\n\n${table(rows)}\n`;
  const file = join('bench/results', `runtimes-${now.toISOString().slice(0, 10)}-${adminDatabaseUrl ? 'postgres' : 'pglite'}.md`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(file, report);
  process.stdout.write(`${report}\nWritten to ${file}\n`);
}

await main();
