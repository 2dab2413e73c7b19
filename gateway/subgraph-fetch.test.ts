import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONTEXT_HEADER, CONTEXT_TTL_SECONDS } from '../schema/context.js';
import {
  approvedGrant,
  startExtraGateway,
  startRecordingProxy,
  startStalledService,
  startTestPlatform,
  testBackends,
  type GraphQLResponse,
  type RecordedRequest,
  type TestPlatform,
} from '../testkit/index.js';

const TREAT = { 'x-purpose-of-use': 'TREAT' };
const entities = (fields: string) => `query($r: [_Any!]!) { _entities(representations: $r) { ... on Resident { ${fields} } } }`;

type SubgraphReply = { status: number; body: { data?: { _entities?: Array<{ encounters?: unknown[] } | null> }; errors?: Array<{ extensions?: { code?: string } }> } };

/** Posts `body` to a subgraph exactly as given, under `context`, as someone who captured it would. */
async function replay(url: string, context: string, body: string): Promise<SubgraphReply> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: context }, body });
  return { status: response.status, body: (await response.json()) as SubgraphReply['body'] };
}

function clinicalFetch(requests: RecordedRequest[]): { context: string; body: string } {
  const fetches = requests.filter((r) => r.body.includes('_entities') && r.headers[CONTEXT_HEADER]);
  expect(fetches.length).toBeGreaterThan(0);
  return { context: fetches[0]!.headers[CONTEXT_HEADER]!, body: fetches[0]!.body };
}

function expectRefused(reply: SubgraphReply): void {
  expect(reply.status).toBe(401);
  expect(reply.body.data).toBeUndefined();
  expect(reply.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
}

const errorCodesByPath = (body: GraphQLResponse['body']) =>
  (body.errors ?? []).map((e) => [(e.path ?? []).join('.'), e.extensions?.['code']]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));

describe.each(testBackends())('subgraph fetches on $name', (backend) => {
  let stack: TestPlatform;
  const subgraph = (name: string) => {
    const found = stack.platform.subgraphs.find((s) => s.name === name);
    if (!found) throw new Error(`no subgraph ${name}`);
    return found;
  };
  const residentId = (actor: string) => stack.actor(actor).residentId!;

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('a signed context', () => {
    it("opens nothing when captured from a one-use grant's clinical fetch and replayed, with another body or the same", async () => {
      const proxy = await startRecordingProxy(subgraph('clinical').url);
      const gateway = await startExtraGateway(stack, { subgraphUrls: { clinical: proxy.url } });
      try {
        const grant = await approvedGrant(stack, 'clinician-c', 'resident-multi', { categories: ['CLINICAL'], uses: 1 });
        const legitimate = await stack.query<{ resident: { encounters: Array<{ id: string }> } }>(
          'clinician-c',
          'query($id: ID!) { resident(id: $id) { encounters(first: 50) { id institution { id } } } }',
          { id: residentId('resident-multi') },
          { ...TREAT, 'x-access-grant': grant },
          gateway.url,
        );
        expect(legitimate.status).toBe(200);
        expect(legitimate.body.errors).toBeUndefined();
        expect(legitimate.body.data!.resident.encounters.length).toBeGreaterThan(0);

        const captured = clinicalFetch(proxy.requests);
        const wider = JSON.stringify({
          query: entities('encounters(first: 100) { id department chiefComplaint institution { id } }'),
          variables: { r: [{ __typename: 'Resident', id: residentId('resident-multi') }] },
        });
        expectRefused(await replay(subgraph('clinical').url, captured.context, wider));
        expectRefused(await replay(subgraph('clinical').url, captured.context, captured.body));
      } finally {
        await gateway.stop();
        await proxy.stop();
      }
    });

    it('is bound to one subgraph, one body and seconds of validity, and opens its own fetch exactly once', async () => {
      // Nothing reaches the clinical subgraph through this proxy: the recorded context was never used.
      const sink = await startRecordingProxy(subgraph('clinical').url, { forward: false });
      const gateway = await startExtraGateway(stack, { subgraphUrls: { clinical: sink.url } });
      try {
        await stack.query('resident-multi', '{ myArchive { encounters(first: 3) { id } } }', {}, {}, gateway.url);
        const captured = clinicalFetch(sink.requests);

        const others = stack.platform.subgraphs.filter((s) => s.name !== 'clinical');
        expect(others.map((s) => s.name).sort()).toEqual(['archive', 'consent', 'immunization', 'population', 'research', 'resources', 'results']);
        for (const other of others) expectRefused(await replay(other.url, captured.context, captured.body));

        const otherBody = JSON.stringify({ query: entities('encounters(first: 100) { id chiefComplaint }'), variables: { r: [{ __typename: 'Resident', id: residentId('resident-multi') }] } });
        expectRefused(await replay(subgraph('clinical').url, captured.context, otherBody));
        // Same bytes but for one space: the digest covers the body exactly as sent.
        expectRefused(await replay(subgraph('clinical').url, captured.context, `${captured.body} `));

        vi.useFakeTimers({ toFake: ['Date'] });
        try {
          vi.setSystemTime(Date.now() + (CONTEXT_TTL_SECONDS + 60) * 1000);
          expectRefused(await replay(subgraph('clinical').url, captured.context, captured.body));
        } finally {
          vi.useRealTimers();
        }

        // None of the refusals used the context up: its own fetch is answered once, then never again.
        const intended = await replay(subgraph('clinical').url, captured.context, captured.body);
        expect(intended.status).toBe(200);
        expect(intended.body.data?._entities?.[0]?.encounters).toHaveLength(3);
        expectRefused(await replay(subgraph('clinical').url, captured.context, captured.body));
      } finally {
        await gateway.stop();
        await sink.stop();
      }
    });

    it('names the subgraph, carries a digest and a fresh id per fetch, and keeps the request id as a claim', async () => {
      const proxy = await startRecordingProxy(subgraph('clinical').url);
      const gateway = await startExtraGateway(stack, { subgraphUrls: { clinical: proxy.url } });
      try {
        const query = '{ myArchive { encounters(first: 2) { id } diagnoses(first: 2) { code } } }';
        for (let i = 0; i < 2; i += 1) expect((await stack.query('resident-multi', query, {}, {}, gateway.url)).body.errors).toBeUndefined();
        const payloads = proxy.requests.map((r) => JSON.parse(Buffer.from(r.headers[CONTEXT_HEADER]!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>);
        expect(payloads.length).toBeGreaterThanOrEqual(2);
        for (const payload of payloads) {
          expect(payload['aud']).toBe('clinical');
          expect(payload['bdy']).toMatch(/^[A-Za-z0-9_-]{43}$/);
          expect(Number(payload['exp']) - Number(payload['iat'])).toBeLessThanOrEqual(CONTEXT_TTL_SECONDS);
          expect(payload['jti']).not.toBe((payload['ctx'] as { requestId: string }).requestId);
        }
        expect(new Set(payloads.map((p) => p['jti'])).size).toBe(payloads.length);
        expect(new Set(payloads.map((p) => (p['ctx'] as { requestId: string }).requestId)).size).toBe(2);
      } finally {
        await gateway.stop();
        await proxy.stop();
      }
    });
  });

  describe('a subgraph that does not answer', () => {
    const TIMEOUT_MS = 2_000;
    const ARCHIVE = '{ myArchive { id encounters(first: 2) { id } labReports(first: 2) { id } imagingReports(first: 2) { id } } }';
    type Archive = { myArchive: { id: string; encounters: unknown[] | null; labReports: unknown[] | null; imagingReports: unknown[] | null } };

    it('costs a request at most the fetch timeout: partial data, SUBGRAPH_TIMEOUT at the missing paths, while other requests are answered', async () => {
      const stalled = await startStalledService();
      const gateway = await startExtraGateway(stack, { subgraphUrls: { results: stalled.url }, subgraphTimeoutMs: TIMEOUT_MS });
      try {
        const started = performance.now();
        let slowSettled = false;
        const slow = stack.query<Archive>('resident-multi', ARCHIVE, {}, {}, gateway.url).then((reply) => {
          slowSettled = true;
          return { reply, ms: performance.now() - started };
        });
        await expect.poll(() => stalled.received, { timeout: TIMEOUT_MS }).toBe(1);

        // Answered while the other request still waits for the stalled subgraph.
        const trivial = await stack.query<{ institutions: unknown[] }>(null, '{ institutions(first: 1) { id } }', {}, {}, gateway.url);
        expect(trivial.body.data!.institutions).toHaveLength(1);
        expect(slowSettled).toBe(false);

        const { reply, ms } = await slow;
        expect(ms).toBeLessThan(TIMEOUT_MS + 4_000);
        expect(reply.status).toBe(200);
        expect(reply.body.data!.myArchive.id).toBe(residentId('resident-multi'));
        expect(reply.body.data!.myArchive.encounters).toHaveLength(2);
        expect(reply.body.data!.myArchive.labReports).toBeNull();
        expect(reply.body.data!.myArchive.imagingReports).toBeNull();
        expect(errorCodesByPath(reply.body)).toEqual([
          ['myArchive.imagingReports', 'SUBGRAPH_TIMEOUT'],
          ['myArchive.labReports', 'SUBGRAPH_TIMEOUT'],
        ]);
        const text = JSON.stringify(reply.body);
        expect(text).not.toMatch(/serviceName|"results"/);
        expect(text).not.toContain(new URL(stalled.url).host);
        // The aborted fetch closed its connection: nothing piles up while a subgraph stalls. (Node's fetch
        // may open one spare connection after an abort; it closes once idle, after 4 s.)
        await expect.poll(() => stalled.openSockets, { timeout: 10_000, interval: 200 }).toBe(0);
      } finally {
        await gateway.stop();
        await stalled.stop();
      }
    });

    it('gives a subgraph that is down the same shape at once: SUBGRAPH_UNAVAILABLE at the missing paths, no name or address', async () => {
      const stalled = await startStalledService();
      const downUrl = stalled.url;
      await stalled.stop();
      const gateway = await startExtraGateway(stack, { subgraphUrls: { results: downUrl } });
      try {
        const started = performance.now();
        const reply = await stack.query<Archive>('resident-multi', ARCHIVE, {}, {}, gateway.url);
        expect(performance.now() - started).toBeLessThan(5_000);
        expect(reply.status).toBe(200);
        expect(reply.body.data!.myArchive.encounters).toHaveLength(2);
        expect(reply.body.data!.myArchive.labReports).toBeNull();
        expect(errorCodesByPath(reply.body)).toEqual([
          ['myArchive.imagingReports', 'SUBGRAPH_UNAVAILABLE'],
          ['myArchive.labReports', 'SUBGRAPH_UNAVAILABLE'],
        ]);
        const text = JSON.stringify(reply.body);
        expect(text).not.toMatch(/serviceName|"results"|ECONNREFUSED/);
        expect(text).not.toContain(new URL(downUrl).host);
      } finally {
        await gateway.stop();
      }
    });

    it('times out a master-patient-index lookup too: findResident answers SUBGRAPH_TIMEOUT within the timeout', async () => {
      const stalled = await startStalledService();
      const gateway = await startExtraGateway(stack, { subgraphUrls: { population: stalled.url }, subgraphTimeoutMs: TIMEOUT_MS });
      try {
        const started = performance.now();
        const card = stack.actor('resident-multi').idCardNumber!;
        const reply = await stack.query('clinician-a', 'query($card: String!) { findResident(idCardNumber: $card) { id } }', { card }, TREAT, gateway.url);
        expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 4_000);
        expect(stalled.received).toBe(1);
        expect(reply.status).toBe(504);
        expect(reply.body.data ?? null).toBeNull();
        expect(reply.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['SUBGRAPH_TIMEOUT']);
        expect(JSON.stringify(reply.body)).not.toContain(card);
        expect(JSON.stringify(reply.body)).not.toContain(new URL(stalled.url).host);
        await expect.poll(() => stalled.openSockets, { timeout: 10_000, interval: 200 }).toBe(0);
      } finally {
        await gateway.stop();
        await stalled.stop();
      }
    });
  });
});
