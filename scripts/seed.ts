/**
 * Seeds the synthetic region into the configured database, with a progress bar.
 *
 *   node dist/scripts/seed.js [--residents N] [--seed S] [--batch N] [--append] [--as-of YYYY-MM-DD|today]
 *
 * Database: DATABASE_URL when set, else the embedded PGlite under $HEALTHMESH_DATA_DIR/pglite
 * (default ./.data/pglite); migrations are applied first. Defaults: HEALTHMESH_RESIDENTS or 2000
 * residents, HEALTHMESH_SEED or "healthmesh".
 *
 * An already seeded region is never reseeded: the command refuses and writes nothing. `--append` adds
 * N more residents after the existing ones (same seed required; checked). To start over, delete the
 * data directory (or drop the database) and run again.
 */
import './cli-errors.js';
import 'reflect-metadata';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { count } from 'drizzle-orm';
import { keyringFromConfig, protectorFor } from '../gateway/index.js';
import { DEFAULT_AS_OF, DEFAULT_SEED, isRegionSeeded, seedRegion, type SeedProgress } from '../seed/index.js';
import { residents } from '../subgraphs/population/tables.js';
import { migrateAll, openDatabase } from '../subgraphs/runtime/database.js';

const USAGE = `usage: node dist/scripts/seed.js [--residents N] [--seed S] [--batch N] [--append] [--as-of YYYY-MM-DD|today]

  --residents N   residents to write (default: $HEALTHMESH_RESIDENTS or 2000)
  --seed S        seed of the synthetic region (default: $HEALTHMESH_SEED or "${DEFAULT_SEED}")
  --batch N       residents per transaction (default 250)
  --append        add N residents after those already seeded (same seed), instead of refusing
  --as-of DATE    last day of the synthetic history (default ${DEFAULT_AS_OF}; "today" for the current date)

Database: DATABASE_URL, or the embedded PGlite in $HEALTHMESH_DATA_DIR/pglite (default ./.data/pglite).
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) fail(`${name} must be a positive integer, got "${raw}"\n\n${USAGE}`);
  return value;
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        residents: { type: 'string' },
        seed: { type: 'string' },
        batch: { type: 'string' },
        append: { type: 'boolean', default: false },
        'as-of': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${USAGE}`);
  }
})();
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const total = positiveInteger('--residents', values.residents ?? process.env['HEALTHMESH_RESIDENTS'], 2000);
const batchSize = positiveInteger('--batch', values.batch, 250);
const seed = values.seed ?? process.env['HEALTHMESH_SEED'] ?? DEFAULT_SEED;
const asOfArgument = values['as-of'];
const asOf = asOfArgument === 'today' ? new Date().toISOString().slice(0, 10) : (asOfArgument ?? DEFAULT_AS_OF);
if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || asOf < '2025-01-01') fail(`--as-of must be "today" or a date from 2025-01-01 on, got "${asOf}"`);

const databaseUrl = process.env['DATABASE_URL'];
const dataDirRoot = resolve(process.env['HEALTHMESH_DATA_DIR'] ?? '.data');
const dataDir = resolve(dataDirRoot, 'pglite');
const where = databaseUrl ? 'the database at DATABASE_URL' : dataDir;

const nf = new Intl.NumberFormat('en-US');
const interactive = process.stderr.isTTY === true;

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function progressLine(p: SeedProgress): string {
  const width = 28;
  const fraction = total === 0 ? 1 : p.residents / total;
  const filled = Math.round(fraction * width);
  const rate = p.elapsedMs > 0 ? p.rows / (p.elapsedMs / 1000) : 0;
  const eta = p.residents > 0 ? (p.elapsedMs / p.residents) * (total - p.residents) : 0;
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ` +
    `${nf.format(p.residents)}/${nf.format(total)} residents · ${nf.format(p.rows)} rows · ${nf.format(Math.round(rate))} rows/s · ETA ${duration(eta)}`
  );
}

let lastDecile = -1;
function onProgress(p: SeedProgress): void {
  if (interactive) {
    process.stderr.write(`\r${progressLine(p)}\x1b[K`);
    return;
  }
  // Not a terminal (CI, a log file): one line per 10%.
  const decile = Math.floor((p.residents / total) * 10);
  if (decile > lastDecile) {
    lastDecile = decile;
    process.stderr.write(`${progressLine(p)}\n`);
  }
}

const handle = await openDatabase(databaseUrl ? { url: databaseUrl } : { dataDir });
let exitCode = 0;
try {
  await migrateAll(handle);
  let startIndex = 0;
  if (await isRegionSeeded(handle.db)) {
    const [{ existing } = { existing: 0 }] = await handle.db.select({ existing: count() }).from(residents);
    if (!values.append) {
      process.stderr.write(
        `The region in ${where} is already seeded (${nf.format(existing)} residents); nothing was written.\n` +
          `Run with --append to add ${nf.format(total)} more, or delete ${databaseUrl ? 'the database' : dataDir} and run again to start over.\n`,
      );
      exitCode = 1;
    }
    startIndex = existing;
  }
  if (exitCode === 0) {
    process.stderr.write(
      `Seeding ${nf.format(total)} residents (seed "${seed}", history to ${asOf}${startIndex > 0 ? `, after the existing ${nf.format(startIndex)}` : ''}) into ${where}\n`,
    );
    // Identifying fields are encrypted with the platform keyring before they reach any table.
    const { protector, prepare } = protectorFor(keyringFromConfig(handle.db, { dataDir: dataDirRoot }));
    const summary = await seedRegion(handle.db, { seed, residents: total, startIndex, batchSize, asOf, onProgress, protector, prepare });
    if (interactive) process.stderr.write('\n');
    const rate = summary.rows / Math.max(summary.elapsedMs / 1000, 0.001);
    process.stdout.write(
      `Seeded ${nf.format(summary.residents)} residents, ${nf.format(summary.rows)} rows in ${(summary.elapsedMs / 1000).toFixed(1)} s (${nf.format(Math.round(rate))} rows/s).\n`,
    );
  }
} catch (error) {
  if (interactive) process.stderr.write('\n');
  // drizzle wraps driver errors with the whole statement; the cause says what went wrong.
  const cause = (error as { cause?: unknown }).cause;
  process.stderr.write(`Seeding failed: ${cause instanceof Error ? cause.message : (error as Error).message.slice(0, 500)}\n`);
  exitCode = 1;
} finally {
  await handle.close();
}
process.exit(exitCode);
