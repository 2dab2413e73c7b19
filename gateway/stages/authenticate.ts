/**
 * Stage 1, authenticate: the bearer JWT is verified against the configured issuer (a JWKS URL in
 * production, the local issuer key in embedded mode). No token means an anonymous caller, who only
 * reaches public (level 1) data; a bad token is refused outright.
 */
import { GraphQLError } from 'graphql';
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

export function createAuthenticator(options: AuthenticationOptions): Authenticator {
  const key: CryptoKey | JWTVerifyGetKey = options.keys instanceof URL ? createRemoteJWKSet(options.keys) : options.keys;
  return async (header) => {
    if (!header) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>".');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1]!, key as CryptoKey, {
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch {
      throw unauthenticated('The bearer token is invalid or expired.');
    }
    return actorFromClaims(payload);
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
