/**
 * Access requests (一使用一授权, 两次授权): a clinician asks for categories of one resident's data for a
 * purpose; the resident (or guardian) decides, and a steward too when level-5 records are asked for.
 * A fully approved request yields a per-use grant, narrowed by the resident's DENY consents. An
 * in-force PERMIT consent with `autoApprove` approves a matching request at once.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, gt, inArray, isNull, lte, or, type SQL } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { DATA_CATEGORIES, isDataCategory, type DataCategory, type SensitivityLevel } from '../schema/classification.js';
import type { Actor, PurposeOfUse } from '../schema/context.js';
import { ERROR_CODES, InvalidInputError } from '../schema/errors.js';
import type { Database } from '../subgraphs/runtime/database.js';
import { activeConsentsFor, consentApplies, deniedCategories, residentsVisibleTo, standingFor, type ConsentRecord, type RecipientIdentity } from './consents.js';
import { grantTokenFor, issueGrant, revokeGrants, type Executor } from './grants.js';
import { authorize, decidePlatform, forbiddenBy, type AccessRequestListScope, type AccessRequestParty } from './policy.js';
import { auditWrite, type WriteAudit } from './write-audit.js';
import { accessGrants, accessRequests, type AccessGrantRow, type AccessRequestRow } from './tables.js';

export const ACCESS_REQUEST_STATUSES = ['PENDING', 'PARTIALLY_APPROVED', 'APPROVED', 'DENIED', 'EXPIRED'] as const;
export type AccessRequestStatus = (typeof ACCESS_REQUEST_STATUSES)[number];
export type AccessDecision = 'APPROVE' | 'DENY';

/** Purposes a clinician can ask for; ETREAT is break-glass and needs no request. */
export const REQUESTABLE_PURPOSES: readonly PurposeOfUse[] = ['TREAT', 'HOPERAT'];
/** How long a resident has to answer before a request expires. */
export const REQUEST_TTL_HOURS = 72;
export const REASON_MAX_LENGTH = 500;
export const USES_RANGE = { min: 1, max: 20, default: 1 } as const;
export const VALID_FOR_MINUTES_RANGE = { min: 1, max: 10_080, default: 60 } as const;
/** The most requests one list returns (newest first). */
export const REQUEST_LIST_LIMIT = 100;
/** What a request narrowed to nothing by DENY consents reports. */
export const BLOCKED_BY_CONSENT = 'blocked by consent';

export interface NewAccessRequest {
  residentId: string;
  categories: readonly string[];
  purpose: string;
  reason: string;
  uses?: number | null;
  validForMinutes?: number | null;
  includeLevel5?: boolean | null;
}

/** An access request as its parties see it. */
export interface AccessRequestRecord {
  id: string;
  residentId: string;
  requester: { sub: string; practitionerId: string | null; institutionId: string };
  categories: DataCategory[];
  purpose: PurposeOfUse;
  reason: string;
  uses: number;
  validForMinutes: number;
  includesLevel5: boolean;
  /** As of the read: a PENDING or PARTIALLY_APPROVED request past `expiresAt` reads EXPIRED. */
  status: AccessRequestStatus;
  residentDecision: AccessDecision | null;
  stewardDecision: AccessDecision | null;
  denialReason: string | null;
  createdAt: Date;
  expiresAt: Date;
  grantId: string | null;
  /** The bearer token: only for the requester, null for everyone else. */
  grantToken: string | null;
  /** The categories the grant actually opens (narrowed by DENY consents). */
  grantCategories: DataCategory[] | null;
  grantExpiresAt: Date | null;
  grantUsesRemaining: number | null;
  approvedByConsentId: string | null;
}

function unauthenticated(): GraphQLError {
  return new GraphQLError('Sign in to see or decide access requests.', { extensions: { code: ERROR_CODES.UNAUTHENTICATED } });
}

/** Outside the caller's scope looks exactly like an id that does not exist. */
function notFound(): InvalidInputError {
  return new InvalidInputError('No such access request', { field: 'id' });
}

/** The status a stored request has at `now`. */
export function effectiveStatus(row: Pick<AccessRequestRow, 'status' | 'expiresAt'>, now: Date): AccessRequestStatus {
  const stored = row.status as AccessRequestStatus;
  if ((stored === 'PENDING' || stored === 'PARTIALLY_APPROVED') && row.expiresAt <= now) return 'EXPIRED';
  return stored;
}

/** `secret` may be absent where the actor can never be the requester (a decision). */
function toRecord(secret: Uint8Array | undefined, actor: Actor | null, row: AccessRequestRow, grant: AccessGrantRow | undefined, now: Date): AccessRequestRecord {
  return {
    id: row.id,
    residentId: row.residentId,
    requester: { sub: row.requesterSub, practitionerId: row.requesterPractitionerId, institutionId: row.requesterInstitutionId },
    categories: row.categories,
    purpose: row.purpose,
    reason: row.reason,
    uses: row.uses,
    validForMinutes: row.validForMinutes,
    includesLevel5: row.includesLevel5,
    status: effectiveStatus(row, now),
    residentDecision: row.residentDecision as AccessDecision | null,
    stewardDecision: row.stewardDecision as AccessDecision | null,
    denialReason: row.denialReason,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    grantId: row.grantId,
    grantToken: secret && row.grantId && actor?.sub === row.requesterSub ? grantTokenFor(secret, row.grantId) : null,
    grantCategories: grant?.categories ?? null,
    grantExpiresAt: grant?.validUntil ?? null,
    grantUsesRemaining: grant?.usesRemaining ?? null,
    approvedByConsentId: row.approvedByConsentId,
  };
}

async function grantsById(db: Executor, ids: readonly (string | null)[]): Promise<Map<string, AccessGrantRow>> {
  const wanted = ids.filter((id): id is string => id !== null);
  if (wanted.length === 0) return new Map();
  const rows = await db.select().from(accessGrants).where(inArray(accessGrants.id, wanted));
  return new Map(rows.map((row) => [row.id, row]));
}

// ---------------------------------------------------------------------------------------------------
// Asking

interface ValidRequest {
  residentId: string;
  categories: DataCategory[];
  purpose: PurposeOfUse;
  reason: string;
  uses: number;
  validForMinutes: number;
  includesLevel5: boolean;
}

function integerIn(value: number | null | undefined, range: { min: number; max: number; default: number }, field: string): number {
  const n = value ?? range.default;
  if (!Number.isInteger(n) || n < range.min || n > range.max) throw new InvalidInputError(`${field} must be a whole number from ${range.min} to ${range.max}.`, { field });
  return n;
}

/** Checks a new request; every problem is BAD_USER_INPUT naming the field, and nothing is written. */
export function validateNewAccessRequest(input: NewAccessRequest): ValidRequest {
  const residentId = input.residentId.trim();
  if (!residentId) throw new InvalidInputError('residentId is required.', { field: 'residentId' });
  if (input.categories.length === 0) throw new InvalidInputError('Ask for at least one data category.', { field: 'categories' });
  if (input.categories.some((c) => !isDataCategory(c))) {
    throw new InvalidInputError(`Unknown data category; expected one of ${DATA_CATEGORIES.join(', ')}.`, { field: 'categories' });
  }
  if (input.purpose === 'ETREAT') {
    throw new InvalidInputError('Emergency access (ETREAT) is break-glass: it needs no request, only a reason with the query (X-Break-Glass-Reason).', { field: 'purpose' });
  }
  if (!(REQUESTABLE_PURPOSES as readonly string[]).includes(input.purpose)) {
    throw new InvalidInputError(`An access request is for ${REQUESTABLE_PURPOSES.join(' or ')}.`, { field: 'purpose' });
  }
  const reason = input.reason.trim();
  if (reason.length === 0) throw new InvalidInputError('Say why you need the data (the resident reads this).', { field: 'reason' });
  if (reason.length > REASON_MAX_LENGTH) throw new InvalidInputError(`reason is at most ${REASON_MAX_LENGTH} characters.`, { field: 'reason' });
  return {
    residentId,
    categories: [...new Set(input.categories as DataCategory[])],
    purpose: input.purpose as PurposeOfUse,
    reason,
    uses: integerIn(input.uses, USES_RANGE, 'uses'),
    validForMinutes: integerIn(input.validForMinutes, VALID_FOR_MINUTES_RANGE, 'validForMinutes'),
    includesLevel5: input.includeLevel5 ?? false,
  };
}

function recipientOf(row: Pick<AccessRequestRow, 'requesterInstitutionId' | 'requesterPractitionerId'>): RecipientIdentity {
  return { institutionId: row.requesterInstitutionId, practitionerId: row.requesterPractitionerId };
}

/**
 * The in-force PERMIT consent that pre-approves this request, if any: it names the requester (or
 * anyone), covers the purpose and every category, and no DENY consent closes any of them. Level 5 is
 * never pre-approved (it needs a steward). The most recently recorded match wins.
 */
export function autoApprovingConsent(consents: readonly ConsentRecord[], request: ValidRequest, who: RecipientIdentity, now: Date): ConsentRecord | undefined {
  if (request.includesLevel5) return undefined;
  const denied = deniedCategories(consents, who, request.purpose, now);
  if (request.categories.some((c) => denied.has(c))) return undefined;
  return consents
    .filter(
      (c) =>
        c.provision === 'PERMIT' &&
        c.autoApprove &&
        consentApplies(c, who, request.purpose, now) &&
        request.categories.every((category) => c.categories.includes(category)),
    )
    .sort((a, b) => b.recordedAt.getTime() - a.recordedAt.getTime())[0];
}

const MINUTE = 60_000;

/** Files a clinician's access request; auto-approves it (and issues the grant) when a consent says so. */
export async function requestAccess(db: Database, secret: Uint8Array, actor: Actor | null, input: NewAccessRequest, now = new Date(), audit?: WriteAudit): Promise<AccessRequestRecord> {
  if (!actor) throw unauthenticated();
  authorize(actor, 'request', 'AccessRequest');
  const valid = validateNewAccessRequest(input);
  const institutionId = actor.institutionId;
  if (!institutionId) throw new Error('the policy lets only a clinician at an institution request access');
  return db.transaction(async (tx) => {
    const id = `areq-${randomUUID()}`;
    const who: RecipientIdentity = { institutionId, practitionerId: actor.practitionerId ?? null };
    const consent = autoApprovingConsent(await activeConsentsFor(tx, valid.residentId, now), valid, who, now);
    let grant: AccessGrantRow | undefined;
    if (consent) {
      // Never wider than the consent: the grant ends when the consent does.
      const requestedUntil = new Date(now.getTime() + valid.validForMinutes * MINUTE);
      const validUntil = consent.validUntil && consent.validUntil < requestedUntil ? consent.validUntil : requestedUntil;
      ({ row: grant } = await issueGrant(tx, secret, {
        requestId: id,
        residentId: valid.residentId,
        granteeSub: actor.sub,
        granteeInstitutionId: institutionId,
        categories: valid.categories,
        purpose: valid.purpose,
        maxLevel: 4,
        uses: valid.uses,
        validFrom: now,
        validUntil,
        consentId: consent.id,
      }));
    }
    const [row] = await tx
      .insert(accessRequests)
      .values({
        id,
        residentId: valid.residentId,
        requesterSub: actor.sub,
        requesterPractitionerId: actor.practitionerId ?? null,
        requesterInstitutionId: institutionId,
        categories: valid.categories,
        purpose: valid.purpose,
        reason: valid.reason,
        uses: valid.uses,
        validForMinutes: valid.validForMinutes,
        includesLevel5: valid.includesLevel5,
        status: consent ? 'APPROVED' : 'PENDING',
        residentDecision: consent ? 'APPROVE' : null,
        residentDecidedAt: consent ? now : null,
        residentDecidedBy: consent ? `consent:${consent.id}` : null,
        grantId: grant?.id ?? null,
        approvedByConsentId: consent?.id ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + REQUEST_TTL_HOURS * 60 * MINUTE),
      })
      .returning();
    // Asking is a use of the resident's data too: the resident sees who asked, even before deciding.
    await auditWrite(tx, audit, actor!, { residentId: valid.residentId, operation: 'requestAccess', at: now });
    return toRecord(secret, actor, row!, grant, now);
  });
}

// ---------------------------------------------------------------------------------------------------
// Deciding

type Party = AccessRequestParty;

/**
 * Loads a request for a decision by this actor, locked for the transaction. Anyone without a say in it
 * gets "not found"; a ward is told to ask their guardian; the requester cannot decide their own request.
 */
async function lockForDecision(
  tx: Executor,
  actor: Actor | null,
  id: string,
  action: 'approve' | 'deny',
): Promise<{ row: AccessRequestRow; party: Party; decidedBy: string }> {
  if (!actor) throw unauthenticated();
  const [row] = await tx.select().from(accessRequests).where(eq(accessRequests.id, id)).limit(1).for('update');
  if (!row) throw notFound();
  const standing = await standingFor(tx, actor, row.residentId);
  const decision = decidePlatform(actor, action, {
    type: 'AccessRequest',
    attributes: { residentId: row.residentId, requesterSub: row.requesterSub, includesLevel5: row.includesLevel5, standing },
  });
  // No part in the request at all looks exactly like a request that does not exist.
  if (!decision.allowed) throw decision.byBaseline ? notFound() : forbiddenBy(decision.reason);
  const party = decision.basis as Party;
  if (party === 'STEWARD' && !row.includesLevel5) throw new InvalidInputError('This request does not include level-5 data: it needs no steward decision.', { field: 'id' });
  return { row, party, decidedBy: actor.sub };
}

function assertOpen(row: AccessRequestRow, party: Party, now: Date): void {
  const status = effectiveStatus(row, now);
  if (status === 'EXPIRED') throw new InvalidInputError('This access request has expired; the clinician can ask again.', { field: 'id' });
  if (status === 'APPROVED' || status === 'DENIED') throw new InvalidInputError(`This access request is already ${status.toLowerCase()}.`, { field: 'id' });
  const own = party === 'RESIDENT' ? row.residentDecision : row.stewardDecision;
  if (own !== null) throw new InvalidInputError('You have already decided this access request.', { field: 'id' });
}

/**
 * Records an approval. When every needed party (the resident; a steward too for level 5) has approved,
 * issues the grant, narrowed by the resident's DENY consents (nothing left: DENIED, 'blocked by
 * consent'); with one of two approvals the request is PARTIALLY_APPROVED.
 */
export async function approveAccessRequest(db: Database, secret: Uint8Array, actor: Actor | null, id: string, now = new Date(), audit?: WriteAudit): Promise<AccessRequestRecord> {
  return db.transaction(async (tx) => {
    const { row, party, decidedBy } = await lockForDecision(tx, actor, id, 'approve');
    await auditWrite(tx, audit, actor!, { residentId: row.residentId, operation: 'approveAccessRequest', at: now });
    assertOpen(row, party, now);
    const decision =
      party === 'RESIDENT'
        ? { residentDecision: 'APPROVE', residentDecidedAt: now, residentDecidedBy: decidedBy }
        : { stewardDecision: 'APPROVE', stewardDecidedAt: now, stewardSub: decidedBy };
    const residentApproved = party === 'RESIDENT' || row.residentDecision === 'APPROVE';
    const stewardApproved = !row.includesLevel5 || party === 'STEWARD' || row.stewardDecision === 'APPROVE';
    if (!(residentApproved && stewardApproved)) {
      const [updated] = await tx.update(accessRequests).set({ ...decision, status: 'PARTIALLY_APPROVED' }).where(eq(accessRequests.id, id)).returning();
      return toRecord(secret, actor, updated!, undefined, now);
    }
    const denied = deniedCategories(await activeConsentsFor(tx, row.residentId, now), recipientOf(row), row.purpose, now);
    const categories = row.categories.filter((c) => !denied.has(c));
    if (categories.length === 0) {
      const [updated] = await tx
        .update(accessRequests)
        .set({ ...decision, status: 'DENIED', denialReason: BLOCKED_BY_CONSENT })
        .where(eq(accessRequests.id, id))
        .returning();
      return toRecord(secret, actor, updated!, undefined, now);
    }
    const maxLevel: SensitivityLevel = row.includesLevel5 ? 5 : 4;
    const { row: grant } = await issueGrant(tx, secret, {
      requestId: row.id,
      residentId: row.residentId,
      granteeSub: row.requesterSub,
      granteeInstitutionId: row.requesterInstitutionId,
      categories,
      purpose: row.purpose,
      maxLevel,
      uses: row.uses,
      validFrom: now,
      validUntil: new Date(now.getTime() + row.validForMinutes * MINUTE),
    });
    const [updated] = await tx
      .update(accessRequests)
      .set({ ...decision, status: 'APPROVED', grantId: grant.id })
      .where(eq(accessRequests.id, id))
      .returning();
    return toRecord(secret, actor, updated!, grant, now);
  });
}

/**
 * Records a denial: the request becomes DENIED. Denying an already approved request withdraws it:
 * its grant is revoked in the same transaction (withdrawing is as easy as granting).
 */
export async function denyAccessRequest(db: Database, actor: Actor | null, id: string, reason?: string | null, now = new Date(), audit?: WriteAudit): Promise<AccessRequestRecord> {
  const denialReason = reason?.trim() ? reason.trim() : null;
  if (denialReason && denialReason.length > REASON_MAX_LENGTH) throw new InvalidInputError(`reason is at most ${REASON_MAX_LENGTH} characters.`, { field: 'reason' });
  return db.transaction(async (tx) => {
    const { row, party, decidedBy } = await lockForDecision(tx, actor, id, 'deny');
    const status = effectiveStatus(row, now);
    if (status !== 'APPROVED') assertOpen(row, party, now);
    await auditWrite(tx, audit, actor!, { residentId: row.residentId, operation: 'denyAccessRequest', at: now });
    const decision =
      party === 'RESIDENT'
        ? { residentDecision: 'DENY', residentDecidedAt: now, residentDecidedBy: decidedBy }
        : { stewardDecision: 'DENY', stewardDecidedAt: now, stewardSub: decidedBy };
    if (row.grantId) await revokeGrants(tx, { grantId: row.grantId }, now);
    const [updated] = await tx.update(accessRequests).set({ ...decision, status: 'DENIED', denialReason }).where(eq(accessRequests.id, id)).returning();
    const grants = await grantsById(tx, [updated!.grantId]);
    // The requester cannot decide (lockForDecision), so no token is ever due here.
    return toRecord(undefined, actor, updated!, updated!.grantId ? grants.get(updated!.grantId) : undefined, now);
  });
}

// ---------------------------------------------------------------------------------------------------
// Listing

/** SQL for "reads as `status` at `now`" (EXPIRED is computed, not stored). */
function statusCondition(status: AccessRequestStatus, now: Date): SQL {
  const open = inArray(accessRequests.status, ['PENDING', 'PARTIALLY_APPROVED']);
  switch (status) {
    case 'EXPIRED':
      return or(eq(accessRequests.status, 'EXPIRED'), and(open, lte(accessRequests.expiresAt, now)))!;
    case 'PENDING':
    case 'PARTIALLY_APPROVED':
      return and(eq(accessRequests.status, status), gt(accessRequests.expiresAt, now))!;
    default:
      return eq(accessRequests.status, status);
  }
}

/**
 * The requests an actor has a part in, newest first (at most 100): a resident's about them and their
 * wards; a clinician's own; for a steward, level-5 requests awaiting a steward plus those they decided.
 * Other roles have none.
 */
export async function listAccessRequests(db: Executor, secret: Uint8Array, actor: Actor | null, status?: AccessRequestStatus | null, now = new Date()): Promise<AccessRequestRecord[]> {
  if (!actor) throw unauthenticated();
  // The rule that lets the actor list requests names which ones (its basis); without one there are none.
  const listing = decidePlatform(actor, 'list', 'AccessRequest');
  let scope: SQL | undefined;
  switch (listing.allowed ? (listing.basis as AccessRequestListScope) : undefined) {
    case 'ABOUT_ME_AND_WARDS': {
      const residents = await residentsVisibleTo(db, actor);
      if (residents.length) scope = inArray(accessRequests.residentId, residents);
      break;
    }
    case 'MY_REQUESTS':
      scope = eq(accessRequests.requesterSub, actor.sub);
      break;
    case 'STEWARD_QUEUE':
      scope = and(
        eq(accessRequests.includesLevel5, true),
        or(and(isNull(accessRequests.stewardDecision), inArray(accessRequests.status, ['PENDING', 'PARTIALLY_APPROVED'])), eq(accessRequests.stewardSub, actor.sub)),
      );
      break;
    default:
      scope = undefined;
  }
  if (!scope) return [];
  const rows = await db
    .select()
    .from(accessRequests)
    .where(status ? and(scope, statusCondition(status, now)) : scope)
    .orderBy(desc(accessRequests.createdAt), desc(accessRequests.id))
    .limit(REQUEST_LIST_LIMIT);
  const grants = await grantsById(db, rows.map((r) => r.grantId));
  return rows.map((row) => toRecord(secret, actor, row, row.grantId ? grants.get(row.grantId) : undefined, now));
}
