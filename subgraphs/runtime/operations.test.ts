import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BREAK_GLASS_HEADER, GRANT_HEADER, PURPOSE_HEADER } from '../../gateway/index.js';
import { startTestPlatform, testBackends, type TestPlatform } from '../../testkit/index.js';
import { CORS_ALLOWED_HEADERS, recordAuditAppend, recordGrantUse, recordSubgraphFetchError, routeLabel } from './index.js';

const APP = 'https://app.example.org';

/** The value of one sample line of the Prometheus text, or 0 when it is absent. */
function sample(text: string, metric: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const labelText = /\{(.*)\}/.exec(line)?.[1] ?? '';
    if (wanted.every((w) => labelText.split(',').includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

describe.each(testBackends())('readiness, metrics and CORS of the running platform on $name', (backend) => {
  let stack: TestPlatform;
  const gatewayPath = (path: string) => new URL(path, stack.platform.gateway.url).href;
  const metricsText = async () => (await fetch(gatewayPath('/metrics'))).text();

  beforeAll(async () => {
    stack = await startTestPlatform(backend, { env: { HEALTHMESH_CORS_ORIGINS: `${APP}, http://localhost:5173` } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('GET /ready on the gateway answers 200 naming the database and every subgraph as ok', async () => {
    const response = await fetch(gatewayPath('/ready'));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('ready');
    const subgraphs = stack.platform.subgraphs.map((subgraph) => subgraph.name);
    expect(subgraphs.length).toBeGreaterThan(6);
    expect(Object.keys(body.checks).sort()).toEqual(['database', ...subgraphs].sort());
    expect(new Set(Object.values(body.checks))).toEqual(new Set(['ok']));
  });

  it('GET /ready on a subgraph checks its database only', async () => {
    const subgraph = stack.platform.subgraphs.find((s) => s.name === 'clinical')!;
    const response = await fetch(new URL('/ready', subgraph.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  it('GET /metrics counts requests by route and status, with a latency histogram, and denials by code', async () => {
    const before = await metricsText();
    const anonymous = await stack.query(null, '{ myArchive { name } }');
    const code = String(anonymous.body.errors?.[0]?.extensions?.['code']);
    expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(code);
    const allowed = await stack.query('clinician-a', '{ institutions(first: 1) { name } }', undefined, { [PURPOSE_HEADER]: 'TREAT' });
    expect(allowed.status).toBe(200);
    const response = await fetch(gatewayPath('/metrics'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const after = await response.text();
    const route = { service: 'gateway', route: '/graphql', method: 'POST' };
    const status = String(anonymous.status);
    expect(sample(after, 'healthmesh_http_requests_total', { ...route, status }) - sample(before, 'healthmesh_http_requests_total', { ...route, status })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'healthmesh_http_request_duration_seconds_count', { ...route, status: '200' })).toBeGreaterThanOrEqual(1);
    expect(after).toMatch(/healthmesh_http_request_duration_seconds_bucket\{le="0\.005",service="gateway",route="\/graphql",method="POST",status="200"\}/);
    const denial = { service: 'gateway', code };
    expect(sample(after, 'healthmesh_denials_total', denial) - sample(before, 'healthmesh_denials_total', denial)).toBe(1);
    // The subgraphs of the allowed query were counted under their own service name.
    expect(sample(after, 'healthmesh_http_requests_total', { service: 'resources', route: '/graphql', method: 'POST', status: '200' })).toBeGreaterThanOrEqual(1);
  });

  it('names no identifier in a metric label: a receipt path becomes its template, an unknown path "other"', async () => {
    await fetch(gatewayPath('/consents/cons-123456789/receipt'));
    await fetch(gatewayPath('/no/such/11010519491231002X'));
    const text = await metricsText();
    expect(text).toContain('route="/consents/:id/receipt"');
    expect(text).toContain('route="other"');
    expect(text).not.toContain('cons-123456789');
    expect(text).not.toContain('11010519491231002X');
    expect(routeLabel('/graphql')).toBe('/graphql');
  });

  it('counts grant uses, audit appends and subgraph fetch errors through the exported recorders', async () => {
    const before = await metricsText();
    recordGrantUse();
    recordAuditAppend(3);
    recordSubgraphFetchError('clinical', 'SUBGRAPH_TIMEOUT');
    const after = await metricsText();
    expect(sample(after, 'healthmesh_grant_uses_total', {}) - sample(before, 'healthmesh_grant_uses_total', {})).toBe(1);
    expect(sample(after, 'healthmesh_audit_appends_total', {}) - sample(before, 'healthmesh_audit_appends_total', {})).toBe(3);
    expect(sample(after, 'healthmesh_subgraph_fetch_errors_total', { subgraph: 'clinical', code: 'SUBGRAPH_TIMEOUT' })).toBeGreaterThanOrEqual(1);
  });

  it('answers a preflight from a listed origin with the platform headers allowed, and exposes x-request-id', async () => {
    expect(CORS_ALLOWED_HEADERS).toEqual(expect.arrayContaining([PURPOSE_HEADER, GRANT_HEADER, BREAK_GLASS_HEADER, 'authorization', 'content-type', 'x-request-id']));
    const preflight = await fetch(stack.platform.gateway.url, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-purpose-of-use' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
    const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').split(',');
    for (const header of ['authorization', 'content-type', 'x-purpose-of-use', 'x-access-grant', 'x-break-glass-reason', 'x-request-id']) expect(allowed).toContain(header);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

    const response = await fetch(stack.platform.gateway.url, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json', authorization: `Bearer ${await stack.token('clinician-a')}`, [PURPOSE_HEADER]: 'TREAT' },
      body: JSON.stringify({ query: '{ institutions(first: 1) { name } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-expose-headers')).toBe('x-request-id');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives an origin not listed no CORS header, on the preflight and on the request', async () => {
    const preflight = await fetch(stack.platform.gateway.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const response = await fetch(stack.platform.gateway.url, {
      method: 'POST',
      headers: { origin: 'https://evil.example.com', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('x-request-id')).not.toBeNull();
  });

  it('GET /ready answers 503 naming the subgraph that stopped answering, and nothing else about it', async () => {
    const immunization = stack.platform.subgraphs.find((s) => s.name === 'immunization')!;
    await immunization.stop();
    const response = await fetch(gatewayPath('/ready'));
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; checks: Record<string, string>; notReady: string[] };
    expect(body.status).toBe('not ready');
    expect(body.notReady).toEqual(['immunization']);
    expect(body.checks['immunization']).toBe('unreachable');
    expect(body.checks['database']).toBe('ok');
  });
});
