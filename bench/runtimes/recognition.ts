/**
 * `npm run bench:recognition`: `recognizableResults` through the full gateway (decide, filter, sign,
 * row-filtered reads, candidates kept, grant use and audit on every request) under HTTP load from a
 * separate process (autocannon, as bench/runtimes does): p50 and p99 latency, requests per second.
 * Written to bench/results/recognition-<date>-<database>.md.
 *
 * BENCH_DATABASE_URL: a PostgreSQL admin URL (a database of its own is created and dropped); absent,
 * embedded PGlite. BENCH_CONNECTIONS (10), BENCH_DURATION_SECONDS (10), BENCH_WARMUP_SECONDS (3),
 * BENCH_RESIDENTS (300).
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine } from '../../scripts/cli.js';
import { postBenchmark, prepareBenchmark } from './fixture.js';
import { generateLoad, type LoadSettings } from './load.js';
import { startBenchPlatform } from './platform.js';

/** The tests about to be ordered: a chemistry panel, HbA1c, electrolytes, a blood count, an unlisted one and imaging. */
export const RECOGNITION_ITEM_CODES = ['LFT-ALT', 'LFT-AST', 'RFT-CREA', 'HBA1C', 'ELEC-K', 'CBC-HGB', 'URINE-WBC', 'MR-HEAD', 'US-HEART'];
export const RECOGNITION_QUERY =
  'query Recognizable($id: ID!, $codes: [String!]!) { recognizableResults(residentId: $id, itemCodes: $codes) { id itemCode recognizable reasons performedAt validUntil institution { id } } }';

parseCommandLine({
  usage: `usage: npm run bench:recognition   (or node dist/bench/runtimes/recognition.js)

recognizableResults through the gateway under load from autocannon in a separate process: p50, p99,
req/s, written to bench/results/recognition-<date>-<database>.md.
  BENCH_DATABASE_URL (PostgreSQL admin URL; else PGlite), BENCH_CONNECTIONS (10),
  BENCH_DURATION_SECONDS (10), BENCH_WARMUP_SECONDS (3), BENCH_RESIDENTS (300)`,
});

const settings: LoadSettings = {
  connections: Number(process.env['BENCH_CONNECTIONS'] ?? 10),
  durationSeconds: Number(process.env['BENCH_DURATION_SECONDS'] ?? 10),
  warmUpSeconds: Number(process.env['BENCH_WARMUP_SECONDS'] ?? 3),
};

async function main(): Promise<void> {
  const adminDatabaseUrl = process.env['BENCH_DATABASE_URL'];
  const residents = Number(process.env['BENCH_RESIDENTS'] ?? 300);
  const bench = await startBenchPlatform({ residents, ...(adminDatabaseUrl ? { adminDatabaseUrl } : {}), log: (line) => process.stderr.write(`${line}\n`) });
  let line: string;
  let candidates: number;
  try {
    const setup = await prepareBenchmark(bench.platform, bench.config);
    const body = JSON.stringify({ query: RECOGNITION_QUERY, variables: { id: setup.residentId, codes: RECOGNITION_ITEM_CODES } });
    const url = bench.platform.gateway.url;
    // Correctness first: a full answer, with candidates, or no number at all.
    const answer = await postBenchmark(url, body, setup.permitted.headers);
    const list = answer.data?.['recognizableResults'];
    if (answer.status !== 200 || answer.errors || !Array.isArray(list) || list.length === 0) throw new Error(`recognizableResults failed: ${JSON.stringify(answer.errors ?? answer.data)}`);
    candidates = list.length;
    const result = await generateLoad({ url, body, headers: setup.permitted.headers }, settings);
    line = `| recognizableResults, ${RECOGNITION_ITEM_CODES.length} item codes, ${candidates} candidates | ${result.requests} | ${result.rps.toFixed(1)} | ${result.p50} | ${result.p99} |`;
  } finally {
    await bench.stop();
  }
  const now = new Date();
  const report =
    `# recognizableResults under load, ${now.toISOString()}\n\n` +
    `clinician-a (inst-01) with TREAT and a grant asks for resident-multi's prior results of ${RECOGNITION_ITEM_CODES.join(', ')}: ` +
    `full enforcement, row-filtered reads in the results subgraph, every candidate kept, a grant use and an audit entry per request. ` +
    `Database: ${bench.database}, ${residents} residents. Node ${process.version}, ${cpus().length} cores shared with the subgraphs and the load generator.\n\n` +
    `Load: autocannon in a separate process, ${settings.connections} connections, ${settings.warmUpSeconds} s warm-up (discarded), then ${settings.durationSeconds} s measured; no non-2xx answer, no failed request.\n\n` +
    `| query | requests | req/s | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|\n${line}\n`;
  const file = join('bench/results', `recognition-${now.toISOString().slice(0, 10)}-${adminDatabaseUrl ? 'postgres' : 'pglite'}.md`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(file, report);
  process.stdout.write(`${report}\nWritten to ${file}\n`);
}

await main();
