/**
 * `npm run import` end to end: the built command against a running platform, as a hospital system
 * runs it (needs the build, like every command-line test).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedDose, feedEncounter, feedLabReport, startRecordingProxy, startTestPlatform, testBackends, type TestPlatform } from '../testkit/index.js';
import type { ImportReport } from './feed-import.js';

const SENDER = 'inst-05';
type Json = Record<string, unknown>;

const encounter = (residentId: string, change: Json = {}): Json => ({ kind: 'encounter', ...feedEncounter(residentId, { chiefComplaint: '头晕三天，血压控制不佳', ...change }) });
const labReport = (residentId: string, item: Json = {}): Json => ({ kind: 'labReport', ...feedLabReport(residentId, {}, item) });
const dose = (residentId: string, change: Json = {}): Json => ({ kind: 'immunization', ...feedDose(residentId, change) });

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  report: ImportReport;
}

describe.each(testBackends())('npm run import on $name', (backend) => {
  let stack: TestPlatform;
  let dir: string;
  let fresh: string[];
  let files = 0;
  const nextResident = () => fresh.shift() ?? (() => { throw new Error('out of residents'); })();
  const rowsFor = async (residentIds: string[]) =>
    (
      await stack.platform.database.query<{ n: number }>(
        `select ((select count(*) from clinical.encounter where resident_id = any($1) and institution_id = $2)
               + (select count(*) from results.lab_report where resident_id = any($1) and institution_id = $2)
               + (select count(*) from immunization.immunization_record where resident_id = any($1) and institution_id = $2))::int as n`,
        [residentIds, SENDER],
      )
    )[0]!.n;

  async function runImport(lines: Array<Json | string>, ...flags: string[]): Promise<Outcome> {
    const file = join(dir, `feed-${++files}.ndjson`);
    writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
    const token = await stack.token(`his-${SENDER}`);
    const { DATABASE_URL: _ignored, ...env } = process.env;
    void _ignored;
    const outcome = await new Promise<Omit<Outcome, 'report'>>((resolve) => {
      execFile(
        process.execPath,
        ['dist/scripts/import.js', file, '--token', token, '--institution', SENDER, '--url', stack.platform.gateway.url, ...flags],
        { env: { ...env, HEALTHMESH_DATA_DIR: stack.config.dataDir }, timeout: 120_000 },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });
    return { ...outcome, report: JSON.parse(readFileSync(`${file}.report.json`, 'utf8')) as ImportReport };
  }

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
    dir = mkdtempSync(join(tmpdir(), 'healthmesh-import-'));
    const demo = new Set(stack.actors.flatMap((a) => (a.residentId ? [a.residentId] : [])));
    const rows = await stack.platform.database.query<{ id: string }>(
      'select r.id from population.resident r where not exists (select 1 from consent.care_relationship c where c.resident_id = r.id and c.institution_id = $1) order by r.id',
      [SENDER],
    );
    fresh = rows.map((r) => r.id).filter((id) => !demo.has(id));
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a good file, prints records per second, writes the report, and encrypts the chief complaint on the way in', async () => {
    const [a, b] = [nextResident(), nextResident()];
    const outcome = await runImport([encounter(a), labReport(a), dose(b), labReport(b)]);
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/^stored 4 of 4 records \(1 encounters, 2 lab reports, 0 imaging reports, 1 immunisations\) in \d+\.\d\d s: \d+ records\/s\n/);
    expect(outcome.report).toMatchObject({ mode: 'all-or-nothing', records: 4, stored: 4, rejected: [] });
    expect(outcome.report.recordsPerSecond).toBeGreaterThan(0);
    expect(await rowsFor([a, b])).toBe(4);
    const [stored] = await stack.platform.database.query<{ chief_complaint: string }>('select chief_complaint from clinical.encounter where resident_id = $1 and institution_id = $2', [a, SENDER]);
    expect(stored!.chief_complaint).toMatch(/^hm1\./);
    expect(stored!.chief_complaint).not.toContain('头晕');
  });

  it('writes nothing from a file with one bad record by default, and names its line, field and rule', async () => {
    const residents = [nextResident(), nextResident(), nextResident()];
    const outcome = await runImport([encounter(residents[0]!), labReport(residents[1]!, { unit: 'mmol/mol' }), dose(residents[2]!)]);
    expect(outcome.code).toBe(1);
    expect(outcome.report.stored).toBe(0);
    expect(outcome.report.rejected).toEqual([{ line: 2, kind: 'labReport', field: 'items[0].unit', rule: 'UNIT', message: expect.any(String) }]);
    expect(outcome.report.stoppedAt).toEqual({ line: 2, reason: expect.stringContaining('nothing was sent') });
    expect(await rowsFor(residents)).toBe(0);
  });

  it('writes nothing when the gateway refuses a batch by a reference rule, by default', async () => {
    const resident = nextResident();
    const outcome = await runImport([dose(resident), dose('res-unknown-to-the-platform')]);
    expect(outcome.code).toBe(1);
    expect(outcome.report.rejected).toEqual([{ line: 2, kind: 'immunization', field: 'residentId', rule: 'KNOWN_RESIDENT', message: expect.any(String) }]);
    expect(outcome.report.stored).toBe(0);
    expect(await rowsFor([resident])).toBe(0);
  });

  it('with --accept-valid stores the good records and reports the rest: local rules, reference rules and lines that are no record', async () => {
    const [a, b] = [nextResident(), nextResident()];
    const future = `${new Date().getUTCFullYear() + 1}-02-01`;
    const outcome = await runImport(
      [encounter(a), dose(a, { administeredOn: future }), 'not json', dose('res-unknown-to-the-platform'), dose(b), { kind: 'prescription', residentId: b }],
      '--accept-valid',
    );
    expect(outcome.code).toBe(1);
    expect(outcome.report).toMatchObject({ mode: 'accept-valid', records: 6, stored: 2, storedByKind: { encounter: 1, labReport: 0, immunization: 1 } });
    expect(outcome.report.rejected.map(({ line, field, rule }) => ({ line, field, rule }))).toEqual([
      { line: 2, field: 'administeredOn', rule: 'NOT_FUTURE' },
      { line: 3, field: '', rule: 'NOT_A_RECORD' },
      { line: 4, field: 'residentId', rule: 'KNOWN_RESIDENT' },
      { line: 6, field: 'kind', rule: 'NOT_A_RECORD' },
    ]);
    expect(await rowsFor([a])).toBe(1);
    expect(await rowsFor([b])).toBe(1);
  });

  it('names the lines it stored when the writes stop part-way (here the connection of the second write is cut), and the lines it could not confirm', async () => {
    const residents = [nextResident(), nextResident(), nextResident(), nextResident()];
    let writes = 0;
    const proxy = await startRecordingProxy(stack.platform.gateway.url, {
      intercept: async ({ body }) => ((JSON.parse(body) as { variables?: { checkOnly?: boolean } }).variables?.checkOnly === false && ++writes === 2 ? 'drop' : 'forward'),
    });
    try {
      const outcome = await runImport(residents.map((resident) => dose(resident)), '--batch-size', '2', '--concurrency', '1', '--url', proxy.url);
      expect(outcome.code).toBe(1);
      expect(outcome.stdout.split('\n')[2]).toBe('stored lines 1-2; not confirmed: lines 3-4');
      expect(outcome.report).toMatchObject({ stored: 2, storedLines: [{ from: 1, to: 2 }], unconfirmedLines: [{ from: 3, to: 4 }], stoppedAt: { line: 3 } });
      expect(await rowsFor(residents.slice(0, 2))).toBe(2);
      expect(await rowsFor(residents.slice(2))).toBe(0);
    } finally {
      await proxy.stop();
    }
  });

  it('refuses to run for another institution: the gateway answers OWN_INSTITUTION for records claiming one', async () => {
    const resident = nextResident();
    const outcome = await runImport([encounter(resident, { institutionId: 'inst-03' })], '--institution', 'inst-03');
    expect(outcome.code).toBe(1);
    expect(outcome.report.rejected.map((r) => r.rule)).toEqual(['OWN_INSTITUTION']);
    expect(await rowsFor([resident])).toBe(0);
  });
});
