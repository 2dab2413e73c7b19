/** Straight-to-a-subgraph requests for integration tests, signed per fetch as the gateway signs them. */
import { createFetchSigner, type FetchSigner } from '../gateway/index.js';
import { CONTEXT_HEADER, type GatewayContextClaims } from '../schema/context.js';
import type { TestPlatform } from './platform.js';

export interface SubgraphAnswer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

/**
 * POSTs `request` to the subgraph `name` under `claims`. The context is signed for that subgraph and
 * this exact body by the platform's key, or by `options.signFetch`; `options.context` replaces it
 * outright (a tampered or hand-made one), and `null` sends none.
 */
export async function postToSubgraph(
  stack: TestPlatform,
  name: string,
  request: { query: string; variables?: Record<string, unknown> },
  claims: GatewayContextClaims,
  options: { signFetch?: FetchSigner; context?: string | null } = {},
): Promise<SubgraphAnswer> {
  const subgraph = stack.platform.subgraphs.find((s) => s.name === name);
  if (!subgraph) throw new Error(`no subgraph ${name}`);
  const body = JSON.stringify(request);
  const signFetch = options.signFetch ?? createFetchSigner(stack.platform.contextKey.privateKey, stack.platform.contextKey.kid);
  const context = options.context === undefined ? await signFetch({ subgraph: name, body, claims }) : options.context;
  const response = await fetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(context === null ? {} : { [CONTEXT_HEADER]: context }) },
    body,
  });
  return { status: response.status, body: (await response.json()) as SubgraphAnswer['body'] };
}
