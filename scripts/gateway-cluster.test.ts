/**
 * Two gateway processes behind one port (issue 12), started as a user starts them: the built
 * `npm start` command (`node dist/scripts/start.js`) with HEALTHMESH_GATEWAYS=2 on PostgreSQL.
 * Concurrent load through the one port reaches both processes, every answered read is one audit
 * entry in a log that still verifies in full, and a revocation made through one process refuses the
 * very next request at the other. On the embedded PGlite the command refuses, writing nothing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyFreeSubgraphPorts } from './config.js';
import { GATEWAY_PROCESS_HEADER } from './gateway-cluster.js';

const run = promisify(execFile);
const adminUrl = process.env['TEST_DATABASE_URL'];

interface Answer {
  status: number;
  gateway: string | undefined;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ path?: string[]; extensions?: Record<string, unknown> }> };
}

/** One POST to /graphql over `agent` (a kept-alive connection stays with the process that accepted it). */
function post(url: string, agent: Agent, token: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Answer> {
  const payload = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const gateway = response.headers[GATEWAY_PROCESS_HEADER];
        resolve({ status: response.statusCode ?? 0, gateway: typeof gateway === 'string' ? gateway : undefined, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'] });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** GET /metrics on a connection of its own (so the scrapes go to the processes in turn). */
function scrapeMetrics(url: string): Promise<{ gateway: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    request(new URL('/metrics', url), { agent: new Agent({ keepAlive: false }) }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ gateway: response.headers[GATEWAY_PROCESS_HEADER] as string | undefined, text }));
    })
      .on('error', reject)
      .end();
  });
}

/** Runs `node dist/scripts/start.js` and resolves with the gateway URL once it says it is ready. */
function startCommand(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['dist/scripts/start.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready:\n${output}`)), 120_000);
    child.stdout!.on('data', () => {
      const url = /gateway\s+(http:\/\/\S+)/.exec(output)?.[1];
      if (url && /ready in/.test(output)) {
        clearTimeout(timer);
        resolve({ child, url, output: () => output });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
}

const RECORD = 'query($id: ID!) { resident(id: $id) { id encounters(first: 3) { id department } } }';
const TREAT = { 'x-purpose-of-use': 'TREAT' };

describe('two gateway processes behind one port', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'healthmesh-cluster-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('are refused on the embedded PGlite, before anything is opened or written', async () => {
    const pgliteDir = join(dataDir, 'embedded');
    for (const args of [['dist/scripts/start.js'], ['dist/scripts/serve.js', 'gateway']]) {
      const refused = await run(process.execPath, args, { env: { ...process.env, DATABASE_URL: '', HEALTHMESH_DATA_DIR: pgliteDir, HEALTHMESH_GATEWAYS: '2' } }).catch((error: { code: number; stderr: string }) => error);
      expect(refused).toMatchObject({ code: 2 });
      expect((refused as { stderr: string }).stderr.trim()).toMatch(/HEALTHMESH_GATEWAYS=2 needs DATABASE_URL \(PostgreSQL\): the embedded PGlite serves one process/);
      expect(existsSync(pgliteDir)).toBe(false);
    }
  });

  describe.runIf(adminUrl)('on PostgreSQL', () => {
    const name = `healthmesh_test_${randomBytes(6).toString('hex')}`;
    const admin = postgres(adminUrl ?? '', { max: 1, onnotice: () => {} });
    const databaseUrl = (() => {
      const url = new URL(adminUrl ?? 'postgres://unused/');
      url.pathname = `/${name}`;
      return url.toString();
    })();
    const env = { ...process.env, ...anyFreeSubgraphPorts(), DATABASE_URL: databaseUrl, HEALTHMESH_DATA_DIR: join(dataDir, 'postgres'), HEALTHMESH_RESIDENTS: '40', HEALTHMESH_GATEWAYS: '2', PORT: '0', HEALTHMESH_LOG_LEVEL: 'silent' };
    let platform: Awaited<ReturnType<typeof startCommand>>;
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    const tokens: Record<string, string> = {};
    let residentId = '';
    const agents: Agent[] = [];
    const agent = () => {
      const created = new Agent({ keepAlive: true, maxSockets: 1 });
      agents.push(created);
      return created;
    };

    beforeAll(async () => {
      await admin.unsafe(`CREATE DATABASE ${name}`);
      platform = await startCommand(env);
      const token = async (actor: string) => (await run(process.execPath, ['dist/scripts/token.js', actor], { env })).stdout.trim();
      for (const actor of ['clinician-a', 'clinician-c', 'resident-multi']) tokens[actor] = await token(actor);
      residentId = (JSON.parse((await run(process.execPath, ['dist/scripts/token.js', 'list'], { env })).stdout) as Array<{ actor: string; residentId?: string }>).find((a) => a.actor === 'resident-multi')!.residentId!;
    });
    afterAll(async () => {
      for (const created of agents) created.destroy();
      if (platform && platform.child.exitCode === null) {
        platform.child.kill('SIGTERM');
        await new Promise((resolve) => platform.child.once('exit', resolve));
      }
      await sql.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    });

    it('serve concurrent load on the one port from both processes, one audit entry per answered read', async () => {
      expect(platform.output()).toContain('(2 processes on this port)');
      const [{ before }] = await sql<Array<{ before: number }>>`select count(*)::int as before from consent.audit_entry`;
      // Each request on a connection of its own: the cluster hands connections to the processes in turn.
      const answers: Answer[] = [];
      for (let round = 0; round < 6; round++) {
        answers.push(...(await Promise.all(Array.from({ length: 10 }, () => post(platform.url, new Agent({ keepAlive: false }), tokens['clinician-a']!, RECORD, { id: residentId }, TREAT)))));
      }
      expect(answers).toHaveLength(60);
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.body.errors).toBeUndefined();
        expect((answer.body.data?.['resident'] as { encounters: unknown[] }).encounters.length).toBeGreaterThan(0);
      }
      const byProcess = new Map<string | undefined, number>();
      for (const answer of answers) byProcess.set(answer.gateway, (byProcess.get(answer.gateway) ?? 0) + 1);
      expect([...byProcess.keys()].sort()).toEqual(['1', '2']);
      for (const count of byProcess.values()) expect(count).toBeGreaterThanOrEqual(10);

      // Both processes appended at once under the audit lock: one leaf per answer, none lost or doubled.
      const [log] = await sql<Array<{ entries: number; leaves: number; first: number; last: number }>>`
        select count(*)::int as entries, count(distinct leaf_index)::int as leaves, min(leaf_index)::int as first, max(leaf_index)::int as last from consent.audit_entry`;
      expect(log!.entries - before).toBe(answers.length);
      expect(log).toMatchObject({ leaves: log!.entries, first: 0, last: log!.entries - 1 });

      // /metrics through the port counts both processes' answers, whichever process serves the scrape.
      const scrapedBy = new Set<string | undefined>();
      for (let scrape = 0; scrape < 6; scrape++) {
        const { gateway, text } = await scrapeMetrics(platform.url);
        scrapedBy.add(gateway);
        const answered = text
          .split('\n')
          .filter((line) => line.startsWith('healthmesh_http_requests_total{') && line.includes('service="gateway"') && line.includes('route="/graphql"') && line.includes('status="200"'))
          .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
        expect(answered).toBe(answers.length);
      }
      expect([...scrapedBy].sort()).toEqual(['1', '2']);
    });

    it('refuse at one process the very next request after a revocation made through the other', async () => {
      // Two kept-alive connections, each held by a different process.
      const first = agent();
      const firstProcess = (await post(platform.url, first, tokens['resident-multi']!, '{ me { role } }')).gateway;
      let second = agent();
      let secondProcess = (await post(platform.url, second, tokens['resident-multi']!, '{ me { role } }')).gateway;
      for (let tries = 0; secondProcess === firstProcess && tries < 10; tries++) {
        second = agent();
        secondProcess = (await post(platform.url, second, tokens['resident-multi']!, '{ me { role } }')).gateway;
      }
      expect(new Set([firstProcess, secondProcess])).toEqual(new Set(['1', '2']));

      // A grant: clinician-c asks, the resident approves, the grant opens the record at the second process.
      const asked = await post(platform.url, first, tokens['clinician-c']!, 'mutation($input: AccessRequestInput!) { requestAccess(input: $input) { id } }', {
        input: { residentId, categories: ['CLINICAL'], purpose: 'TREAT', reason: '会诊需要', uses: 10 },
      });
      const requestId = (asked.body.data?.['requestAccess'] as { id: string }).id;
      expect((await post(platform.url, first, tokens['resident-multi']!, 'mutation($id: ID!) { approveAccessRequest(id: $id) { status } }', { id: requestId })).body.data).toEqual({ approveAccessRequest: { status: 'APPROVED' } });
      const mine = await post(platform.url, first, tokens['clinician-c']!, '{ myAccessRequests { id grantToken } }');
      const grant = (mine.body.data?.['myAccessRequests'] as Array<{ id: string; grantToken: string }>).find((r) => r.id === requestId)!.grantToken;
      const withGrant = { ...TREAT, 'x-access-grant': grant };
      const opened = await post(platform.url, second, tokens['clinician-c']!, RECORD, { id: residentId }, withGrant);
      expect(opened.gateway).toBe(secondProcess);
      expect((opened.body.data?.['resident'] as { encounters: unknown[] }).encounters.length).toBeGreaterThan(0);

      // Revoked through the first process (the resident withdraws the approval): refused at the second.
      const revoked = await post(platform.url, first, tokens['resident-multi']!, 'mutation($id: ID!) { denyAccessRequest(id: $id) { status } }', { id: requestId });
      expect(revoked.gateway).toBe(firstProcess);
      expect(revoked.body.errors).toBeUndefined();
      const afterGrant = await post(platform.url, second, tokens['clinician-c']!, RECORD, { id: residentId }, withGrant);
      expect(afterGrant.gateway).toBe(secondProcess);
      expect(afterGrant.status).toBe(403);
      expect(afterGrant.body.errors?.[0]?.extensions).toMatchObject({ code: 'GRANT_INVALID', problem: 'REVOKED' });

      // A consent: clinician-a's institution treats the resident and reads at the second process…
      const treated = await post(platform.url, second, tokens['clinician-a']!, RECORD, { id: residentId }, TREAT);
      expect((treated.body.data?.['resident'] as { encounters: unknown[] }).encounters.length).toBeGreaterThan(0);
      const institution = 'inst-01';
      // …until the resident, through the first, refuses that institution clinical data for treatment.
      const denied = await post(platform.url, first, tokens['resident-multi']!, 'mutation($input: ConsentInput!) { grantConsent(input: $input) { id } }', {
        input: { categories: ['CLINICAL'], recipient: { kind: 'INSTITUTION', id: institution }, purposes: ['TREAT'], provision: 'DENY', noticeVersion: '2026-01' },
      });
      expect(denied.gateway).toBe(firstProcess);
      const consentId = (denied.body.data?.['grantConsent'] as { id: string }).id;
      const refused = await post(platform.url, second, tokens['clinician-a']!, RECORD, { id: residentId }, TREAT);
      expect(refused.gateway).toBe(secondProcess);
      expect((refused.body.data?.['resident'] as { encounters: unknown }).encounters).toBeNull();
      expect(refused.body.errors?.find((e) => e.path?.join('.') === 'resident.encounters')?.extensions?.['code']).toBe('CONSENT_REQUIRED');
      // Revoking that DENY through the first reopens it at the second, on the next request.
      expect((await post(platform.url, first, tokens['resident-multi']!, 'mutation($id: ID!) { revokeConsent(id: $id) { status } }', { id: consentId })).body.errors).toBeUndefined();
      const reopened = await post(platform.url, second, tokens['clinician-a']!, RECORD, { id: residentId }, TREAT);
      expect((reopened.body.data?.['resident'] as { encounters: unknown[] }).encounters.length).toBeGreaterThan(0);
    });

    it('start a gateway process again when one dies, on the same port', async () => {
      const gatewayPids = async () =>
        (await run('ps', ['-o', 'pid=,args=', '--ppid', String(platform.child.pid)])).stdout
          .split('\n')
          .filter((line) => line.includes('dist/scripts/serve.js gateway'))
          .map((line) => Number(line.trim().split(/\s+/)[0]));
      const before = await gatewayPids();
      expect(before).toHaveLength(2);
      process.kill(before[0]!, 'SIGKILL');
      await expect.poll(async () => (await gatewayPids()).filter((pid) => !before.includes(pid)), { timeout: 30_000, interval: 250 }).toHaveLength(1);
      await expect.poll(() => /gateway \d exited \(SIGKILL\); starting it again/.test(platform.output()), { timeout: 5_000 }).toBe(true);
      // Both numbers answer again through the one port, once the new process listens (its start takes a
      // few seconds on a busy machine; until then the other answers every request).
      const seen = new Set<string | undefined>();
      await expect
        .poll(
          async () => {
            const answer = await post(platform.url, new Agent({ keepAlive: false }), tokens['clinician-a']!, RECORD, { id: residentId }, TREAT);
            expect(answer.status).toBe(200);
            seen.add(answer.gateway);
            return [...seen].sort();
          },
          { timeout: 60_000, interval: 100 },
        )
        .toEqual(['1', '2']);
    }, 120_000);

    it('leave an audit log that passes full verification after the run', async () => {
      platform.child.kill('SIGTERM');
      const [code] = await new Promise<[number | null]>((resolve) => platform.child.once('exit', (exitCode) => resolve([exitCode])));
      expect(code).toBe(0);
      const verified = await run(process.execPath, ['dist/scripts/audit-verify.js', '--full'], { env });
      expect(verified.stdout).toMatch(/^audit log intact: \d+ entries/);
      const [{ entries }] = await sql<Array<{ entries: number }>>`select count(*)::int as entries from consent.audit_entry`;
      expect(verified.stdout).toContain(`audit log intact: ${entries} entries`);
    }, 120_000);
  });
});
