import { isNull } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, pgSchema, primaryKey, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { DataCategory } from '../schema/classification.js';
import type { PurposeOfUse } from '../schema/context.js';
import { residentKey } from '../subgraphs/runtime/columns.js';

export const consentSchema = pgSchema('consent');

/**
 * A consent record version. Append-only: a change or a revocation is a new row with the same
 * `consent_id` and the next `version`; the current state of a consent is its highest version.
 */
export const consentVersions = consentSchema.table(
  'consent_version',
  {
    id: text('id').notNull(),
    consentId: text('consent_id').notNull(),
    version: integer('version').notNull(),
    residentId: text('resident_id').notNull(),
    categories: jsonb('categories').$type<DataCategory[]>().notNull(),
    /** INSTITUTION | PRACTITIONER | SCENARIO | ANYONE */
    recipientKind: text('recipient_kind').notNull(),
    recipientId: text('recipient_id'),
    purposes: jsonb('purposes').$type<PurposeOfUse[]>().notNull(),
    /** PERMIT | DENY */
    provision: text('provision').notNull(),
    /** ACTIVE | REVOKED */
    status: text('status').notNull(),
    validFrom: timestamp('valid_from', { withTimezone: true }).notNull(),
    validUntil: timestamp('valid_until', { withTimezone: true }),
    /** Version of the privacy notice the resident saw (PIPL art. 29 单独同意). */
    noticeVersion: text('notice_version').notNull(),
    /** A permit that pre-approves access requests from its recipient. */
    autoApprove: boolean('auto_approve').notNull().default(false),
    /** The guardian who acted for a resident under 14. */
    guardianId: text('guardian_id'),
    /** Who wrote this version (resident or guardian sub). */
    recordedBy: text('recorded_by').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [residentKey('consent_version', t), uniqueIndex('consent_version_key').on(t.consentId, t.version, t.residentId), index('consent_version_resident_idx').on(t.residentId)],
);

/** A clinician's request for categories of one resident's data (一使用一授权). */
export const accessRequests = consentSchema.table(
  'access_request',
  {
    id: text('id').notNull(),
    residentId: text('resident_id').notNull(),
    requesterSub: text('requester_sub').notNull(),
    requesterPractitionerId: text('requester_practitioner_id'),
    requesterInstitutionId: text('requester_institution_id').notNull(),
    categories: jsonb('categories').$type<DataCategory[]>().notNull(),
    purpose: text('purpose').$type<PurposeOfUse>().notNull(),
    reason: text('reason').notNull(),
    uses: integer('uses').notNull(),
    validForMinutes: integer('valid_for_minutes').notNull(),
    /** Also asks for level-5 records: needs a steward's approval too (两次授权). */
    includesLevel5: boolean('includes_level5').notNull(),
    /** PENDING | PARTIALLY_APPROVED | APPROVED | DENIED | EXPIRED */
    status: text('status').notNull(),
    residentDecision: text('resident_decision'),
    residentDecidedAt: timestamp('resident_decided_at', { withTimezone: true }),
    residentDecidedBy: text('resident_decided_by'),
    stewardDecision: text('steward_decision'),
    stewardDecidedAt: timestamp('steward_decided_at', { withTimezone: true }),
    stewardSub: text('steward_sub'),
    denialReason: text('denial_reason'),
    grantId: text('grant_id'),
    /** The consent whose auto-approval issued the grant, if any. */
    approvedByConsentId: text('approved_by_consent_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [residentKey('access_request', t), index('access_request_resident_idx').on(t.residentId, t.createdAt), index('access_request_requester_idx').on(t.requesterSub, t.createdAt)],
);

/**
 * A per-use grant: a bounded number of uses in a time window. The bearer token is never stored;
 * only its SHA-256, so a copy of this table cannot be replayed.
 */
export const accessGrants = consentSchema.table(
  'access_grant',
  {
    id: text('id').notNull(),
    tokenHash: text('token_hash').notNull(),
    requestId: text('request_id').notNull(),
    residentId: text('resident_id').notNull(),
    granteeSub: text('grantee_sub').notNull(),
    granteeInstitutionId: text('grantee_institution_id').notNull(),
    categories: jsonb('categories').$type<DataCategory[]>().notNull(),
    purpose: text('purpose').$type<PurposeOfUse>().notNull(),
    maxLevel: smallint('max_level').notNull(),
    usesAllowed: integer('uses_allowed').notNull(),
    usesRemaining: integer('uses_remaining').notNull(),
    validFrom: timestamp('valid_from', { withTimezone: true }).notNull(),
    validUntil: timestamp('valid_until', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    consentId: text('consent_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // The token hash is unique per resident only (a partitioned table's unique index holds its partition
  // key); it is the SHA-256 of an HMAC of the grant's random id, so it cannot repeat across residents either.
  (t) => [residentKey('access_grant', t), uniqueIndex('access_grant_token_key').on(t.tokenHash, t.residentId), index('access_grant_resident_idx').on(t.residentId)],
);

/**
 * Institutions that have treated a resident: the clinician's care relationship. One started by a
 * hospital feed keeps its provenance (the institution and `since` are the who and when): which feed
 * operation, in which gateway request, with which records. The seeded history has none.
 */
export const careRelationships = consentSchema.table(
  'care_relationship',
  {
    residentId: text('resident_id').notNull(),
    institutionId: text('institution_id').notNull(),
    since: timestamp('since', { withTimezone: true }).notNull(),
    /** The feed mutation that started it (`recordEncounters`, …). */
    startedByOperation: text('started_by_operation'),
    /** The gateway request id of that write (also on its audit entry). */
    startedByRequestId: text('started_by_request_id'),
    /** The ids of the records that write created for this resident. */
    startedByRecordIds: jsonb('started_by_record_ids').$type<string[]>(),
  },
  (t) => [uniqueIndex('care_relationship_key').on(t.residentId, t.institutionId)],
);

/** A guardian (监护人) acting for a resident under 14 (both are platform resident ids). */
export const guardianships = consentSchema.table(
  'guardianship',
  {
    residentId: text('resident_id').notNull(),
    guardianId: text('guardian_id').notNull(),
    since: timestamp('since', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('guardianship_key').on(t.residentId, t.guardianId), index('guardianship_guardian_idx').on(t.guardianId)],
);

/**
 * The audit trail: one entry per resident touched per request. Each entry is a leaf of the Merkle log
 * (`leaf_index`, in seq order; leaf hash = SHA-256(0x00 ‖ canonical bytes)) and is also hash-chained
 * (each entry's hash covers the previous entry's hash), so altering or deleting any row is caught at
 * its position either way. `leaf_index` is null only for entries written before the Merkle log, until
 * the first append adopts them.
 */
export const auditEntries = consentSchema.table(
  'audit_entry',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    id: text('id').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    requestId: text('request_id').notNull(),
    actorSub: text('actor_sub').notNull(),
    actorRole: text('actor_role').notNull(),
    institutionId: text('institution_id'),
    practitionerId: text('practitioner_id'),
    residentId: text('resident_id'),
    purpose: text('purpose'),
    grantId: text('grant_id'),
    scenarioId: text('scenario_id'),
    operationHash: text('operation_hash').notNull(),
    operationName: text('operation_name'),
    fieldsByCategory: jsonb('fields_by_category').$type<Record<string, string[]>>().notNull(),
    deniedByCategory: jsonb('denied_by_category').$type<Record<string, string[]>>().notNull(),
    rowsReturned: integer('rows_returned').notNull(),
    /** ALLOWED | PARTIALLY_DENIED | DENIED */
    outcome: text('outcome').notNull(),
    breakGlass: boolean('break_glass').notNull().default(false),
    breakGlassReason: text('break_glass_reason'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    leafIndex: bigint('leaf_index', { mode: 'number' }),
  },
  (t) => [
    uniqueIndex('audit_entry_id_key').on(t.id),
    index('audit_entry_resident_idx').on(t.residentId, t.seq),
    uniqueIndex('audit_entry_leaf_key').on(t.leafIndex),
    index('audit_entry_unadopted_idx').on(t.seq).where(isNull(t.leafIndex)),
  ],
);

/**
 * Every complete subtree of the Merkle log (RFC 9162): 2^level leaves starting at leaf idx·2^level;
 * level 0 holds the leaf hashes. About two rows per entry; any root or proof is at most log2(n) of them.
 */
export const auditTreeNodes = consentSchema.table(
  'audit_tree_node',
  {
    level: smallint('level').notNull(),
    index: bigint('idx', { mode: 'number' }).notNull(),
    /** Lowercase hex SHA-256. */
    hash: text('hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.level, t.index] })],
);

/**
 * Signed tree heads: after every append (one per group commit) the gateway's audit key signs the
 * RFC 8785 JSON of { treeSize, rootHash, timestamp }. A head is what an auditor anchors to and what
 * a resident's inclusion proof is checked against.
 */
export const auditTreeHeads = consentSchema.table('audit_tree_head', {
  treeSize: bigint('tree_size', { mode: 'number' }).primaryKey(),
  rootHash: text('root_hash').notNull(),
  timestamp: timestamp('timestamp', { withTimezone: true }).notNull(),
  keyId: text('key_id').notNull(),
  /** base64url Ed25519. */
  signature: text('signature').notNull(),
});

/**
 * The verification of the hash chain when its entries were adopted into the Merkle log: what the
 * chain proved up to then is kept, whether it held or where it broke.
 */
export const auditChainVerifications = consentSchema.table('audit_chain_verification', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  verifiedAt: timestamp('verified_at', { withTimezone: true }).notNull().defaultNow(),
  /** The last seq the verification covered (the last entry adopted). */
  upToSeq: bigint('up_to_seq', { mode: 'number' }).notNull(),
  entries: bigint('entries', { mode: 'number' }).notNull(),
  valid: boolean('valid').notNull(),
  /** With the audit key's signed checkpoints (true), or the hash chain alone. */
  signaturesChecked: boolean('signatures_checked').notNull(),
  brokenAtPosition: bigint('broken_at_position', { mode: 'number' }),
  problem: text('problem'),
  lastHash: text('last_hash'),
});

/**
 * Signed checkpoints of the audit chain: each audit transaction signs (seq, hash) of its last entry
 * with the gateway's audit key (Ed25519). Someone with write access to the database can recompute a
 * plain hash chain, but cannot sign: a rewritten or truncated chain no longer matches its checkpoints.
 */
export const auditCheckpoints = consentSchema.table('audit_checkpoint', {
  seq: bigint('seq', { mode: 'number' }).primaryKey(),
  hash: text('hash').notNull(),
  keyId: text('key_id').notNull(),
  signature: text('signature').notNull(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
});

/** Break-glass accesses queued for a steward's review. */
export const breakGlassReviews = consentSchema.table(
  'break_glass_review',
  {
    id: text('id').primaryKey(),
    auditEntryId: text('audit_entry_id').notNull(),
    requestId: text('request_id').notNull(),
    residentId: text('resident_id').notNull(),
    actorSub: text('actor_sub').notNull(),
    institutionId: text('institution_id'),
    reason: text('reason').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** PENDING | JUSTIFIED | UNJUSTIFIED */
    status: text('status').notNull(),
    reviewerSub: text('reviewer_sub'),
    reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
    comment: text('comment'),
  },
  (t) => [index('break_glass_review_status_idx').on(t.status, t.at)],
);

export type ConsentVersionRow = typeof consentVersions.$inferSelect;
export type AccessRequestRow = typeof accessRequests.$inferSelect;
export type AccessGrantRow = typeof accessGrants.$inferSelect;
export type AuditEntryRow = typeof auditEntries.$inferSelect;
export type BreakGlassReviewRow = typeof breakGlassReviews.$inferSelect;
export type AuditCheckpointRow = typeof auditCheckpoints.$inferSelect;
export type AuditTreeHeadRow = typeof auditTreeHeads.$inferSelect;
export type AuditChainVerificationRow = typeof auditChainVerifications.$inferSelect;

/**
 * The privacy notices residents consent under, by version. A consent names the version the resident
 * saw; only a published one (published_at set, not in the future) is accepted.
 */
export const privacyNotices = consentSchema.table('privacy_notice', {
  version: text('version').primaryKey(),
  title: text('title').notNull(),
  publishedAt: timestamp('published_at', { withTimezone: true }),
});

export * from './scenario-tables.js';
