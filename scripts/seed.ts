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
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { count } from 'drizzle-orm';
import { keyringFromConfig, protectorFor } from '../gateway/index.js';
import { DEFAULT_AS_OF, DEFAULT_SEED, isRegionSeeded, seedRegion, type SeedProgress } from '../seed/index.js';
import { residents } from '../subgraphs/population/tables.js';
import { migrateAll, openDatabase } from '../subgraphs/runtime/database.js';
import { configOrExit, exitWith, parseCommandLine, positiveInteger } from './cli.js';

const USAGE = `usage: node dist/scripts/seed.js [--residents N] [--seed S] [--batch N] [--append] [--as-of YYYY-MM-DD|today]

  --residents N   residents to write (default: $HEALTHMESH_RESIDENTS or 2000)
  --seed S        seed of the synthetic region (default: $HEALTHMESH_SEED or "${DEFAULT_SEED}")
  --batch N       residents per transaction (default 250)
  --append        add N residents after those already seeded (same seed), instead of refusing
  --as-of DATE    last day of the synthetic history (default ${DEFAULT_AS_OF}; "today" for the current date)

Database: DATABASE_URL, or the embedded PGlite in $HEALTHMESH_DATA_DIR/pglite (default ./.data/pglite).
`;

const { values } = parseCommandLine({
  usage: USAGE,
  options: {
    residents: { type: 'string' },
    seed: { type: 'string' },
    batch: { type: 'string' },
    append: { type: 'boolean', default: false },
    'as-of': { type: 'string' },
  },
});
const config = configOrExit();
const total = positiveInteger('--residents', values.residents, config.residents);
const batchSize = positiveInteger('--batch', values.batch, 250);
const seed = values.seed ?? config.seed ?? DEFAULT_SEED;
const asOfArgument = values['as-of'];
const asOf = asOfArgument === 'today' ? new Date().toISOString().slice(0, 10) : (asOfArgument ?? DEFAULT_AS_OF);
if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || asOf < '2025-01-01') exitWith(`--as-of must be "today" or a date from 2025-01-01 on, got "${asOf}"`);

const databaseUrl = config.databaseUrl;
const dataDir = join(config.dataDir, 'pglite');
const where = databaseUrl ? 'the database at DATABASE_URL' : dataDir;

const nf = new Intl.NumberFormat('en-US');
const interactive = process.stderr.isTTY === true;

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function progressPayload(p: SeedProgress): { rows: string; rate: string } {
  const rate = p.elapsedMs > 0 ? p.rows / (p.elapsedMs / 1000) : 0;
  return { rows: nf.format(p.rows), rate: nf.format(Math.round(rate)) };
}

// A terminal gets a live bar; anything else (CI, a log file) one plain line per 10%.
const bar = interactive
  ? new SingleBar({
      format: '[{bar}] {percentage}% {value}/{total} residents · {rows} rows · {rate} rows/s · ETA {eta_formatted}',
      barCompleteChar: '#',
      barIncompleteChar: '.',
      barsize: 28,
      stream: process.stderr,
      hideCursor: false,
    })
  : undefined;

let lastDecile = -1;
function onProgress(p: SeedProgress): void {
  if (bar) {
    bar.update(p.residents, progressPayload(p));
    return;
  }
  const decile = Math.floor((p.residents / total) * 10);
  if (decile > lastDecile) {
    lastDecile = decile;
    const { rows, rate } = progressPayload(p);
    const eta = p.residents > 0 ? (p.elapsedMs / p.residents) * (total - p.residents) : 0;
    process.stderr.write(
      `${String(Math.floor((p.residents / total) * 100)).padStart(3)}% ${nf.format(p.residents)}/${nf.format(total)} residents · ${rows} rows · ${rate} rows/s · ETA ${duration(eta)}\n`,
    );
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
    const { protector, prepare } = protectorFor(keyringFromConfig(handle.db, config));
    bar?.start(total, 0, { rows: '0', rate: '0' });
    const summary = await seedRegion(handle.db, { seed, residents: total, startIndex, batchSize, asOf, onProgress, protector, prepare });
    bar?.stop();
    const rate = summary.rows / Math.max(summary.elapsedMs / 1000, 0.001);
    process.stdout.write(
      `Seeded ${nf.format(summary.residents)} residents, ${nf.format(summary.rows)} rows in ${(summary.elapsedMs / 1000).toFixed(1)} s (${nf.format(Math.round(rate))} rows/s).\n`,
    );
  }
} catch (error) {
  bar?.stop();
  // drizzle wraps driver errors with the whole statement; the cause says what went wrong.
  const cause = (error as { cause?: unknown }).cause;
  process.stderr.write(`Seeding failed: ${cause instanceof Error ? cause.message : (error as Error).message.slice(0, 500)}\n`);
  exitCode = 1;
} finally {
  await handle.close();
}
process.exit(exitCode);
