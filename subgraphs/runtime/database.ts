/**
 * Database factory: the same drizzle pg-core tables on an embedded PGlite (a directory, or memory)
 * or a real PostgreSQL through postgres.js. Each module lives in its own Postgres schema and keeps its
 * own migration history (`drizzle.<module>_migrations`).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { lock } from 'proper-lockfile';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { getTableColumns, type InferSelectModel } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTable } from 'drizzle-orm/pg-core';
import postgres from 'postgres';

/** A drizzle database over either driver: every module's queries are written against this. */
export type Database = PgDatabase<PgQueryResultHKT, Record<string, never>>;

/** The rows of `db.execute(sql…)`: postgres.js returns them, PGlite a result holding them. */
export function executedRows<Row>(result: unknown): Row[] {
  return (Array.isArray(result) ? result : (result as { rows: Row[] }).rows) as Row[];
}

/**
 * Maps rows of a table as raw SQL returns them (`db.execute`, or `row_to_json` / `json_agg` objects):
 * each column read from its SQL name and mapped as drizzle maps the driver's value (timestamps to
 * Date, and so on). The columns are looked up once, so a page of thousands of rows costs little more
 * than reading them (drizzle's own per-row mapping of a `select()` cost more than hashing them).
 */
export function tableRowMapper<Table extends PgTable>(table: Table): (raw: Record<string, unknown>) => InferSelectModel<Table> {
  const columns = Object.entries(getTableColumns(table)).map(([property, column]) => ({ property, name: column.name, map: (value: unknown) => column.mapFromDriverValue(value) }));
  return (raw) => {
    const row: Record<string, unknown> = {};
    for (const { property, name, map } of columns) {
      const value = raw[name];
      row[property] = value === null || value === undefined ? null : map(value);
    }
    return row as InferSelectModel<Table>;
  };
}

export interface DatabaseHandle {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Database;
  /** Runs raw SQL (used by tests and tools that read tables directly). */
  query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres:// URL; when absent an embedded PGlite is used. */
  url?: string;
  /** PGlite data directory; absent (and no url) means in-memory. */
  dataDir?: string;
  /** Connection pool size for PostgreSQL. */
  maxConnections?: number;
  /** Called with every statement drizzle sends, before it runs (tests that EXPLAIN what the code runs). */
  onQuery?: (query: string, params: unknown[]) => void;
}

/** Modules with migrations, in the order they are applied. */
export const MODULES = ['population', 'resources', 'clinical', 'results', 'archive', 'immunization', 'research', 'consent', 'keyring', 'security'] as const;
export type ModuleName = (typeof MODULES)[number];

const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** `dist/` mirrors the source tree one level down; migrations stay at the repository root. */
const migrationsRoot = repositoryRoot.endsWith('dist') ? join(repositoryRoot, '..', 'migrations') : join(repositoryRoot, 'migrations');

export async function openDatabase(options: DatabaseOptions = {}): Promise<DatabaseHandle> {
  if (options.url) {
    const sql = postgres(options.url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      // Timestamps come back as ISO strings through drizzle's own mapping.
    });
    const db = drizzlePostgres(sql, loggerOf(options)) as unknown as Database;
    let closed = false;
    return {
      kind: 'postgres',
      db,
      query: async <Row extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
        (await sql.unsafe(text, params as never[])) as unknown as Row[],
      close: async () => {
        if (closed) return;
        closed = true;
        await sql.end({ timeout: 5 });
      },
    };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // One process per embedded data directory: a second one (audit:verify, keys, another npm start)
  // stops at once instead of reading or writing files PGlite holds open in the first.
  const release = options.dataDir ? await lockDataDirectory(options.dataDir) : undefined;
  let client: PGlite;
  try {
    client = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
    await client.waitReady;
  } catch (error) {
    await release?.();
    throw error;
  }
  const db = drizzlePglite(client, loggerOf(options)) as unknown as Database;
  let closed = false;
  return {
    kind: 'pglite',
    db,
    query: async <Row extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
      (await client.query<Row>(text, params)).rows,
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
      await release?.();
    },
  };
}

function loggerOf(options: DatabaseOptions) {
  const { onQuery } = options;
  return onQuery ? { logger: { logQuery: onQuery } } : {};
}

/** The embedded data directory is held by another process. */
export class DataDirectoryInUseError extends Error {
  constructor(readonly dataDir: string) {
    super(`The embedded database in ${dataDir} is in use by another healthmesh process (is npm start running?). Stop it first, or use its gateway.`);
    this.name = 'DataDirectoryInUseError';
  }
}

async function lockDataDirectory(dataDir: string): Promise<() => Promise<void>> {
  try {
    // A lock not refreshed for 10 s is stale (its process died without releasing it).
    return await lock(dataDir, { lockfilePath: join(dataDir, 'healthmesh.lock'), stale: 10_000, update: 2_000, realpath: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw new DataDirectoryInUseError(dataDir);
    throw error;
  }
}

/** Applies one module's migrations (idempotent); from another copy of `migrations/` when given (a test of an upgrade). */
export async function migrateModule(handle: DatabaseHandle, module: ModuleName, root = migrationsRoot): Promise<void> {
  const config = { migrationsFolder: join(root, module), migrationsTable: `${module}_migrations` };
  if (handle.kind === 'pglite') await migratePglite(handle.db as never, config);
  else await migratePostgres(handle.db as never, config);
}

/** Applies every module's migrations that exist in this checkout. */
export async function migrateAll(handle: DatabaseHandle, modules: readonly ModuleName[] = MODULES): Promise<void> {
  for (const module of modules) {
    if (existsSync(join(migrationsRoot, module, 'meta', '_journal.json'))) await migrateModule(handle, module);
  }
}
