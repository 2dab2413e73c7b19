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
import { DATA_CATEGORIES, type DataCategory, type MaskKind, type SensitivityLevel } from '../schema/classification.js';
import type { Actor, CategoryScope, PurposeOfUse, Role } from '../schema/context.js';
import { ERROR_CODES, type ErrorCode } from '../schema/errors.js';

/** Why a field is allowed: the basis recorded in audit and used to consume grants. */
export const BASES = ['SELF', 'GUARDIAN', 'GRANT', 'BREAK_GLASS', 'CARE_RELATIONSHIP', 'PUBLIC'] as const;
export type Basis = (typeof BASES)[number];
/** The reason an inverted rule gives when a resident's consent denies a recipient. */
const CONSENT_DENY = 'CONSENT_DENY';

type Action = 'read' | 'readMasked';
interface FieldSubject {
  category: DataCategory;
  /** A plain number so Mongo operators ($lte) type-check against it. */
  level: number;
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

type DefinePermissions = (facts: DecisionFacts, builder: AbilityBuilder<FieldAbility>) => void;

/** The permission table, per role. No `manage all` anywhere; unknown roles throw. */
const PERMISSIONS: Record<Role, DefinePermissions> = {
  resident(facts, { can }) {
    if (facts.relationship.self) can('read', 'Field').because('SELF');
    else if (facts.relationship.guardian) can('read', 'Field').because('GUARDIAN');
  },
  clinician(facts, { can, cannot }) {
    if (facts.purpose === 'ETREAT') {
      // Break-glass: everything but level 5, whatever the consents say; audited and reviewed.
      if (facts.breakGlassReason) can('read', 'Field', { level: { $lte: 4 } }).because('BREAK_GLASS');
      return;
    }
    if (!facts.purpose || !CLINICAL_PURPOSES.includes(facts.purpose)) return;
    if (facts.relationship.treatedAtActorInstitution) {
      can('readMasked', 'Field', { category: 'DEMOGRAPHICS', level: { $lte: 4 } }).because('CARE_RELATIONSHIP');
      can('read', 'Field', { category: 'DEMOGRAPHICS', level: { $lte: 3 } }).because('CARE_RELATIONSHIP');
      can('read', 'Field', { category: { $in: CARE_CATEGORIES }, level: { $lte: 4 } }).because('CARE_RELATIONSHIP');
    }
    if (facts.grant) {
      can('read', 'Field', { category: { $in: facts.grant.categories }, level: { $lte: facts.grant.maxLevel } }).because('GRANT');
    }
    // Defined last so it wins over every permission above.
    if (facts.deniedByConsent.length > 0) {
      cannot(['read', 'readMasked'], 'Field', { category: { $in: facts.deniedByConsent } }).because(CONSENT_DENY);
    }
  },
  researcher() {},
  steward() {},
  auditor() {},
  hospital_system() {},
};

/** Builds the CASL ability for one actor and one resident. */
export function defineAbilityFor(facts: DecisionFacts): FieldAbility {
  const builder = new AbilityBuilder<FieldAbility>(createMongoAbility);
  builder.can('read', 'Field', { category: 'RESOURCES' }).because('PUBLIC');
  if (facts.actor) {
    const define = PERMISSIONS[facts.actor.role];
    if (!define) throw new Error(`No permissions defined for role ${String(facts.actor.role)}`);
    define(facts, builder);
  }
  return builder.build();
}

export interface ClassifiedField {
  category: DataCategory;
  level: SensitivityLevel;
  mask?: MaskKind;
}

export type FieldDecision =
  | { effect: 'clear'; basis: Basis }
  | { effect: 'masked'; basis: Basis; mask: MaskKind }
  | { effect: 'denied'; code: ErrorCode; reason: string; missing: { category: DataCategory; need: 'grant' | 'consent' | 'role' | 'purpose' | 'login' } };

/** Decides one field for the facts' actor and resident. */
export function decideField(ability: FieldAbility, facts: DecisionFacts, field: ClassifiedField): FieldDecision {
  const target = asSubject('Field', { category: field.category, level: field.level }) as unknown as TaggedField;
  const allowing = ability.relevantRuleFor('read', target);
  if (allowing && !allowing.inverted) return { effect: 'clear', basis: allowing.reason as Basis };
  if (field.mask) {
    const masking = ability.relevantRuleFor('readMasked', target);
    if (masking && !masking.inverted) return { effect: 'masked', basis: masking.reason as Basis, mask: field.mask };
  }
  return denial(facts, field, allowing?.inverted ? allowing.reason : undefined);
}

function denial(facts: DecisionFacts, field: ClassifiedField, invertedReason: string | undefined): FieldDecision {
  const { category } = field;
  const deny = (code: ErrorCode, reason: string, need: 'grant' | 'consent' | 'role' | 'purpose' | 'login'): FieldDecision => ({
    effect: 'denied',
    code,
    reason,
    missing: { category, need },
  });
  if (!facts.actor) return deny(ERROR_CODES.UNAUTHENTICATED, `Reading ${category} data needs a signed-in user.`, 'login');
  if (invertedReason === CONSENT_DENY) return deny(ERROR_CODES.CONSENT_REQUIRED, `The resident's consent does not permit ${category} data for you and this purpose.`, 'consent');
  if (facts.actor.role !== 'clinician') return deny(ERROR_CODES.FORBIDDEN, `Your role cannot read this resident's ${category} data.`, 'role');
  if (facts.purpose === 'ETREAT' && !facts.breakGlassReason) return deny(ERROR_CODES.PURPOSE_REQUIRED, 'Break-glass access (ETREAT) needs a reason.', 'purpose');
  if (facts.purpose === 'ETREAT') return deny(ERROR_CODES.FORBIDDEN, 'Break-glass access never opens level-5 data.', 'role');
  if (!facts.purpose || !CLINICAL_PURPOSES.includes(facts.purpose)) {
    return deny(ERROR_CODES.FORBIDDEN, `The purpose ${facts.purpose ?? '(none)'} does not allow a clinician to read ${category} data.`, 'purpose');
  }
  if (facts.grant && !facts.grant.categories.includes(category)) {
    return deny(ERROR_CODES.GRANT_INVALID, `Your access grant does not cover ${category} data; request access to ${category}.`, 'grant');
  }
  if (facts.grant) return deny(ERROR_CODES.GRANT_INVALID, `Your access grant does not cover level-${field.level} ${category} data.`, 'grant');
  return deny(ERROR_CODES.GRANT_REQUIRED, `Reading this resident's ${category} data needs an access grant (requestAccess for ${category}).`, 'grant');
}

/**
 * The row scope per category for the signed context: the highest record level readable in the
 * category, and the institution restriction when only the care relationship opens it.
 */
export function categoryScopes(ability: FieldAbility, actor: Actor | null): Partial<Record<DataCategory, CategoryScope>> {
  const scopes: Partial<Record<DataCategory, CategoryScope>> = {};
  // RESOURCES is public data about institutions, never a resident's: it opens no resident rows.
  for (const category of DATA_CATEGORIES.filter((c) => c !== 'RESOURCES')) {
    for (const level of [5, 4, 3, 2, 1] as const) {
      const target = asSubject('Field', { category, level }) as unknown as TaggedField;
      const rule = ability.relevantRuleFor('read', target) ?? ability.relevantRuleFor('readMasked', target);
      if (!rule || rule.inverted) continue;
      const scope: CategoryScope = { maxLevel: level };
      if (rule.reason === 'CARE_RELATIONSHIP' && actor?.institutionId && category !== 'DEMOGRAPHICS') scope.institutionId = actor.institutionId;
      scopes[category] = scope;
      break;
    }
  }
  return scopes;
}
