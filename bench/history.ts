/**
 * The third part of `npm run bench`, on PostgreSQL only: the clinician's cross-hospital history query
 * under load (autocannon in a separate process) at each region size, p50 and p99, with the ratio of
 * the largest size's p50 to the smallest's (goal ≤ 1.5: the history indexes make a page cost the same
 * however many residents the region has); the plan of the encounter page; and ingest records per
 * second through `npm run import`'s path (gateway, quality rules, references, encryption, audit) vs
 * PostgreSQL COPY of the same rows (goal ≥ 0.25).
 *
 * Each size is seeded once into a database of its own (`healthmesh_bench_history_<size>`, keys under
 * `.data/bench-history-<size>`) and reused by later runs (`region.ts`): seeding 100,000 residents takes long.
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { issueToken } from '../gateway/identity.js';
import type { ImportReport } from '../scripts/feed-import.js';
import { parseCommandLine, positiveInteger } from '../scripts/cli.js';
import type { RunningPlatform } from '../scripts/platform.js';
import { startBenchRegion } from './region.js';
import { prepareBenchmark } from './runtimes/fixture.js';
import { generateLoad } from './runtimes/load.js';
import { CLINICIAN_HISTORY_QUERY } from './resident-record.js';

parseCommandLine({
  usage: `usage: npm run bench   (or node dist/bench/history.js)

The history query's latency at each region size and the import's records per second vs COPY, on
PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL; without one this part is skipped).
  BENCH_HISTORY_RESIDENTS (2000,100000)  region sizes, each seeded once into its own database and reused
  BENCH_HISTORY_SECONDS (10), BENCH_HISTORY_CONNECTIONS (10), BENCH_INGEST_RECORDS (3000)`,
});

const SECONDS = positiveInteger('BENCH_HISTORY_SECONDS', process.env['BENCH_HISTORY_SECONDS'], 10);
const CONNECTIONS = positiveInteger('BENCH_HISTORY_CONNECTIONS', process.env['BENCH_HISTORY_CONNECTIONS'], 10);
const INGEST_RECORDS = positiveInteger('BENCH_INGEST_RECORDS', process.env['BENCH_INGEST_RECORDS'], 3000);
const SIZES = (process.env['BENCH_HISTORY_RESIDENTS'] ?? '2000,100000').split(',').map((size) => positiveInteger('BENCH_HISTORY_RESIDENTS', size.trim(), 2000));


const INGEST_INSTITUTION = 'inst-05';
const run = promisify(execFile);
/** COPY runs per table; the fastest counts. */
const COPY_RUNS = 3;

interface SizeResult {
  residents: number;
  p50: number;
  p99: number;
  rps: number;
  plan: string;
}

async function main(): Promise<void> {
  const adminUrl = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
  if (!adminUrl) {
    process.stdout.write('history and ingest benchmark skipped: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server\n');
    return;
  }
  const results: SizeResult[] = [];
  let ingest: IngestResult | undefined;
  for (const [i, residents] of SIZES.entries()) {
    const { platform, config, databaseUrl } = await startBenchRegion('history', residents, adminUrl);
    const url = databaseUrl!;
    try {
      const setup = await prepareBenchmark(platform, config);
      process.stderr.write(`${residents} residents: history query under load…\n`);
      const body = JSON.stringify({ query: CLINICIAN_HISTORY_QUERY, variables: { id: setup.residentId } });
      const load = await generateLoad({ url: platform.gateway.url, body, headers: setup.permitted.headers }, { connections: CONNECTIONS, durationSeconds: SECONDS, warmUpSeconds: 3 });
      results.push({ residents, p50: load.p50, p99: load.p99, rps: load.rps, plan: await encounterPagePlan(url, setup.residentId) });
      process.stderr.write(`${residents} residents: p50 ${load.p50} ms, p99 ${load.p99} ms\n`);
      if (i === 0) ingest = await ingestVsCopy(platform, url, residents);
    } finally {
      await platform.stop();
    }
  }
  const smallest = results[0]!;
  const largest = results.at(-1)!;
  const lines = [
    `# healthmesh history and ingest benchmark (PostgreSQL), ${new Date().toISOString()}`,
    '',
    `Node ${process.version}. The history query (${CLINICIAN_HISTORY_QUERY.split('\n').length - 2} lists, first page each, with a grant) as clinician-a for the demo resident; load from autocannon in a separate process, ${CONNECTIONS} connections, ${SECONDS} s after 3 s of warm-up.`,
    '',
    '| residents | p50 ms | p99 ms | req/s |',
    '|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.residents} | ${r.p50} | ${r.p99} | ${r.rps.toFixed(1)} |`),
    '',
    results.length > 1 ? `p50 ratio ${largest.residents} / ${smallest.residents} residents: ${(largest.p50 / smallest.p50).toFixed(2)} (goal ≤ 1.5)` : 'one size only: no ratio',
    '',
    `Plan of the encounter page at ${largest.residents} residents:`,
    '',
    '```',
    largest.plan,
    '```',
  ];
  if (ingest) {
    lines.push(
      '',
      `## Ingest (${ingest.records} feed records at ${smallest.residents} residents: encounters with a diagnosis, lab reports with one item, doses; ${ingest.rows} rows)`,
      '',
      '| path | records/s |',
      '|---|---:|',
      `| npm run import in a process of its own, after an equal warm-up import (whole file checked first, then written: gateway, quality rules, references, encryption, audit; batches of 1000, 3 in flight) | ${ingest.importPerSecond.toFixed(0)} |`,
      `| PostgreSQL COPY of the same rows (into copies of the tables with their indexes), first run | ${ingest.firstCopyPerSecond.toFixed(0)} |`,
      `| ratio to the first COPY | ${(ingest.importPerSecond / ingest.firstCopyPerSecond).toFixed(3)} (goal ≥ 0.25) |`,
      `| PostgreSQL COPY, best of ${COPY_RUNS} runs (the target emptied in between) | ${ingest.bestCopyPerSecond.toFixed(0)} |`,
      `| ratio to the best COPY | ${(ingest.importPerSecond / ingest.bestCopyPerSecond).toFixed(3)} |`,
    );
  }
  const report = `${lines.join('\n')}\n`;
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(join('bench/results', `history-${new Date().toISOString().slice(0, 10)}-postgres.md`), report);
  process.stdout.write(report);
}

/** EXPLAIN ANALYZE of the first encounter page of one resident, as the clinical subgraph asks for it. */
async function encounterPagePlan(url: string, residentId: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql.unsafe(
      `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT * FROM clinical.encounter WHERE resident_id = $1 AND level <= 4 ORDER BY started_at DESC, id DESC LIMIT 20`,
      [residentId],
    );
    return rows.map((row) => String(row['QUERY PLAN'])).join('\n');
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The tables an import writes, and how to find this run's rows in each from the ids the import returned. */
const WRITTEN_TABLES: ReadonlyArray<{ table: string; where: (ids: string) => string }> = [
  { table: 'clinical.encounter', where: (ids) => `id = any(${ids})` },
  { table: 'clinical.diagnosis', where: (ids) => `encounter_id = any(${ids})` },
  { table: 'results.lab_report', where: (ids) => `id = any(${ids})` },
  { table: 'results.lab_item', where: (ids) => `report_id = any(${ids})` },
  { table: 'immunization.immunization_record', where: (ids) => `id = any(${ids})` },
];

/** Imports feed records through the gateway, then COPYs the very rows it wrote into copies of the tables. */
interface IngestResult {
  records: number;
  importPerSecond: number;
  /** COPY's first run into each table (as earlier benchmarks measured it), and its best of COPY_RUNS. */
  firstCopyPerSecond: number;
  bestCopyPerSecond: number;
  rows: number;
}

async function ingestVsCopy(platform: RunningPlatform, url: string, residents: number): Promise<IngestResult> {
  const token = await issueToken(platform.issuerKey, { sub: `his-${INGEST_INSTITUTION}`, role: 'hospital_system', institutionId: INGEST_INSTITUTION });
  // A warm-up import of as many records first (not measured, its rows not copied), as the history load
  // has its warm-up: the first imports pay for query plans, optimised code and pooled connections.
  const warmUp = await importInChild(ingestRecords(INGEST_RECORDS, residents, 'warm-up'), platform.gateway.url, token);
  if (warmUp.report.stored === 0) throw new Error(`the ingest benchmark's warm-up import stored nothing: ${JSON.stringify(warmUp.report.rejected.slice(0, 3))}`);
  const { report, ids } = await importInChild(ingestRecords(INGEST_RECORDS, residents, 'measured'), platform.gateway.url, token);
  process.stderr.write(`imported ${report.stored} records at ${report.recordsPerSecond} records/s; COPY of the same rows…\n`);
  if (report.stored !== INGEST_RECORDS) throw new Error(`the ingest benchmark's import stored ${report.stored} of ${INGEST_RECORDS}: ${JSON.stringify(report.rejected.slice(0, 3))}`);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`drop schema if exists bench_copy cascade`;
    await sql`create schema bench_copy`;
    await sql`create table bench_copy.ids (id text primary key)`;
    await sql`insert into bench_copy.ids select unnest(${ids}::text[])`;
    let rows = 0;
    let firstMs = 0;
    let bestMs = 0;
    for (const [i, { table, where }] of WRITTEN_TABLES.entries()) {
      await sql.unsafe(`create table bench_copy.source_${i} as select * from ${table} where ${where('array(select id from bench_copy.ids)')}`);
      await sql.unsafe(`create table bench_copy.target_${i} (like ${table} including all)`);
      const chunks: Buffer[] = [];
      // A connection that ran a COPY TO hangs the next COPY in postgres.js: each table is read on a connection of its own.
      const reader = postgres(url, { max: 1, onnotice: () => {} });
      for await (const chunk of await reader.unsafe(`copy bench_copy.source_${i} to stdout`).readable()) chunks.push(chunk as Buffer);
      await reader.end({ timeout: 1 });
      const data = Buffer.concat(chunks);
      rows += data.toString('utf8').split('\n').filter((line) => line.length > 0).length;
      // The first COPY, and the best of COPY_RUNS (the target emptied in between, untimed), so the ratio is not flattered by a slow COPY.
      let best = Infinity;
      for (let run = 0; run < COPY_RUNS; run++) {
        if (run > 0) await sql.unsafe(`truncate bench_copy.target_${i}`);
        const started = performance.now();
        await pipeline(Readable.from([data]), await sql.unsafe(`copy bench_copy.target_${i} from stdin`).writable());
        const ms = performance.now() - started;
        if (run === 0) firstMs += ms;
        best = Math.min(best, ms);
      }
      bestMs += best;
    }
    await sql`drop schema bench_copy cascade`;
    return { records: INGEST_RECORDS, importPerSecond: report.recordsPerSecond, firstCopyPerSecond: (INGEST_RECORDS * 1000) / firstMs, bestCopyPerSecond: (INGEST_RECORDS * 1000) / bestMs, rows };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Runs the import in a process of its own (bench/ingest-client.ts), as a hospital system would: the
 * client's parsing, local checks and serialisation never share the platform's event loop.
 */
async function importInChild(ndjson: string, url: string, token: string): Promise<{ report: ImportReport; ids: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'healthmesh-ingest-'));
  try {
    const file = join(dir, 'feed.ndjson');
    writeFileSync(file, ndjson);
    const { stdout } = await run(process.execPath, [fileURLToPath(new URL('./ingest-client.js', import.meta.url)), file, url, INGEST_INSTITUTION], {
      env: { ...process.env, HEALTHMESH_TOKEN: token },
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(stdout) as { report: ImportReport; ids: string[] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A third each of encounters, lab reports and doses, for seeded residents, as NDJSON. */
function ingestRecords(count: number, residents: number, lot: string): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const residentId = `res-${String(1 + (i % Math.max(1, residents - 1))).padStart(6, '0')}`;
    const day = `2025-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    const kind = i % 3;
    if (kind === 0) {
      lines.push(JSON.stringify({
        kind: 'encounter', residentId, encounterClass: 'OUTPATIENT', department: '全科医疗科', startedAt: `${day}T01:30:00.000Z`, chiefComplaint: '头晕',
        diagnoses: [{ code: 'I10.x00', codeSystem: 'ICD-10-CN', codeSystemVersion: '2.0', display: '高血压', rank: 'PRIMARY' }],
      }));
    } else if (kind === 1) {
      lines.push(JSON.stringify({
        kind: 'labReport', residentId, panelCode: 'HBA1C', panelName: '糖化血红蛋白', specimen: '全血', collectedAt: `${day}T00:00:00.000Z`, reportedAt: `${day}T02:00:00.000Z`,
        items: [{ localCode: 'HBA1C', loinc: '4548-4', name: '糖化血红蛋白', value: '6.8', unit: '%', referenceRange: '4.0-6.0', abnormalFlag: 'H' }],
      }));
    } else {
      lines.push(JSON.stringify({
        kind: 'immunization', residentId, vaccineCode: '0101', vaccineName: '乙肝疫苗', doseNumber: 1 + (i % 3), lotNumber: `${lot}-${i}`, manufacturer: '深圳康泰',
        administeredOn: day, site: '左上臂三角肌', route: '肌内注射',
      }));
    }
  }
  return lines.join('\n');
}

await main();
