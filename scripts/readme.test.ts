/**
 * The README runs as written: its quick start (`npm start`) on a fresh data directory with random
 * ports, then each journey's fenced blocks (```sh journey-N), read from README.md itself and run in
 * order in bash, each ending as the README says. Needs the build (`npm test` builds first).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyFreeSubgraphPorts } from './config.js';

/** The commands of every ```sh <tag> block, in the order they appear. */
function blocks(readme: string, tag: string): string {
  const found = [...readme.matchAll(/^```sh ([\w-]+)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === tag).map((m) => m[2]!);
  if (found.length === 0) throw new Error(`README.md has no \`\`\`sh ${tag} block`);
  return found.join('\n');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const readme = readFileSync('README.md', 'utf8');
const dataDir = mkdtempSync(join(tmpdir(), 'healthmesh-readme-'));
let port: number;
let platform: ChildProcess;
let output = '';

function environment(): NodeJS.ProcessEnv {
  const { DATABASE_URL: _ignored, ...rest } = process.env;
  void _ignored;
  const subgraphPorts = anyFreeSubgraphPorts();
  return { ...rest, ...subgraphPorts, PORT: String(port), HEALTHMESH_DATA_DIR: dataDir, HEALTHMESH_RESIDENTS: '60', HEALTHMESH_LOG_LEVEL: 'silent' };
}

/** Runs the setup block and then `tag`'s blocks in one bash, stopping at the first failing command. */
function journey(tag: string): { status: number | null; lines: string[]; stderr: string } {
  const script = `set -euo pipefail\n${blocks(readme, 'journey-setup')}\n${blocks(readme, tag)}`;
  const result = spawnSync('bash', ['-c', script], { env: environment(), encoding: 'utf8', timeout: 240_000 });
  return { status: result.status, lines: result.stdout.split('\n').filter((l) => l.length > 0), stderr: result.stderr };
}

const json = (line: string | undefined) => JSON.parse(line ?? 'null') as { data?: Record<string, any> | null; errors?: Array<{ extensions?: { code?: string } }> };
const codes = (line: string | undefined) => (json(line).errors ?? []).map((e) => e.extensions?.code);

describe('the README, run as written', () => {
  beforeAll(async () => {
    port = await freePort();
    const quickStart = blocks(readme, 'quick-start').split('\n').filter((l) => l.trim().length > 0);
    // `npm install` is what the test run already did; the rest is run exactly.
    expect(quickStart).toEqual(['npm install', 'npm start']);
    // Its own process group, so Ctrl-C (SIGINT to the group) reaches node under npm and sh, as in a terminal.
    platform = spawn('bash', ['-c', `exec ${quickStart[1]!}`], { env: environment(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    platform.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    platform.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready:\n${output}`)), 150_000);
      platform.stdout!.on('data', () => {
        if (output.includes('ready in')) {
          clearTimeout(timer);
          resolve();
        }
      });
      platform.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
    });
  });

  afterAll(async () => {
    if (platform && platform.exitCode === null) {
      const exited = new Promise((resolve) => platform.once('exit', resolve));
      process.kill(-platform.pid!, 'SIGINT');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('quick start: npm start prints the gateway URL on the configured port', () => {
    expect(output).toContain(`gateway      http://localhost:${port}/graphql`);
  });

  it('journey 1: the resident reads the record, refuses inst-03 by a consent, sees it in FHIR, then revokes it', () => {
    const { status, lines, stderr } = journey('journey-1');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(lines, lines.join('\n')).toHaveLength(4);
    const archive = json(lines[0]).data!['myArchive'];
    expect(archive.name).toBe('王家豪');
    expect(archive.encounters.length).toBeGreaterThan(0);
    expect(json(lines[1]).data!['myAccessLog'].edges.length).toBeGreaterThan(0);
    const listed = json(lines[2]).data!;
    expect(listed['myConsents'][0]).toMatchObject({ version: 1, provision: 'DENY', status: 'ACTIVE', recipient: { kind: 'INSTITUTION', id: 'inst-03' } });
    expect(listed['myConsentsFhir'].entry[0].fullUrl).toMatch(/^urn:uuid:/);
    expect(json(lines[3])).toEqual({ data: { revokeConsent: { status: 'REVOKED', version: 2 } } });
  });

  it('journey 2: GRANT_REQUIRED, a request approved by the resident, one use, then GRANT_INVALID; a break-glass read reviewed', () => {
    const { status, lines, stderr } = journey('journey-2');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    // The ids and the grant token are captured into shell variables, so those commands print nothing.
    expect(lines, lines.join('\n')).toHaveLength(8);
    expect(codes(lines[0])).toContain('GRANT_REQUIRED');
    expect(json(lines[1]).data!['resident'].name).toBe('王**');
    expect(json(lines[2]).data!['myAccessRequests']).toHaveLength(1);
    expect(json(lines[3])).toEqual({ data: { approveAccessRequest: { status: 'APPROVED' } } });
    const granted = json(lines[4]);
    expect(granted.errors).toBeUndefined();
    expect(granted.data!['resident'].encounters.length).toBeGreaterThan(0);
    expect(codes(lines[5])).toContain('GRANT_INVALID');
    expect(json(lines[6]).data!['resident'].encounters.length).toBeGreaterThan(0);
    expect(json(lines[7])).toEqual({ data: { reviewBreakGlass: { status: 'JUSTIFIED' } } });
  });

  it('journey 3: the audit log key, a signed head and a consistency proof through the gateway, and audit:verify', () => {
    const { status, lines, stderr } = journey('journey-3');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(JSON.parse(lines[0]!)).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(json(lines[1]).data!['auditTreeHead'].treeSize).toBeGreaterThan(2);
    expect(json(lines[2]).data!['auditConsistencyProof'].length).toBeGreaterThan(0);
    expect(lines[3]).toMatch(/^audit log intact: \d+ entries/);
  });

  it('journey 4: the patient found by health card (masked, then GRANT_REQUIRED), a grant, the history newest first, the next page, a filter', () => {
    const { status, lines, stderr } = journey('journey-4');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(lines, lines.join('\n')).toHaveLength(6);
    const found = json(lines[0]).data!['findResidentByHealthCard'];
    expect(found).toMatchObject({ id: 'res-000000', name: '王**', idCardNumber: '330106********1214' });
    expect(found.healthCardNumber).toMatch(/^[0-9A-F]{4}\*{56}[0-9A-F]{4}$/);
    expect(json(lines[1])).toMatchObject({ data: { findResidentByHealthCard: null } });
    expect(codes(lines[1])).toEqual(['GRANT_REQUIRED']);
    expect(json(lines[2])).toEqual({ data: { approveAccessRequest: { status: 'APPROVED' } } });
    const history = json(lines[3]);
    expect(history.errors).toBeUndefined();
    const encounters = history.data!['resident'].encounters as Array<{ id: string; startedAt: string; institution: { name: string; grade: string } }>;
    expect(encounters).toHaveLength(3);
    expect(encounters.map((e) => e.startedAt)).toEqual(encounters.map((e) => e.startedAt).sort().reverse());
    for (const e of encounters) expect(e.institution.grade.length).toBeGreaterThan(0);
    const next = json(lines[4]).data!['resident'].encounters as Array<{ id: string; startedAt: string }>;
    expect(next.length).toBeGreaterThan(0);
    expect(next.map((e) => e.id)).not.toContain(encounters[2]!.id);
    expect(next[0]!.startedAt <= encounters[2]!.startedAt).toBe(true);
    const filtered = json(lines[5]);
    expect(filtered.errors).toBeUndefined();
    for (const e of filtered.data!['resident'].encounters as Array<{ institution: { id: string } }>) expect(e.institution.id).toBe('inst-01');
  });

  it('journey 5: an import with one bad record writes nothing (a bad unit, or a bad reference in the last batch), with --accept-valid stores the good ones; the report names the line and rule', () => {
    const { status, lines, stderr } = journey('journey-5');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(lines, lines.join('\n')).toHaveLength(10);
    expect(lines[0]).toMatch(/^stored 0 of 6 records/);
    expect(lines[1]).toMatch(/^rejected 1 records; stopped at line 5: a record breaks a quality rule: nothing was sent; report: feed\.ndjson\.report\.json$/);
    expect(lines[2]).toBe('exit code 1');
    expect(lines[3]).toMatch(/^stored 0 of 5 records/);
    expect(lines[4]).toMatch(/^rejected 1 records; stopped at line 5: a record breaks a reference rule: nothing was written; report: units-fixed\.ndjson\.report\.json$/);
    expect(lines[5]).toBe('exit code 1');
    expect(lines[6]).toMatch(/^stored 4 of 5 records \(1 encounters, 1 lab reports, 1 imaging reports, 1 immunisations\) in \d+\.\d\d s: \d+ records\/s$/);
    expect(lines[7]).toMatch(/^rejected 1 records; report: units-fixed\.ndjson\.report\.json$/);
    expect(lines[8]).toBe('exit code 1');
    expect(lines[9]).toMatch(/^line 5: residentId KNOWN_RESIDENT \(/);
  });

  it('journey 6: the catalogue, a fresh result from inst-02 recognised, a decline with a reason, the day’s report', () => {
    const { status, lines, stderr } = journey('journey-6');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(lines, lines.join('\n')).toHaveLength(8);
    expect(json(lines[0]).data!['recognitionCatalogue'].length).toBeGreaterThanOrEqual(60);
    expect(json(lines[1])).toEqual({ data: { approveAccessRequest: { status: 'APPROVED' } } });
    expect(json(lines[2]).data!['recordLabReports']).toHaveLength(2);
    const candidates: Array<{ itemCode: string; recognizable: boolean; reasons: string[]; institution: { name: string } }> = json(lines[3]).data!['recognizableResults'];
    const reasons = new Set(candidates.flatMap((c) => c.reasons));
    expect(candidates.filter((c) => c.recognizable).map((c) => c.itemCode)).toEqual(['LFT-ALT']);
    for (const reason of ['NOT_IN_CATALOGUE', 'NO_HR_MARK', 'EXPIRED', 'SAME_INSTITUTION']) expect(reasons).toContain(reason);
    expect(json(lines[4]).data!['recordRecognitionDecision'].accepted).toBe(true);
    expect(codes(lines[5])).toEqual(['BAD_USER_INPUT']);
    expect(json(lines[6]).data!['recordRecognitionDecision']).toMatchObject({ accepted: false, reason: 'OTHER: 外院报告单位不一致' });
    expect(json(lines[7]).data!['recognitionReport']).toEqual([
      { institutionId: 'inst-01', day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), remindersShown: 1, accepted: 1, declined: 1, declinedByReason: [{ reason: 'OTHER', count: 1 }], costSavedYuan: 5 },
    ]);
  });
});

