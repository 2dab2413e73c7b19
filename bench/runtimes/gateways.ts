/**
 * The unenforced gateways the runtimes benchmark sets beside healthmesh: plain @apollo/gateway under
 * @apollo/server, and Hive Gateway's runtime with its JS planner or with the Rust planner
 * (@graphql-hive/router-runtime). None of them decides anything. Each signs every subgraph fetch with
 * one fixed claim set, through the platform's own per-fetch signer (audience = subgraph, body digest,
 * unique jti), so the subgraphs' signed-context check passes and what is measured is the runtime.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { createGatewayRuntime, type GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { SignedContextDataSource } from './apollo-data-source.js';
import type { GatewayRequestContext } from '../../gateway/request-context.js';
import type { SubgraphFetchSettings } from '../../gateway/subgraph-fetch.js';
import { CONTEXT_HEADER, type GatewayContextClaims } from '../../schema/context.js';
import { serveApollo } from '../../subgraphs/runtime/index.js';

/** The runtimes compared; healthmesh itself is the platform's own gateway. */
export const UNENFORCED_RUNTIMES = ['apollo-gateway', 'hive-js-planner', 'hive-rust-planner'] as const;
export type UnenforcedRuntime = (typeof UNENFORCED_RUNTIMES)[number];

export interface SubgraphTarget {
  /** As in the supergraph: the audience of the contexts signed for it. */
  name: string;
  url: string;
}

export interface UnenforcedGatewayOptions {
  subgraphs: readonly SubgraphTarget[];
  supergraphSdl: string;
  fetchSettings: SubgraphFetchSettings;
  /** The claims each fetch is signed with (called per fetch). */
  claims: () => GatewayContextClaims;
  /** Hive Gateway only: plugins after the signing one (the test counts fetches and rewrites documents). */
  plugins?: readonly GatewayPlugin[];
}

export interface RunningBenchGateway {
  runtime: UnenforcedRuntime;
  url: string;
  stop(): Promise<void>;
}

export function startUnenforcedGateway(runtime: UnenforcedRuntime, options: UnenforcedGatewayOptions): Promise<RunningBenchGateway> {
  return runtime === 'apollo-gateway' ? startApolloGateway(options) : startHiveGateway(runtime, options);
}

/** @apollo/gateway with the platform's data source: the same signing and timeout as healthmesh's fetches. */
async function startApolloGateway({ subgraphs, supergraphSdl, fetchSettings, claims }: UnenforcedGatewayOptions): Promise<RunningBenchGateway> {
  const urls = new Map(subgraphs.map((s) => [s.name, s.url]));
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name }) => new SignedContextDataSource({ subgraph: name, url: urlOf(urls, name), ...fetchSettings }),
  });
  const apollo = new ApolloServer<GatewayRequestContext>({ gateway, stopOnTerminationSignals: false });
  const served = await serveApollo(apollo, { port: 0, context: async () => ({ requestId: 'unenforced', actor: null, contextClaims: claims() }) });
  return { runtime: 'apollo-gateway', url: served.url, stop: () => served.stop() };
}

/** Hive Gateway's runtime served by node:http; the Rust planner through `unifiedGraphHandler`. */
async function startHiveGateway(runtime: Exclude<UnenforcedRuntime, 'apollo-gateway'>, options: UnenforcedGatewayOptions): Promise<RunningBenchGateway> {
  const gateway = createGatewayRuntime({
    supergraph: supergraphWithUrls(options.supergraphSdl, options.subgraphs),
    ...(runtime === 'hive-rust-planner' ? { unifiedGraphHandler } : {}),
    plugins: () => [signEveryFetch(options), ...(options.plugins ?? [])],
    // Errors never name a subgraph (DESIGN §6); the subgraph's own `extensions.code` is kept.
    subgraphErrors: { subgraphNameProp: false },
    logging: false,
    landingPage: false,
    graphiql: false,
  });
  const server = createServer(gateway);
  const port = await listen(server);
  return {
    runtime,
    url: `http://127.0.0.1:${port}/graphql`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway[Symbol.asyncDispose]();
    },
  };
}

/**
 * Hive Gateway's equivalent of SignedContextDataSource: `onFetch` sees the body exactly as it will be
 * sent (after planning, with whatever the planner inlined), so the digest covers those bytes.
 */
function signEveryFetch({ subgraphs, fetchSettings, claims }: UnenforcedGatewayOptions): GatewayPlugin {
  const subgraphByUrl = new Map(subgraphs.map((s) => [s.url, s.name]));
  return {
    onFetch: async ({ url, options, setOptions }) => {
      const subgraph = subgraphByUrl.get(url);
      // Fail loudly: an unsigned fetch would only be refused by the subgraph, further from the cause.
      if (!subgraph) throw new Error('a fetch to a URL that is no subgraph of the supergraph');
      if (typeof options.body !== 'string') throw new Error('a subgraph fetch whose body is not a string');
      const context = await fetchSettings.signFetch({ subgraph, body: options.body, claims: claims() });
      setOptions({ ...options, headers: { ...options.headers, [CONTEXT_HEADER]: context }, signal: AbortSignal.timeout(fetchSettings.timeoutMs) });
    },
  };
}

/** The supergraph with each subgraph's routing URL replaced by where it runs now (random ports). */
export function supergraphWithUrls(supergraphSdl: string, subgraphs: readonly SubgraphTarget[]): string {
  const urls = new Map(subgraphs.map((s) => [s.name, s.url]));
  return supergraphSdl.replace(/@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g, (_, name: string) => `@join__graph(name: "${name}", url: "${urlOf(urls, name)}")`);
}

function urlOf(urls: ReadonlyMap<string, string>, name: string): string {
  const url = urls.get(name);
  if (!url) throw new Error(`the supergraph names subgraph "${name}", which is not running`);
  return url;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
