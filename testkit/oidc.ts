/**
 * A real OpenID Connect provider for tests (the `oidc-provider` package): authorisation code with
 * PKCE for the portal as a public client, JWT access tokens (RFC 9068) for the gateway's audience,
 * carrying the DESIGN §3 claims of the account that signed in at its (development) login page.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

export interface TestAccount {
  role: string;
  resident_id?: string;
}

export interface TestIdentityProvider {
  /** The issuer URL (no trailing slash). */
  issuer: string;
  jwksUrl: string;
  /** Registers the portal (a public client) once its origin is known, and starts answering. */
  register(client: { clientId: string; origin: string; audience: string }): void;
  stop(): Promise<void>;
}

/** Starts listening at once (so the issuer URL is known before the platform starts); answers after `register`. */
export async function startIdentityProvider(accounts: Readonly<Record<string, TestAccount>>): Promise<TestIdentityProvider> {
  let handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  const server: Server = createServer((request, response) => {
    if (handler) handler(request, response);
    else response.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-op-1', alg: 'ES256', use: 'sig' };

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    register({ clientId, origin, audience }) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            token_endpoint_auth_method: 'none',
            id_token_signed_response_alg: 'ES256',
            redirect_uris: [`${origin}/callback`],
            post_logout_redirect_uris: [`${origin}/signin`],
            grant_types: ['authorization_code'],
            response_types: ['code'],
          },
        ],
        jwks: { keys: [signingKey] },
        cookies: { keys: ['healthmesh-test-cookie-key'] },
        features: {
          devInteractions: { enabled: true },
          rpInitiatedLogout: { enabled: true },
          resourceIndicators: {
            enabled: true,
            defaultResource: () => audience,
            useGrantedResource: () => true,
            getResourceServerInfo: (_ctx: unknown, resource: string) => {
              if (resource !== audience) throw new Error(`unknown resource ${resource}`);
              return { scope: 'openid', audience, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'ES256' } } };
            },
          },
        },
        findAccount: (_ctx: unknown, sub: string) => (accounts[sub] ? { accountId: sub, claims: () => ({ sub }) } : undefined),
        extraTokenClaims: (_ctx: unknown, token: { accountId?: string }) => {
          const account = token.accountId ? accounts[token.accountId] : undefined;
          return account ? { ...account } : {};
        },
      });
      handler = provider.callback();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
