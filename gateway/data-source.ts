/**
 * The gateway's HTTP client to each subgraph under @apollo/gateway: every fetch is signed on its own
 * (`fetchSubgraph`), where the body string is final, and has a timeout. A fetch that fails answers
 * with an error at each path it would have filled, so the client gets partial data, never a stall.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLRequest, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Kind, parse, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type { GatewayContextClaims } from '../schema/context.js';
import type { GatewayRequestContext } from './request-context.js';
import { fetchSubgraph, subgraphFetchCode, subgraphFetchFailure, type SubgraphFetchCode, type SubgraphFetchSettings } from './subgraph-fetch.js';

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
      return { errors: errorsAtMissingPaths(options.request, subgraphFetchCode(error)) };
    }
  }
}

/**
 * One error per path the failed fetch would have filled, relative to the subgraph's response, as
 * @apollo/gateway maps subgraph errors: a root field's response key, or `_entities.<i>.<key>` for
 * each entity representation, which the gateway turns into the entity's path in the client's answer.
 */
function errorsAtMissingPaths(request: GatewayGraphQLRequest, code: SubgraphFetchCode): GatewayGraphQLResponse['errors'] {
  const paths = missingPaths(request);
  return paths.length > 0 ? paths.map((path) => subgraphFetchFailure(code, path)) : [subgraphFetchFailure(code)];
}

function missingPaths(request: GatewayGraphQLRequest): Array<Array<string | number>> {
  if (!request.query) return [];
  const document = parse(request.query);
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (!operation) return [];
  const fragments = new Map(
    document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]),
  );
  const entities = operation.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD && selection.name.value === '_entities');
  if (entities?.kind !== Kind.FIELD || !entities.selectionSet) return responseKeys(operation.selectionSet, fragments).map((key) => [key]);
  const representations = request.variables?.['representations'];
  const count = Array.isArray(representations) ? representations.length : 0;
  const keys = responseKeys(entities.selectionSet, fragments);
  return Array.from({ length: count }, (_, index) => keys.map((key): Array<string | number> => ['_entities', index, key])).flat();
}

/** The response keys a selection set fills, through inline fragments and fragment spreads. */
function responseKeys(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, keys = new Set<string>()): string[] {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename') keys.add(selection.alias?.value ?? selection.name.value);
    } else {
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
      if (fragment) responseKeys(fragment.selectionSet, fragments, keys);
    }
  }
  return [...keys];
}
