/**
 * The platform rules: every permission that is not a read of a resident's field, as CASL rules on
 * typed subjects. Deny by default, and every denial has a rule: a baseline rule, defined first (so any
 * permission overrides it), says who may do each thing; the rules that deny despite a permission (a
 * ward deciding for themself, a requester deciding their own request, a steward reviewing their own
 * scenario) are defined after the permissions they override. `authorize` throws FORBIDDEN with the
 * reason of the rule that denied.
 */
import { AbilityBuilder, createMongoAbility, subject as asSubject, type MongoAbility } from '@casl/ability';
import canonicalize from 'canonicalize';
import { LRUCache } from 'lru-cache';
import { GraphQLError } from 'graphql';
import type { Actor, Role } from '../../schema/context.js';
import { ERROR_CODES } from '../../schema/errors.js';

/**
 * How an actor stands to a resident's consent-plane decisions: the resident themself (`SELF`), their
 * guardian (`GUARDIAN`), the resident themself while under guardianship (`WARD_SELF`: may see, may not
 * decide; a ward's choices are made by the guardian), or no one (`NONE`).
 */
export type Standing = 'SELF' | 'GUARDIAN' | 'WARD_SELF' | 'NONE';

/** The subjects of platform rules and the attributes their conditions read. */
export interface PlatformSubjects {
  /** An access request; `standing` is the actor's towards the resident it is about. */
  AccessRequest: { residentId?: string; requesterSub?: string; includesLevel5?: boolean; standing?: Standing };
  /** One resident's consents; `standing` as above. */
  Consent: { residentId?: string; standing?: Standing };
  /** A research scenario: submitted by a researcher, listed to them and to stewards, reviewed by stewards who did not submit it, once each. */
  Scenario: { submitterSub?: string; status?: string; reviewedBy?: string[] };
  /** The research fields of a scenario's result: readable by its researcher while it is approved (rules tested; no resolver asks yet). */
  ResearchField: { researcherSub?: string; scenarioStatus?: string };
  BreakGlassReview: Record<string, never>;
  /** A hospital feed write, for the institution its records belong to. */
  Feed: { institutionId?: string };
  /** A resident's registration (master patient index). */
  Resident: Record<string, never>;
  /** The master patient index lookup by blind index (the gateway's subject resolution). */
  ResidentIndex: Record<string, never>;
  AuditChain: Record<string, never>;
  /** The Merkle audit log: its signed head (`read`) and consistency proofs between heads (`verify`). */
  AuditTree: Record<string, never>;
  /** A resident's access log; `standing` is the reader's towards that resident (a guardian reads a ward's). */
  AccessLog: { residentId?: string; standing?: Standing };
  /** Asking which prior results can be recognised (互认) for tests about to be ordered (the resident's RESULTS basis is the gateway's decision). */
  RecognitionQuery: Record<string, never>;
  /** A clinician's accept or decline of a recognition candidate, by the clinician it was shown to. */
  RecognitionDecision: { shownToSub?: string };
  /** The recognition report's rows of one institution. */
  RecognitionReport: { institutionId?: string };
  /** The catalogue of recognised items and each institution's EQA status per item. */
  RecognitionCatalogue: Record<string, never>;
}
export type PlatformSubjectType = keyof PlatformSubjects;
export type PlatformAction = 'request' | 'approve' | 'deny' | 'list' | 'grant' | 'revoke' | 'read' | 'submit' | 'review' | 'write' | 'register' | 'lookup' | 'verify' | 'ask' | 'record' | 'maintain';

type TaggedSubject = { [Type in PlatformSubjectType]: PlatformSubjects[Type] & { kind: Type } }[PlatformSubjectType];
export type PlatformAbility = MongoAbility<[PlatformAction, PlatformSubjectType | TaggedSubject]>;

/** A subject to ask about: its type alone ("may this actor ever …"), or the type with its attributes. */
export type PlatformTarget = { [Type in PlatformSubjectType]: Type | { type: Type; attributes: PlatformSubjects[Type] } }[PlatformSubjectType];

/** The parties an access-request decision is recorded for (the basis of the rule that allowed it). */
export const ACCESS_REQUEST_PARTIES = ['RESIDENT', 'STEWARD'] as const;
export type AccessRequestParty = (typeof ACCESS_REQUEST_PARTIES)[number];
/** Which requests a listing shows (the basis of the rule that allowed it). */
/** Which scenarios a listing shows (the basis of the rule that allowed it). */
export const SCENARIO_LIST_SCOPES = ['OWN_SCENARIOS', 'REVIEW_QUEUE'] as const;
export type ScenarioListScope = (typeof SCENARIO_LIST_SCOPES)[number];
export const ACCESS_REQUEST_LIST_SCOPES = ['ABOUT_ME_AND_WARDS', 'MY_REQUESTS', 'STEWARD_QUEUE'] as const;
export type AccessRequestListScope = (typeof ACCESS_REQUEST_LIST_SCOPES)[number];

type Builder = AbilityBuilder<PlatformAbility>;

const FEED_DENIAL = 'Only a hospital system can push feed records, for its own institution.';
type DefineRules = (actor: Actor, builder: Builder) => void;

const DECIDE: PlatformAction[] = ['approve', 'deny'];
const CHANGE_CONSENT: PlatformAction[] = ['grant', 'revoke'];

/** Who may do each thing, for everyone: the reasons of denials that no more specific rule gives. */
function baseline({ cannot }: Builder): void {
  cannot('request', 'AccessRequest').because('Only a clinician at an institution can request access to a resident’s data.');
  cannot(DECIDE, 'AccessRequest').because('Only the resident, their guardian, or a steward for level-5 data decides an access request.');
  cannot('list', 'AccessRequest').because('Your role has no access requests.');
  cannot(CHANGE_CONSENT, 'Consent').because('Only a resident, or the guardian of a resident under 14, can give or withdraw consent.');
  cannot('read', 'Consent').because('Only the resident or their guardian sees their consents.');
  cannot('submit', 'Scenario').because('Only a researcher submits research scenarios.');
  cannot('review', 'Scenario').because('Only a data steward reviews research scenarios.');
  cannot('list', 'Scenario').because('Only researchers (their own) and data stewards see research scenarios.');
  cannot('read', 'ResearchField').because('Research fields are for the researcher of an approved scenario.');
  cannot(['list', 'review'], 'BreakGlassReview').because('Only a data steward reviews break-glass accesses.');
  cannot('write', 'Feed').because(FEED_DENIAL);
  cannot('register', 'Resident').because('Only a hospital system can register residents.');
  cannot('lookup', 'ResidentIndex').because('Only a clinician looks residents up by identifier.');
  cannot('verify', 'AuditChain').because('Only an auditor or a steward can verify the audit chain.');
  cannot('read', 'AuditTree').because('Only a resident, an auditor or a steward reads the audit log’s signed head.');
  cannot('verify', 'AuditTree').because('Only an auditor asks for consistency proofs of the audit log.');
  cannot('read', 'AccessLog').because('Only a resident has an access log.');
  cannot('ask', 'RecognitionQuery').because('Only a clinician at an institution asks which prior results can be recognised.');
  cannot('record', 'RecognitionDecision').because('Only the clinician a recognition candidate was shown to records its decision.');
  cannot('read', 'RecognitionReport').because('Only a data steward, or an institution’s own clinicians for its rows, read the recognition report.');
  cannot('read', 'RecognitionCatalogue').because('Only clinicians, hospital systems and data stewards read the recognition catalogue.');
  cannot('maintain', 'RecognitionCatalogue').because('Only a data steward maintains the recognition catalogue and EQA statuses.');
}

/** The permissions per role. No `manage all` anywhere; a role without an entry has only the baseline. */
const PLATFORM_RULES: Record<Role, DefineRules> = {
  resident(actor, { can, cannot }) {
    if (!actor.residentId) return;
    can(DECIDE, 'AccessRequest', { standing: { $in: ['SELF', 'GUARDIAN'] } }).because('RESIDENT');
    cannot(DECIDE, 'AccessRequest', { standing: 'WARD_SELF' }).because('A resident under 14 decides access requests through their guardian.');
    can('list', 'AccessRequest').because('ABOUT_ME_AND_WARDS');
    can(CHANGE_CONSENT, 'Consent', { standing: { $in: ['SELF', 'GUARDIAN'] } }).because('SELF_OR_GUARDIAN');
    cannot(CHANGE_CONSENT, 'Consent', { standing: 'WARD_SELF' }).because('A resident under 14 gives and withdraws consent through their guardian.');
    cannot(CHANGE_CONSENT, 'Consent', { standing: 'NONE' }).because('You can give consent only for yourself or for a resident you are the guardian of.');
    can('read', 'Consent', { standing: { $in: ['SELF', 'GUARDIAN', 'WARD_SELF'] } }).because('SELF_OR_GUARDIAN');
    can('read', 'AccessLog', { residentId: actor.residentId }).because('SELF');
    // A guardian acts for the ward (DESIGN §9), so sees who used the ward's data; nobody else's log.
    can('read', 'AccessLog', { standing: 'GUARDIAN' }).because('GUARDIAN');
    cannot('read', 'AccessLog', { standing: 'NONE' }).because('You can read only your own access log, or that of a resident you are the guardian of.');
    // The head a resident checks their entries' inclusion proofs against.
    can('read', 'AuditTree').because('RESIDENT');
  },
  clinician(actor, { can, cannot }) {
    if (!actor.institutionId) return;
    can('request', 'AccessRequest').because('CLINICIAN');
    // Only reached by a requester: a clinician has no other say in a request (and sees "not found").
    cannot(DECIDE, 'AccessRequest', { requesterSub: actor.sub }).because('A requester cannot decide their own access request.');
    can('list', 'AccessRequest').because('MY_REQUESTS');
    can('lookup', 'ResidentIndex').because('CLINICIAN');
    can('ask', 'RecognitionQuery').because('CLINICIAN');
    // The clinician who saw the candidate decides it (not a colleague: the decision is theirs to justify).
    can('record', 'RecognitionDecision', { shownToSub: actor.sub }).because('SHOWN_TO_ME');
    can('read', 'RecognitionReport', { institutionId: actor.institutionId }).because('OWN_INSTITUTION');
    can('read', 'RecognitionCatalogue').because('CLINICIAN');
  },
  steward(actor, { can, cannot }) {
    can(DECIDE, 'AccessRequest').because('STEWARD');
    can('list', 'AccessRequest').because('STEWARD_QUEUE');
    can(['list', 'review'], 'BreakGlassReview').because('STEWARD');
    can('verify', 'AuditChain').because('STEWARD');
    can('read', 'AuditTree').because('STEWARD');
    can('read', 'RecognitionReport').because('STEWARD');
    can(['read', 'maintain'], 'RecognitionCatalogue').because('STEWARD');
    can('review', 'Scenario').because('STEWARD');
    can('list', 'Scenario').because('REVIEW_QUEUE');
    cannot('review', 'Scenario', { submitterSub: actor.sub }).because('Nobody reviews their own research scenario.');
    // Matches when the list of the scenario's reviewers holds this steward: a second approval is another steward's.
    cannot('review', 'Scenario', { reviewedBy: actor.sub }).because('You have already reviewed this scenario; a second approval must come from another steward.');
  },
  researcher(actor, { can }) {
    can('submit', 'Scenario').because('RESEARCHER');
    can('list', 'Scenario').because('OWN_SCENARIOS');
    can('read', 'ResearchField', { scenarioStatus: 'APPROVED', researcherSub: actor.sub }).because('APPROVED_SCENARIO');
  },
  auditor(_actor, { can }) {
    can('verify', 'AuditChain').because('AUDITOR');
    can(['read', 'verify'], 'AuditTree').because('AUDITOR');
  },
  hospital_system(actor, { can }) {
    if (!actor.institutionId) return;
    // The institution is a condition on the subject: a feed writes only its own institution's records.
    can('write', 'Feed', { institutionId: actor.institutionId }).because('OWN_INSTITUTION');
    can('register', 'Resident').because('HOSPITAL_SYSTEM');
    can('read', 'RecognitionCatalogue').because('HOSPITAL_SYSTEM');
  },
};

/** Actors whose platform ability is kept: a pure function of the actor's claims, built once per actor. */
const ABILITIES_KEPT = 1000;
const abilities = new LRUCache<string, PlatformAbility>({ max: ABILITIES_KEPT });

/** The platform ability of one actor (the same claims, the same ability: kept by their canonical JSON). */
export function platformAbilityFor(actor: Actor): PlatformAbility {
  const key = canonicalize(actor);
  if (key === undefined) throw new Error('an actor that is not JSON');
  let ability = abilities.get(key);
  if (!ability) abilities.set(key, (ability = buildPlatformAbility(actor)));
  return ability;
}

function buildPlatformAbility(actor: Actor): PlatformAbility {
  const builder = new AbilityBuilder<PlatformAbility>(createMongoAbility);
  baseline(builder);
  const define = PLATFORM_RULES[actor.role];
  if (!define) throw new Error(`No platform rules defined for role ${String(actor.role)}`);
  define(actor, builder);
  return builder.build();
}

export type PlatformDecision = { allowed: true; basis: string } | { allowed: false; reason: string; byBaseline: boolean };

const BASELINE_REASONS: ReadonlySet<string> = (() => {
  const builder = new AbilityBuilder<PlatformAbility>(createMongoAbility);
  baseline(builder);
  return new Set(builder.rules.map((rule) => rule.reason ?? ''));
})();

function toCasl(target: PlatformTarget): PlatformSubjectType | TaggedSubject {
  if (typeof target === 'string') return target;
  return asSubject(target.type, { ...target.attributes }) as unknown as TaggedSubject;
}

/**
 * What the policy says about an action on a subject, with the rule's basis or reason; `byBaseline` is
 * true when only the baseline denies (the actor has no part in the subject at all).
 */
export function decidePlatform(actor: Actor, action: PlatformAction, target: PlatformTarget): PlatformDecision {
  const rule = platformAbilityFor(actor).relevantRuleFor(action, toCasl(target));
  if (rule && !rule.inverted) return { allowed: true, basis: rule.reason ?? '' };
  const reason = rule?.reason ?? 'Your role cannot do this.';
  return { allowed: false, reason, byBaseline: !rule || BASELINE_REASONS.has(reason) };
}

/** FORBIDDEN, with the reason of the rule that denied. */
export function forbiddenBy(reason: string): GraphQLError {
  return new GraphQLError(reason, { extensions: { code: ERROR_CODES.FORBIDDEN } });
}

/** Asks the policy; throws FORBIDDEN with the denying rule's reason, returns the allowing rule's basis. */
export function authorize(actor: Actor, action: PlatformAction, target: PlatformTarget): string {
  const decision = decidePlatform(actor, action, target);
  if (!decision.allowed) throw forbiddenBy(decision.reason);
  return decision.basis;
}

/** Whether the policy allows it (for lookups that answer "nothing" rather than refuse). */
export function isAllowed(actor: Actor | null | undefined, action: PlatformAction, target: PlatformTarget): boolean {
  return actor ? decidePlatform(actor, action, target).allowed : false;
}

/** The actor a research scenario's mart is read for: its applicant, as the researcher who submitted it. */
export function scenarioApplicantActor(applicantSub: string): Actor {
  return { sub: applicantSub, role: 'researcher' };
}

/** The institution a feed sender writes for, when the policy lets it write feeds for its own institution. */
export function feedInstitutionOf(actor: Actor | null | undefined): string | undefined {
  const institutionId = actor?.institutionId;
  return institutionId && isAllowed(actor, 'write', { type: 'Feed', attributes: { institutionId } }) ? institutionId : undefined;
}

/** Whether the policy lets this actor write feed records of `institutionId` (its own institution only). */
export function mayFeedFor(actor: Actor | null | undefined, institutionId: string): boolean {
  return isAllowed(actor, 'write', { type: 'Feed', attributes: { institutionId } });
}

// ---------------------------------------------------------------------------------------------------
// What a role is, beyond permissions: the claims its token needs, whether it is a person's own view.

interface RoleProfile {
  /** Claims a token of this role must carry. */
  requiredClaims: ReadonlyArray<'residentId' | 'institutionId'>;
  /** The actor is a resident acting as themself (their own data, PATRQT implied, their consent plane). */
  isResident: boolean;
  /** The actor is an institution's system (the access log names the institution, not a person). */
  isInstitutionSystem: boolean;
}

const ROLE_PROFILES: Record<Role, RoleProfile> = {
  resident: { requiredClaims: ['residentId'], isResident: true, isInstitutionSystem: false },
  clinician: { requiredClaims: ['institutionId'], isResident: false, isInstitutionSystem: false },
  researcher: { requiredClaims: [], isResident: false, isInstitutionSystem: false },
  steward: { requiredClaims: [], isResident: false, isInstitutionSystem: false },
  auditor: { requiredClaims: [], isResident: false, isInstitutionSystem: false },
  hospital_system: { requiredClaims: ['institutionId'], isResident: false, isInstitutionSystem: true },
};

const CLAIM_NAMES = { residentId: 'resident_id', institutionId: 'institution_id' } as const;

/** The token claim (DESIGN §3 spelling) this actor's role needs and the actor lacks, if any. */
export function missingClaimOf(actor: Actor): string | undefined {
  const missing = ROLE_PROFILES[actor.role].requiredClaims.find((claim) => !actor[claim]);
  return missing ? CLAIM_NAMES[missing] : undefined;
}

/** The resident this actor is, when they act as a resident (never a clinician's or system's resident id). */
export function ownResidentIdOf(actor: Actor | null | undefined): string | undefined {
  return actor && ROLE_PROFILES[actor.role]?.isResident ? actor.residentId : undefined;
}

/** Whether entries by this role are an institution's system acting (worded as the institution). */
export function isInstitutionSystemRole(role: string): boolean {
  return (ROLE_PROFILES as Record<string, RoleProfile | undefined>)[role]?.isInstitutionSystem ?? false;
}


/**
 * The institution a feed write is for; FORBIDDEN (the rule's reason) unless the policy lets this actor
 * write its feed, and for every institution its records name (`claimed`).
 */
export function authorizeFeedWrite(actor: Actor | null | undefined, claimed: ReadonlyArray<string | null | undefined> = []): string {
  const institutionId = feedInstitutionOf(actor);
  const foreign = claimed.find((id) => id != null && !mayFeedFor(actor, id));
  if (institutionId && foreign === undefined) return institutionId;
  if (institutionId) throw forbiddenBy(FEED_DENIAL);
  const decision = actor?.institutionId ? decidePlatform(actor, 'write', { type: 'Feed', attributes: { institutionId: actor.institutionId } }) : undefined;
  throw forbiddenBy(decision && !decision.allowed ? decision.reason : FEED_DENIAL);
}
