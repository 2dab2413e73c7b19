/**
 * Prometheus metrics of this process (prom-client), served at `GET /metrics` by every HTTP service:
 * requests and their latency by service, route and status; denials and other error codes returned;
 * grant uses, audit appends and subgraph fetch errors, counted by whoever does them. Labels never carry
 * an identifier: routes are templates, codes come from a closed set.
 */
import type { ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { httpStatusOf } from '../../schema/errors.js';

/** The registry of this process's metrics (one per process, shared by every service it runs). */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'healthmesh_' });

/** What `GET /metrics` answers: this process's registry, unless `exposeMetricsFrom` said otherwise. */
let exposition: () => Promise<string> = () => metricsRegistry.metrics();

/** `GET /metrics` answers `source` instead (one of several gateway processes: the sum over them all). */
export function exposeMetricsFrom(source: () => Promise<string>): void {
  exposition = source;
}

const registers = [metricsRegistry];
const requestLabels = ['service', 'route', 'method', 'status'] as const;

const requests = new Counter({ name: 'healthmesh_http_requests_total', help: 'HTTP requests answered', labelNames: requestLabels, registers });
const latency = new Histogram({
  name: 'healthmesh_http_request_duration_seconds',
  help: 'Time from request to response end',
  labelNames: requestLabels,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});
const denials = new Counter({
  name: 'healthmesh_denials_total',
  help: 'Responses that carried a denial (an error code answered with 401, 403 or 429), by code',
  labelNames: ['service', 'code'],
  registers,
});
const errorCodes = new Counter({ name: 'healthmesh_response_errors_total', help: 'Responses that carried an error code, by code', labelNames: ['service', 'code'], registers });
const grantUses = new Counter({ name: 'healthmesh_grant_uses_total', help: 'Access-grant uses consumed', registers });
const auditAppends = new Counter({ name: 'healthmesh_audit_appends_total', help: 'Audit entries appended to the chain', registers });
const subgraphFetchErrors = new Counter({
  name: 'healthmesh_subgraph_fetch_errors_total',
  help: 'Gateway to subgraph fetches that failed, by subgraph and code',
  labelNames: ['subgraph', 'code'],
  registers,
});

const RECEIPT = /^\/consents\/[^/]+\/receipt$/;
const KNOWN_ROUTES = new Set(['/graphql', '/health', '/ready', '/metrics', '/pki/ca.pem', '/pki/crl']);

/** The route template of a path: known paths as they are, a receipt's consent id replaced, anything else `other`. */
export function routeLabel(path: string): string {
  if (KNOWN_ROUTES.has(path)) return path;
  if (RECEIPT.test(path)) return '/consents/:id/receipt';
  return 'other';
}

/** What one answered request adds to the metrics. */
export interface ObservedRequest {
  service: string;
  path: string;
  method: string;
  status: number;
  durationMs: number;
  /** The distinct error codes the response carried. */
  errorCodes: readonly string[];
}

const METHODS = new Set(['GET', 'POST', 'OPTIONS', 'HEAD', 'PUT', 'DELETE', 'PATCH']);

/** Counts one answered request (called by the HTTP layer when the response closes). */
export function observeRequest(request: ObservedRequest): void {
  const labels = {
    service: request.service,
    route: routeLabel(request.path),
    method: METHODS.has(request.method) ? request.method : 'other',
    status: String(request.status),
  };
  requests.inc(labels);
  latency.observe(labels, request.durationMs / 1000);
  for (const code of request.errorCodes) {
    const label = { service: request.service, code: errorCodeLabel(code) };
    errorCodes.inc(label);
    const status = httpStatusOf(code);
    if (status === 401 || status === 403 || status === 429) denials.inc(label);
  }
}

/** Error codes are upper-case words; anything else (a subgraph's odd code) is not a label value. */
function errorCodeLabel(code: string): string {
  return /^[A-Z][A-Z0-9_]{0,60}$/.test(code) ? code : 'OTHER';
}

/** Counts consumed grant uses (call after the use is committed). */
export function recordGrantUse(uses = 1): void {
  grantUses.inc(uses);
}

/** Counts audit entries appended (call after the transaction that wrote them commits). */
export function recordAuditAppend(entries = 1): void {
  if (entries > 0) auditAppends.inc(entries);
}

/** Counts a failed gateway → subgraph fetch (`code`: SUBGRAPH_TIMEOUT, SUBGRAPH_UNAVAILABLE, an HTTP status...). */
export function recordSubgraphFetchError(subgraph: string, code: string): void {
  subgraphFetchErrors.inc({ subgraph, code: errorCodeLabel(code) });
}

/** Writes the Prometheus text exposition: this process's metrics, or what `exposeMetricsFrom` named. */
export async function serveMetrics(response: ServerResponse): Promise<true> {
  const body = await exposition();
  response.writeHead(200, { 'content-type': metricsRegistry.contentType, 'cache-control': 'no-store' }).end(body);
  return true;
}
