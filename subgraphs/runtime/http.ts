/**
 * A minimal node:http integration for Apollo Server (the documented `executeHTTPGraphQLRequest` route),
 * shared by the subgraphs and the gateway so both speak HTTP the same way, with a health endpoint.
 * It is also the edge: every response carries `x-request-id`, every refusal it makes itself is JSON
 * with a code (schema/errors.ts gives the status), ill-formed text is refused before any work, and
 * each request leaves one log line.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { httpStatusOf } from '../../schema/errors.js';
import { findUnsafeInput, unsafeInputMessage, type UnsafeInput } from './input-hygiene.js';
import { describeError, recordErrorCode, requestLogger, RequestLine, SILENT_LOGGER, withoutDigitRuns, type Logger } from './logging.js';
import { operationalRoute, serviceNameOf, whenAnswered } from './operations.js';
import { startServerSpan } from './tracing.js';

/** Returned on every response; a well-formed incoming one (a UUID) is kept, so callers can correlate. */
export const REQUEST_ID_HEADER = 'x-request-id';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RunningHttpService {
  readonly url: string;
  readonly port: number;
  /** Idempotent: a second call resolves once the first stop finished. */
  stop(): Promise<void>;
}

/** Handles a non-GraphQL route; returns false when it does not own the path. */
export type ExtraRoute = (request: IncomingMessage, response: ServerResponse) => Promise<boolean> | boolean;

/** How one HTTP service listens and where its edge draws the line. */
export interface HttpServiceOptions {
  port: number;
  host?: string;
  path?: string;
  routes?: ExtraRoute[];
  /** Largest accepted request body; bigger bodies get 413 before parsing. */
  maxBodyBytes?: number;
  /** Request lines and unexpected errors go here; nothing is logged without one. */
  logger?: Logger;
  /** The `service` label of this server's metrics (default: the logger's `service` binding). */
  service?: string;
  /** Set on every response, next to `x-request-id` (a clustered gateway names its process). */
  responseHeaders?: Readonly<Record<string, string>>;
}

export interface ServeOptions<Context extends BaseContext> extends HttpServiceOptions {
  /**
   * Builds the request context; `body` is the request body exactly as received (signed-context digests
   * cover it), `requestId` the id this response carries in `x-request-id`.
   */
  context: (request: IncomingMessage, body: Buffer, requestId: string) => Promise<Context>;
}

/** One GraphQL request that passed the edge: safe text everywhere, within the size limit. */
export interface GraphQLExchange {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  requestId: string;
  method: string;
  /** The body exactly as received. */
  bytes: Buffer;
  /** The JSON body parsed (when sent as JSON), else the raw text. */
  body: unknown;
}

/** Answers one GraphQL exchange (the GraphQL server behind the edge: Apollo Server or Hive Gateway). */
export type GraphQLHandler = (exchange: GraphQLExchange) => Promise<void>;

/** The JSON error body every non-GraphQL refusal of the HTTP layer (and its routes) sends. */
export function replyWithError(response: ServerResponse, code: string, message: string, headers: Record<string, string> = {}): true {
  recordErrorCode(code);
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  response
    .writeHead(httpStatusOf(code) ?? 500, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) })
    .end(body);
  return true;
}

/** Apollo Server behind the edge (every subgraph). */
export async function serveApollo<Context extends BaseContext>(
  apollo: ApolloServer<Context>,
  options: ServeOptions<Context>,
): Promise<RunningHttpService> {
  await apollo.start();
  return serveHttp(
    async ({ request, response, url, requestId, method, bytes, body }) => {
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const result = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers, search: url.search, body },
        context: () => options.context(request, bytes, requestId),
      });
      for (const [key, value] of result.headers) response.setHeader(key, value);
      response.statusCode = result.status ?? 200;
      if (result.body.kind === 'complete') {
        response.end(result.body.string);
        return;
      }
      for await (const chunk of result.body.asyncIterator) response.write(chunk);
      response.end();
    },
    { ...options, onStop: () => apollo.stop() },
  );
}

/** The largest request body a service reads unless configured otherwise (a larger one is a 413). */
export const DEFAULT_MAX_BODY_BYTES = 1_000_000;

/**
 * The edge every service shares: request id, health, extra routes, body limit, JSON parsing and the
 * refusal of ill-formed text, then the GraphQL handler; graceful stop.
 */
export async function serveHttp(handleGraphQL: GraphQLHandler, options: HttpServiceOptions & { onStop?: () => Promise<void> }): Promise<RunningHttpService> {
  const path = options.path ?? '/graphql';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const logger = options.logger ?? SILENT_LOGGER;
  const service = options.service ?? serviceNameOf(logger);

  const server = createServer((request, response) => {
    const started = performance.now();
    const requestId = incomingRequestId(request) ?? randomUUID();
    response.setHeader(REQUEST_ID_HEADER, requestId);
    for (const [name, value] of Object.entries(options.responseHeaders ?? {})) response.setHeader(name, value);
    const line = new RequestLine(requestId, logger);
    const method = (request.method ?? 'GET').toUpperCase();
    // A no-op unless tracing is started (tracing.ts), which asks for neither description; a caller's `traceparent` is continued.
    const span = startServerSpan(request.headers, () => ({ service, method, path: withoutDigitRuns(pathOf(request)), requestId }));
    response.once('close', () => {
      line.write({ method, path: pathOf(request), status: response.statusCode, durationMs: performance.now() - started });
      span.end(() => {
        const { actorRole, operationName, operationType, gatewayRequestId } = line.annotations;
        return { status: response.statusCode, actorRole, operationName: operationName && withoutDigitRuns(operationName), operationType, gatewayRequestId, errorCodes: line.errorCodes };
      });
    });
    whenAnswered(response, { service, started, line, method, path: pathOf(request) });
    void span.run(() => line.run(async () => {
      try {
        await handle(request, response, requestId, method);
      } catch (error) {
        requestLogger(logger).error({ error: describeError(error) }, 'unexpected error');
        if (!response.headersSent) replyWithError(response, 'INTERNAL_SERVER_ERROR', 'Internal error; the request was not completed.');
        else response.end();
      }
    }));
  });
  server.keepAliveTimeout = 65_000;
  // What Node's HTTP parser refuses (a NUL in a header, a malformed request line) gets JSON too.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => refuseMalformedRequest(error, socket, logger));

  async function handle(request: IncomingMessage, response: ServerResponse, requestId: string, method: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://localhost');
    } catch {
      replyWithError(response, 'BAD_REQUEST', 'The request target is not a valid URL.');
      return;
    }
    if (url.pathname === '/health') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    // CORS headers, a preflight's answer, /metrics: operations.ts.
    if (await operationalRoute(request, response, url)) return;
    for (const route of options.routes ?? []) if (await route(request, response)) return;
    if (url.pathname !== path) {
      replyWithError(response, 'NOT_FOUND', `Nothing is served at this path; GraphQL is at ${path}.`);
      return;
    }
    const bytes = await readBody(request, maxBodyBytes);
    if (bytes === undefined) {
      // The rest of the upload is not read: the connection closes after this reply.
      replyWithError(response, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBodyBytes} bytes.`, { connection: 'close' });
      return;
    }
    const raw = bytes.toString('utf8');
    let body: unknown = raw;
    if ((request.headers['content-type'] ?? '').includes('application/json') && raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        replyWithError(response, 'BAD_REQUEST', 'Malformed JSON body');
        return;
      }
    }
    // Before any work (authentication, parsing, audit): every string the client sent must be safe text.
    const unsafe = findUnsafeInput(body) ?? unsafeQueryParameter(url.searchParams);
    if (unsafe) {
      replyWithError(response, 'BAD_USER_INPUT', unsafeInputMessage(unsafe));
      return;
    }
    await handleGraphQL({ request, response, url, requestId, method, bytes, body });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}${path}`,
    port: address.port,
    stop: () => {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // In-flight requests get a short grace period, then keep-alive sockets are cut.
        const cutOff = setTimeout(() => server.closeAllConnections(), 2_000);
        await closed;
        clearTimeout(cutOff);
        await options.onStop?.();
      })();
      return stopping;
    },
  };
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function incomingRequestId(request: IncomingMessage): string | undefined {
  const value = request.headers[REQUEST_ID_HEADER];
  return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : undefined;
}

/** The path for the log line (never the query string, which can carry a whole GET operation). */
function pathOf(request: IncomingMessage): string {
  try {
    return new URL(request.url ?? '/', 'http://localhost').pathname;
  } catch {
    return '(unparsable)';
  }
}

/** GET requests carry the operation in query parameters; `variables` and `extensions` are JSON there. */
function unsafeQueryParameter(parameters: URLSearchParams): UnsafeInput | undefined {
  for (const [name, value] of parameters) {
    let parsed: unknown = value;
    if (name === 'variables' || name === 'extensions') {
      try {
        parsed = JSON.parse(value);
      } catch {
        // Apollo Server refuses unparsable JSON parameters itself.
      }
    }
    const unsafe = findUnsafeInput({ [name]: parsed });
    if (unsafe) return unsafe;
  }
  return undefined;
}

function refuseMalformedRequest(error: NodeJS.ErrnoException, socket: Socket, logger: Logger): void {
  if (error.code === 'ECONNRESET' || error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const body = JSON.stringify({ errors: [{ message: 'The HTTP request is malformed.', extensions: { code: 'BAD_REQUEST' } }] });
  socket.end(
    `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `${REQUEST_ID_HEADER}: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
  logger.info({ requestId, status: 400, errorCodes: ['BAD_REQUEST'], parserError: error.code }, 'request');
}
