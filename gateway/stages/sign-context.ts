/**
 * Stage 6, sign context: what the subgraphs may know about this request, as a short-lived JWS.
 * Subgraphs verify it and apply its scope as row filters.
 */
import { SignJWT, type CryptoKey } from 'jose';
import { CONTEXT_AUDIENCE, CONTEXT_ISSUER, CONTEXT_TTL_SECONDS, type GatewayContextClaims } from '../../schema/context.js';

export type ContextSigner = (claims: GatewayContextClaims) => Promise<string>;

export function createContextSigner(privateKey: CryptoKey, kid: string, ttlSeconds = CONTEXT_TTL_SECONDS): ContextSigner {
  return (claims) =>
    new SignJWT({ ctx: claims })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setIssuer(CONTEXT_ISSUER)
      .setAudience(CONTEXT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .setJti(claims.requestId)
      .sign(privateKey);
}
