/**
 * The signed request context: what the gateway tells a subgraph about the caller and the decision.
 * The gateway signs it (gateway/stages/sign-context.ts); every subgraph verifies it
 * (subgraphs/runtime/context.ts) and refuses any request without a valid one.
 */
import type { DataCategory, SensitivityLevel } from './classification.js';

/** HTTP header carrying the compact JWS from the gateway to a subgraph. */
export const CONTEXT_HEADER = 'x-healthmesh-context';
export const CONTEXT_ISSUER = 'healthmesh-gateway';
export const CONTEXT_AUDIENCE = 'healthmesh-subgraph';
/** Seconds a signed context stays valid: long enough for one plan's fetches, short enough to be useless if stolen. */
export const CONTEXT_TTL_SECONDS = 30;

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

/** Claims of the signed context. */
export interface GatewayContextClaims {
  requestId: string;
  actor: Actor | null;
  purpose?: PurposeOfUse;
  scope?: RowScope;
  grantId?: string;
}
