/**
 * Stage 6, sign context: what the subgraphs may know about this request. The stage computes the
 * claims once per request; each subgraph fetch is then signed on its own by `signFetch`, at the point
 * where its body is final (DESIGN §3.6), so a captured context opens nothing but that one fetch.
 * `signFetch` depends on no gateway runtime: Hive Gateway's fetch hook (lifecycle.ts), the direct
 * master-patient-index and reference lookups, and the benchmark's @apollo/gateway data source use it.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, type CryptoKey } from 'jose';
import { CONTEXT_BODY_DIGEST_CLAIM, CONTEXT_ISSUER, CONTEXT_TTL_SECONDS, contextBodyDigest, type GatewayContextClaims } from '../../schema/context.js';
import type { GatewayRequestContext } from '../request-context.js';

/** The claims every fetch of this request carries: actor, purpose, row scope, grant and the request id. */
export function contextClaimsOf(context: Pick<GatewayRequestContext, 'requestId' | 'actor' | 'purpose' | 'scope' | 'subjects'>): GatewayContextClaims {
  const grant = context.subjects?.find((subject) => subject.facts.grant)?.facts.grant;
  return {
    requestId: context.requestId,
    actor: context.actor,
    ...(context.purpose ? { purpose: context.purpose } : {}),
    ...(context.scope ? { scope: context.scope } : {}),
    ...(grant ? { grantId: grant.id } : {}),
  };
}

/** One fetch to sign: the subgraph it goes to, its exact body, and the request's claims. */
export interface FetchToSign {
  subgraph: string;
  body: string | Uint8Array;
  claims: GatewayContextClaims;
}

/** Signs one subgraph fetch; the result is the `x-healthmesh-context` header value. */
export type FetchSigner = (fetch: FetchToSign) => Promise<string>;

export function createFetchSigner(privateKey: CryptoKey, kid: string): FetchSigner {
  return ({ subgraph, body, claims }) =>
    new SignJWT({ ctx: claims, [CONTEXT_BODY_DIGEST_CLAIM]: contextBodyDigest(body) })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setIssuer(CONTEXT_ISSUER)
      .setAudience(subgraph)
      .setIssuedAt()
      .setExpirationTime(`${CONTEXT_TTL_SECONDS}s`)
      // Random per fetch: the subgraph refuses an id it has seen, so the request id cannot serve here.
      .setJti(randomUUID())
      .sign(privateKey);
}
