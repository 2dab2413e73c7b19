/**
 * The one way the gateway calls a subgraph: a POST signed for that subgraph and that exact body,
 * aborted after a timeout (DESIGN §3.6). A stalled subgraph costs a request at most the timeout, and
 * the aborted fetch closes its connection, so nothing piles up while the subgraph stalls.
 */
import { GraphQLError } from 'graphql';
import { CONTEXT_HEADER, type GatewayContextClaims } from '../schema/context.js';
import type { FetchSigner } from './stages/sign-context.js';

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
  return fetch(url, {
    method: 'POST',
    headers: { ...request.headers, 'content-type': 'application/json', [CONTEXT_HEADER]: context },
    body: request.body,
    signal,
  });
}

/** The code for a fetch that failed: its own timeout, or anything else that kept the answer from arriving. */
export function subgraphFetchCode(error: unknown): SubgraphFetchCode {
  return error instanceof Error && error.name === 'TimeoutError' ? 'SUBGRAPH_TIMEOUT' : 'SUBGRAPH_UNAVAILABLE';
}

/** The client-facing error for a failed fetch at `path` (as a subgraph's formatted error, paths relative to its response). */
export function subgraphFetchFailure(code: SubgraphFetchCode, path?: ReadonlyArray<string | number>): { message: string; path?: ReadonlyArray<string | number>; extensions: { code: SubgraphFetchCode } } {
  return { message: MESSAGES[code], ...(path ? { path } : {}), extensions: { code } };
}

/** The same, thrown before planning (a lookup the request cannot go on without): 504 for a timeout, else 503. */
export function subgraphFetchError(code: SubgraphFetchCode): GraphQLError {
  return new GraphQLError(MESSAGES[code], { extensions: { code, http: { status: code === 'SUBGRAPH_TIMEOUT' ? 504 : 503 } } });
}
