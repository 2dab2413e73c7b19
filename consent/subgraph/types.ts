/**
 * GraphQL types of the consent subgraph (DESIGN §10). Every field is classified: the consent plane
 * describes a resident's choices (DEMOGRAPHICS level 3, nullable) and plain enums and timestamps
 * (level 2); institution and practitioner references are public resources (level 1).
 */
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { classified, DATA_CATEGORIES, type DataCategory } from '../../schema/classification.js';
import { PURPOSES_OF_USE, type PurposeOfUse } from '../../schema/context.js';
import { CONSENT_PROVISIONS, CONSENT_STATUSES, RECIPIENT_KINDS, type ConsentProvision, type ConsentStatus, type RecipientKind } from '../consents.js';
import { ACCESS_REQUEST_STATUSES, type AccessDecision, type AccessRequestStatus } from '../requests.js';
import { BREAK_GLASS_REVIEW_STATUSES, type BreakGlassDecision, type BreakGlassReviewStatus } from '../break-glass-reviews.js';
import { ACCESS_KINDS, type AccessKind } from './access-log.js';
import { ACCESS_BASIS_KINDS, type AccessBasisKind } from '../access-basis.js';

const CHOICE = classified('DEMOGRAPHICS', 3);
const PLAIN = classified('DEMOGRAPHICS', 2);
const RESOURCE = classified('RESOURCES', 1);

/** A GraphQL enum whose values are exactly the given codes (one source of truth: the const arrays). */
export function enumOf<T extends string>(values: readonly T[], name: string, description: string): Record<T, T> {
  const enumObject = Object.fromEntries(values.map((v) => [v, v])) as Record<T, T>;
  registerEnumType(enumObject, { name, description });
  return enumObject;
}

export const DataCategoryEnum = enumOf(DATA_CATEGORIES, 'DataCategory', 'Data category (GB/T 39725-2020): the unit of consent.');
export const PurposeOfUseEnum = enumOf(PURPOSES_OF_USE, 'PurposeOfUse', 'HL7 v3 PurposeOfUse code.');
export const ConsentProvisionEnum = enumOf(CONSENT_PROVISIONS, 'ConsentProvision', 'Whether a consent permits or denies.');
export const RecipientKindEnum = enumOf(RECIPIENT_KINDS, 'RecipientKind', 'Who a consent is for.');
export const ConsentStatusEnum = enumOf(CONSENT_STATUSES, 'ConsentStatus', 'ACTIVE, or REVOKED (withdrawn).');
export const AccessRequestStatusEnum = enumOf(ACCESS_REQUEST_STATUSES, 'AccessRequestStatus', 'Where an access request stands.');
export const AccessDecisionEnum = enumOf(['APPROVE', 'DENY'] as const, 'AccessDecision', 'One party’s decision on an access request.');
export const BreakGlassReviewStatusEnum = enumOf(BREAK_GLASS_REVIEW_STATUSES, 'BreakGlassReviewStatus', 'Where a break-glass review stands.');
export const BreakGlassDecisionEnum = enumOf(['JUSTIFIED', 'UNJUSTIFIED'] as const, 'BreakGlassDecision', 'A steward’s verdict on a break-glass access.');
export const AccessKindEnum = enumOf(ACCESS_KINDS, 'AccessKind', 'READ: your data was read; WRITE: an institution’s system recorded data about you.');

@ObjectType({ description: 'Reference to an institution (resolved by the resources subgraph).' })
@Directive('@key(fields: "id", resolvable: false)')
export class Institution {
  @Field(() => ID)
  @Directive(RESOURCE)
  id!: string;
}

@ObjectType({ description: 'Reference to a practitioner (resolved by the resources subgraph).' })
@Directive('@key(fields: "id", resolvable: false)')
export class Practitioner {
  @Field(() => ID)
  @Directive(RESOURCE)
  id!: string;
}

@ObjectType({ description: 'The signed-in caller.' })
export class Actor {
  @Field(() => String, { description: 'Account subject of the bearer token.' })
  @Directive(PLAIN)
  sub!: string;

  @Field(() => String, { description: 'resident, clinician, researcher, steward, auditor or hospital_system.' })
  @Directive(PLAIN)
  role!: string;

  @Field(() => ID, { nullable: true, description: 'The resident this account belongs to (residents only).' })
  @Directive(CHOICE)
  residentId?: string | null;

  @Field(() => Institution, { nullable: true })
  @Directive(RESOURCE)
  institution?: Institution | null;

  @Field(() => Practitioner, { nullable: true })
  @Directive(RESOURCE)
  practitioner?: Practitioner | null;

  @Field(() => [ID], { nullable: true, description: 'Residents this account acts for as their guardian (监护人); empty for other accounts.' })
  @Directive(CHOICE)
  wards?: string[] | null;
}

@ObjectType({ description: 'Who a consent is for; `id` is absent for ANYONE.' })
export class ConsentRecipient {
  @Field(() => RecipientKindEnum)
  @Directive(PLAIN)
  kind!: RecipientKind;

  @Field(() => ID, { nullable: true })
  @Directive(CHOICE)
  id?: string | null;
}

@ObjectType({ description: 'A consent (单独同意): its current version. Versions are append-only; withdrawal is a new version.' })
export class Consent {
  @Field(() => ID, { description: 'The consent id, shared by all its versions.' })
  @Directive(CHOICE)
  id!: string;

  @Field(() => Int, { description: 'Version number of this state (1 when granted).' })
  @Directive(PLAIN)
  version!: number;

  @Field(() => ID, { nullable: true })
  @Directive(CHOICE)
  residentId?: string | null;

  @Field(() => [DataCategoryEnum], { nullable: true })
  @Directive(CHOICE)
  categories?: DataCategory[] | null;

  @Field(() => ConsentRecipient, { nullable: true })
  @Directive(CHOICE)
  recipient?: ConsentRecipient | null;

  @Field(() => [PurposeOfUseEnum], { nullable: true })
  @Directive(CHOICE)
  purposes?: PurposeOfUse[] | null;

  @Field(() => ConsentProvisionEnum, { nullable: true })
  @Directive(CHOICE)
  provision?: ConsentProvision | null;

  @Field(() => ConsentStatusEnum)
  @Directive(PLAIN)
  status!: ConsentStatus;

  @Field(() => Date)
  @Directive(PLAIN)
  validFrom!: Date;

  @Field(() => Date, { nullable: true, description: 'Open-ended when absent.' })
  @Directive(PLAIN)
  validUntil?: Date | null;

  @Field(() => String, { description: 'Version of the privacy notice the resident saw.' })
  @Directive(PLAIN)
  noticeVersion!: string;

  @Field(() => Boolean, { nullable: true, description: 'Pre-approves access requests from the recipient.' })
  @Directive(CHOICE)
  autoApprove?: boolean | null;

  @Field(() => ID, { nullable: true, description: 'The guardian (监护人) who recorded this version for a resident under 14.' })
  @Directive(CHOICE)
  guardianId?: string | null;

  @Field(() => Date)
  @Directive(PLAIN)
  recordedAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: 'Where the gateway serves this version\'s signed receipt (PKCS#7, verifiable offline with `openssl smime -verify` against /pki/ca.pem).',
  })
  @Directive(CHOICE)
  receiptUrl?: string | null;
}

@ObjectType({ description: 'Who asked for access.' })
export class AccessRequester {
  @Field(() => String, { nullable: true, description: 'Account subject of the requesting clinician.' })
  @Directive(classified('RESOURCES', 2))
  sub?: string | null;

  @Field(() => Practitioner, { nullable: true })
  @Directive(RESOURCE)
  practitioner?: Practitioner | null;

  @Field(() => Institution, { nullable: true })
  @Directive(RESOURCE)
  institution?: Institution | null;
}

@ObjectType({ description: 'A clinician’s request for categories of one resident’s data (一使用一授权).' })
export class AccessRequest {
  @Field(() => ID)
  @Directive(CHOICE)
  id!: string;

  @Field(() => ID, { nullable: true })
  @Directive(CHOICE)
  residentId?: string | null;

  @Field(() => AccessRequester, { nullable: true })
  @Directive(classified('RESOURCES', 2))
  requester?: AccessRequester | null;

  @Field(() => [DataCategoryEnum])
  @Directive(PLAIN)
  categories!: DataCategory[];

  @Field(() => PurposeOfUseEnum)
  @Directive(PLAIN)
  purpose!: PurposeOfUse;

  @Field(() => String, { nullable: true, description: 'Why the clinician asks (shown to the resident).' })
  @Directive(CHOICE)
  reason?: string | null;

  @Field(() => Int)
  @Directive(PLAIN)
  uses!: number;

  @Field(() => Int)
  @Directive(PLAIN)
  validForMinutes!: number;

  @Field(() => Boolean, { description: 'Asks for level-5 records too: needs a steward’s approval as well (两次授权).' })
  @Directive(PLAIN)
  includesLevel5!: boolean;

  @Field(() => AccessRequestStatusEnum)
  @Directive(PLAIN)
  status!: AccessRequestStatus;

  @Field(() => AccessDecisionEnum, { nullable: true })
  @Directive(PLAIN)
  residentDecision?: AccessDecision | null;

  @Field(() => AccessDecisionEnum, { nullable: true })
  @Directive(PLAIN)
  stewardDecision?: AccessDecision | null;

  @Field(() => String, { nullable: true })
  @Directive(CHOICE)
  denialReason?: string | null;

  @Field(() => Date)
  @Directive(PLAIN)
  createdAt!: Date;

  @Field(() => Date, { description: 'An undecided request expires at this time.' })
  @Directive(PLAIN)
  expiresAt!: Date;

  @Field(() => String, { nullable: true, description: 'The grant to present as X-Access-Grant: only to the requester, once approved.' })
  @Directive(CHOICE)
  grantToken?: string | null;

  @Field(() => [DataCategoryEnum], { nullable: true, description: 'Categories the grant opens (requested minus those a DENY consent closes).' })
  @Directive(PLAIN)
  grantCategories?: DataCategory[] | null;

  @Field(() => Date, { nullable: true })
  @Directive(PLAIN)
  grantExpiresAt?: Date | null;

  @Field(() => Int, { nullable: true })
  @Directive(PLAIN)
  grantUsesRemaining?: number | null;
}

export const AccessBasisKindEnum = enumOf(
  ACCESS_BASIS_KINDS,
  'AccessBasisKind',
  'What allowed an access: SELF, GRANT (an approved request), CONSENT (a grant a consent pre-approved), CARE_RELATIONSHIP (a treating institution), BREAK_GLASS, or NONE (refused).',
);

@ObjectType({ description: 'What allowed one access-log entry, and what to withdraw to stop it happening again.' })
export class AccessBasis {
  @Field(() => AccessBasisKindEnum)
  @Directive(PLAIN)
  kind!: AccessBasisKind;

  @Field(() => ID, { nullable: true, description: 'GRANT, CONSENT: the access request whose grant was used (denyAccessRequest withdraws it).' })
  @Directive(PLAIN)
  accessRequestId?: string | null;

  @Field(() => ID, { nullable: true, description: 'CONSENT: the consent that pre-approved the grant (revokeConsent withdraws it).' })
  @Directive(PLAIN)
  consentId?: string | null;

  @Field(() => Institution, { nullable: true, description: 'CARE_RELATIONSHIP: the treating institution (a DENY consent for it withdraws it).' })
  @Directive(RESOURCE)
  institution?: Institution | null;

  @Field(() => Boolean, { description: 'Whether it still allows access (false once revoked, used up or expired).' })
  @Directive(PLAIN)
  active!: boolean;
}

@ObjectType({ description: 'One read of, or write to, the resident’s data: who, why, what, and with what outcome.' })
export class AccessLogEntry {
  @Field(() => ID)
  @Directive(PLAIN)
  id!: string;

  @Field(() => AccessKindEnum)
  @Directive(PLAIN)
  kind!: AccessKind;

  @Field(() => String, { description: 'The entry in one sentence, e.g. "inst-03 recorded an encounter".' })
  @Directive(PLAIN)
  summary!: string;

  @Field(() => String, { nullable: true, description: 'For a write: the operation that wrote (grantConsent, approveAccessRequest, requestAccess, recordEncounters, …); null for a read.' })
  @Directive(PLAIN)
  action?: string | null;

  @Field(() => Boolean, { description: 'This write made its institution one of the resident’s treating institutions (a care relationship).' })
  @Directive(PLAIN)
  startedCare!: boolean;

  @Field(() => Date)
  @Directive(PLAIN)
  at!: Date;

  @Field(() => String)
  @Directive(PLAIN)
  actorRole!: string;

  @Field(() => Institution, { nullable: true })
  @Directive(RESOURCE)
  actorInstitution?: Institution | null;

  @Field(() => Practitioner, { nullable: true })
  @Directive(RESOURCE)
  actorPractitioner?: Practitioner | null;

  @Field(() => PurposeOfUseEnum, { nullable: true })
  @Directive(PLAIN)
  purpose?: PurposeOfUse | null;

  @Field(() => [DataCategoryEnum], { description: 'Categories read (or, for a write, written).' })
  @Directive(PLAIN)
  categories!: DataCategory[];

  @Field(() => [DataCategoryEnum], { description: 'Categories asked for and refused.' })
  @Directive(PLAIN)
  deniedCategories!: DataCategory[];

  @Field(() => String, { description: 'ALLOWED, PARTIALLY_DENIED or DENIED.' })
  @Directive(PLAIN)
  outcome!: string;

  @Field(() => Boolean, { description: 'An emergency (break-glass) access, queued for a steward’s review.' })
  @Directive(PLAIN)
  breakGlass!: boolean;

  @Field(() => String, { nullable: true })
  @Directive(CHOICE)
  breakGlassReason?: string | null;

  @Field(() => ID, { nullable: true })
  @Directive(PLAIN)
  grantId?: string | null;

  @Field(() => Int, { description: 'Where this entry is in the audit log: its leaf index in the Merkle tree (0-based).' })
  @Directive(PLAIN)
  leafIndex!: number;

  // Level 2 and non-null as DESIGN §10 binds it, although the bytes include the break-glass reason
  // (level 3): the access log opens to its own resident only, who may read all of it.
  @Field(() => String, { description: 'Base64 of the entry’s canonical bytes, exactly what the log hashed: leaf hash = SHA-256(0x00 ‖ bytes).' })
  @Directive(PLAIN)
  leafData!: string;

  @Field(() => AccessBasis, { description: 'What allowed this access.' })
  @Directive(PLAIN)
  allowedBy!: AccessBasis;
}

@ObjectType({ description: 'A signed head of the audit log: the audit key’s Ed25519 signature over the RFC 8785 JSON of { treeSize, rootHash, timestamp }.' })
export class SignedTreeHead {
  @Field(() => Int)
  @Directive(PLAIN)
  treeSize!: number;

  @Field(() => String, { description: 'Lowercase hex SHA-256 Merkle tree hash (RFC 9162 §2.1.1).' })
  @Directive(PLAIN)
  rootHash!: string;

  @Field(() => Date)
  @Directive(PLAIN)
  timestamp!: Date;

  @Field(() => String, { description: 'The key id (kid) of the JWK at GET /audit/public-key.' })
  @Directive(PLAIN)
  keyId!: string;

  @Field(() => String, { description: 'base64url Ed25519 signature.' })
  @Directive(PLAIN)
  signature!: string;
}

@ObjectType({ description: 'An RFC 9162 §2.1.3 inclusion proof: the audit path from one leaf to the root of the tree of treeSize leaves.' })
export class InclusionProof {
  @Field(() => Int)
  @Directive(PLAIN)
  leafIndex!: number;

  @Field(() => Int)
  @Directive(PLAIN)
  treeSize!: number;

  @Field(() => [String], { description: 'Lowercase hex SHA-256 hashes, leaf to root.' })
  @Directive(PLAIN)
  hashes!: string[];
}

@ObjectType()
export class AccessLogEdge {
  @Field(() => String)
  @Directive(PLAIN)
  cursor!: string;

  @Field(() => AccessLogEntry)
  @Directive(PLAIN)
  node!: AccessLogEntry;
}

@ObjectType({ description: 'Paging of the access log; deliberately no total count.' })
export class AccessLogPageInfo {
  @Field(() => Boolean)
  @Directive(PLAIN)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  @Directive(PLAIN)
  endCursor?: string | null;
}

@ObjectType({ description: 'The resident’s access log, newest first.' })
export class AccessLogConnection {
  @Field(() => [AccessLogEdge])
  @Directive(PLAIN)
  edges!: AccessLogEdge[];

  @Field(() => AccessLogPageInfo)
  @Directive(PLAIN)
  pageInfo!: AccessLogPageInfo;
}

@ObjectType({ description: 'A break-glass (ETREAT) access awaiting or after a steward’s review.' })
export class BreakGlassReview {
  @Field(() => ID)
  @Directive(PLAIN)
  id!: string;

  @Field(() => ID, { nullable: true })
  @Directive(CHOICE)
  residentId?: string | null;

  @Field(() => String, { nullable: true, description: 'Account subject of the clinician who broke the glass.' })
  @Directive(classified('RESOURCES', 2))
  actorSub?: string | null;

  @Field(() => Institution, { nullable: true })
  @Directive(RESOURCE)
  institution?: Institution | null;

  @Field(() => Practitioner, { nullable: true })
  @Directive(RESOURCE)
  practitioner?: Practitioner | null;

  @Field(() => String, { nullable: true, description: 'The reason given with the access.' })
  @Directive(CHOICE)
  reason?: string | null;

  @Field(() => Date)
  @Directive(PLAIN)
  at!: Date;

  @Field(() => ID, { description: 'The audit entry of the access.' })
  @Directive(PLAIN)
  auditEntryId!: string;

  @Field(() => BreakGlassReviewStatusEnum)
  @Directive(PLAIN)
  status!: BreakGlassReviewStatus;

  @Field(() => String, { nullable: true })
  @Directive(PLAIN)
  reviewerSub?: string | null;

  @Field(() => Date, { nullable: true })
  @Directive(PLAIN)
  reviewedAt?: Date | null;

  @Field(() => String, { nullable: true })
  @Directive(CHOICE)
  comment?: string | null;
}

@ObjectType({ description: 'Whether the audit chain verifies, and where it first breaks if not.' })
export class AuditChainReport {
  @Field(() => Boolean)
  @Directive(PLAIN)
  valid!: boolean;

  @Field(() => Int, { description: 'Entries verified before the end or the break.' })
  @Directive(PLAIN)
  entries!: number;

  @Field(() => Int, { nullable: true, description: 'Sequence number of the first broken entry.' })
  @Directive(PLAIN)
  brokenAtSeq?: number | null;

  @Field(() => Int, { nullable: true, description: '1-based position of the first broken entry in the chain.' })
  @Directive(PLAIN)
  brokenAtPosition?: number | null;

  @Field(() => String, { nullable: true, description: 'ALTERED, MISSING_PREDECESSOR, MISSING_ENTRIES, UNSIGNED_TAIL, BAD_SIGNATURE or TRUNCATED.' })
  @Directive(PLAIN)
  problem?: string | null;

  @Field(() => String, { nullable: true, description: 'Hash of the last entry when valid (anchor it to detect a removed tail).' })
  @Directive(PLAIN)
  lastHash?: string | null;
}

@ObjectType({ description: 'A resident, extended with their consents.' })
@Directive('@key(fields: "id")')
export class Resident {
  @Field(() => ID)
  @Directive(CHOICE)
  id!: string;
}

// ---------------------------------------------------------------------------------------------------
// Inputs (names and shapes binding, DESIGN §10)

@InputType({ description: 'Who a consent is for; `id` is required unless kind is ANYONE.' })
export class RecipientInput {
  @Field(() => RecipientKindEnum)
  kind!: RecipientKind;

  @Field(() => ID, { nullable: true })
  id?: string | null;
}

@InputType({ description: 'A new consent.' })
export class ConsentInput {
  @Field(() => [DataCategoryEnum])
  categories!: DataCategory[];

  @Field(() => RecipientInput)
  recipient!: RecipientInput;

  @Field(() => [PurposeOfUseEnum])
  purposes!: PurposeOfUse[];

  @Field(() => ConsentProvisionEnum)
  provision!: ConsentProvision;

  @Field(() => Date, { nullable: true, description: 'Defaults to now.' })
  validFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Open-ended when absent.' })
  validUntil?: Date | null;

  @Field(() => String, { description: 'Version of the privacy notice the resident saw.' })
  noticeVersion!: string;

  @Field(() => Boolean, { nullable: true, description: 'PERMIT only: pre-approve access requests from the recipient.' })
  autoApprove?: boolean | null;

  @Field(() => ID, { nullable: true, description: 'When a guardian acts for a ward: the guardian’s own resident id (recorded from the signed-in guardian in any case).' })
  guardianId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The resident the consent is about: yourself (default) or a ward you are the guardian of.' })
  residentId?: string | null;
}

@InputType({ description: 'A clinician’s request for access.' })
export class AccessRequestInput {
  @Field(() => ID)
  residentId!: string;

  @Field(() => [DataCategoryEnum])
  categories!: DataCategory[];

  @Field(() => PurposeOfUseEnum, { description: 'TREAT or HOPERAT (ETREAT is break-glass and needs no request).' })
  purpose!: PurposeOfUse;

  @Field(() => String, { description: 'Why (at most 500 characters; shown to the resident).' })
  reason!: string;

  @Field(() => Int, { nullable: true, description: 'Uses of the grant, 1 to 20 (default 1).' })
  uses?: number | null;

  @Field(() => Int, { nullable: true, description: 'Minutes the grant stays valid once approved, 1 to 10080 (default 60).' })
  validForMinutes?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Also ask for level-5 records (needs a steward as well).' })
  includeLevel5?: boolean | null;
}

export type { BreakGlassDecision };
