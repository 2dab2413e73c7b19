/**
 * The operational part of the HTTP edge, kept apart from request handling: CORS, `GET /metrics`, and
 * counting each answered request. http.ts calls these in two places and nothing else.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { applyCors } from './cors.js';
import type { Logger, RequestLine } from './logging.js';
import { observeRequest, serveMetrics } from './metrics.js';

/** The `service` binding of a service's logger (`logger.child({ service })`), or `http`. */
export function serviceNameOf(logger: Logger): string {
  const bound = logger.bindings()['service'];
  return typeof bound === 'string' ? bound : 'http';
}

/** Counts the request in the metrics once its response has gone out. */
export function whenAnswered(response: ServerResponse, request: { service: string; started: number; line: RequestLine; method: string; path: string }): void {
  response.once('close', () => {
    const { service, method, path, line } = request;
    observeRequest({ service, path, method, status: response.statusCode, durationMs: performance.now() - request.started, errorCodes: line.errorCodes });
  });
}

/** Adds CORS headers, answers a preflight and `GET /metrics`; true when the request is answered. */
export async function operationalRoute(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> {
  if (await applyCors(request, response)) return true;
  if (url.pathname === '/metrics' && (request.method === 'GET' || request.method === 'HEAD')) return serveMetrics(response);
  return false;
}
