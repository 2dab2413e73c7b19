import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateResident } from '../seed/index.js';
import { isTracing } from '../subgraphs/runtime/tracing.js';
import { startExtraGateway, startRecordingProxy, startTestPlatform, testBackends, type RecordingProxy, type TestPlatform } from '../testkit/index.js';

/** One span as the OTLP/HTTP JSON export carries it. */
interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  serviceName: string;
}

// OTLP's enum (opentelemetry-proto trace.proto), not the JS api's.
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

/** A real OTLP/HTTP receiver: accepts JSON trace exports at /v1/traces, keeps the raw bodies and the spans. */
async function startOtlpReceiver(): Promise<{ url: string; bodies: string[]; spans: ExportedSpan[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const spans: ExportedSpan[] = [];
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (request.url !== '/v1/traces' || !String(request.headers['content-type']).includes('application/json')) {
      response.writeHead(415).end();
      return;
    }
    bodies.push(body);
    const exported = JSON.parse(body) as {
      resourceSpans: Array<{ resource: { attributes: ExportedSpan['attributes'] }; scopeSpans: Array<{ spans: Array<Omit<ExportedSpan, 'serviceName'>> }> }>;
    };
    for (const resourceSpans of exported.resourceSpans) {
      const serviceName = String(resourceSpans.resource.attributes.find((a) => a.key === 'service.name')?.value['stringValue']);
      for (const scope of resourceSpans.scopeSpans) for (const span of scope.spans) spans.push({ ...span, serviceName });
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, bodies, spans, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function attribute(span: ExportedSpan, key: string): unknown {
  const value = span.attributes.find((a) => a.key === key)?.value;
  if (!value) return undefined;
  if ('arrayValue' in value) return ((value['arrayValue'] as { values?: Array<Record<string, unknown>> }).values ?? []).map((v) => Object.values(v)[0]);
  const scalar = Object.values(value)[0];
  return typeof scalar === 'string' && 'intValue' in value ? Number(scalar) : scalar;
}

const ARCHIVE = 'query Mine { myArchive { id name phone idCardNumber encounters(first: 2) { department } labReports(first: 2) { id } immunizations(first: 2) { vaccineCode } } }';

describe.each(testBackends())('OpenTelemetry tracing across the gateway and the subgraphs on $name', (backend) => {
  let stack: TestPlatform;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // The standard variable an operator sets; the platform starts the SDK because of it.
    stack = await startTestPlatform(backend, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'healthmesh-test' } });
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  /** Flushes until the trace of `requestId` holds `atLeast` spans (the subgraphs' server spans end when their responses close). */
  async function traceOf(requestId: string, atLeast: number): Promise<ExportedSpan[]> {
    for (let attempt = 0; attempt < 50; attempt++) {
      await stack.platform.tracing!.forceFlush();
      const root = receiver.spans.find((span) => span.kind === SPAN_KIND_SERVER && attribute(span, 'healthmesh.request_id') === requestId);
      const spans = root ? receiver.spans.filter((span) => span.traceId === root.traceId) : [];
      if (spans.length >= atLeast && spans.filter((span) => span.kind === SPAN_KIND_SERVER).length >= atLeast / 2) return spans;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`the trace of ${requestId} did not arrive`);
  }

  it('one trace spans the gateway server span, a client span per subgraph fetch and the subgraph server span continuing each', async () => {
    expect(isTracing()).toBe(true);
    const response = await fetch(stack.platform.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.token('resident-multi')}` },
      body: JSON.stringify({ query: ARCHIVE }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
    const requestId = response.headers.get('x-request-id')!;
    const spans = await traceOf(requestId, 6);

    const root = spans.find((span) => span.kind === SPAN_KIND_SERVER && attribute(span, 'healthmesh.service') === 'gateway')!;
    expect(root.parentSpanId ?? '').toBe('');
    expect(root.serviceName).toBe('healthmesh-test');
    expect(root.name).toBe('POST /graphql');
    expect(attribute(root, 'healthmesh.request_id')).toBe(requestId);
    expect(attribute(root, 'http.response.status_code')).toBe(200);
    expect(attribute(root, 'graphql.operation.name')).toBe('Mine');
    expect(attribute(root, 'graphql.operation.type')).toBe('query');
    expect(attribute(root, 'healthmesh.actor.role')).toBe('resident');

    // Lifecycle stages are the gateway span's children.
    const stages = spans.filter((span) => attribute(span, 'healthmesh.stage') !== undefined);
    expect(stages.map((span) => attribute(span, 'healthmesh.stage'))).toEqual(expect.arrayContaining(['check-operation', 'decide', 'sign-context', 'decrypt-and-mask', 'consume-grant-and-audit']));
    for (const stage of stages) expect(stage.parentSpanId).toBe(root.spanId);

    const fetches = spans.filter((span) => span.kind === SPAN_KIND_CLIENT);
    // population (identity), clinical, results, immunization at least.
    expect(new Set(fetches.map((span) => attribute(span, 'healthmesh.subgraph'))).size).toBeGreaterThanOrEqual(4);
    const subgraphServers = spans.filter((span) => span.kind === SPAN_KIND_SERVER && span !== root);
    expect(subgraphServers.length).toBe(fetches.length);
    for (const client of fetches) {
      expect(client.parentSpanId).toBe(root.spanId);
      // The subgraph's edge continued the trace from the traceparent the fetch carried over HTTP.
      const server = subgraphServers.filter((span) => span.parentSpanId === client.spanId);
      expect(server).toHaveLength(1);
      expect(attribute(server[0]!, 'healthmesh.service')).toBe(attribute(client, 'healthmesh.subgraph'));
      expect(attribute(server[0]!, 'healthmesh.gateway_request_id')).toBe(requestId);
      expect(attribute(server[0]!, 'http.response.status_code')).toBe(200);
      expect(attribute(client, 'http.response.status_code')).toBe(200);
    }
  });

  it('a refusal carries its denial code on the gateway span', async () => {
    const response = await fetch(stack.platform.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.token('clinician-c')}`, 'x-purpose-of-use': 'TREAT' },
      body: JSON.stringify({ query: 'query View($id: ID!) { resident(id: $id) { name encounters(first: 1) { id } } }', variables: { id: stack.actor('resident-multi').residentId } }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions: { code: string } }> };
    const code = body.errors?.[0]?.extensions.code;
    expect(code).toBe('GRANT_REQUIRED');
    const requestId = response.headers.get('x-request-id')!;
    const [root] = (await traceOf(requestId, 1)).filter((span) => attribute(span, 'healthmesh.request_id') === requestId);
    expect(attribute(root!, 'healthmesh.denial_code')).toBe(code);
    expect(attribute(root!, 'healthmesh.error_codes')).toContain(code);
    expect(attribute(root!, 'graphql.operation.name')).toBe('View');
  });

  it('no span carries a resident name, ID-card number, phone, platform id or query variable', async () => {
    await stack.platform.tracing!.forceFlush();
    const forbidden: string[] = [];
    for (const [index, actor] of ['resident-multi', 'resident-sensitive', 'resident-research', 'resident-child'].entries()) {
      const { resident } = generateResident(stack.config.seed, index);
      expect(resident.id).toBe(stack.actor(actor).residentId);
      forbidden.push(resident.name, resident.idCardNumber, resident.id, ...(resident.phone ? [resident.phone] : []));
    }
    expect(forbidden.length).toBeGreaterThan(8);
    expect(receiver.bodies.length).toBeGreaterThan(0);
    for (const body of receiver.bodies) for (const identifier of forbidden) expect(body.includes(identifier), `${identifier} in an exported span`).toBe(false);
  });

  it('with tracing off no span is produced and no traceparent is sent to any subgraph', async () => {
    await stack.platform.tracing!.shutdown();
    expect(isTracing()).toBe(false);
    // The api's no-op tracer is all that is left.
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
    const exportsBefore = receiver.bodies.length;
    const proxies: RecordingProxy[] = [];
    const subgraphUrls: Record<string, string> = {};
    for (const subgraph of stack.platform.subgraphs) {
      const proxy = await startRecordingProxy(subgraph.url);
      proxies.push(proxy);
      subgraphUrls[subgraph.name] = proxy.url;
    }
    const gateway = await startExtraGateway(stack, { subgraphUrls });
    try {
      const response = await fetch(gateway.url, {
        method: 'POST',
        // Even a caller's own traceparent is not passed on when tracing is off.
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.token('resident-multi')}`, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
        body: JSON.stringify({ query: ARCHIVE }),
      });
      expect(response.status).toBe(200);
      const sent = proxies.flatMap((proxy) => proxy.requests);
      expect(sent.length).toBeGreaterThanOrEqual(4);
      for (const request of sent) {
        expect(request.headers).not.toHaveProperty('traceparent');
        expect(request.headers).not.toHaveProperty('tracestate');
        expect(request.headers).toHaveProperty('x-healthmesh-context');
      }
    } finally {
      await gateway.stop();
      await Promise.all(proxies.map((proxy) => proxy.stop()));
    }
    expect(receiver.bodies.length).toBe(exportsBefore);
  });
});
