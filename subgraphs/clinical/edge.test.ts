import { connect } from 'node:net';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from 'jose';
import { createFetchSigner, type FetchSigner } from '../../gateway/index.js';
import { CONTEXT_HEADER, type GatewayContextClaims } from '../../schema/context.js';
import { scopedClaims } from '../../testkit/claims.js';
import { createLogger } from '../runtime/logging.js';
import { migrateAll, openDatabase, startSubgraph, SUBGRAPH_MAX_BODY_BYTES, type DatabaseHandle, type RunningSubgraph } from '../runtime/index.js';
import { clinicalSubgraph } from './index.js';

const RESIDENT = 'res-edge';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ENCOUNTERS = 'query($r: [_Any!]!, $before: DateTimeISO) { _entities(representations: $r) { ... on Resident { encounters(before: $before) { id } } } }';
const representations = [{ __typename: 'Resident', id: RESIDENT }];

interface Reply {
  status: number;
  contentType: string | null;
  requestId: string | null;
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

// The signed-context check itself is tested elsewhere; here every request carries a valid one unless it says otherwise.
describe('the clinical subgraph called directly, at its HTTP edge', () => {
  let database: DatabaseHandle;
  let subgraph: RunningSubgraph;
  let signFetch: FetchSigner;
  const lines: string[] = [];
  const claims: GatewayContextClaims = { ...scopedClaims({}, { sub: 'dr-edge', role: 'clinician', institutionId: 'inst-1' }, { residentIds: [RESIDENT], categories: ['CLINICAL'] }), requestId: 'gateway-request-1' };

  beforeAll(async () => {
    database = await openDatabase();
    await migrateAll(database);
    const keys = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    signFetch = createFetchSigner(keys.privateKey, 'edge-test');
    subgraph = await startSubgraph(clinicalSubgraph, {
      database: database.db,
      contextPublicKey: keys.publicKey,
      port: 0,
      logger: createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } }),
    });
  });
  afterAll(async () => {
    await subgraph?.stop();
    await database?.close();
  });

  /** POSTs `body` with a context signed for it, or with none (`signed: false`). */
  async function post(body: string, headers: Record<string, string> = {}, path = '', signed = true): Promise<Reply> {
    const context: Record<string, string> = signed ? { [CONTEXT_HEADER]: await signFetch({ subgraph: 'clinical', body, claims }) } : {};
    const response = await fetch(new URL(path || subgraph.url), { method: 'POST', headers: { 'content-type': 'application/json', ...context, ...headers }, body });
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type'), requestId: response.headers.get('x-request-id'), body: JSON.parse(text) as Reply['body'] };
  }

  it('answers a well-formed request', async () => {
    const reply = await post(JSON.stringify({ query: ENCOUNTERS, variables: { r: representations, before: '2024-01-01T00:00:00+08:00' } }));
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ data: { _entities: [{ encounters: [] }] } });
  });

  it('refuses a lone surrogate or NUL anywhere in the body with 400 BAD_USER_INPUT before the context is even verified', async () => {
    const bodies: Array<[string, string]> = [
      [`{"query":${JSON.stringify(ENCOUNTERS)},"variables":{"r":[{"__typename":"Resident","id":"\\ud800"}]}}`, 'variables.r[0].id'],
      [`{"query":${JSON.stringify(ENCOUNTERS)},"variables":{"r":[],"\\u0000":1}}`, 'a key in variables'],
      [`{"query":${JSON.stringify(`${ENCOUNTERS} #\u0000`)}}`, 'query'],
    ];
    expect(bodies.length).toBeGreaterThan(0);
    for (const [body, where] of bodies) {
      // Without any context: a 400 rather than a 401 shows the body was refused before verification.
      const reply = await post(body, {}, '', false);
      expect([reply.status, reply.contentType?.startsWith('application/json')]).toEqual([400, true]);
      expect(reply.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_USER_INPUT']);
      expect(reply.body.errors![0]!.message).toContain(where);
    }
  });

  it('refuses a date-time outside years 0001-9999, an impossible date and a NUL literal with 400 BAD_USER_INPUT', async () => {
    const literal = ENCOUNTERS.replace(', $before: DateTimeISO', '').replace('(before: $before)', '(before: "0000-06-01T00:00:00Z")');
    const cases = [
      JSON.stringify({ query: ENCOUNTERS, variables: { r: representations, before: '0000-06-01T00:00:00Z' } }),
      JSON.stringify({ query: ENCOUNTERS, variables: { r: representations, before: '+099999-01-01T00:00:00Z' } }),
      JSON.stringify({ query: ENCOUNTERS, variables: { r: representations, before: '2024-02-30T00:00:00Z' } }),
      JSON.stringify({ query: literal, variables: { r: representations } }),
      JSON.stringify({ query: '{ _entities(representations: [{ __typename: "Resident", id: "a\\u0000b" }]) { __typename } }' }),
    ];
    expect(cases.length).toBeGreaterThan(0);
    for (const body of cases) {
      const reply = await post(body);
      expect(reply.status, body).toBe(400);
      expect(reply.body.data ?? null, body).toBeNull();
      expect(reply.body.errors?.map((e) => e.extensions?.['code']), body).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('answers non-GraphQL mistakes with JSON and a code: malformed JSON, too large, wrong path, a malformed HTTP request', async () => {
    const malformed = await post('{"query":');
    expect([malformed.status, malformed.body.errors?.[0]?.extensions?.['code']]).toEqual([400, 'BAD_REQUEST']);
    const tooLarge = await post(JSON.stringify({ query: `{ __typename } #${'x'.repeat(SUBGRAPH_MAX_BODY_BYTES + 100_000)}` }));
    expect([tooLarge.status, tooLarge.contentType?.startsWith('application/json'), tooLarge.body.errors?.[0]?.extensions?.['code']]).toEqual([413, true, 'PAYLOAD_TOO_LARGE']);
    const wrongPath = await post('{}', {}, new URL('/elsewhere', subgraph.url).href);
    expect([wrongPath.status, wrongPath.body.errors?.[0]?.extensions?.['code']]).toEqual([404, 'NOT_FOUND']);

    const malformedRequests = ['POST /graphql HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n', 'GET http://[bad/graphql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'];
    for (const request of malformedRequests) {
      const raw = await rawExchange(request);
      expect(raw, request).toMatch(/^HTTP\/1\.1 400 /);
      const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Reply['body'];
      expect(body.errors?.map((e) => e.extensions?.['code'])).toEqual(['BAD_REQUEST']);
    }
  });

  function rawExchange(request: string): Promise<string> {
    const { port } = new URL(subgraph.url);
    return new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(request, 'latin1'));
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('utf8')));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
  }

  it('runs no automatic persisted query', async () => {
    const query = '{ _service { sdl } }';
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
    await post(JSON.stringify({ query, extensions: { persistedQuery } }));
    const reply = await post(JSON.stringify({ extensions: { persistedQuery } }));
    expect(reply.body.data ?? null).toBeNull();
    expect(reply.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['PERSISTED_QUERY_NOT_SUPPORTED']);
  });

  it('returns an x-request-id and logs one line per request with the gateway request, role and codes, no subject', async () => {
    lines.length = 0;
    const incoming = '0b7e5a52-1d3c-4c1f-9a57-3e2d1c0b9a88';
    const ok = await post(JSON.stringify({ query: ENCOUNTERS, variables: { r: representations } }), { 'x-request-id': incoming });
    const refused = await post('{"query":"{ __typename }","variables":{"v":"\\ud800"}}', { 'x-request-id': 'not a uuid' });
    expect(ok.requestId).toBe(incoming);
    expect(refused.requestId).toMatch(UUID);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const requests = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['msg'] === 'request');
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({ service: 'clinical', requestId: incoming, method: 'POST', path: '/graphql', status: 200, actorRole: 'clinician', institutionId: 'inst-1', gatewayRequestId: 'gateway-request-1', errorCodes: [] });
    expect(requests[0]!['durationMs']).toEqual(expect.any(Number));
    expect(requests[1]).toMatchObject({ requestId: refused.requestId, status: 400, errorCodes: ['BAD_USER_INPUT'] });
    expect(lines.join('\n')).not.toContain(RESIDENT);
    expect(lines.join('\n')).not.toContain('dr-edge');
  });
});
