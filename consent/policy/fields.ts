/**
 * The policy decision point: one readable table of who may read what, as CASL rules.
 *
 * A subject of the `Field` type is a classified field of one resident's data ({ category, level });
 * actions are `read` (in clear) and `readMasked`. Rules are built per request from the facts: the
 * actor, the purpose of use, the actor's relationship to the resident, the resident's consents and the
 * presented grant. Deny by default: no rule, no access. Every rule carries a basis (`.because`), and
 * `decideField` returns the rule that allowed the field, so masking, grant consumption and audit all
 * know why. Medplum's AccessPolicy and the Apollo Router's authorisation directives are the models.
 */
import { AbilityBuilder, createMongoAbility, subject as asSubject, type MongoAbility } from '@casl/ability';
import { DATA_CATEGORIES, type DataCategory, type MaskKind, type SensitivityLevel } from '../../schema/classification.js';
import type { Actor, CategoryScope, PurposeOfUse, Role } from '../../schema/context.js';
import { ERROR_CODES, type ErrorCode } from '../../schema/errors.js';

/** Why a field is allowed: the basis recorded in audit and used to consume grants. */
export const BASES = ['SELF', 'GUARDIAN', 'GRANT', 'BREAK_GLASS', 'CARE_RELATIONSHIP', 'PUBLIC'] as const;
export type Basis = (typeof BASES)[number];
type Action = 'read' | 'readMasked';
interface FieldSubject {
  category: DataCategory;
  /** A plain number so Mongo operators ($lte) type-check against it. */
  level: number;
  /**
   * The institution whose records hold the field. A rule restricted to one institution names it in its
   * conditions; the field decision asks about the actor's own institution's records, the row scope
   * reads the restriction from the rule.
   */
  institutionId?: string;
}
/** `kind` tags the subject type for CASL's typings; at run time `subject('Field', …)` tags it. */
type TaggedField = FieldSubject & { kind: 'Field' };
export type FieldAbility = MongoAbility<[Action, 'Field' | TaggedField]>;

/** Categories a treating institution sees its own records of without a grant. */
const CARE_CATEGORIES: DataCategory[] = ['HEALTH_STATUS', 'CLINICAL', 'RESULTS', 'PUBLIC_HEALTH'];
/** Purposes a clinician may read under, with a grant or a care relationship. */
const CLINICAL_PURPOSES: readonly PurposeOfUse[] = ['TREAT', 'HOPERAT'];

/** A presented grant that checked out for this use. */
export interface UsableGrant {
  id: string;
  categories: DataCategory[];
  maxLevel: SensitivityLevel;
}

/** Everything the decision depends on, gathered before deciding (consent/facts.ts). */
export interface DecisionFacts {
  actor: Actor | null;
  purpose?: PurposeOfUse;
  breakGlassReason?: string;
  residentId: string;
  /** The actor is the resident, or the resident's guardian. */
  relationship: { self: boolean; guardian: boolean; treatedAtActorInstitution: boolean };
  /** Categories an active DENY consent of the resident closes to this actor for this purpose. */
  deniedByConsent: DataCategory[];
  grant?: UsableGrant;
}

/**
 * What a field decision depends on: the facts without the resident they are about and without the
 * grant's id. The rules read only this (the type says so), so two requests of one shape (the same
 * actor, purpose, relationship, consent denials and grant scope) are decided alike, whoever the
 * resident: decisions are cached per shape, never per resident (DESIGN §12).
 */
export type PolicyShape = Omit<DecisionFacts, 'residentId' | 'grant'> & { grant?: Omit<UsableGrant, 'id'> };

/** The facts' shape: a plain copy of what the rules read (nothing about whose record it is). */
export function policyShapeOf(facts: DecisionFacts): PolicyShape {
  const { residentId: _resident, grant, ...shape } = facts;
  return grant ? { ...shape, grant: { categories: [...grant.categories].sort(), maxLevel: grant.maxLevel } } : shape;
}

/**
 * Why a field is denied: the reason of the rule that denied it. Each role's rules start with a
 * deny-everything rule whose reason says what this actor lacks (a login, a purpose, a grant); the
 * permissions after it override it, and the consent denial after those overrides them.
 */
const DENIALS = {
  LOGIN: { code: ERROR_CODES.UNAUTHENTICATED, need: 'login', message: ({ category }) => `Reading ${category} data needs a signed-in user.` },
  CONSENT_DENY: {
    code: ERROR_CODES.CONSENT_REQUIRED,
    need: 'consent',
    message: ({ category }) => `The resident's consent does not permit ${category} data for you and this purpose.`,
  },
  ROLE: { code: ERROR_CODES.FORBIDDEN, need: 'role', message: ({ category }) => `Your role cannot read this resident's ${category} data.` },
  BREAK_GLASS_WITHOUT_REASON: { code: ERROR_CODES.PURPOSE_REQUIRED, need: 'purpose', message: () => 'Break-glass access (ETREAT) needs a reason.' },
  BREAK_GLASS_LEVEL_5: { code: ERROR_CODES.FORBIDDEN, need: 'role', message: () => 'Break-glass access never opens level-5 data.' },
  PURPOSE_NOT_CLINICAL: {
    code: ERROR_CODES.FORBIDDEN,
    need: 'purpose',
    message: ({ category }, facts) => `The purpose ${facts.purpose ?? '(none)'} does not allow a clinician to read ${category} data.`,
  },
  GRANT_CATEGORY: {
    code: ERROR_CODES.GRANT_INVALID,
    need: 'grant',
    message: ({ category }) => `Your access grant does not cover ${category} data; request access to ${category}.`,
  },
  GRANT_LEVEL: { code: ERROR_CODES.GRANT_INVALID, need: 'grant', message: ({ category, level }) => `Your access grant does not cover level-${level} ${category} data.` },
  GRANT_REQUIRED: {
    code: ERROR_CODES.GRANT_REQUIRED,
    need: 'grant',
    message: ({ category }) => `Reading this resident's ${category} data needs an access grant (requestAccess for ${category}).`,
  },
} satisfies Record<string, { code: ErrorCode; need: DeniedNeed; message: (field: ClassifiedField, facts: PolicyShape) => string }>;
type DenialReason = keyof typeof DENIALS;
type DeniedNeed = 'grant' | 'consent' | 'role' | 'purpose' | 'login';

function isDenialReason(reason: string | undefined): reason is DenialReason {
  return reason !== undefined && Object.hasOwn(DENIALS, reason);
}

type FieldBuilder = AbilityBuilder<FieldAbility>;
type DefinePermissions = (facts: PolicyShape, actor: Actor, builder: FieldBuilder) => void;

/** Every resident field is closed, for this reason, until a later rule opens it (RESOURCES is public). */
function denyAllBecause({ cannot }: FieldBuilder, reason: DenialReason): void {
  cannot(['read', 'readMasked'], 'Field', { category: { $ne: 'RESOURCES' } }).because(reason);
}

/** The permission table, per role. No `manage all` anywhere; unknown roles throw. */
const PERMISSIONS: Record<Role, DefinePermissions> = {
  resident(facts, _actor, builder) {
    denyAllBecause(builder, 'ROLE');
    if (facts.relationship.self) builder.can('read', 'Field').because('SELF');
    else if (facts.relationship.guardian) builder.can('read', 'Field').because('GUARDIAN');
  },
  clinician(facts, actor, builder) {
    const { can, cannot } = builder;
    if (facts.purpose === 'ETREAT') {
      // Break-glass: everything but level 5, whatever the consents say; audited and reviewed.
      if (!facts.breakGlassReason) return denyAllBecause(builder, 'BREAK_GLASS_WITHOUT_REASON');
      denyAllBecause(builder, 'BREAK_GLASS_LEVEL_5');
      can('read', 'Field', { level: { $lte: 4 } }).because('BREAK_GLASS');
      return;
    }
    if (!facts.purpose || !CLINICAL_PURPOSES.includes(facts.purpose)) return denyAllBecause(builder, 'PURPOSE_NOT_CLINICAL');
    if (facts.grant) {
      denyAllBecause(builder, 'GRANT_LEVEL');
      cannot(['read', 'readMasked'], 'Field', { category: { $nin: [...facts.grant.categories, 'RESOURCES'] } }).because('GRANT_CATEGORY');
    } else {
      denyAllBecause(builder, 'GRANT_REQUIRED');
    }
    if (facts.relationship.treatedAtActorInstitution && actor.institutionId) {
      can('readMasked', 'Field', { category: 'DEMOGRAPHICS', level: { $lte: 4 } }).because('CARE_RELATIONSHIP');
      can('read', 'Field', { category: 'DEMOGRAPHICS', level: { $lte: 3 } }).because('CARE_RELATIONSHIP');
      // A care relationship opens the treating institution's own records only: a condition on the subject.
      can('read', 'Field', { category: { $in: CARE_CATEGORIES }, level: { $lte: 4 }, institutionId: actor.institutionId }).because('CARE_RELATIONSHIP');
    }
    if (facts.grant) {
      can('read', 'Field', { category: { $in: facts.grant.categories }, level: { $lte: facts.grant.maxLevel } }).because('GRANT');
    }
    // Defined last so it wins over every permission above.
    if (facts.deniedByConsent.length > 0) {
      cannot(['read', 'readMasked'], 'Field', { category: { $in: facts.deniedByConsent } }).because('CONSENT_DENY');
    }
  },
  researcher: (_facts, _actor, builder) => denyAllBecause(builder, 'ROLE'),
  steward: (_facts, _actor, builder) => denyAllBecause(builder, 'ROLE'),
  auditor: (_facts, _actor, builder) => denyAllBecause(builder, 'ROLE'),
  hospital_system: (_facts, _actor, builder) => denyAllBecause(builder, 'ROLE'),
};

/** Builds the CASL ability for one actor and the facts about one resident (their shape: see PolicyShape). */
export function defineAbilityFor(facts: PolicyShape): FieldAbility {
  const builder = new AbilityBuilder<FieldAbility>(createMongoAbility);
  builder.can('read', 'Field', { category: 'RESOURCES' }).because('PUBLIC');
  if (!facts.actor) {
    denyAllBecause(builder, 'LOGIN');
  } else {
    const define = PERMISSIONS[facts.actor.role];
    if (!define) throw new Error(`No permissions defined for role ${String(facts.actor.role)}`);
    define(facts, facts.actor, builder);
  }
  return builder.build();
}

/** The facts a role's field rules read, so that only those are gathered (and a stray grant token is ignored). */
export interface FactsNeeded {
  /** Self and guardianship, for the actor's own resident id. */
  residentRelationship: boolean;
  /** The care relationship of the actor's institution, the resident's DENY consents, the presented grant. */
  clinicalRelationship: boolean;
}

const FACTS_BY_ROLE: Record<Role, FactsNeeded> = {
  resident: { residentRelationship: true, clinicalRelationship: false },
  clinician: { residentRelationship: false, clinicalRelationship: true },
  researcher: { residentRelationship: false, clinicalRelationship: false },
  steward: { residentRelationship: false, clinicalRelationship: false },
  auditor: { residentRelationship: false, clinicalRelationship: false },
  hospital_system: { residentRelationship: false, clinicalRelationship: false },
};

export function factsNeededBy(actor: Actor): FactsNeeded {
  const needed = FACTS_BY_ROLE[actor.role];
  if (!needed) throw new Error(`No permissions defined for role ${String(actor.role)}`);
  return needed;
}

export interface ClassifiedField {
  category: DataCategory;
  level: SensitivityLevel;
  mask?: MaskKind;
}

export type FieldDecision =
  | { effect: 'clear'; basis: Basis }
  | { effect: 'masked'; basis: Basis; mask: MaskKind }
  | { effect: 'denied'; code: ErrorCode; reason: string; missing: { category: DataCategory; need: DeniedNeed } };

function fieldTarget(field: ClassifiedField, institutionId: string | undefined): TaggedField {
  const attributes: FieldSubject = institutionId ? { category: field.category, level: field.level, institutionId } : { category: field.category, level: field.level };
  return asSubject('Field', attributes) as unknown as TaggedField;
}

/**
 * Decides one field for the facts' actor and resident: released when the actor may read it in at
 * least their own institution's records (the row scope then says which rows).
 */
export function decideField(ability: FieldAbility, facts: PolicyShape, field: ClassifiedField): FieldDecision {
  const target = fieldTarget(field, facts.actor?.institutionId);
  const reading = ability.relevantRuleFor('read', target);
  if (reading && !reading.inverted) return { effect: 'clear', basis: reading.reason as Basis };
  if (field.mask) {
    const masking = ability.relevantRuleFor('readMasked', target);
    if (masking && !masking.inverted) return { effect: 'masked', basis: masking.reason as Basis, mask: field.mask };
  }
  // Every resident field is covered by a denying rule of the actor's role; its reason is the denial.
  const reason: DenialReason = isDenialReason(reading?.reason) ? reading.reason : 'ROLE';
  const denial = DENIALS[reason];
  return { effect: 'denied', code: denial.code, reason: denial.message(field, facts), missing: { category: field.category, need: denial.need } };
}

type FieldRule = NonNullable<ReturnType<FieldAbility['relevantRuleFor']>>;

/** The institution a rule's conditions restrict its subject to, if any. */
function institutionConditionOf(rule: FieldRule): string | undefined {
  const value = (rule.conditions as Record<string, unknown> | undefined)?.['institutionId'];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The first rule (by CASL's priority) that applies to rows of this category and level, the rows of the
 * institution it is restricted to included; with that restriction.
 */
function rowRuleFor(ability: FieldAbility, action: Action, category: DataCategory, level: number): { allows: boolean; institutionId?: string } | undefined {
  for (const rule of ability.rulesFor(action, 'Field')) {
    const institutionId = institutionConditionOf(rule);
    if (!rule.matchesConditions(fieldTarget({ category, level: level as SensitivityLevel }, institutionId))) continue;
    return institutionId ? { allows: !rule.inverted, institutionId } : { allows: !rule.inverted };
  }
  return undefined;
}

/**
 * The row scope per category for the signed context, derived from the rules' conditions: the highest
 * record level a rule opens (in clear or masked) in the category, and the institution restriction the
 * opening rule's conditions carry.
 */
export function categoryScopes(ability: FieldAbility, _actor?: Actor | null): Partial<Record<DataCategory, CategoryScope>> {
  const scopes: Partial<Record<DataCategory, CategoryScope>> = {};
  // RESOURCES is public data about institutions, never a resident's: it opens no resident rows.
  for (const category of DATA_CATEGORIES.filter((c) => c !== 'RESOURCES')) {
    for (const level of [5, 4, 3, 2, 1] as const) {
      const read = rowRuleFor(ability, 'read', category, level);
      const opening = read?.allows ? read : rowRuleFor(ability, 'readMasked', category, level);
      if (!opening?.allows) continue;
      scopes[category] = opening.institutionId ? { maxLevel: level, institutionId: opening.institutionId } : { maxLevel: level };
      break;
    }
  }
  return scopes;
}

