/**
 * The benchmark's @apollo/gateway client to each subgraph (healthmesh runs on Hive Gateway): every fetch is signed on its own
 * (`fetchSubgraph`), where the body string is final, and has a timeout. A fetch that fails answers
 * with an error at each path it would have filled, so the client gets partial data, never a stall.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { GatewayContextClaims } from '../../schema/context.js';
import type { GatewayRequestContext } from '../../gateway/request-context.js';
import { fetchSubgraph, subgraphFetchCode, subgraphFetchFailure, type SubgraphFetchSettings } from '../../gateway/subgraph-fetch.js';

export interface SignedContextDataSourceOptions extends SubgraphFetchSettings {
  /** The subgraph's name, as in the supergraph: the audience of its signed contexts. */
  subgraph: string;
  url: string;
}

/**
 * The claims of the request a fetch belongs to. @apollo/gateway hands its fetcher only the URL and
 * the request init, so the claims travel alongside, scoped to this fetch's asynchronous call chain.
 */
const fetchClaims = new AsyncLocalStorage<GatewayContextClaims>();

export class SignedContextDataSource extends RemoteGraphQLDataSource<GatewayRequestContext> {
  constructor({ subgraph, url, ...settings }: SignedContextDataSourceOptions) {
    super({ url });
    this.fetcher = (target, init) => {
      const claims = fetchClaims.getStore();
      if (!claims || typeof init?.body !== 'string') throw new Error('a subgraph fetch outside SignedContextDataSource.process');
      return fetchSubgraph(target, { subgraph, body: init.body, claims, headers: init.headers ?? {} }, settings);
    };
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayRequestContext>): Promise<GatewayGraphQLResponse> {
    // The supergraph is static and health checks are off: every fetch belongs to a client's operation.
    if (!('incomingRequestContext' in options)) throw new Error(`unexpected subgraph fetch (${options.kind})`);
    const claims = options.incomingRequestContext.context.contextClaims;
    // Fail loudly: a fetch without the sign-context stage having run is a pipeline bug, never a fallback.
    if (!claims) throw new Error('sign-context stage did not run before a subgraph fetch');
    try {
      return await fetchClaims.run(claims, () => super.process(options));
    } catch (error) {
      // Timeouts, refused connections, non-2xx answers: the error names neither the subgraph nor its URL.
      return { errors: [subgraphFetchFailure(subgraphFetchCode(error))] };
    }
  }
}
