/**
 * The benchmarks' seeded regions: a region of N residents is seeded once (the platform's own first
 * start, through the seed's batch writer) into a database of its own and reused by later runs, since
 * seeding 100,000 residents takes minutes. On PostgreSQL it is `healthmesh_bench_<kind>_<residents>`
 * under the admin URL (created when missing, never dropped), else embedded PGlite; its keys (and the
 * PGlite data) live in `.data/bench-<kind>-<residents>`, with the seeding's duration.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { anyFreeSubgraphPorts, loadConfig, type PlatformConfig } from '../scripts/config.js';
import { startPlatform, type RunningPlatform } from '../scripts/platform.js';

export interface BenchRegion {
  platform: RunningPlatform;
  config: PlatformConfig;
  /** The region's PostgreSQL database; absent on PGlite. */
  databaseUrl?: string;
  /** Seconds the platform took to start this run (seeding included when it seeded). */
  startSeconds: number;
  /** Seconds the first start took to migrate and seed the region (this run's, or the one recorded when it was seeded). */
  seedSeconds?: number;
}

/** Starts the platform on the region of `residents` for benchmark `kind`, seeding it on first use. */
export async function startBenchRegion(kind: string, residents: number, adminUrl: string | undefined): Promise<BenchRegion> {
  const databaseUrl = adminUrl ? await regionDatabase(adminUrl, `healthmesh_bench_${kind}_${residents}`) : undefined;
  const config = loadConfig({
    HEALTHMESH_DATA_DIR: resolve('.data', `bench-${kind}-${residents}`),
    PORT: '0',
    HEALTHMESH_RESIDENTS: String(residents),
    // The request log would interleave with the report: off unless asked for.
    HEALTHMESH_LOG_LEVEL: process.env['HEALTHMESH_LOG_LEVEL'] ?? 'silent',
    ...anyFreeSubgraphPorts(),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const started = performance.now();
  const platform = await startPlatform(config, { log: (line) => process.stderr.write(`${line}\n`) });
  const startSeconds = (performance.now() - started) / 1000;
  const record = join(config.dataDir, 'seeded.json');
  if (platform.seeded) writeFileSync(record, JSON.stringify({ residents, seedSeconds: startSeconds, at: new Date().toISOString() }));
  const seedSeconds = platform.seeded ? startSeconds : existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as { seedSeconds: number }).seedSeconds : undefined;
  return { platform, config, startSeconds, ...(databaseUrl ? { databaseUrl } : {}), ...(seedSeconds === undefined ? {} : { seedSeconds }) };
}

/** The database `name` under the admin URL: created on first use, kept for the next run. */
async function regionDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [found] = await admin`select 1 as found from pg_database where datname = ${name}`;
    if (!found) await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
