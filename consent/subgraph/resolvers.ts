/**
 * Resolvers of the consent subgraph: thin adapters from GraphQL to the consent services. Everything a
 * resolver knows about the caller is the actor of the gateway's signed context.
 */
import { GraphQLError } from 'graphql';
import { JSONResolver } from 'graphql-scalars';
import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { classified } from '../../schema/classification.js';
import { isDataCategory, type DataCategory } from '../../schema/classification.js';
import { PURPOSES_OF_USE, type Actor as ActorClaims, type PurposeOfUse } from '../../schema/context.js';
import { ERROR_CODES, InvalidInputError } from '../../schema/errors.js';
import { rootIs } from '../../schema/enforcement.js';
import { boundedPageSize } from '../../subgraphs/runtime/row-filter.js';
import type { SubgraphContext } from '../../subgraphs/runtime/server.js';
import { auditEntriesForResident, canonicalEntryBytes, storedContent, verifyAuditChain, type AuditSigner, type AuditVerifier } from '../audit.js';
import { auditConsistencyProof, auditInclusionProof, latestTreeHead, signTreeHead, type SignedTreeHead as SignedTreeHeadRecord } from '../audit-tree.js';
import { EMPTY_ROOT } from '../merkle/index.js';
import { authorize, ownResidentIdOf } from '../policy.js';
import type { WriteAudit } from '../write-audit.js';
import { listBreakGlassReviews, reviewBreakGlass, type BreakGlassDecision, type BreakGlassReviewRecord, type BreakGlassReviewStatus } from '../break-glass-reviews.js';
import {
  currentConsents,
  grantConsent,
  residentsVisibleTo,
  revokeConsent,
  standingFor,
  toFhirBundle,
  type ConsentRecord,
  type FhirBundle,
  type RecipientDirectory,
} from '../consents.js';
import { approveAccessRequest, denyAccessRequest, listAccessRequests, requestAccess, type AccessRequestRecord, type AccessRequestStatus } from '../requests.js';
import { requestsThatStartedCare } from '../facts.js';
import type { AuditEntryRow } from '../tables.js';
import { accessBasesOf, type AccessBasisRecord } from '../access-basis.js';
import { accessKindOf, accessSummaryOf, writeActionOf } from './access-log.js';
import {
  AccessLogConnection,
  AccessLogEntry,
  AccessRequest,
  AccessRequestInput,
  AccessRequestStatusEnum,
  Actor,
  AuditChainReport,
  InclusionProof,
  SignedTreeHead,
  BreakGlassDecisionEnum,
  BreakGlassReview,
  BreakGlassReviewStatusEnum,
  Consent,
  ConsentInput,
  Resident,
} from './types.js';

function signedIn(context: SubgraphContext): ActorClaims {
  const actor = context.request.actor;
  if (!actor) throw new GraphQLError('Sign in first.', { extensions: { code: ERROR_CODES.UNAUTHENTICATED } });
  return actor;
}

/** Each write audits itself in its own transaction, under the gateway's request id. */
function writeAudit(signer: AuditSigner, context: SubgraphContext): WriteAudit {
  return { signer, requestId: context.request.requestId };
}

function toConsent(record: ConsentRecord): Consent {
  return {
    id: record.id,
    version: record.version,
    residentId: record.residentId,
    categories: record.categories,
    recipient: { kind: record.recipient.kind, id: record.recipient.id },
    purposes: record.purposes,
    provision: record.provision,
    status: record.status,
    validFrom: record.validFrom,
    validUntil: record.validUntil,
    noticeVersion: record.noticeVersion,
    autoApprove: record.autoApprove,
    guardianId: record.guardianId,
    recordedAt: record.recordedAt,
    // The gateway holds the platform keys and signs the receipt when it is downloaded.
    receiptUrl: `/consents/${encodeURIComponent(record.id)}/receipt`,
  };
}

function toAccessRequest(record: AccessRequestRecord): AccessRequest {
  return {
    id: record.id,
    residentId: record.residentId,
    requester: {
      sub: record.requester.sub,
      practitioner: record.requester.practitionerId ? { id: record.requester.practitionerId } : null,
      institution: { id: record.requester.institutionId },
    },
    categories: record.categories,
    purpose: record.purpose,
    reason: record.reason,
    uses: record.uses,
    validForMinutes: record.validForMinutes,
    includesLevel5: record.includesLevel5,
    status: record.status,
    residentDecision: record.residentDecision,
    stewardDecision: record.stewardDecision,
    denialReason: record.denialReason,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    grantToken: record.grantToken,
    grantCategories: record.grantCategories,
    grantExpiresAt: record.grantExpiresAt,
    grantUsesRemaining: record.grantUsesRemaining,
  };
}

function toAccessLogEntry(row: AuditEntryRow, startedCare: boolean, viewerSub: string, basis: AccessBasisRecord): AccessLogEntry {
  const categoriesOf = (byCategory: Record<string, string[]>) => Object.keys(byCategory).filter(isDataCategory).sort() as DataCategory[];
  return {
    id: row.id,
    kind: accessKindOf(row),
    summary: accessSummaryOf(row, startedCare, viewerSub),
    action: writeActionOf(row),
    startedCare,
    at: row.at,
    actorRole: row.actorRole,
    actorInstitution: row.institutionId ? { id: row.institutionId } : null,
    actorPractitioner: row.practitionerId ? { id: row.practitionerId } : null,
    purpose: row.purpose && (PURPOSES_OF_USE as readonly string[]).includes(row.purpose) ? (row.purpose as PurposeOfUse) : null,
    categories: categoriesOf(row.fieldsByCategory),
    deniedCategories: categoriesOf(row.deniedByCategory),
    outcome: row.outcome,
    breakGlass: row.breakGlass,
    breakGlassReason: row.breakGlassReason,
    grantId: row.grantId,
    leafIndex: leafIndexOf(row),
    leafData: canonicalEntryBytes(storedContent(row)).toString('base64'),
    allowedBy: {
      kind: basis.kind,
      accessRequestId: basis.accessRequestId,
      consentId: basis.consentId,
      institution: basis.institutionId ? { id: basis.institutionId } : null,
      active: basis.active,
    },
  };
}

function leafIndexOf(row: AuditEntryRow): number {
  // Every entry is a leaf once adopted (at start, or by the first append after the upgrade).
  if (row.leafIndex === null) throw new Error('an audit entry has not been adopted into the Merkle log yet');
  return row.leafIndex;
}

/** The newest signed head, once per request (every entry's proof defaults to it). */
const newestHeads = new WeakMap<SubgraphContext, Promise<SignedTreeHeadRecord | undefined>>();
function newestHead(context: SubgraphContext): Promise<SignedTreeHeadRecord | undefined> {
  let head = newestHeads.get(context);
  if (!head) newestHeads.set(context, (head = latestTreeHead(context.db)));
  return head;
}

/** A tree size the caller named: within [min, max], else BAD_USER_INPUT naming the argument. */
function checkedSize(value: number, field: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new InvalidInputError(`${field} must be between ${min} and ${max}.`, { field });
  return value;
}

/** How proofs and heads are classified: plain log data, like the access log's other fields. */
const PLAIN_FIELD = classified('DEMOGRAPHICS', 2);

function toBreakGlassReview(record: BreakGlassReviewRecord): BreakGlassReview {
  return {
    id: record.id,
    residentId: record.residentId,
    actorSub: record.actorSub,
    institution: record.institutionId ? { id: record.institutionId } : null,
    practitioner: record.practitionerId ? { id: record.practitionerId } : null,
    reason: record.reason,
    at: record.at,
    auditEntryId: record.auditEntryId,
    status: record.status as BreakGlassReviewStatus,
    reviewerSub: record.reviewerSub,
    reviewedAt: record.reviewedAt,
    comment: record.comment,
  };
}

/** Access-log cursors are opaque: the entry's sequence number, encoded. */
export function encodeLogCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`, 'utf8').toString('base64url');
}

function decodeLogCursor(cursor: string): number {
  const match = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidInputError('after is not a cursor from this access log.', { field: 'after' });
  return Number(match[1]);
}

@Resolver(() => Actor)
export class ActorResolver {
  @Query(() => Actor, { description: 'The signed-in caller.' })
  @Directive(rootIs.platform)
  me(@Ctx() context: SubgraphContext): Actor {
    const actor = signedIn(context);
    return {
      sub: actor.sub,
      role: actor.role,
      residentId: actor.residentId ?? null,
      institution: actor.institutionId ? { id: actor.institutionId } : null,
      practitioner: actor.practitionerId ? { id: actor.practitionerId } : null,
      wards: [],
    };
  }

  @FieldResolver(() => [ID], { nullable: true })
  async wards(@Ctx() context: SubgraphContext): Promise<string[]> {
    const actor = signedIn(context);
    return (await residentsVisibleTo(context.db, actor)).filter((id) => id !== actor.residentId);
  }
}

/** Consent resolvers audit the writes with the gateway's audit key, hence a factory. */
export function createConsentResolver(auditSigner: AuditSigner, recipientDirectory?: RecipientDirectory) {
@Resolver(() => Consent)
class ConsentResolver {
  @Query(() => [Consent], { description: 'Resident: the current state of your consents and your wards’ (newest change first).' })
  @Directive(rootIs.platform)
  async myConsents(@Ctx() context: SubgraphContext): Promise<Consent[]> {
    return (await visibleConsents(context)).map(toConsent);
  }

  @Query(() => JSONResolver, { description: 'The same consents as a FHIR R4 Bundle (type collection) of Consent resources.' })
  @Directive(rootIs.platform)
  async myConsentsFhir(@Ctx() context: SubgraphContext): Promise<FhirBundle> {
    return toFhirBundle(await visibleConsents(context));
  }

  @Mutation(() => Consent, { description: 'Gives a consent (for yourself, or for a ward as their guardian).' })
  @Directive(rootIs.write())
  async grantConsent(@Arg('input', () => ConsentInput) input: ConsentInput, @Ctx() context: SubgraphContext): Promise<Consent> {
    return toConsent(await grantConsent(context.db, signedIn(context), input, new Date(), writeAudit(auditSigner, context), recipientDirectory));
  }

  @Mutation(() => Consent, { description: 'Withdraws a consent (a new, REVOKED version) and every grant it pre-approved. Idempotent.' })
  @Directive(rootIs.write())
  async revokeConsent(@Arg('id', () => ID) id: string, @Ctx() context: SubgraphContext): Promise<Consent> {
    return toConsent(await revokeConsent(context.db, signedIn(context), id, new Date(), writeAudit(auditSigner, context)));
  }
}
return ConsentResolver;
}

async function visibleConsents(context: SubgraphContext): Promise<ConsentRecord[]> {
  const residents = await residentsVisibleTo(context.db, signedIn(context));
  const lists = await Promise.all(residents.map((id) => currentConsents(context.db, id)));
  return lists.flat();
}

@Resolver(() => Resident)
export class ResidentConsentsResolver {
  @FieldResolver(() => [Consent], { nullable: true, description: 'Only for the resident or their guardian; null for everyone else.' })
  @Directive(classified('DEMOGRAPHICS', 3))
  async consents(@Root() resident: Resident, @Ctx() context: SubgraphContext): Promise<Consent[] | null> {
    if ((await standingFor(context.db, context.request.actor, resident.id)) === 'NONE') return null;
    return (await currentConsents(context.db, resident.id)).map(toConsent);
  }
}

/** Access-request resolvers need the grant secret (tokens are derived from it), hence a factory. */
export function createAccessRequestResolver(grantSecret: Uint8Array, auditSigner: AuditSigner) {
  @Resolver(() => AccessRequest)
  class AccessRequestResolver {
    @Query(() => [AccessRequest], { description: 'Resident: requests about you and your wards; clinician: yours; steward: level-5 requests for you.' })
    @Directive(rootIs.platform)
    async myAccessRequests(
      @Ctx() context: SubgraphContext,
      @Arg('status', () => AccessRequestStatusEnum, { nullable: true }) status?: AccessRequestStatus | null,
    ): Promise<AccessRequest[]> {
      return (await listAccessRequests(context.db, grantSecret, signedIn(context), status)).map(toAccessRequest);
    }

    @Mutation(() => AccessRequest, { description: 'Clinician: asks a resident for access; AccessRequest.grantToken once approved.' })
    @Directive(rootIs.write())
    async requestAccess(@Arg('input', () => AccessRequestInput) input: AccessRequestInput, @Ctx() context: SubgraphContext): Promise<AccessRequest> {
      return toAccessRequest(await requestAccess(context.db, grantSecret, signedIn(context), input, new Date(), writeAudit(auditSigner, context)));
    }

    @Mutation(() => AccessRequest, { description: 'Resident or guardian (and a steward for level 5): approves a request.' })
    @Directive(rootIs.write())
    async approveAccessRequest(@Arg('id', () => ID) id: string, @Ctx() context: SubgraphContext): Promise<AccessRequest> {
      return toAccessRequest(await approveAccessRequest(context.db, grantSecret, signedIn(context), id, new Date(), writeAudit(auditSigner, context)));
    }

    @Mutation(() => AccessRequest, { description: 'Resident or guardian (or a steward for level 5): denies a request, or withdraws an approval.' })
    // Arguments are declared last-first: type-graphql lists them in decorator evaluation order.
    @Directive(rootIs.write())
    async denyAccessRequest(
      @Ctx() context: SubgraphContext,
      @Arg('reason', () => String, { nullable: true }) reason: string | null | undefined,
      @Arg('id', () => ID) id: string,
    ): Promise<AccessRequest> {
      return toAccessRequest(await denyAccessRequest(context.db, signedIn(context), id, reason, new Date(), writeAudit(auditSigner, context)));
    }
  }
  return AccessRequestResolver;
}

@Resolver(() => AccessLogEntry)
export class AccessLogResolver {
  @Query(() => AccessLogConnection, {
    description:
      'Resident: who read what of your data and why, newest first (20 per page by default, at most 100). A guardian passes a ward’s residentId to read the ward’s log (a read of the ward’s data, audited as such).',
  })
  @Directive(rootIs.subject('residentId'))
  // Arguments are declared last-first: type-graphql lists them in decorator evaluation order.
  async myAccessLog(
    @Ctx() context: SubgraphContext,
    @Arg('residentId', () => ID, { nullable: true, description: 'Whose log: yours when absent, else a ward’s (guardian only).' }) requested?: string | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('first', () => Int, { nullable: true }) first?: number | null,
  ): Promise<AccessLogConnection> {
    const actor = signedIn(context);
    const residentId = requested ?? ownResidentIdOf(actor);
    const standing = requested ? await standingFor(context.db, actor, requested) : undefined;
    authorize(actor, 'read', { type: 'AccessLog', attributes: residentId ? { residentId, ...(standing ? { standing } : {}) } : {} });
    if (!residentId) throw new Error('the policy opens an access log only to its resident or their guardian');
    const pageSize = boundedPageSize(first);
    const beforeSeq = after ? decodeLogCursor(after) : undefined;
    const rows = await auditEntriesForResident(context.db, residentId, beforeSeq === undefined ? { first: pageSize + 1 } : { first: pageSize + 1, beforeSeq });
    const page = rows.slice(0, pageSize);
    // One query for the page: which of its feed writes started a care relationship.
    const startedCare = await requestsThatStartedCare(context.db, residentId, page.filter((row) => accessKindOf(row) === 'WRITE').map((row) => row.requestId));
    const bases = await accessBasesOf(context.db, residentId, page, actor.sub);
    const edges = page.map((row) => ({
      cursor: encodeLogCursor(row.seq),
      node: toAccessLogEntry(row, startedCare.has(row.requestId) && accessKindOf(row) === 'WRITE', actor.sub, bases.get(row.id)!),
    }));
    return { edges, pageInfo: { hasNextPage: rows.length > pageSize, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @FieldResolver(() => InclusionProof, {
    description: 'The entry’s RFC 9162 inclusion proof against a signed head: the newest by default, or the head of treeSize (pass the size of the head you hold).',
  })
  @Directive(PLAIN_FIELD)
  async inclusionProof(
    @Root() entry: AccessLogEntry,
    @Ctx() context: SubgraphContext,
    @Arg('treeSize', () => Int, { nullable: true }) treeSize?: number | null,
  ): Promise<InclusionProof> {
    const newest = (await newestHead(context))?.treeSize ?? 0;
    const size = checkedSize(treeSize ?? newest, 'treeSize', entry.leafIndex + 1, newest);
    return { leafIndex: entry.leafIndex, treeSize: size, hashes: await auditInclusionProof(context.db, entry.leafIndex, size) };
  }
}

/** The Merkle log's signed heads and consistency proofs; an empty log's head is signed on request. */
export function createAuditTreeResolver(signer: AuditSigner) {
  @Resolver(() => SignedTreeHead)
  class AuditTreeResolver {
    @Query(() => SignedTreeHead, { description: 'Resident, auditor or steward: the newest signed head of the audit log (verify it with the JWK at GET /audit/public-key).' })
    @Directive(rootIs.platform)
    async auditTreeHead(@Ctx() context: SubgraphContext): Promise<SignedTreeHead> {
      authorize(signedIn(context), 'read', 'AuditTree');
      const head = await newestHead(context);
      if (head) return head;
      // Nothing appended yet: the empty tree's head (a log with entries always has a stored head).
      return signTreeHead(signer, 0, EMPTY_ROOT.toString('hex'));
    }

    @Query(() => [String], { description: 'Auditor: the RFC 9162 §2.1.4 consistency proof (lowercase hex) that the log of `second` entries extends the log of `first`.' })
    @Directive(rootIs.platform)
    // Arguments are declared last-first: type-graphql lists them in decorator evaluation order.
    async auditConsistencyProof(
      @Ctx() context: SubgraphContext,
      @Arg('second', () => Int) second: number,
      @Arg('first', () => Int) first: number,
    ): Promise<string[]> {
      authorize(signedIn(context), 'verify', 'AuditTree');
      const to = checkedSize(second, 'second', 0, (await newestHead(context))?.treeSize ?? 0);
      return auditConsistencyProof(context.db, checkedSize(first, 'first', 0, to), to);
    }
  }
  return AuditTreeResolver;
}

/** Break-glass review resolvers audit the review with the gateway's audit key, hence a factory. */
export function createBreakGlassReviewResolver(auditSigner: AuditSigner) {
@Resolver(() => BreakGlassReview)
class BreakGlassReviewResolver {
  @Query(() => [BreakGlassReview], { description: 'Steward: break-glass accesses to review, newest first.' })
  @Directive(rootIs.platform)
  async breakGlassReviews(
    @Ctx() context: SubgraphContext,
    @Arg('status', () => BreakGlassReviewStatusEnum, { nullable: true }) status?: BreakGlassReviewStatus | null,
  ): Promise<BreakGlassReview[]> {
    return (await listBreakGlassReviews(context.db, signedIn(context), status)).map(toBreakGlassReview);
  }

  @Mutation(() => BreakGlassReview, { description: 'Steward: records whether a break-glass access was justified.' })
  @Directive(rootIs.write())
  async reviewBreakGlass(
    @Ctx() context: SubgraphContext,
    @Arg('comment', () => String, { nullable: true }) comment: string | null | undefined,
    @Arg('decision', () => BreakGlassDecisionEnum) decision: BreakGlassDecision,
    @Arg('id', () => ID) id: string,
  ): Promise<BreakGlassReview> {
    return toBreakGlassReview(await reviewBreakGlass(context.db, signedIn(context), id, decision, comment, new Date(), writeAudit(auditSigner, context)));
  }
}
return BreakGlassReviewResolver;
}

/** The audit-chain query, checking the signed checkpoints with the gateway's public audit key. */
export function createAuditChainResolver(verifier: AuditVerifier) {
  @Resolver(() => AuditChainReport)
  class AuditChainResolver {

    @Query(() => AuditChainReport, {
      description:
        'Auditor or steward: recomputes the audit hash chain and checks its signed checkpoints. Pass the entries and last hash you recorded at an earlier verification to detect a removed tail.',
    })
    @Directive(rootIs.platform)
    async verifyAuditChain(
      @Ctx() context: SubgraphContext,
      @Arg('knownEntries', () => Int, { nullable: true }) knownEntries?: number,
      @Arg('knownLastHash', () => String, { nullable: true }) knownLastHash?: string,
    ): Promise<AuditChainReport> {
      authorize(signedIn(context), 'verify', 'AuditChain');
      const anchor = knownEntries !== undefined && knownEntries !== null && knownLastHash ? { entries: knownEntries, lastHash: knownLastHash } : undefined;
      const report = await verifyAuditChain(context.db, { verifier, ...(anchor ? { anchor } : {}) });
      if (report.valid) return { valid: true, entries: report.entries, brokenAtSeq: null, brokenAtPosition: null, problem: null, lastHash: report.lastHash };
      return {
        valid: false,
        entries: report.entries,
        brokenAtSeq: report.brokenAt.seq,
        brokenAtPosition: report.brokenAt.position,
        problem: report.brokenAt.problem,
        lastHash: null,
      };
    }
  }
  return AuditChainResolver;
}
