/**
 * Extra moving parts for integration tests: a recording proxy in front of a subgraph, a subgraph that
 * never answers, a second gateway.
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { startGateway, LOCAL_ISSUER, TOKEN_AUDIENCE, type RunningGateway } from '../gateway/index.js';
import type { EnforcementMode } from '../gateway/request-headers.js';
import { loadSupergraphSdl } from '../schema/supergraph.js';
import type { Database } from '../subgraphs/runtime/index.js';
import type { TestPlatform } from './platform.js';

export interface RecordingProxy {
  url: string;
  /** The GraphQL documents the proxy received, in order. */
  queries: string[];
  /** Every request as received: its headers (the signed context among them) and its exact body. */
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

export interface RecordedRequest {
  headers: Record<string, string>;
  body: string;
}

/**
 * Forwards every request to `target` and records it. With `forward: false` nothing reaches the target
 * (the proxy answers 502), so what it recorded has never been used. `intercept` runs before each
 * request is forwarded (something that happens on the platform meanwhile) and may `drop` it: the
 * connection is cut, no answer.
 */
export async function startRecordingProxy(
  target: string,
  options: { forward?: boolean; intercept?: (request: RecordedRequest) => Promise<'forward' | 'drop'> } = {},
): Promise<RecordingProxy> {
  const queries: string[] = [];
  const requests: RecordedRequest[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      queries.push(String((JSON.parse(body) as { query?: string }).query ?? ''));
    } catch {
      queries.push('');
    }
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && key !== 'host' && key !== 'content-length') headers[key] = value;
    }
    requests.push({ headers, body });
    if (options.intercept && (await options.intercept({ headers, body })) === 'drop') {
      request.socket.destroy();
      return;
    }
    if (options.forward === false) {
      response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: 'not forwarded' }] }));
      return;
    }
    const forwarded = await fetch(target, { method: request.method ?? 'POST', headers, body });
    response.writeHead(forwarded.status, { 'content-type': forwarded.headers.get('content-type') ?? 'application/json' });
    response.end(Buffer.from(await forwarded.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    queries,
    requests,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface StalledService {
  url: string;
  /** Requests received so far (none is ever answered). */
  readonly received: number;
  /** Connections still open from the caller's side. */
  readonly openSockets: number;
  stop(): Promise<void>;
}

/** An HTTP server that accepts every request and never answers it, like a subgraph stopped with SIGSTOP. */
export async function startStalledService(): Promise<StalledService> {
  let received = 0;
  const sockets = new Set<Socket>();
  const server = createServer(() => {
    received += 1;
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    get received() {
      return received;
    },
    get openSockets() {
      return sockets.size;
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Another gateway over the same subgraphs (or proxies) and a database sharing the platform's data. */
export async function startExtraGateway(
  stack: TestPlatform,
  options: { mode?: EnforcementMode; subgraphUrls?: Record<string, string>; database?: Database; subgraphTimeoutMs?: number; supergraphSdl?: string } = {},
): Promise<RunningGateway> {
  const subgraphUrls: Record<string, string> = {};
  for (const subgraph of stack.platform.subgraphs) subgraphUrls[subgraph.name] = subgraph.url;
  return startGateway({
    // A test may compose its own supergraph (a test subgraph's extra roots) over the same services.
    supergraphSdl: options.supergraphSdl ?? loadSupergraphSdl(),
    subgraphUrls: { ...subgraphUrls, ...options.subgraphUrls },
    authentication: { issuer: LOCAL_ISSUER, audience: TOKEN_AUDIENCE, keys: stack.platform.issuerKey.publicKey },
    contextSigningKey: stack.platform.contextKey,
    auditSigningKey: stack.platform.auditKey,
    researchSecret: stack.platform.researchSecret,
    keyring: stack.platform.keyring,
    database: options.database ?? stack.platform.database.db,
    mode: options.mode ?? 'filter',
    ...(options.subgraphTimeoutMs === undefined ? {} : { subgraphTimeoutMs: options.subgraphTimeoutMs }),
    port: 0,
  });
}
