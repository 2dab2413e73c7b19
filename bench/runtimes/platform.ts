/**
 * The platform the runtimes benchmark runs against: seeded once, on embedded PGlite in a temporary
 * directory or on a PostgreSQL database of its own (random name, dropped afterwards), as the tests do.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { anyFreeSubgraphPorts, loadConfig, type PlatformConfig } from '../../scripts/config.js';
import { startPlatform, type RunningPlatform } from '../../scripts/platform.js';

export interface BenchPlatform {
  platform: RunningPlatform;
  config: PlatformConfig;
  /** 'PGlite (embedded)' or 'PostgreSQL'. */
  database: string;
  stop(): Promise<void>;
}


export async function startBenchPlatform(options: { residents: number; adminDatabaseUrl?: string; log?: (line: string) => void }): Promise<BenchPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'healthmesh-bench-runtimes-'));
  const temporary = options.adminDatabaseUrl ? await createTemporaryDatabase(options.adminDatabaseUrl) : undefined;
  const config = loadConfig({
    HEALTHMESH_DATA_DIR: dataDir,
    PORT: '0',
    HEALTHMESH_RESIDENTS: String(options.residents),
    // The request log would interleave with the report: off unless asked for.
    HEALTHMESH_LOG_LEVEL: process.env['HEALTHMESH_LOG_LEVEL'] ?? 'silent',
    ...anyFreeSubgraphPorts(),
    ...(temporary ? { DATABASE_URL: temporary.url } : {}),
  });
  let platform: RunningPlatform;
  try {
    platform = await startPlatform(config, options.log ? { log: options.log } : {});
  } catch (error) {
    await temporary?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    platform,
    config,
    database: temporary ? 'PostgreSQL' : 'PGlite (embedded)',
    stop: async () => {
      await platform.stop();
      await temporary?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function createTemporaryDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `healthmesh_bench_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}
