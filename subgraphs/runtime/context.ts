/**
 * Verification of the gateway's signed context. A subgraph trusts nothing about the caller except what
 * arrives here; a request without a valid, unexpired context signed by the gateway gets no data.
 */
import { GraphQLError } from 'graphql';
import { jwtVerify, type CryptoKey, type JWK, importJWK, type KeyObject } from 'jose';
import { CONTEXT_AUDIENCE, CONTEXT_HEADER, CONTEXT_ISSUER, type GatewayContextClaims } from '../../schema/context.js';
import { ERROR_CODES } from '../../schema/errors.js';

export type ContextVerificationKey = CryptoKey | KeyObject | Uint8Array;

/** Verifies one `x-healthmesh-context` header value. */
export type ContextVerifier = (token: string | undefined) => Promise<GatewayContextClaims>;

/** Imports the gateway's public context-signing key (an Ed25519 JWK). */
export async function importContextPublicKey(jwk: JWK): Promise<ContextVerificationKey> {
  return (await importJWK(jwk, 'EdDSA')) as ContextVerificationKey;
}

export function createContextVerifier(publicKey: ContextVerificationKey): ContextVerifier {
  return async (token) => {
    if (!token) throw refused('missing');
    try {
      const { payload } = await jwtVerify(token, publicKey, {
        issuer: CONTEXT_ISSUER,
        audience: CONTEXT_AUDIENCE,
        algorithms: ['EdDSA'],
        requiredClaims: ['exp', 'iat', 'ctx'],
      });
      return payload['ctx'] as GatewayContextClaims;
    } catch {
      // Never echo why in detail: a prober learns nothing about keys or clocks.
      throw refused('invalid');
    }
  };
}

function refused(reason: 'missing' | 'invalid'): GraphQLError {
  return new GraphQLError(`This service only answers requests signed by the healthmesh gateway (${CONTEXT_HEADER} ${reason}).`, {
    extensions: { code: ERROR_CODES.UNAUTHENTICATED, http: { status: 401 } },
  });
}
