/**
 * The one way the gateway calls a subgraph: a POST signed for that subgraph and that exact body,
 * aborted after a timeout (DESIGN §3.6). A stalled subgraph costs a request at most the timeout, and
 * the aborted fetch closes its connection, so nothing piles up while the subgraph stalls.
 *
 * The fetch API is @whatwg-node/fetch's, the one Hive Gateway itself uses (node:http underneath):
 * Node's built-in fetch (undici, its WebAssembly parser and web streams) cost more CPU per subgraph
 * fetch than planning and executing the whole request (measured with `npm run bench:runtimes`).
 */
import { fetch, Response } from '@whatwg-node/fetch';
import { GraphQLError, Kind, parse, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { CONTEXT_HEADER, type GatewayContextClaims } from '../schema/context.js';
import type { FetchSigner } from './stages/sign-context.js';
import { recordSubgraphFetchError } from '../subgraphs/runtime/metrics.js';
import { tracedFetch } from '../subgraphs/runtime/tracing.js';

/** How long one subgraph fetch may take, body included, unless configured otherwise. */
export const DEFAULT_SUBGRAPH_TIMEOUT_MS = 5_000;

/** What a client sees when part of the answer could not be fetched; never which subgraph or where. */
export const SUBGRAPH_FETCH_CODES = {
  SUBGRAPH_TIMEOUT: 'SUBGRAPH_TIMEOUT',
  SUBGRAPH_UNAVAILABLE: 'SUBGRAPH_UNAVAILABLE',
} as const;
export type SubgraphFetchCode = keyof typeof SUBGRAPH_FETCH_CODES;

const MESSAGES: Record<SubgraphFetchCode, string> = {
  SUBGRAPH_TIMEOUT: 'This part of the answer did not arrive in time; try again.',
  SUBGRAPH_UNAVAILABLE: 'This part of the answer is unavailable right now; try again.',
};

export interface SubgraphFetchSettings {
  signFetch: FetchSigner;
  timeoutMs: number;
}

export interface SubgraphRequest {
  /** The subgraph's name: the signed context's audience. */
  subgraph: string;
  /** The exact body sent: the signed context carries its digest. */
  body: string;
  claims: GatewayContextClaims;
  headers?: Record<string, string>;
}

/** Sends one signed request; the timeout covers signing, the answer and reading its body. */
export async function fetchSubgraph(url: string, request: SubgraphRequest, { signFetch, timeoutMs }: SubgraphFetchSettings): Promise<Response> {
  const signal = AbortSignal.timeout(timeoutMs);
  const context = await signFetch({ subgraph: request.subgraph, body: request.body, claims: request.claims });
  // The signed context covers the body (its digest) and the claims, not the other headers: adding the
  // span's `traceparent` leaves the signature valid. With tracing off nothing is added.
  return tracedFetch({ subgraph: request.subgraph, url }, (propagationHeaders) =>
    fetch(url, {
      method: 'POST',
      headers: { ...request.headers, ...propagationHeaders, 'content-type': 'application/json', [CONTEXT_HEADER]: context },
      body: request.body,
      signal,
    }),
  );
}

/** The code for a fetch that failed: its own timeout, or anything else that kept the answer from arriving. */
export function subgraphFetchCode(error: unknown): SubgraphFetchCode {
  // The fetch rejects with the signal's TimeoutError itself, or with an AbortError caused by it.
  const timedOut = (e: unknown): boolean => e instanceof Error && (e.name === 'TimeoutError' || (e.name === 'AbortError' && timedOut(e.cause)));
  return timedOut(error) ? 'SUBGRAPH_TIMEOUT' : 'SUBGRAPH_UNAVAILABLE';
}

/** The client-facing error for a failed fetch at `path` (as a subgraph's formatted error, paths relative to its response). */
export function subgraphFetchFailure(code: SubgraphFetchCode, path?: ReadonlyArray<string | number>): { message: string; path?: ReadonlyArray<string | number>; extensions: { code: SubgraphFetchCode } } {
  return { message: MESSAGES[code], ...(path ? { path } : {}), extensions: { code } };
}

/** The same, thrown before planning (a lookup the request cannot go on without): 504 for a timeout, else 503. */
export function subgraphFetchError(code: SubgraphFetchCode): GraphQLError {
  return new GraphQLError(MESSAGES[code], { extensions: { code, http: { status: code === 'SUBGRAPH_TIMEOUT' ? 504 : 503 } } });
}

/**
 * One fetch as the federation runtime sees it: the subgraph's answer, read in full within the
 * timeout; or, when it could not be had (timeout, refused connection, a non-2xx status), a GraphQL
 * answer carrying one error with the failure's code, which the runtime places at the fetch's part of
 * the client's answer.
 */
export async function fetchSubgraphAnswer(url: string, request: SubgraphRequest, settings: SubgraphFetchSettings): Promise<Response> {
  try {
    const response = await fetchSubgraph(url, request, settings);
    const text = await response.text();
    if (!response.ok) throw new Error(`subgraph answered ${response.status}`);
    return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
  } catch (error) {
    const code = subgraphFetchCode(error);
    recordSubgraphFetchError(request.subgraph, code);
    const body = JSON.stringify({ data: null, errors: errorsAtMissingPaths(request.body, code) });
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  }
}

/**
 * One error per path the failed fetch would have filled, relative to the subgraph's response: a root
 * field's response key, or `_entities.<i>.<key>` for each entity representation, which the runtime
 * turns into the entity's path in the client's answer.
 */
function errorsAtMissingPaths(body: string, code: SubgraphFetchCode): Array<ReturnType<typeof subgraphFetchFailure>> {
  const paths = missingPaths(body);
  return paths.length > 0 ? paths.map((path) => subgraphFetchFailure(code, path)) : [subgraphFetchFailure(code)];
}

function missingPaths(body: string): Array<Array<string | number>> {
  let request: { query?: unknown; variables?: Record<string, unknown> };
  try {
    request = JSON.parse(body) as typeof request;
  } catch {
    return [];
  }
  if (typeof request.query !== 'string') return [];
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
