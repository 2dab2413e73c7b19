/**
 * The gateway's GraphQL API with the signed-in resident's token. The token lives in this module's
 * memory only (never localStorage or a readable cookie): a reload means signing in again.
 */
import { signal } from './signal';

export interface Session {
  token: string;
  /** How the session was opened; an OpenID Connect session can also be ended at the provider. */
  via: 'demo' | 'oidc';
  endSessionUrl?: string;
  clientId?: string;
}

export const session = signal<Session | null>(null);

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

interface Answer<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

function bearer(): Record<string, string> {
  const current = session.value;
  return current ? { authorization: `Bearer ${current.token}` } : {};
}

export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer() },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await response.json()) as Answer<T>;
  const error = answer.errors?.[0];
  if (error) {
    if (error.extensions?.code === 'UNAUTHENTICATED') session.value = null;
    throw new ApiError(error.message, error.extensions?.code ?? 'ERROR');
  }
  if (!answer.data) throw new ApiError('Empty answer', 'ERROR');
  return answer.data;
}

/** Downloads a file the gateway serves to the signed-in caller (receipt, export) under `filename`. */
export async function download(path: string, filename: string): Promise<void> {
  const response = await fetch(path, { headers: bearer() });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as Answer<unknown>;
    throw new ApiError(body.errors?.[0]?.message ?? response.statusText, body.errors?.[0]?.extensions?.code ?? String(response.status));
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
