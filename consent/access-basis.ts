/**
 * What allowed each access-log entry, so the resident can withdraw it from the entry itself: the
 * grant (and the request it answered), the consent that pre-approved that grant, the care
 * relationship of the reader's institution, an emergency, or the resident's own use.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Executor } from './grants.js';
import { accessGrants, careRelationships, consentVersions, type AuditEntryRow } from './tables.js';

export const ACCESS_BASIS_KINDS = ['SELF', 'GRANT', 'CONSENT', 'CARE_RELATIONSHIP', 'BREAK_GLASS', 'NONE'] as const;
export type AccessBasisKind = (typeof ACCESS_BASIS_KINDS)[number];

export interface AccessBasisRecord {
  kind: AccessBasisKind;
  /** GRANT and CONSENT: the access request whose approval issued the grant (deny it to withdraw). */
  accessRequestId: string | null;
  /** CONSENT: the consent that pre-approved the grant (revoke it to withdraw). */
  consentId: string | null;
  /** CARE_RELATIONSHIP: the treating institution (a DENY consent for it withdraws). */
  institutionId: string | null;
  /** Whether what allowed the entry still allows anything (false once revoked, used up or ended). */
  active: boolean;
}

const NONE: AccessBasisRecord = { kind: 'NONE', accessRequestId: null, consentId: null, institutionId: null, active: false };

/** One lookup per kind for a page of one resident's entries. */
export async function accessBasesOf(db: Executor, residentId: string, rows: readonly AuditEntryRow[], viewerSub: string, now: Date = new Date()): Promise<Map<string, AccessBasisRecord>> {
  const grantIds = [...new Set(rows.map((row) => row.grantId).filter((id): id is string => id !== null))];
  const grants = grantIds.length
    ? await db
        .select({ id: accessGrants.id, requestId: accessGrants.requestId, consentId: accessGrants.consentId, revokedAt: accessGrants.revokedAt, usesRemaining: accessGrants.usesRemaining, validUntil: accessGrants.validUntil })
        .from(accessGrants)
        .where(and(eq(accessGrants.residentId, residentId), inArray(accessGrants.id, grantIds)))
    : [];
  const grantById = new Map(grants.map((grant) => [grant.id, grant]));
  const consentIds = [...new Set(grants.map((grant) => grant.consentId).filter((id): id is string => id !== null))];
  const revokedConsents = new Set(
    consentIds.length
      ? (await db.select({ id: consentVersions.consentId }).from(consentVersions).where(and(inArray(consentVersions.consentId, consentIds), eq(consentVersions.status, 'REVOKED')))).map((c) => c.id)
      : [],
  );
  const treating = new Set(
    (await db.select({ institutionId: careRelationships.institutionId }).from(careRelationships).where(eq(careRelationships.residentId, residentId))).map((c) => c.institutionId),
  );

  const bases = new Map<string, AccessBasisRecord>();
  for (const row of rows) {
    const grant = row.grantId ? grantById.get(row.grantId) : undefined;
    let basis: AccessBasisRecord;
    if (row.actorSub === viewerSub) basis = { ...NONE, kind: 'SELF', active: true };
    else if (row.outcome === 'DENIED') basis = NONE;
    else if (row.breakGlass) basis = { ...NONE, kind: 'BREAK_GLASS', institutionId: row.institutionId };
    else if (grant?.consentId) {
      basis = { kind: 'CONSENT', accessRequestId: grant.requestId, consentId: grant.consentId, institutionId: row.institutionId, active: !revokedConsents.has(grant.consentId) };
    } else if (grant) {
      const usable = grant.revokedAt === null && grant.usesRemaining > 0 && grant.validUntil.getTime() > now.getTime();
      basis = { kind: 'GRANT', accessRequestId: grant.requestId, consentId: null, institutionId: row.institutionId, active: usable };
    } else if (row.institutionId && treating.has(row.institutionId)) {
      basis = { ...NONE, kind: 'CARE_RELATIONSHIP', institutionId: row.institutionId, active: true };
    } else basis = NONE;
    bases.set(row.id, basis);
  }
  return bases;
}
