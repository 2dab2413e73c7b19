/**
 * Consent records (DESIGN §6, §9): versioned and append-only. Granting writes version 1 of a new
 * consent; revoking writes the next version with status REVOKED (and, in the same transaction, revokes
 * every grant the consent auto-approved). Nothing here ever updates or deletes a consent row.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, desc, eq, gt, lte, notExists, sql, type Placeholder } from 'drizzle-orm';
import { alias, pgSchema, text, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { GraphQLError } from 'graphql';
import { DATA_CATEGORIES, isDataCategory, type DataCategory } from '../schema/classification.js';
import { PURPOSES_OF_USE, type Actor, type PurposeOfUse } from '../schema/context.js';
import { ERROR_CODES, InvalidInputError } from '../schema/errors.js';
import type { Database } from '../subgraphs/runtime/database.js';
import { revokeGrants, type Executor } from './grants.js';
import { authorize, ownResidentIdOf, type Standing } from './policy.js';
import { auditWrite, type WriteAudit } from './write-audit.js';
import { markMembersForCheck } from './scenario-members.js';
import { consentVersions, guardianships, privacyNotices, type ConsentVersionRow } from './tables.js';

/** Where a named consent recipient (an institution, a practitioner: public entities) must exist. */
export interface RecipientDirectory {
  exists(db: Executor, kind: 'INSTITUTION' | 'PRACTITIONER', id: string): Promise<boolean>;
}

/**
 * The public directory in the platform database (resources' institutions and practitioners), read by
 * id only and never written here; those tables and their migrations belong to the resources module.
 * The composition root hands it to the consent subgraph; the consent module alone does not need it.
 */
const directory = pgSchema('resources');
const directoryTables = {
  INSTITUTION: directory.table('institution', { id: text('id').primaryKey() }),
  PRACTITIONER: directory.table('practitioner', { id: text('id').primaryKey() }),
};
export const platformRecipientDirectory: RecipientDirectory = {
  async exists(db, kind, id) {
    const table = directoryTables[kind];
    const [found] = await db.select({ id: table.id }).from(table).where(eq(table.id, id)).limit(1);
    return found !== undefined;
  },
};

export const CONSENT_PROVISIONS = ['PERMIT', 'DENY'] as const;
export type ConsentProvision = (typeof CONSENT_PROVISIONS)[number];
export const RECIPIENT_KINDS = ['INSTITUTION', 'PRACTITIONER', 'SCENARIO', 'ANYONE'] as const;
export type RecipientKind = (typeof RECIPIENT_KINDS)[number];
export const CONSENT_STATUSES = ['ACTIVE', 'REVOKED'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

/** Longest notice version string accepted (it names a document version, not a document). */
const NOTICE_VERSION_MAX = 64;

/** The current state of one consent: its highest version. `id` is the consent id shared by all versions. */
export interface ConsentRecord {
  id: string;
  versionId: string;
  version: number;
  residentId: string;
  categories: DataCategory[];
  recipient: { kind: RecipientKind; id: string | null };
  purposes: PurposeOfUse[];
  provision: ConsentProvision;
  status: ConsentStatus;
  validFrom: Date;
  validUntil: Date | null;
  noticeVersion: string;
  autoApprove: boolean;
  /** The guardian who wrote this version for a resident under 14. */
  guardianId: string | null;
  recordedBy: string;
  recordedAt: Date;
}

/** What a resident (or guardian) chooses when granting a consent. */
export interface NewConsent {
  /** The resident the consent is about: the actor (default) or a ward the actor is guardian of. */
  residentId?: string | null;
  categories: readonly string[];
  recipient: { kind: string; id?: string | null };
  purposes: readonly string[];
  provision: string;
  validFrom?: Date | null;
  validUntil?: Date | null;
  noticeVersion: string;
  autoApprove?: boolean | null;
  /** When given, must be the acting guardian's own resident id (it is always recorded from the actor). */
  guardianId?: string | null;
}

/** Who is asking, as far as consent recipients go. */
export interface RecipientIdentity {
  institutionId?: string | null;
  practitionerId?: string | null;
  scenarioId?: string | null;
}

export function toConsentRecord(row: ConsentVersionRow): ConsentRecord {
  return {
    id: row.consentId,
    versionId: row.id,
    version: row.version,
    residentId: row.residentId,
    categories: row.categories,
    recipient: { kind: row.recipientKind as RecipientKind, id: row.recipientId },
    purposes: row.purposes,
    provision: row.provision as ConsentProvision,
    status: row.status as ConsentStatus,
    validFrom: row.validFrom,
    validUntil: row.validUntil,
    noticeVersion: row.noticeVersion,
    autoApprove: row.autoApprove,
    guardianId: row.guardianId,
    recordedBy: row.recordedBy,
    recordedAt: row.recordedAt,
  };
}

// ---------------------------------------------------------------------------------------------------
// Who may act for whom

/** The actor's standing towards `residentId`. */
export async function standingFor(db: Executor, actor: Actor | null, residentId: string): Promise<Standing> {
  const self = ownResidentIdOf(actor);
  if (!self) return 'NONE';
  if (residentId === self) {
    const [guardian] = await db.select({ id: guardianships.guardianId }).from(guardianships).where(eq(guardianships.residentId, residentId)).limit(1);
    return guardian ? 'WARD_SELF' : 'SELF';
  }
  const [link] = await db
    .select({ id: guardianships.residentId })
    .from(guardianships)
    .where(and(eq(guardianships.residentId, residentId), eq(guardianships.guardianId, self)))
    .limit(1);
  return link ? 'GUARDIAN' : 'NONE';
}

/** Whether this standing may write decisions (consents, approvals) for the resident. */
export function mayDecide(standing: Standing): boolean {
  return standing === 'SELF' || standing === 'GUARDIAN';
}

/** Residents whose consent plane the actor may see: self and wards (empty for non-residents). */
export async function residentsVisibleTo(db: Executor, actor: Actor | null): Promise<string[]> {
  const self = ownResidentIdOf(actor);
  if (!self) return [];
  const wards = await db.select({ id: guardianships.residentId }).from(guardianships).where(eq(guardianships.guardianId, self));
  return [self, ...wards.map((w) => w.id).filter((id) => id !== self).sort()];
}

function unauthenticated(): GraphQLError {
  return new GraphQLError('Sign in to manage consent.', { extensions: { code: ERROR_CODES.UNAUTHENTICATED } });
}

/** Fails unless the actor may write decisions for the resident; the message never says whether the resident exists. */
async function assertMayDecideFor(db: Executor, actor: Actor, residentId: string): Promise<Standing> {
  const standing = await standingFor(db, actor, residentId);
  authorize(actor, 'grant', { type: 'Consent', attributes: { residentId, standing } });
  return standing;
}

// ---------------------------------------------------------------------------------------------------
// Validation

interface ValidConsent {
  residentId: string;
  categories: DataCategory[];
  recipientKind: RecipientKind;
  recipientId: string | null;
  purposes: PurposeOfUse[];
  provision: ConsentProvision;
  validFrom: Date;
  validUntil: Date | null;
  noticeVersion: string;
  autoApprove: boolean;
}

function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

/** Checks a new consent; every problem is BAD_USER_INPUT naming the input field, and nothing is written. */
export function validateNewConsent(input: NewConsent, actor: Actor, now: Date): ValidConsent {
  if (input.categories.length === 0) throw new InvalidInputError('Choose at least one data category.', { field: 'categories' });
  const unknownCategory = input.categories.find((c) => !isDataCategory(c));
  if (unknownCategory !== undefined) {
    throw new InvalidInputError(`Unknown data category; expected one of ${DATA_CATEGORIES.join(', ')}.`, { field: 'categories' });
  }
  if (input.purposes.length === 0) throw new InvalidInputError('Choose at least one purpose of use.', { field: 'purposes' });
  if (input.purposes.some((p) => !isOneOf(PURPOSES_OF_USE, p))) {
    throw new InvalidInputError(`Unknown purpose of use; expected one of ${PURPOSES_OF_USE.join(', ')}.`, { field: 'purposes' });
  }
  if (!isOneOf(CONSENT_PROVISIONS, input.provision)) throw new InvalidInputError('provision must be PERMIT or DENY.', { field: 'provision' });
  const kind = input.recipient.kind;
  if (!isOneOf(RECIPIENT_KINDS, kind)) throw new InvalidInputError(`recipient.kind must be one of ${RECIPIENT_KINDS.join(', ')}.`, { field: 'recipient.kind' });
  const recipientId = input.recipient.id?.trim() ? input.recipient.id.trim() : null;
  if (kind === 'ANYONE' && recipientId !== null) throw new InvalidInputError('A consent for ANYONE names no recipient id.', { field: 'recipient.id' });
  if (kind !== 'ANYONE' && recipientId === null) throw new InvalidInputError(`A consent for one ${kind.toLowerCase()} needs its id.`, { field: 'recipient.id' });
  const validFrom = input.validFrom ?? now;
  const validUntil = input.validUntil ?? null;
  if (Number.isNaN(validFrom.getTime())) throw new InvalidInputError('validFrom is not a valid time.', { field: 'validFrom' });
  if (validUntil && !(validUntil.getTime() > validFrom.getTime())) throw new InvalidInputError('validUntil must be after validFrom.', { field: 'validUntil' });
  const noticeVersion = input.noticeVersion.trim();
  if (noticeVersion.length === 0 || noticeVersion.length > NOTICE_VERSION_MAX) {
    throw new InvalidInputError(`noticeVersion names the privacy notice you saw (1 to ${NOTICE_VERSION_MAX} characters).`, { field: 'noticeVersion' });
  }
  const autoApprove = input.autoApprove ?? false;
  if (autoApprove && input.provision !== 'PERMIT') throw new InvalidInputError('Only a PERMIT can pre-approve access requests.', { field: 'autoApprove' });
  if (autoApprove && kind === 'SCENARIO') throw new InvalidInputError('Research scenarios do not send access requests; autoApprove does not apply.', { field: 'autoApprove' });
  const residentId = input.residentId?.trim() || actor.residentId!;
  if (input.guardianId != null && (residentId === actor.residentId || input.guardianId !== actor.residentId)) {
    // The guardian is always recorded from who signed in; a differing claim is a client mistake.
    throw new InvalidInputError('guardianId, when given, is your own resident id acting for a ward (residentId).', { field: 'guardianId' });
  }
  return {
    residentId,
    categories: [...new Set(input.categories as DataCategory[])],
    recipientKind: kind,
    recipientId,
    purposes: [...new Set(input.purposes as PurposeOfUse[])],
    provision: input.provision,
    validFrom,
    validUntil,
    noticeVersion,
    autoApprove,
  };
}

/** The notice version must be one the platform published (at or before `now`). */
async function assertPublishedNotice(db: Executor, version: string, now: Date): Promise<void> {
  const [notice] = await db
    .select({ version: privacyNotices.version })
    .from(privacyNotices)
    .where(and(eq(privacyNotices.version, version), lte(privacyNotices.publishedAt, now)))
    .limit(1);
  if (!notice) throw new InvalidInputError('noticeVersion is not a published privacy notice; consent under the notice you were shown.', { field: 'noticeVersion' });
}

/** An institution or practitioner recipient must exist (they are public entities, so saying so leaks nothing). */
async function assertRecipientExists(db: Executor, directory: RecipientDirectory | undefined, kind: RecipientKind, id: string | null): Promise<void> {
  if (!directory || id === null || (kind !== 'INSTITUTION' && kind !== 'PRACTITIONER')) return;
  if (!(await directory.exists(db, kind, id))) throw new InvalidInputError(`No ${kind.toLowerCase()} has this id.`, { field: 'recipient.id' });
}

// ---------------------------------------------------------------------------------------------------
// Writes

/**
 * Grants a new consent (version 1), for the actor or a ward the actor is guardian of. The notice must be
 * a published one; with a `directory`, a named institution or practitioner must exist in it.
 */
export async function grantConsent(
  db: Database,
  actor: Actor | null,
  input: NewConsent,
  now = new Date(),
  audit?: WriteAudit,
  directory?: RecipientDirectory,
): Promise<ConsentRecord> {
  if (!actor) throw unauthenticated();
  authorize(actor, 'grant', 'Consent');
  const valid = validateNewConsent(input, actor, now);
  return db.transaction(async (tx) => {
    const standing = await assertMayDecideFor(tx, actor, valid.residentId);
    await assertPublishedNotice(tx, valid.noticeVersion, now);
    await assertRecipientExists(tx, directory, valid.recipientKind, valid.recipientId);
    const [row] = await tx
      .insert(consentVersions)
      .values({
        id: `cv-${randomUUID()}`,
        consentId: `consent-${randomUUID()}`,
        version: 1,
        ...valid,
        status: 'ACTIVE',
        guardianId: standing === 'GUARDIAN' ? actor.residentId! : null,
        recordedBy: actor.sub,
        recordedAt: now,
      })
      .returning();
    await markMembersForCheck(tx, valid.residentId);
    await auditWrite(tx, audit, actor, { residentId: valid.residentId, operation: 'grantConsent', at: now });
    return toConsentRecord(row!);
  });
}

/**
 * Withdraws a consent: appends a REVOKED version and revokes every grant it auto-approved, in one
 * transaction. Revoking an already revoked consent is idempotent: it returns the current (revoked)
 * state and writes nothing. Someone else's consent is "not found".
 */
export async function revokeConsent(db: Database, actor: Actor | null, consentId: string, now = new Date(), audit?: WriteAudit): Promise<ConsentRecord> {
  if (!actor) throw unauthenticated();
  authorize(actor, 'revoke', 'Consent');
  return db.transaction(async (tx) => {
    const [latest] = await tx
      .select()
      .from(consentVersions)
      .where(eq(consentVersions.consentId, consentId))
      .orderBy(desc(consentVersions.version))
      .limit(1)
      .for('update');
    const standing = latest ? await standingFor(tx, actor, latest.residentId) : 'NONE';
    if (!latest || standing === 'NONE') throw new InvalidInputError('No such consent.', { field: 'id' });
    authorize(actor, 'revoke', { type: 'Consent', attributes: { residentId: latest.residentId, standing } });
    if (latest.status === 'REVOKED') return toConsentRecord(latest);
    const { id: _id, version, recordedAt: _at, recordedBy: _by, guardianId: _guardian, status: _status, ...kept } = latest;
    void [_id, _at, _by, _guardian, _status];
    const [row] = await tx
      .insert(consentVersions)
      .values({
        ...kept,
        id: `cv-${randomUUID()}`,
        version: version + 1,
        status: 'REVOKED',
        guardianId: standing === 'GUARDIAN' ? actor.residentId! : null,
        recordedBy: actor.sub,
        recordedAt: now,
      })
      .returning();
    await revokeGrants(tx, { consentId }, now);
    await markMembersForCheck(tx, latest.residentId);
    await auditWrite(tx, audit, actor, { residentId: latest.residentId, operation: 'revokeConsent', at: now });
    return toConsentRecord(row!);
  });
}

// ---------------------------------------------------------------------------------------------------
// Reads

/**
 * The current state of every consent of a resident (its latest version recorded at or before `now`),
 * newest change first. Includes revoked and expired consents.
 */
export async function currentConsents(db: Executor, residentId: string, now?: Date): Promise<ConsentRecord[]> {
  return (await currentConsentsQuery(db, residentId, now)).map(toConsentRecord);
}

/**
 * The query `currentConsents` runs, to await or to embed in another (the gateway's facts, prepared
 * once: there the resident and the time are placeholders).
 */
export function currentConsentsQuery(db: Executor, residentId: string | Placeholder, now?: Date | Placeholder) {
  const newer = alias(consentVersions, 'newer');
  const asOf = (column: AnyPgColumn) => (now === undefined ? undefined : now instanceof Date ? lte(column, now) : lte(column, sql`${now}::timestamptz`));
  return db
    .select()
    .from(consentVersions)
    .where(
      and(
        eq(consentVersions.residentId, residentId),
        asOf(consentVersions.recordedAt),
        notExists(
          db
            .select({ one: sql`1` })
            .from(newer)
            // The resident too: consent versions are partitioned by resident, so the newer version is looked
            // for in this resident's partition only (a join between colocated rows carries resident_id).
            .where(and(eq(newer.residentId, consentVersions.residentId), eq(newer.consentId, consentVersions.consentId), gt(newer.version, consentVersions.version), asOf(newer.recordedAt))),
        ),
      ),
    )
    .orderBy(desc(consentVersions.recordedAt), desc(consentVersions.consentId));
}

/** Whether a consent is in force at `now`: ACTIVE and within its period. */
export function isInForce(consent: ConsentRecord, now: Date): boolean {
  return consent.status === 'ACTIVE' && consent.validFrom <= now && (consent.validUntil === null || consent.validUntil > now);
}

/** The resident's consents in force at `now` (permits and denials). */
export async function activeConsentsFor(db: Executor, residentId: string, now: Date): Promise<ConsentRecord[]> {
  return (await currentConsents(db, residentId, now)).filter((c) => isInForce(c, now));
}

/** Whether a consent's recipient covers this requester (ANYONE covers everyone; an institution covers its practitioners). */
export function matchesRecipient(consent: Pick<ConsentRecord, 'recipient'>, who: RecipientIdentity): boolean {
  const { kind, id } = consent.recipient;
  switch (kind) {
    case 'ANYONE':
      return true;
    case 'INSTITUTION':
      return id !== null && id === who.institutionId;
    case 'PRACTITIONER':
      return id !== null && id === who.practitionerId;
    case 'SCENARIO':
      return id !== null && id === who.scenarioId;
  }
}

/**
 * The one definition of "this consent applies": in force, naming this recipient, and covering the
 * purpose. Without a purpose a consent applies whatever its purposes (a DENY then closes, fail closed).
 */
export function consentApplies(consent: ConsentRecord, who: RecipientIdentity, purpose: PurposeOfUse | undefined, now: Date): boolean {
  return isInForce(consent, now) && matchesRecipient(consent, who) && (purpose === undefined || consent.purposes.includes(purpose));
}

/** Categories that in-force DENY consents close to this recipient for this purpose (deny overrides permit). */
export function deniedCategories(consents: readonly ConsentRecord[], who: RecipientIdentity, purpose: PurposeOfUse | undefined, now: Date): Set<DataCategory> {
  const denied = new Set<DataCategory>();
  for (const consent of consents) {
    if (consent.provision !== 'DENY' || !consentApplies(consent, who, purpose, now)) continue;
    for (const category of consent.categories) denied.add(category);
  }
  return denied;
}

// ---------------------------------------------------------------------------------------------------
// FHIR R4 export (PIPL art. 45: machine-readable)

export const FHIR_CONSENT_SCOPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/consentscope';
export const FHIR_PARTICIPATION_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
export const FHIR_ACT_REASON_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
export const DATA_CATEGORY_SYSTEM = 'urn:healthmesh:data-category';

/** The notice version as a policy URI. */
export function noticePolicyUri(noticeVersion: string): string {
  return `urn:healthmesh:notice:${noticeVersion}`;
}

export const FHIR_ROLE_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

/**
 * The R4 `Consent.provision.actor.reference` type of each recipient (R4 allows Device, Group, CareTeam,
 * Organization, Patient, Practitioner, RelatedPerson, PractitionerRole): a research scenario's
 * recipients are the group of researchers approved for it.
 */
const RECIPIENT_RESOURCE: Readonly<Record<Exclude<RecipientKind, 'ANYONE'>, 'Organization' | 'Practitioner' | 'Group'>> = {
  INSTITUTION: 'Organization',
  PRACTITIONER: 'Practitioner',
  SCENARIO: 'Group',
};

/** The guardian who acted, as a RelatedPerson contained in the consent (they are a Patient in their own right). */
interface FhirRelatedPerson {
  resourceType: 'RelatedPerson';
  id: string;
  identifier: Array<{ system: string; value: string }>;
  patient: { reference: string };
  relationship: Array<{ coding: FhirCoding[] }>;
}

export const RESIDENT_IDENTIFIER_SYSTEM = 'urn:healthmesh:resident';

interface FhirCoding {
  system: string;
  code: string;
  display?: string;
}

/** The subset of FHIR R4 `Consent` the platform emits. */
export interface FhirConsent {
  resourceType: 'Consent';
  id: string;
  meta: { versionId: string; lastUpdated: string };
  status: 'active' | 'inactive';
  scope: { coding: FhirCoding[] };
  category: Array<{ coding: FhirCoding[] }>;
  /** The guardian who acted, when there is one (referenced from `performer` as `#guardian`). */
  contained?: FhirRelatedPerson[];
  patient: { reference: string };
  dateTime: string;
  /** Who consented: the resident (Patient) or their guardian (the contained RelatedPerson). */
  performer: Array<{ reference: string }>;
  policy: Array<{ uri: string }>;
  provision: {
    type: 'permit' | 'deny';
    period: { start: string; end?: string };
    /** Absent for ANYONE. */
    actor?: Array<{ role: { coding: FhirCoding[] }; reference: { reference: string } }>;
    purpose: FhirCoding[];
    class: FhirCoding[];
  };
}

export interface FhirBundle {
  resourceType: 'Bundle';
  type: 'collection';
  entry: Array<{ fullUrl: string; resource: FhirConsent }>;
}

/** One consent (its current version) as a FHIR R4 `Consent` resource. */
export function toFhirConsent(consent: ConsentRecord): FhirConsent {
  const { kind, id } = consent.recipient;
  // Research consents (for a scenario, or for research as a purpose) are R4's `research` scope.
  const scope = kind === 'SCENARIO' || consent.purposes.includes('HRESCH') ? 'research' : 'patient-privacy';
  const guardian: FhirRelatedPerson | undefined = consent.guardianId
    ? {
        resourceType: 'RelatedPerson',
        id: 'guardian',
        identifier: [{ system: RESIDENT_IDENTIFIER_SYSTEM, value: consent.guardianId }],
        patient: { reference: `Patient/${consent.residentId}` },
        relationship: [{ coding: [{ system: FHIR_ROLE_CODE_SYSTEM, code: 'GUARD', display: 'guardian' }] }],
      }
    : undefined;
  // Keys in the order FHIR lists the elements, for readable exports.
  return {
    resourceType: 'Consent',
    id: consent.id,
    meta: { versionId: String(consent.version), lastUpdated: consent.recordedAt.toISOString() },
    ...(guardian ? { contained: [guardian] } : {}),
    status: consent.status === 'ACTIVE' ? 'active' : 'inactive',
    scope: { coding: [{ system: FHIR_CONSENT_SCOPE_SYSTEM, code: scope }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
    patient: { reference: `Patient/${consent.residentId}` },
    dateTime: consent.recordedAt.toISOString(),
    performer: [{ reference: guardian ? '#guardian' : `Patient/${consent.residentId}` }],
    policy: [{ uri: noticePolicyUri(consent.noticeVersion) }],
    provision: {
      type: consent.provision === 'PERMIT' ? 'permit' : 'deny',
      period: consent.validUntil ? { start: consent.validFrom.toISOString(), end: consent.validUntil.toISOString() } : { start: consent.validFrom.toISOString() },
      ...(kind === 'ANYONE'
        ? {}
        : {
            actor: [
              {
                role: { coding: [{ system: FHIR_PARTICIPATION_TYPE_SYSTEM, code: 'IRCP' }] },
                reference: { reference: `${RECIPIENT_RESOURCE[kind]}/${id}` },
              },
            ],
          }),
      purpose: consent.purposes.map((code) => ({ system: FHIR_ACT_REASON_SYSTEM, code })),
      class: consent.categories.map((code) => ({ system: DATA_CATEGORY_SYSTEM, code })),
    },
  };
}

/** A stable `urn:uuid:` for one consent version (name-based, RFC 4122 version 5 layout over SHA-1). */
export function fhirFullUrl(consent: Pick<ConsentRecord, 'versionId'>): string {
  const hash = createHash('sha1').update(`healthmesh:consent-version:${consent.versionId}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Consents as a FHIR R4 `Bundle` of type `collection`; every entry has a `fullUrl`. */
export function toFhirBundle(consents: readonly ConsentRecord[]): FhirBundle {
  return { resourceType: 'Bundle', type: 'collection', entry: consents.map((consent) => ({ fullUrl: fhirFullUrl(consent), resource: toFhirConsent(consent) })) };
}
