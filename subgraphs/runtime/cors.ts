/**
 * CORS for the browser origins the operator lists (HEALTHMESH_CORS_ORIGINS; none by default), with the
 * `cors` package: a listed origin gets `Access-Control-Allow-Origin` and may send the platform's
 * headers; any other origin gets no CORS header at all, so the browser keeps the answer from it.
 * Bearer tokens travel in a header, never a cookie, so credentials are not allowed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';

/** What a browser client may send: the bearer token, JSON, purpose of use, grant, break-glass, correlation (request id, W3C trace context), and the CSRF guard's preflight headers. */
export const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-purpose-of-use',
  'x-access-grant',
  'x-break-glass-reason',
  'x-request-id',
  'traceparent',
  'tracestate',
  'apollo-require-preflight',
  'x-apollo-operation-name',
] as const;

/** What a browser client may read beyond the safelisted response headers. */
export const CORS_EXPOSED_HEADERS = ['x-request-id'] as const;

type Middleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

let middleware: Middleware | undefined;

/** Sets the origins allowed for every HTTP service of this process (the composition root calls it once). */
export function configureCors(origins: readonly string[]): void {
  middleware =
    origins.length === 0
      ? undefined
      : (cors({
          origin: [...origins],
          methods: ['GET', 'POST'],
          allowedHeaders: [...CORS_ALLOWED_HEADERS],
          exposedHeaders: [...CORS_EXPOSED_HEADERS],
          maxAge: 600,
          optionsSuccessStatus: 204,
        }) as unknown as Middleware);
}

/**
 * Adds the CORS headers of the configured origins to `response`; answers a preflight itself (then the
 * caller must not). Resolves to true when the request was a preflight and is answered.
 */
export function applyCors(request: IncomingMessage, response: ServerResponse): Promise<boolean> | false {
  const apply = middleware;
  if (!apply || request.headers.origin === undefined) return false;
  return new Promise((resolve, reject) => {
    // `cors` ends a preflight itself and calls `next` only for the requests it lets through.
    response.once('finish', () => resolve(true));
    apply(request, response, (error) => (error ? reject(error) : resolve(response.writableEnded)));
  });
}
