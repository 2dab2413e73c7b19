/**
 * The embedded-mode identity issuer: mints bearer tokens for the seeded demo actors. Production uses the
 * region's identity provider instead; the gateway then only verifies tokens against its JWKS.
 */
import { SignJWT } from 'jose';
import type { Actor } from '../schema/context.js';
import type { SigningKeyPair } from './keys.js';

export const LOCAL_ISSUER = 'healthmesh-local-issuer';
export const TOKEN_AUDIENCE = 'healthmesh';

/** Signs a bearer token carrying the DESIGN §3 claims. */
export async function issueToken(issuerKey: SigningKeyPair, actor: Actor, lifetime = '12h'): Promise<string> {
  const claims: Record<string, string> = { role: actor.role };
  if (actor.residentId) claims['resident_id'] = actor.residentId;
  if (actor.institutionId) claims['institution_id'] = actor.institutionId;
  if (actor.practitionerId) claims['practitioner_id'] = actor.practitionerId;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: issuerKey.kid })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(actor.sub)
    .setIssuedAt()
    .setExpirationTime(lifetime)
    .sign(issuerKey.privateKey);
}
