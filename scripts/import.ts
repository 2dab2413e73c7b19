/**
 * `npm run import -- <file.ndjson>`: a hospital system's bulk import of encounters, lab reports,
 * imaging reports and immunisations through the gateway (scripts/feed-import.ts does the work). Prints a progress bar on a
 * terminal, the records per second at the end, and writes a JSON report naming every rejected record
 * by line, field and rule id.
 */
import './cli-errors.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { issueToken } from '../gateway/identity.js';
import { readKeyPair } from '../gateway/keys.js';
import type { Actor } from '../schema/context.js';
import { demoActors } from '../seed/demo.js';
import { CONFIG_HELP, configOrExit, exitWith, parseCommandLine, positiveInteger } from './cli.js';
import { MAX_FEED_BATCH } from '../schema/feed-quality.js';
import { DEFAULT_CONCURRENCY, importFeed } from './feed-import.js';

const MAX_BATCH_SIZE = Math.max(...Object.values(MAX_FEED_BATCH));

const { values, positionals } = parseCommandLine({
  usage: `usage: npm run import -- <file.ndjson> [--actor his-inst-NN | --token JWT] [--accept-valid] [options]

Imports one hospital system's records, one JSON object per line with "kind" encounter, labReport,
imagingReport or immunization and the fields of EncounterInput, LabReportInput, ImagingReportInput or
ImmunizationInput. By default the whole file is all or nothing: every record is checked against the
quality rules here, then the whole file against the quality and reference rules at the gateway
(writing nothing), and only then written; one bad record anywhere means nothing is written. With
--accept-valid the good records are stored and the rest reported.

  --actor NAME       a demo hospital system (his-inst-01 …), token from the local issuer (embedded mode)
  --token JWT        the hospital system's bearer token (or HEALTHMESH_TOKEN)
  --institution ID   the sender's institution for the local checks (default: the actor's)
  --url URL          the gateway's GraphQL endpoint (default http://localhost:$PORT/graphql)
  --accept-valid     store the good records, report the bad ones
  --batch-size N     records per request (default and most 1000; imaging reports at most 500; split below the 1 MB body limit)
  --concurrency N    requests in flight at once (default 3; each batch is still all or nothing)
  --report PATH      where the JSON report goes (default <file>.report.json)

Exit code 0 when every record was stored, 1 when some were rejected or the import stopped, 2 for a
mistake on the command line.
${CONFIG_HELP}`,
  options: {
    actor: { type: 'string' },
    token: { type: 'string' },
    institution: { type: 'string' },
    url: { type: 'string' },
    'accept-valid': { type: 'boolean' },
    'batch-size': { type: 'string' },
    concurrency: { type: 'string' },
    report: { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
});

const [file] = positionals as [string];
if (!existsSync(file)) exitWith(`no such file: ${file}`);
const batchSize = Math.min(MAX_BATCH_SIZE, positiveInteger('--batch-size', values['batch-size'], MAX_BATCH_SIZE));
const concurrency = Math.min(8, positiveInteger('--concurrency', values.concurrency, DEFAULT_CONCURRENCY));
const config = configOrExit();

let token = values.token ?? process.env['HEALTHMESH_TOKEN'];
let institutionId = values.institution;
if (values.actor) {
  const demo = demoActors(config.seed).find((a) => a.actor === values.actor);
  if (!demo || demo.role !== 'hospital_system') exitWith(`"${values.actor}" is not a demo hospital system (npm run --silent token -- list shows them)`);
  if (!existsSync(join(config.dataDir, 'keys', 'identity-issuer.jwk.json'))) exitWith(`no issuer key in ${config.dataDir}/keys: start the platform first (npm start)`, 1);
  const actor: Actor = { sub: demo.actor, role: demo.role, institutionId: demo.institutionId! };
  token = await issueToken(await readKeyPair(config.dataDir, 'identity-issuer'), actor);
  institutionId ??= demo.institutionId;
}
if (!token) exitWith('give the hospital system as --actor his-inst-NN or --token JWT (see --help)');

const text = readFileSync(file, 'utf8');
const bar = process.stderr.isTTY
  ? new SingleBar({ format: '{phase} [{bar}] {percentage}% {value}/{total} records · ETA {eta_formatted}', barCompleteChar: '#', barIncompleteChar: '.', stream: process.stderr, hideCursor: true })
  : undefined;
let started = false;
let report;
try {
  report = await importFeed(text, {
    url: values.url ?? `http://localhost:${config.gatewayPort}/graphql`,
    token,
    institutionId,
    acceptValid: values['accept-valid'] ?? false,
    batchSize,
    concurrency,
    onProgress: (done, total, phase) => {
      if (!bar) return;
      if (!started) bar.start(total, done, { phase });
      started = true;
      bar.update(done, { phase });
    },
  });
} catch (error) {
  bar?.stop();
  exitWith(`import failed: ${(error as Error).message}`, 1);
}
bar?.stop();

const ranges = (list: ReadonlyArray<{ from: number; to: number }>) => list.map(({ from, to }) => (from === to ? `${from}` : `${from}-${to}`)).join(', ');
const reportPath = values.report ?? `${file}.report.json`;
writeFileSync(reportPath, `${JSON.stringify({ file, at: new Date().toISOString(), ...report }, null, 2)}\n`);
const { encounter, labReport, imagingReport, immunization } = report.storedByKind;
const rejectedRecords = new Set(report.rejected.map((r) => r.line)).size;
process.stdout.write(
  `stored ${report.stored} of ${report.records} records (${encounter} encounters, ${labReport} lab reports, ${imagingReport} imaging reports, ${immunization} immunisations) in ${(report.elapsedMs / 1000).toFixed(2)} s: ${report.recordsPerSecond} records/s\n` +
    `rejected ${rejectedRecords} records${report.stoppedAt ? `; stopped at line ${report.stoppedAt.line}: ${report.stoppedAt.reason}` : ''}; report: ${reportPath}\n` +
    // A stop after writing began leaves what was written: name it, so the sender can resend only the rest.
    (report.stoppedAt && (report.stored > 0 || report.unconfirmedLines) ? `stored lines ${ranges(report.storedLines)}${report.unconfirmedLines ? `; not confirmed: lines ${ranges(report.unconfirmedLines)}` : ''}\n` : ''),
);
process.exit(report.stored === report.records ? 0 : 1);
