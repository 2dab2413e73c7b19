/**
 * The signed request context: what the gateway tells a subgraph about the caller and the decision.
 * The gateway signs one per subgraph fetch (gateway/stages/sign-context.ts); every subgraph verifies
 * it (subgraphs/runtime/context.ts) and refuses any request without a valid one (DESIGN §3.6): its
 * audience is the subgraph's name, it carries the SHA-256 of the exact request body (`bdy`) and a
 * unique id (`jti`) the subgraph refuses when seen twice, and it lives for seconds.
 */
import { createHash } from 'node:crypto';
import type { DataCategory, SensitivityLevel } from './classification.js';

/** HTTP header carrying the compact JWS from the gateway to a subgraph. */
export const CONTEXT_HEADER = 'x-healthmesh-context';
export const CONTEXT_ISSUER = 'healthmesh-gateway';
/** Seconds a signed context stays valid: one fetch needs milliseconds; a stolen one is useless soon after. */
export const CONTEXT_TTL_SECONDS = 10;
/** Clock difference between the gateway and a subgraph host that verification tolerates. */
export const CONTEXT_CLOCK_TOLERANCE_SECONDS = 2;
/** The claim holding the body digest. */
export const CONTEXT_BODY_DIGEST_CLAIM = 'bdy';

/** The body digest a signed context carries: base64url SHA-256 of the request body's bytes (a string as UTF-8). */
export function contextBodyDigest(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}

export const ROLES = ['resident', 'clinician', 'researcher', 'steward', 'auditor', 'hospital_system'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The authenticated caller, from the bearer token's claims (DESIGN §3). */
export interface Actor {
  sub: string;
  role: Role;
  residentId?: string;
  institutionId?: string;
  practitionerId?: string;
}

/** HL7 v3 PurposeOfUse codes the platform understands. */
export const PURPOSES_OF_USE = ['TREAT', 'ETREAT', 'HRESCH', 'PATRQT', 'HOPERAT'] as const;
export type PurposeOfUse = (typeof PURPOSES_OF_USE)[number];

/** How far one category of a resident's data is open for this request. */
export interface CategoryScope {
  /** Highest record level returned (5 only with two authorisations, or to the resident). */
  maxLevel: SensitivityLevel;
  /** When set, only rows recorded at this institution (a clinician's own records, without a grant). */
  institutionId?: string;
}

/**
 * What rows a subgraph may return for this request. Absent means "no resident data at all"
 * (deny by default): a context without a scope only reaches public resources.
 */
export interface RowScope {
  /**
   * Per resident whose rows may be returned, the categories open for them; a resident or category not
   * listed returns no rows.
   */
  residents: Record<string, Partial<Record<DataCategory, CategoryScope>>>;
}

/** Claims of the signed context (the `ctx` claim): the same for every fetch of one request. */
export interface GatewayContextClaims {
  /** The gateway's request id, for correlating a subgraph's work with the request (never the context's `jti`). */
  requestId: string;
  actor: Actor | null;
  purpose?: PurposeOfUse;
  scope?: RowScope;
  grantId?: string;
  /**
   * A research scenario by reference (DESIGN §3.6): `query` when the gateway checked that the request
   * runs one of its registered documents while it is approved and within quota; `build` while the
   * gateway reads its consented cohort to build its mart.
   */
  scenario?: { id: string; use: 'query' | 'build' };
}
