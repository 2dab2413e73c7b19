/**
 * Verification of the gateway's signed context. A subgraph trusts nothing about the caller except what
 * arrives here; a request gets no data unless its context is signed by the gateway, addressed to this
 * subgraph, unexpired, bound to this exact body and never seen before (DESIGN §3.6).
 */
import { GraphQLError } from 'graphql';
import { jwtVerify, type CryptoKey, type JWK, type JWTPayload, importJWK, type KeyObject } from 'jose';
import {
  CONTEXT_BODY_DIGEST_CLAIM,
  CONTEXT_CLOCK_TOLERANCE_SECONDS,
  CONTEXT_HEADER,
  CONTEXT_ISSUER,
  CONTEXT_TTL_SECONDS,
  contextBodyDigest,
  type GatewayContextClaims,
} from '../../schema/context.js';
import { ERROR_CODES } from '../../schema/errors.js';
import type { ReplayCache } from './replay-cache.js';

export type ContextVerificationKey = CryptoKey | KeyObject | Uint8Array;

/** Verifies one `x-healthmesh-context` header value against the request body it came with. */
export type ContextVerifier = (token: string | undefined, body: Uint8Array) => Promise<GatewayContextClaims>;

/** Imports the gateway's public context-signing key (an Ed25519 JWK). */
export async function importContextPublicKey(jwk: JWK): Promise<ContextVerificationKey> {
  return (await importJWK(jwk, 'EdDSA')) as ContextVerificationKey;
}

export interface ContextVerifierOptions {
  /** This subgraph's name: a context addressed to another subgraph is refused. */
  audience: string;
  /** The ids already answered by this subgraph. */
  replayCache: ReplayCache;
}

export function createContextVerifier(publicKey: ContextVerificationKey, { audience, replayCache }: ContextVerifierOptions): ContextVerifier {
  return async (token, body) => {
    if (!token) throw refused('missing');
    const payload = await verifiedPayload(token, publicKey, audience);
    const { exp, iat, jti } = payload;
    // A longer-lived context would outlast its id in the replay cache.
    if (exp === undefined || iat === undefined || typeof jti !== 'string' || exp - iat > CONTEXT_TTL_SECONDS) throw refused('invalid');
    if (payload[CONTEXT_BODY_DIGEST_CLAIM] !== contextBodyDigest(body)) throw refused('invalid');
    // Only a context that passed every other check takes its id: a forged or misdirected one cannot use up the real fetch's.
    if (!replayCache.claim(jti, (exp + CONTEXT_CLOCK_TOLERANCE_SECONDS + 1) * 1000)) throw refused('invalid');
    return payload['ctx'] as GatewayContextClaims;
  };
}

/** Signature, algorithm, issuer, audience and lifetime, as jose checks them. */
async function verifiedPayload(token: string, publicKey: ContextVerificationKey, audience: string): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, publicKey, {
      issuer: CONTEXT_ISSUER,
      audience,
      algorithms: ['EdDSA'],
      requiredClaims: ['exp', 'iat', 'jti', CONTEXT_BODY_DIGEST_CLAIM, 'ctx'],
      maxTokenAge: CONTEXT_TTL_SECONDS,
      clockTolerance: CONTEXT_CLOCK_TOLERANCE_SECONDS,
    });
    return payload;
  } catch {
    // Never echo why in detail: a prober learns nothing about keys or clocks.
    throw refused('invalid');
  }
}

function refused(reason: 'missing' | 'invalid'): GraphQLError {
  return new GraphQLError(`This service only answers requests signed by the healthmesh gateway (${CONTEXT_HEADER} ${reason}).`, {
    extensions: { code: ERROR_CODES.UNAUTHENTICATED, http: { status: 401 } },
  });
}
