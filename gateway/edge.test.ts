import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, testBackends, type GraphQLResponse, type TestPlatform } from '../testkit/index.js';

const TREAT = { 'x-purpose-of-use': 'TREAT' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface RawReply {
  status: number;
  contentType: string | null;
  requestId: string | null;
  text: string;
  body: GraphQLResponse['body'];
}

describe.each(testBackends())("the gateway's edge on $name", (backend) => {
  let stack: TestPlatform;
  const id = (actor: string) => stack.actor(actor).residentId!;

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Sends exactly these bytes (JSON.stringify cannot write a lone surrogate escape the way an attacker can). */
  async function send(init: { method?: string; path?: string; body?: string; headers?: Record<string, string>; actor?: string }): Promise<RawReply> {
    const url = new URL(stack.platform.gateway.url);
    if (init.path) url.href = new URL(init.path, url).href;
    const response = await fetch(url, {
      method: init.method ?? 'POST',
      headers: {
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(init.actor ? { authorization: `Bearer ${await stack.token(init.actor)}` } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    const text = await response.text();
    let body: GraphQLResponse['body'] = {};
    try {
      body = JSON.parse(text) as GraphQLResponse['body'];
    } catch {
      // Asserted by the caller: every reply here must be JSON.
    }
    return { status: response.status, contentType: response.headers.get('content-type'), requestId: response.headers.get('x-request-id'), text, body };
  }

  async function count(sql: string, parameters: unknown[] = []): Promise<number> {
    const rows = await stack.platform.database.query<{ n: string }>(sql, parameters);
    return Number(rows[0]!.n);
  }
  const auditEntries = () => count('select count(*)::text as n from consent.audit_entry');

  function expectRefused(reply: RawReply, status: number, code: string): void {
    expect(reply.contentType).toMatch(/^application\/json/);
    expect(reply.status).toBe(status);
    expect(reply.body.data ?? null).toBeNull();
    expect(reply.body.errors?.map((error) => error.extensions?.['code'])).toEqual([code]);
  }

  describe('ill-formed text', () => {
    it('refuses an anonymous lone surrogate in a variable with 400 BAD_USER_INPUT naming the variable, and keeps the audit chain whole', async () => {
      const before = await auditEntries();
      const reply = await send({ body: '{"query":"query($v: ID!){ resident(id:$v){ sex } }","variables":{"v":"\\ud800"}}' });
      expectRefused(reply, 400, 'BAD_USER_INPUT');
      expect(reply.body.errors![0]!.message).toContain('variables.v');
      expect(reply.text).not.toMatch(/\\ud800|\uFFFD/i);
      expect(await auditEntries()).toBe(before);
      const chain = await stack.query<{ verifyAuditChain: { valid: boolean } }>('auditor', '{ verifyAuditChain { valid } }');
      expect(chain.body.data!.verifyAuditChain.valid).toBe(true);
    });

    it('refuses NUL and lone surrogates wherever they are in the request, naming where', async () => {
      const query = 'query Q($v: ID!){ resident(id:$v){ sex } }';
      const cases: Array<{ body: string; where: string }> = [
        { body: JSON.stringify({ query: `${query} # \u0000` }), where: 'query' },
        { body: JSON.stringify({ query: '{ institutions(first: 1) { id } } #', operationName: 'Q\u0000' }), where: 'operationName' },
        { body: `{"query":${JSON.stringify(query)},"variables":{"v":"a\\u0000b"}}`, where: 'variables.v' },
        { body: `{"query":"mutation($i: AccessRequestInput!){ requestAccess(input:$i){ id } }","variables":{"i":{"residentId":"r","categories":["CLINICAL"],"purpose":"TREAT","reason":"\\udc00x"}}}`, where: 'variables.i.reason' },
        { body: `{"query":"mutation($i: [EncounterInput!]!){ recordEncounters(input:$i) }","variables":{"i":[{"diagnoses":[{"code":"\\u0000"}]}]}}`, where: 'variables.i[0].diagnoses[0].code' },
        { body: `{"query":${JSON.stringify(query)},"variables":{"v":"x","\\ud800":1}}`, where: 'a key in variables' },
        { body: `{"query":${JSON.stringify(query)},"variables":{"v":"x"},"extensions":{"trace":"\\u0000"}}`, where: 'extensions.trace' },
      ];
      expect(cases.length).toBeGreaterThan(0);
      const before = await auditEntries();
      for (const { body, where } of cases) {
        const reply = await send({ body, actor: 'clinician-a', headers: TREAT });
        expectRefused(reply, 400, 'BAD_USER_INPUT');
        expect(reply.body.errors![0]!.message, where).toContain(where);
      }
      const get = await send({
        method: 'GET',
        path: `?query=${encodeURIComponent(query)}&variables=${encodeURIComponent('{"v":"\\ud800"}')}`,
        headers: { 'apollo-require-preflight': 'true' },
      });
      expectRefused(get, 400, 'BAD_USER_INPUT');
      expect(get.body.errors![0]!.message).toContain('variables.v');
      const getNul = await send({ method: 'GET', path: `?query=${encodeURIComponent('{ institutions(first: 1) { id } }')}%00`, headers: { 'apollo-require-preflight': 'true' } });
      expectRefused(getNul, 400, 'BAD_USER_INPUT');
      expect(await auditEntries()).toBe(before);
    });

    it('refuses a NUL in a string argument bound for SQL, as a variable or as a literal escape, and writes no row', async () => {
      const requests = () => count('select count(*)::text as n from consent.access_request');
      const before = await requests();
      const mutation = 'mutation($input: AccessRequestInput!) { requestAccess(input: $input) { id } }';
      const input = { residentId: id('resident-multi'), categories: ['CLINICAL'], purpose: 'TREAT', reason: '会诊\u0000需要' };
      const asVariable = await stack.query('clinician-c', mutation, { input });
      expect(asVariable.status).toBe(400);
      expect(asVariable.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
      const literal = `mutation { requestAccess(input: { residentId: "${id('resident-multi')}", categories: [CLINICAL], purpose: TREAT, reason: "x\\u0000" }) { id } }`;
      const asLiteral = await stack.query('clinician-c', literal);
      expect(asLiteral.status).toBe(400);
      expect(asLiteral.body.data ?? null).toBeNull();
      expect(asLiteral.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
      const anonymous = await stack.query(null, '{ institutions(first: 1, after: "inst\\u0000") { id } }');
      expect(anonymous.status).toBe(400);
      expect(anonymous.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
      expect(await requests()).toBe(before);
    });

    it('refuses a break-glass reason that decodes to NUL or to ill-formed UTF-8, with no audit entry and no review', async () => {
      const reviews = () => count('select count(*)::text as n from consent.break_glass_review');
      const [entriesBefore, reviewsBefore] = [await auditEntries(), await reviews()];
      const reasons = ['%00', encodeURIComponent('急诊') + '%00', '%ED%A0%80', '%C3'];
      expect(reasons.length).toBeGreaterThan(0);
      for (const reason of reasons) {
        const reply = await send({
          body: JSON.stringify({ query: 'query($id: ID!) { resident(id: $id) { sex } }', variables: { id: id('resident-sensitive') } }),
          actor: 'clinician-b',
          headers: { 'x-purpose-of-use': 'ETREAT', 'x-break-glass-reason': reason },
        });
        expectRefused(reply, 400, 'BAD_USER_INPUT');
        expect(reply.body.errors![0]!.message, reason).toContain('X-Break-Glass-Reason');
      }
      expect(await auditEntries()).toBe(entriesBefore);
      expect(await reviews()).toBe(reviewsBefore);
    });
  });

  describe('codes and statuses', () => {
    it('refuses a malformed date-time, a year outside 0001-9999 and an impossible calendar date with 400 BAD_USER_INPUT before any audit', async () => {
      const cases: Array<{ query: string; variables?: Record<string, unknown> }> = [
        { query: 'query($b: DateTimeISO) { myArchive { encounters(before: $b) { id } } }', variables: { b: 'garbage' } },
        { query: '{ myArchive { encounters(before: "garbage") { id } } }' },
        { query: 'query($b: DateTimeISO) { myArchive { labReports(before: $b) { id } } }', variables: { b: '+099999-01-01T00:00:00Z' } },
        { query: '{ myArchive { labReports(before: "+099999-01-01T00:00:00Z") { id } } }' },
        { query: 'query($b: DateTimeISO) { myArchive { diagnoses(before: $b) { code } } }', variables: { b: '0000-06-01T00:00:00Z' } },
        { query: 'query($b: DateTimeISO) { myArchive { prescriptions(before: $b) { id } } }', variables: { b: '2024-02-30T00:00:00Z' } },
        { query: 'query($d: LocalDate) { myArchive { immunizations(before: $d) { id } } }', variables: { d: '2024-02-30' } },
        { query: '{ myArchive { immunizations(before: "2023-02-29") { id } } }' },
      ];
      expect(cases.length).toBeGreaterThan(0);
      const before = await auditEntries();
      for (const { query, variables } of cases) {
        const reply = await stack.query('resident-multi', query, variables);
        expect(reply.status, query).toBe(400);
        expect(reply.body.data ?? null, query).toBeNull();
        expect(reply.body.errors?.map((e) => e.extensions?.['code']), query).toEqual(['BAD_USER_INPUT']);
        expect(JSON.stringify(reply.body), query).not.toMatch(/garbage|099999|2024-02-30|2023-02-29/);
      }
      expect(await auditEntries()).toBe(before);
      const valid = await stack.query<{ myArchive: { encounters: unknown[] } }>('resident-multi', 'query($b: DateTimeISO) { myArchive { encounters(before: $b) { id } } }', { b: '9999-12-31T23:59:59Z' });
      expect(valid.status).toBe(200);
      expect(valid.body.data!.myArchive.encounters.length).toBeGreaterThan(0);
    });

    it('refuses a cursor that is not one with 400 BAD_USER_INPUT, without the subgraph name or URL', async () => {
      const reply = await stack.query('resident-multi', '{ myAccessLog(after: "garbage") { edges { cursor } } }');
      expect(reply.status).toBe(400);
      expect(reply.body.data ?? null).toBeNull();
      expect(reply.body.errors?.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'after' }]);
      const text = JSON.stringify(reply.body);
      expect(text).not.toContain('serviceName');
      for (const subgraph of stack.platform.subgraphs) expect(text).not.toContain(new URL(subgraph.url).host);
    });

    it("gives each refusal of the gateway's own stages the status of its code", async () => {
      const resident = { id: id('resident-multi') };
      const view = 'query($id: ID!) { resident(id: $id) { sex } }';
      const cases: Array<{ name: string; reply: () => Promise<RawReply>; status: number; code: string }> = [
        { name: 'no purpose', reply: () => send({ body: JSON.stringify({ query: view, variables: resident }), actor: 'clinician-a' }), status: 403, code: 'PURPOSE_REQUIRED' },
        { name: 'break-glass without reason', reply: () => send({ body: JSON.stringify({ query: view, variables: resident }), actor: 'clinician-a', headers: { 'x-purpose-of-use': 'ETREAT' } }), status: 400, code: 'BAD_USER_INPUT' },
        { name: 'unknown purpose', reply: () => send({ body: JSON.stringify({ query: view, variables: resident }), actor: 'clinician-a', headers: { 'x-purpose-of-use': 'NOPE' } }), status: 400, code: 'BAD_USER_INPUT' },
        { name: 'bad ID-card number', reply: () => send({ body: JSON.stringify({ query: 'query($c: String!) { findResident(idCardNumber: $c) { id } }', variables: { c: '110105194912310021' } }), actor: 'clinician-a', headers: TREAT }), status: 400, code: 'BAD_USER_INPUT' },
        { name: 'missing variable', reply: () => send({ body: JSON.stringify({ query: view }), actor: 'clinician-a', headers: TREAT }), status: 400, code: 'BAD_USER_INPUT' },
        { name: 'too many roots', reply: () => send({ body: JSON.stringify({ query: `{ ${Array.from({ length: 11 }, (_, i) => `a${i}: institutions(first: 1) { id }`).join(' ')} }` }) }), status: 400, code: 'QUERY_TOO_COMPLEX' },
        { name: 'bad token', reply: () => send({ body: JSON.stringify({ query: '{ me { role } }' }), headers: { authorization: 'Bearer nope' } }), status: 401, code: 'UNAUTHENTICATED' },
        { name: 'syntax error', reply: () => send({ body: JSON.stringify({ query: '{ institutions(' }) }), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
        { name: 'unknown field', reply: () => send({ body: JSON.stringify({ query: '{ nothingHere }' }) }), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
        { name: 'not JSON', reply: () => send({ body: '{"query":' }), status: 400, code: 'BAD_REQUEST' },
        { name: 'no such operation', reply: () => send({ body: JSON.stringify({ query: '{ me { role } }', operationName: 'Nope' }) }), status: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
        { name: 'two operations, none named', reply: () => send({ body: JSON.stringify({ query: 'query A { me { role } } query B { me { role } }' }) }), status: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
        { name: 'no subscriptions', reply: () => send({ body: JSON.stringify({ query: 'subscription { me { role } }' }) }), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
      ];
      expect(cases.length).toBeGreaterThan(0);
      for (const { name, reply, status, code } of cases) {
        const answer = await reply();
        expect(answer.contentType, name).toMatch(/^application\/json/);
        expect([answer.status, answer.body.errors?.[0]?.extensions?.['code']], name).toEqual([status, code]);
      }
    });

    it('answers a used-up one-use grant with the same 403 and the same body whoever loses the race', async () => {
      const refusals: RawReply[] = [];
      for (let round = 0; round < 3; round++) {
        const token = await requestAndApprove('clinician-c', 'resident-multi', 1);
        const body = JSON.stringify({ query: 'query($id: ID!) { resident(id: $id) { encounters(first: 1) { id } } }', variables: { id: id('resident-multi') } });
        const replies = await Promise.all([1, 2, 3, 4].map(() => send({ body, actor: 'clinician-c', headers: { ...TREAT, 'x-access-grant': token } })));
        expect(replies.filter((r) => r.status === 200 && r.body.data)).toHaveLength(1);
        refusals.push(...replies.filter((r) => !r.body.data));
      }
      expect(refusals).toHaveLength(9);
      for (const refusal of refusals) {
        expect(refusal.status).toBe(403);
        expect(refusal.body).toEqual({
          errors: [{ message: 'The access grant has no uses left; request access again.', extensions: { code: 'GRANT_INVALID', problem: 'USED_UP' } }],
        });
      }
    });

    it('answers every error outside GraphQL with JSON and a code: too large, not found, receipts', async () => {
      const tooLarge = await send({ body: JSON.stringify({ query: `{ me { role } } #${'x'.repeat(1_100_000)}` }) });
      expect([tooLarge.status, tooLarge.contentType?.startsWith('application/json'), tooLarge.body.errors?.[0]?.extensions?.['code']]).toEqual([413, true, 'PAYLOAD_TOO_LARGE']);
      const notFound = await send({ method: 'GET', path: '/nowhere' });
      expect([notFound.status, notFound.contentType?.startsWith('application/json'), notFound.body.errors?.[0]?.extensions?.['code']]).toEqual([404, true, 'NOT_FOUND']);
      const anonymousReceipt = await send({ method: 'GET', path: '/consents/c-1/receipt' });
      expect([anonymousReceipt.status, anonymousReceipt.contentType?.startsWith('application/json'), anonymousReceipt.body.errors?.[0]?.extensions?.['code']]).toEqual([401, true, 'UNAUTHENTICATED']);
      const badToken = await send({ method: 'GET', path: '/consents/c-1/receipt', headers: { authorization: 'Bearer nope' } });
      expect([badToken.status, badToken.body.errors?.[0]?.extensions?.['code']]).toEqual([401, 'UNAUTHENTICATED']);
      const unknownReceipt = await send({ method: 'GET', path: '/consents/c-1/receipt', actor: 'resident-multi' });
      expect([unknownReceipt.status, unknownReceipt.contentType?.startsWith('application/json'), unknownReceipt.body.errors?.[0]?.extensions?.['code']]).toEqual([404, true, 'NOT_FOUND']);
    });
  });

  describe('persisted queries', () => {
    it("never runs another caller's query from its hash alone", async () => {
      const query = `query($id: ID!) { resident(id: $id) { sex birthDate } }`;
      const sha256Hash = createHash('sha256').update(query).digest('hex');
      const persistedQuery = { version: 1, sha256Hash };
      await send({ body: JSON.stringify({ query, variables: { id: id('resident-multi') }, extensions: { persistedQuery } }), actor: 'resident-multi' });
      const before = await auditEntries();
      const reply = await send({ body: JSON.stringify({ variables: { id: id('resident-multi') }, extensions: { persistedQuery } }), actor: 'clinician-c', headers: TREAT });
      expect(reply.body.data ?? null).toBeNull();
      expect(reply.body.errors?.map((e) => e.extensions?.['code'])).toEqual([expect.stringMatching(/^PERSISTED_QUERY_NOT_(FOUND|SUPPORTED)$/)]);
      expect(reply.text).not.toContain('birthDate');
      expect(await auditEntries()).toBe(before);
    });
  });

  describe('request ids', () => {
    it('returns an x-request-id on every response, keeps a well-formed incoming one and audits under it', async () => {
      const replies = [
        await send({ body: JSON.stringify({ query: '{ institutions(first: 1) { id } }' }) }),
        await send({ body: '{"query":"{ me { role } }","variables":{"v":"\\ud800"}}' }),
        await send({ method: 'GET', path: '/nowhere' }),
        await send({ method: 'GET', path: '/health' }),
      ];
      expect(replies.length).toBeGreaterThan(0);
      for (const reply of replies) expect(reply.requestId).toMatch(UUID);
      expect(new Set(replies.map((r) => r.requestId)).size).toBe(replies.length);

      const incoming = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
      const kept = await send({ body: JSON.stringify({ query: '{ myArchive { sex } }' }), actor: 'resident-multi', headers: { 'x-request-id': incoming } });
      expect(kept.requestId).toBe(incoming);
      expect(await count('select count(*)::text as n from consent.audit_entry where request_id = $1', [incoming])).toBe(1);
      const replaced = await send({ body: JSON.stringify({ query: '{ me { role } }' }), headers: { 'x-request-id': 'id 110105194912310029' } });
      expect(replaced.requestId).toMatch(UUID);
    });
  });

  async function requestAndApprove(clinician: string, residentActor: string, uses: number): Promise<string> {
    const requested = await stack.query<{ requestAccess: { id: string } }>(clinician, 'mutation($input: AccessRequestInput!) { requestAccess(input: $input) { id } }', {
      input: { residentId: id(residentActor), purpose: 'TREAT', reason: '会诊需要', categories: ['CLINICAL'], uses },
    });
    const requestId = requested.body.data!.requestAccess.id;
    await stack.query(residentActor, 'mutation($id: ID!) { approveAccessRequest(id: $id) { status } }', { id: requestId });
    const mine = await stack.query<{ myAccessRequests: Array<{ id: string; grantToken: string | null }> }>(clinician, '{ myAccessRequests { id grantToken } }');
    return mine.body.data!.myAccessRequests.find((r) => r.id === requestId)!.grantToken!;
  }
});
