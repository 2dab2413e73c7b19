import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateResident } from '../seed/index.js';
import { startTestPlatform, testBackends, type TestPlatform } from '../testkit/index.js';

const TREAT = { 'x-purpose-of-use': 'TREAT' };
const DEMO_RESIDENTS = ['resident-multi', 'resident-sensitive', 'resident-research', 'resident-child'];
/** Registered during the session by a hospital system: a valid GB 11643 number, a phone and a name. */
const REGISTERED = { name: '测试登记人', sex: '2', idCardNumber: '11010519491231002X', phone: '13912345678', districtCode: '330106' };

type LogLine = Record<string, unknown>;

describe.each(testBackends())('request and error logging through the gateway on $name', (backend) => {
  let stack: TestPlatform;
  const captured: string[] = [];
  const requestIds: string[] = [];

  beforeAll(async () => {
    stack = await startTestPlatform(backend, {
      env: { HEALTHMESH_LOG_LEVEL: 'info' },
      logDestination: { write: (line: string) => void captured.push(line) },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function send(actor: string | null, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const response = await fetch(stack.platform.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(actor ? { authorization: `Bearer ${await stack.token(actor)}` } : {}), ...headers },
      body: JSON.stringify({ query, variables }),
    });
    requestIds.push(response.headers.get('x-request-id')!);
    return { status: response.status, text: await response.text() };
  }

  const parsed = (): LogLine[] => captured.map((line) => JSON.parse(line) as LogLine);
  const gatewayRequests = () => parsed().filter((line) => line['service'] === 'gateway' && line['msg'] === 'request');

  it('writes no plaintext identifier in any line of a whole session: registration, lookup, reads, break-glass and failures', async () => {
    const card = stack.actor('resident-multi').idCardNumber!;
    const registered = await send('his-inst-01', 'mutation Register($input: ResidentInput!) { registerResident(input: $input) { id } }', { input: REGISTERED });
    expect(registered.status).toBe(200);
    expect(JSON.parse(registered.text).errors).toBeUndefined();
    expect((await send('clinician-a', 'query Find($card: String!) { findResident(idCardNumber: $card) { id name } }', { card }, TREAT)).status).toBe(200);
    expect((await send('clinician-a', `query FindLiteral { findResident(idCardNumber: "${card}") { id } }`, {}, TREAT)).status).toBe(200);
    expect((await send('resident-multi', 'query Mine { myArchive { id name idCardNumber phone address encounters(first: 3) { department } } }')).status).toBe(200);
    expect((await send('clinician-a', 'query View($id: ID!) { resident(id: $id) { name idCardNumber phone encounters(first: 3) { id } } }', { id: stack.actor('resident-multi').residentId }, TREAT)).status).toBe(200);
    const breakGlass = { 'x-purpose-of-use': 'ETREAT', 'x-break-glass-reason': encodeURIComponent('急诊昏迷') };
    expect((await send('clinician-b', 'query Emergency($id: ID!) { resident(id: $id) { name phone } }', { id: stack.actor('resident-sensitive').residentId }, breakGlass)).status).toBe(200);
    // Failures: a client mistake naming an ID number, and an unexpected error (the audit cannot be written).
    expect((await send('clinician-a', 'query Find($card: String!) { findResident(idCardNumber: $card) { id } }', { card: `${card.slice(0, 17)}0` }, TREAT)).status).toBe(400);
    await stack.platform.database.query(`alter table consent.audit_entry add constraint audit_unwritable check (false) not valid`);
    try {
      const failed = await send('resident-multi', 'query Mine { myArchive { name idCardNumber phone } }');
      expect(JSON.parse(failed.text).errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await stack.platform.database.query(`alter table consent.audit_entry drop constraint audit_unwritable`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));

    const forbidden: string[] = [REGISTERED.name, REGISTERED.idCardNumber, REGISTERED.phone];
    for (const actor of DEMO_RESIDENTS) {
      const demo = stack.actor(actor);
      const { resident } = generateResident(stack.config.seed, DEMO_RESIDENTS.indexOf(actor));
      expect(resident.id).toBe(demo.residentId);
      // A resident's sub and platform id are pseudonymous identifiers: out of the log as well.
      forbidden.push(resident.name, resident.idCardNumber, demo.actor, resident.id, ...(resident.phone ? [resident.phone] : []));
    }
    expect(forbidden.length).toBeGreaterThan(DEMO_RESIDENTS.length * 4);
    expect(captured.length).toBeGreaterThan(requestIds.length);
    for (const line of captured) {
      for (const identifier of forbidden) expect(line.includes(identifier), `${identifier} in ${line}`).toBe(false);
    }
  });

  it('writes one line per gateway request with its request id, status, duration, role, institution, operation and codes', async () => {
    const lines = gatewayRequests();
    expect(lines.map((line) => line['requestId'])).toEqual(requestIds);
    for (const line of lines) {
      expect(Object.keys(line).sort()).toEqual(expect.arrayContaining(['durationMs', 'errorCodes', 'level', 'method', 'path', 'requestId', 'service', 'status', 'time']));
      expect(line).toMatchObject({ level: 'info', method: 'POST', path: '/graphql' });
      expect(line['durationMs']).toBeGreaterThanOrEqual(0);
      expect(Date.parse(String(line['time']))).not.toBeNaN();
    }
    const [registration, find] = lines;
    expect(registration).toMatchObject({ status: 200, actorRole: 'hospital_system', institutionId: 'inst-01', operationName: 'Register', errorCodes: [] });
    expect(find).toMatchObject({ status: 200, actorRole: 'clinician', institutionId: 'inst-01', operationName: 'Find' });
    const mine = lines.find((line) => line['operationName'] === 'Mine')!;
    expect(mine).toMatchObject({ actorRole: 'resident' });
    expect(mine).not.toHaveProperty('institutionId');
    expect(lines.find((line) => line['status'] === 400)).toMatchObject({ operationName: 'Find', errorCodes: ['BAD_USER_INPUT'] });
    expect(lines.at(-1)).toMatchObject({ operationName: 'Mine', errorCodes: ['INTERNAL_SERVER_ERROR'] });
  });

  it('logs an unexpected error with its stack, but not its message, SQL parameters or data', async () => {
    const failedRequest = requestIds.at(-1);
    const errors = parsed().filter((line) => line['msg'] === 'unexpected error' && line['requestId'] === failedRequest);
    expect(errors.length).toBeGreaterThan(0);
    for (const line of errors) {
      expect(line['level']).toBe('error');
      const error = line['error'] as { type: string; stack?: string; cause?: unknown };
      expect(error.type).toEqual(expect.any(String));
      expect(error.stack).toMatch(/^\s+at /);
      expect(JSON.stringify(line)).not.toMatch(/insert into|params|audit_unwritable|violates/i);
    }
  });

  it('logs subgraph requests under the gateway request they belong to', async () => {
    const read = gatewayRequests().find((line) => line['operationName'] === 'View')!;
    const fetches = parsed().filter((line) => line['msg'] === 'request' && line['gatewayRequestId'] === read['requestId']);
    expect(fetches.length).toBeGreaterThan(0);
    for (const fetch of fetches) expect(fetch).toMatchObject({ status: 200, actorRole: 'clinician', institutionId: 'inst-01' });
    expect(new Set(fetches.map((line) => line['service']))).toContain('population');
  });
});
