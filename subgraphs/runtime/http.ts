/**
 * A minimal node:http integration for Apollo Server (the documented `executeHTTPGraphQLRequest` route),
 * shared by the subgraphs and the gateway so both speak HTTP the same way, with a health endpoint.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';

export interface RunningHttpService {
  readonly url: string;
  readonly port: number;
  /** Idempotent: a second call resolves once the first stop finished. */
  stop(): Promise<void>;
}

/** Handles a non-GraphQL route; returns false when it does not own the path. */
export type ExtraRoute = (request: IncomingMessage, response: ServerResponse) => Promise<boolean> | boolean;

export interface ServeOptions<Context extends BaseContext> {
  port: number;
  host?: string;
  path?: string;
  /** Builds the request context; `body` is the request body exactly as received (signed-context digests cover it). */
  context: (request: IncomingMessage, body: Buffer) => Promise<Context>;
  routes?: ExtraRoute[];
  /** Largest accepted request body; bigger bodies get 413 before parsing. */
  maxBodyBytes?: number;
}

export async function serveApollo<Context extends BaseContext>(
  apollo: ApolloServer<Context>,
  options: ServeOptions<Context>,
): Promise<RunningHttpService> {
  const path = options.path ?? '/graphql';
  const maxBodyBytes = options.maxBodyBytes ?? 1_000_000;
  await apollo.start();

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
      void error;
    });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/health') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    for (const route of options.routes ?? []) if (await route(request, response)) return;
    if (url.pathname !== path) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const bytes = await readBody(request, maxBodyBytes);
    if (bytes === undefined) {
      response.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large');
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const raw = bytes.toString('utf8');
    let body: unknown = raw;
    if ((headers.get('content-type') ?? '').includes('application/json') && raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ errors: [{ message: 'Malformed JSON body', extensions: { code: 'BAD_REQUEST' } }] }));
        return;
      }
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (request.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
      context: () => options.context(request, bytes),
    });
    for (const [key, value] of result.headers) response.setHeader(key, value);
    response.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      response.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
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
        await apollo.stop();
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
