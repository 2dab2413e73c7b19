/**
 * The resident portal's routes for the gateway, from the configuration: OpenID Connect sign-in when an
 * issuer is configured; otherwise (embedded mode, the local issuer) a choice of the seeded demo residents.
 */
import { issueToken, TOKEN_AUDIENCE, type SigningKeyPair } from '../gateway/index.js';
import type { Actor } from '../schema/context.js';
import { portalRoutes } from '../portal/index.js';
import { demoActors } from '../seed/index.js';
import type { ExtraRoute } from '../subgraphs/runtime/http.js';
import type { PlatformConfig } from './config.js';

export function portalRoutesFor(config: PlatformConfig, issuerKey: SigningKeyPair): ExtraRoute[] {
  if (config.oidcIssuer && config.oidcClientId) {
    return portalRoutes({ oidc: { issuer: config.oidcIssuer, clientId: config.oidcClientId, resource: config.jwtAudience ?? TOKEN_AUDIENCE, scope: 'openid' } });
  }
  // Tokens from the local issuer are accepted only when no external identity provider is configured.
  if (config.jwksUrl) return portalRoutes({});
  // Demo residents are the demo actors with a record of their own.
  const residents = demoActors(config.seed).filter((demo) => demo.residentId !== undefined);
  return portalRoutes({
    demo: {
      residents: residents.map(({ actor, displayName }) => ({ actor, displayName })),
      async issueToken(name) {
        const demo = residents.find((r) => r.actor === name)!;
        const actor: Actor = { sub: demo.actor, role: demo.role, residentId: demo.residentId! };
        return issueToken(issuerKey, actor, '2h');
      },
    },
  });
}
