/**
 * Stage 1, authenticate: the bearer JWT is verified against the configured issuer (a JWKS URL in
 * production, the local issuer key in embedded mode). No token means an anonymous caller, who only
 * reaches public (level 1) data; a bad token is refused outright.
 *
 * A verified token is remembered for a minute at most (and never past its `exp` or before its `nbf`):
 * clients send the same token on every request, and verifying its signature again each time cost
 * more CPU than deciding the request. A token the issuer's keys stop accepting is refused within that
 * minute.
 */
import { GraphQLError } from 'graphql';
import { LRUCache } from 'lru-cache';
import { createRemoteJWKSet, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { missingClaimOf } from '../../consent/index.js';
import { isRole, type Actor } from '../../schema/context.js';
import { ERROR_CODES } from '../../schema/errors.js';

export interface AuthenticationOptions {
  issuer: string;
  audience: string;
  /** A JWKS URL (production) or a public key (embedded mode). */
  keys: URL | CryptoKey;
}

/** Resolves the `Authorization` header to an actor, `null` for no token; throws UNAUTHENTICATED for a bad one. */
export type Authenticator = (authorizationHeader: string | undefined) => Promise<Actor | null>;

/** How long a verified token is taken on trust without verifying its signature again. */
const VERIFIED_TOKEN_TTL_MS = 60_000;
const VERIFIED_TOKENS_KEPT = 10_000;

interface VerifiedToken {
  actor: Actor;
  /** Seconds since the epoch, as in the claims. */
  exp: number;
  nbf?: number;
}

export function createAuthenticator(options: AuthenticationOptions): Authenticator {
  const key: CryptoKey | JWTVerifyGetKey = options.keys instanceof URL ? createRemoteJWKSet(options.keys) : options.keys;
  const verified = new LRUCache<string, VerifiedToken>({ max: VERIFIED_TOKENS_KEPT, ttl: VERIFIED_TOKEN_TTL_MS });
  return async (header) => {
    if (!header) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>".');
    const token = match[1]!;
    const now = Date.now() / 1000;
    const known = verified.get(token);
    if (known && now < known.exp && (known.nbf === undefined || now >= known.nbf)) return { ...known.actor };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as CryptoKey, {
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch {
      throw unauthenticated('The bearer token is invalid or expired.');
    }
    const actor = actorFromClaims(payload);
    verified.set(token, { actor: { ...actor }, exp: payload.exp!, ...(payload.nbf !== undefined ? { nbf: payload.nbf } : {}) });
    return actor;
  };
}

/** Claims (DESIGN §3) → actor; a token without a known role, or a resident token without resident_id, is refused. */
export function actorFromClaims(payload: JWTPayload): Actor {
  const role = payload['role'];
  if (!isRole(role)) throw unauthenticated('The bearer token has no known role.');
  const actor: Actor = { sub: String(payload.sub), role };
  const residentId = optionalString(payload['resident_id']);
  const institutionId = optionalString(payload['institution_id']);
  const practitionerId = optionalString(payload['practitioner_id']);
  if (residentId) actor.residentId = residentId;
  if (institutionId) actor.institutionId = institutionId;
  if (practitionerId) actor.practitionerId = practitionerId;
  const missing = missingClaimOf(actor);
  if (missing) throw unauthenticated(`A ${role} token needs ${missing}.`);
  return actor;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ERROR_CODES.UNAUTHENTICATED, http: { status: 401 } } });
}
