/**
 * Signing in. Embedded mode: the gateway mints a token for a chosen demo resident. Production:
 * OpenID Connect authorisation code with PKCE (RFC 7636) in the browser, a public client; the
 * verifier and state wait in sessionStorage across the redirect, the token itself only in memory.
 */
import { session } from './api';

export type PortalConfig =
  | { signIn: 'demo'; residents: Array<{ actor: string; displayName: string }> }
  | { signIn: 'oidc'; issuer: string; clientId: string; resource: string; scope: string };

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
}

const PENDING_KEY = 'healthmesh.oidc.pending';

export async function loadConfig(): Promise<PortalConfig> {
  const response = await fetch('/portal/config.json');
  if (!response.ok) throw new Error(`config ${response.status}`);
  return (await response.json()) as PortalConfig;
}

export async function signInAsDemo(actor: string): Promise<void> {
  const response = await fetch('/portal/demo-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ actor }) });
  if (!response.ok) throw new Error(`demo sign-in ${response.status}`);
  const { token } = (await response.json()) as { token: string };
  session.value = { token, via: 'demo' };
}

async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`discovery ${response.status}`);
  return (await response.json()) as Discovery;
}

function randomText(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function redirectUri(): string {
  return `${location.origin}/callback`;
}

/** Sends the browser to the provider's authorisation endpoint. */
export async function startOidcSignIn(config: Extract<PortalConfig, { signIn: 'oidc' }>): Promise<void> {
  const discovery = await discover(config.issuer);
  const verifier = randomText();
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const state = randomText(16);
  const nonce = randomText(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(discovery.authorization_endpoint);
  for (const [key, value] of Object.entries({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: config.scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: config.resource,
  })) {
    url.searchParams.set(key, value);
  }
  location.assign(url.toString());
}

/** On /callback: checks the state and exchanges the code (with the verifier) for an access token. */
export async function completeOidcSignIn(config: Extract<PortalConfig, { signIn: 'oidc' }>, search: string): Promise<void> {
  const parameters = new URLSearchParams(search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as { verifier: string; state: string } | null;
  sessionStorage.removeItem(PENDING_KEY);
  const code = parameters.get('code');
  if (!pending || !code || parameters.get('state') !== pending.state) throw new Error(parameters.get('error') ?? 'state mismatch');
  const discovery = await discover(config.issuer);
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri(),
      client_id: config.clientId,
      code_verifier: pending.verifier,
      resource: config.resource,
    }),
  });
  if (!response.ok) throw new Error(`token ${response.status}`);
  const { access_token: token } = (await response.json()) as { access_token?: string };
  if (!token) throw new Error('no access token');
  session.value = { token, via: 'oidc', clientId: config.clientId, ...(discovery.end_session_endpoint ? { endSessionUrl: discovery.end_session_endpoint } : {}) };
}

export function signOut(): void {
  const current = session.value;
  session.value = null;
  if (current?.via === 'oidc' && current.endSessionUrl) {
    const url = new URL(current.endSessionUrl);
    if (current.clientId) url.searchParams.set('client_id', current.clientId);
    url.searchParams.set('post_logout_redirect_uri', `${location.origin}/signin`);
    location.assign(url.toString());
  }
}
