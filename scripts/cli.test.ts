/**
 * The platform as a user runs it: `npm start` (dist/scripts/start.js) as a real process, then the
 * `keys` command line on its data. Needs the build (`npm test` builds first).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, loadOrCreateKeyPair } from '../gateway/index.js';
import { demoActors, generateResident } from '../seed/index.js';
import { openDatabase } from '../subgraphs/runtime/index.js';
import { anyFreeSubgraphPorts } from './config.js';

const run = promisify(execFile);
const RESIDENTS = 60;

interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  gatewayUrl: string;
}

function environment(dataDir: string): NodeJS.ProcessEnv {
  const ports = anyFreeSubgraphPorts();
  const { DATABASE_URL: _ignored, ...rest } = process.env;
  void _ignored;
  return { ...rest, ...ports, PORT: '0', HEALTHMESH_DATA_DIR: dataDir, HEALTHMESH_RESIDENTS: String(RESIDENTS) };
}

async function start(dataDir: string): Promise<RunningProcess> {
  const child = spawn(process.execPath, ['dist/scripts/start.js'], { env: environment(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const gatewayUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready:\n${output}`)), 120_000);
    const check = () => {
      const url = /gateway\s+(http:\/\/\S+\/graphql)/.exec(output)?.[1];
      if (url && output.includes('ready in')) {
        clearTimeout(timer);
        resolve(url.replace('localhost', '127.0.0.1'));
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return { child, output: () => output, gatewayUrl };
}

async function stop(running: RunningProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', (code) => resolve(code)));
  running.child.kill('SIGINT');
  return exited;
}

describe('npm start and the keys command line', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'healthmesh-cli-'));
  const actors = demoActors('healthmesh');
  let first: RunningProcess;
  const tokenFor = async (name: string) => {
    const demo = actors.find((a) => a.actor === name)!;
    const key = await loadOrCreateKeyPair(dataDir, 'identity-issuer');
    return issueToken(key, { sub: demo.actor, role: demo.role, ...(demo.residentId ? { residentId: demo.residentId } : {}), ...(demo.institutionId ? { institutionId: demo.institutionId } : {}) });
  };
  const query = async (url: string, actor: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(actor)}`, ...headers }, body: JSON.stringify(body) });
    return (await response.json()) as { data?: Record<string, any>; errors?: Array<{ path?: string[]; extensions?: { code?: string } }> };
  };

  beforeAll(async () => {
    first = await start(dataDir);
  });
  afterAll(async () => {
    if (first?.child.exitCode === null) await stop(first);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves a full session and logs no seeded resident’s ID-card number or phone, then stops cleanly on Ctrl-C', async () => {
    const card = actors.find((a) => a.actor === 'resident-multi')!.idCardNumber!;
    const own = await query(first.gatewayUrl, 'resident-multi', { query: '{ myArchive { name idCardNumber phone address encounters(first: 3) { chiefComplaint } } }' });
    expect(own.data!['myArchive'].idCardNumber).toBe(card);
    const treat = { 'x-purpose-of-use': 'TREAT' };
    await query(first.gatewayUrl, 'clinician-a', { query: 'query($c: String!) { findResident(idCardNumber: $c) { name idCardNumber } }', variables: { c: card } }, treat);
    await query(first.gatewayUrl, 'clinician-c', { query: 'query($c: String!) { findResident(idCardNumber: $c) { name } }', variables: { c: card } }, treat);
    await query(first.gatewayUrl, 'clinician-a', { query: 'query($c: String!) { findResident(idCardNumber: $c) { name } }', variables: { c: `${card.slice(0, 17)}0` } }, treat);
    const registered = await query(first.gatewayUrl, 'his-inst-01', {
      query: 'mutation($input: ResidentInput!) { registerResident(input: $input) { id } }',
      variables: { input: { name: '日志测试', sex: '2', idCardNumber: '11010519491231002X', phone: '13912345678', districtCode: '330106' } },
    });
    expect(registered.data!['registerResident'].id).toMatch(/^res-/);

    expect(await stop(first)).toBe(0);
    const output = first.output();
    expect(output).toContain('healthmesh: stopped.');
    const leaks: string[] = [];
    for (let index = 0; index < RESIDENTS; index += 1) {
      const { resident } = generateResident('healthmesh', index);
      if (output.includes(resident.idCardNumber)) leaks.push(`${resident.id} ID`);
      if (resident.phone && output.includes(resident.phone)) leaks.push(`${resident.id} phone`);
    }
    for (const value of ['11010519491231002X', '13912345678', '日志测试']) if (output.includes(value)) leaks.push(value);
    expect(leaks).toEqual([]);
  });

  it('rotates the key-encryption key, shreds one resident and issues an institution certificate that openssl verifies', async () => {
    const env = environment(dataDir);
    const rotated = await run(process.execPath, ['dist/scripts/keys.js', 'rotate'], { env });
    expect(rotated.stdout).toMatch(/re-wrapped data keys: (\d+)/);
    expect(Number(/re-wrapped data keys: (\d+)/.exec(rotated.stdout)![1])).toBeGreaterThanOrEqual(RESIDENTS);
    const child = actors.find((a) => a.actor === 'resident-child')!.residentId!;
    const shredded = await run(process.execPath, ['dist/scripts/keys.js', 'shred', child], { env });
    expect(shredded.stdout).toContain(`destroyed the data key of resident ${child}`);
    const csr = join(dataDir, 'inst-01.csr');
    await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dataDir, 'inst-01.key'), '-subj', '/CN=inst-01', '-out', csr]);
    const issued = await run(process.execPath, ['dist/scripts/keys.js', 'issue-cert', 'inst-01', '--csr', csr, '--host', 'his.inst-01.example.cn'], { env });
    const certificate = /certificate: (\S+)/.exec(issued.stdout)![1]!;
    const refused = (args: string[]) => run(process.execPath, ['dist/scripts/keys.js', ...args], { env }).then(() => ({ code: 0, stderr: '' }), (error: { code: number; stderr: string }) => error);
    const again = await refused(['issue-cert', 'inst-01', '--csr', csr]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^keys: inst-01 already has a certificate .*--replace$/)]);
    const nowhere = await refused(['issue-cert', 'no-such-inst', '--csr', csr]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr.trim().split('\n')).toEqual(['keys: no institution "no-such-inst" in the region; nothing was issued']);
    const withoutCsr = await refused(['issue-cert', 'inst-01']);
    expect(withoutCsr.code).toBe(2);
    const ca = (await run(process.execPath, ['dist/scripts/keys.js', 'ca'], { env })).stdout.trim();
    const verified = await run('openssl', ['verify', '-CAfile', ca, certificate]);
    expect(verified.stdout.trim()).toBe(`${certificate}: OK`);
    const subject = await run('openssl', ['x509', '-in', certificate, '-noout', '-subject', '-nameopt', 'utf8']);
    expect(subject.stdout).toContain('杭州市中心医院');
    expect(subject.stdout).toMatch(/O ?= ?杭州市中心医院/);

    const second = await start(dataDir);
    try {
      expect(second.output()).not.toContain('Seeding');
      const multi = await query(second.gatewayUrl, 'resident-multi', { query: '{ myArchive { name } }' });
      expect(multi.data!['myArchive'].name).toBe(actors.find((a) => a.actor === 'resident-multi')!.displayName);
      // The CA publishes its CRL at the gateway; the revoked certificate is on it.
      const revoked = await run(process.execPath, ['dist/scripts/keys.js', 'revoke-cert', 'inst-01'], { env });
      const serial = /revoked certificate (\S+)/.exec(revoked.stdout)![1]!;
      const crl = await fetch(new URL('/pki/crl', second.gatewayUrl));
      expect(crl.headers.get('content-type')).toBe('application/pkix-crl');
      const crlFile = join(dataDir, 'platform.crl');
      writeFileSync(crlFile, Buffer.from(await crl.arrayBuffer()));
      const listed = await run('openssl', ['crl', '-in', crlFile, '-inform', 'DER', '-CAfile', ca, '-noout', '-text']);
      expect(listed.stderr).toContain('verify OK');
      expect(listed.stdout.toLowerCase()).toContain(serial.toLowerCase().replace(/^0+/, ''));
      const erased = await query(second.gatewayUrl, 'resident-child', { query: '{ myArchive { id name } }' });
      expect(erased.data!['myArchive']).toEqual({ id: child, name: null });
      expect(erased.errors?.[0]?.extensions?.code).toBe('DATA_ERASED');
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 180_000);

  it('verifies the audit log from the command line, from the anchor in O(log n) or in full, and reports a tampered entry by position', async () => {
    const env = environment(dataDir);
    const verify = (...args: string[]) =>
      run(process.execPath, ['dist/scripts/audit-verify.js', ...args], { env }).then(
        (ok) => ({ code: 0, stdout: ok.stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
    const intact = await verify();
    expect(intact).toMatchObject({ code: 0, stdout: expect.stringMatching(/^audit log intact: \d+ entries, root [0-9a-f]{64} \(signed head checked;/) });
    const again = await verify();
    expect(again.stdout).toMatch(/^audit log intact: \d+ entries, root [0-9a-f]{64} \(signed head and consistency with the anchor of \d+ entries checked;/);
    const handle = await openDatabase({ dataDir: join(dataDir, 'pglite') });
    try {
      await handle.query(`update consent.audit_entry set rows_returned = rows_returned + 1 where leaf_index = 1`);
    } finally {
      await handle.close();
    }
    expect(await verify('--full')).toEqual({ code: 1, stdout: 'audit log BROKEN at position 2: the entry was altered (every leaf, subtree and signed head recomputed)\n' });
    expect((await verify('--bogus')).code).toBe(2);
    expect(await verify('--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: npm run audit:verify') });
  }, 120_000);
});
