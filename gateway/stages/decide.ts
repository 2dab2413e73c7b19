/**
 * Stage 4, decide: for every root field that reads a resident's data, gather the facts (consents,
 * relationship, presented grant) and ask the policy decision point (consent/) for each selected field:
 * clear, masked or denied. The per-category row scope for the signed context comes from the same
 * ability, so fields and rows are decided by one policy.
 */
import canonicalize from 'canonicalize';
import { GraphQLError } from 'graphql';
import { LRUCache } from 'lru-cache';
import {
  categoryScopes,
  decideField,
  defineAbilityFor,
  gatherFacts,
  ownResidentIdOf,
  policyShapeOf,
  type DecisionFacts,
  type FieldAbility,
  type FieldDecision,
  type GrantProblem,
  type PolicyShape,
} from '../../consent/index.js';
import type { ClassificationMap, DataCategory } from '../../schema/classification.js';
import type { Database } from '../../subgraphs/runtime/database.js';
import { rootDeclaration, type EnforcementDeclarations, type RootDeclaration } from '../../schema/enforcement.js';
import type { Actor, CategoryScope, PurposeOfUse, RowScope } from '../../schema/context.js';
import { ERROR_CODES } from '../../schema/errors.js';
import type { OperationAnalysis } from './analyse-operation.js';
import type { CoordinateDecider } from './filter-operation.js';

/** The resident a root field names by its declaration (`@subject`, `@ownRecord`); lookups are resolved earlier. */
function declaredSubject(declaration: RootDeclaration | undefined, args: Record<string, unknown>, actor: Actor | null): string | undefined {
  if (declaration?.kind === 'subject') {
    const value = args[declaration.argument];
    return typeof value === 'string' ? value : undefined;
  }
  if (declaration?.kind === 'ownRecord') return ownResidentIdOf(actor);
  return undefined;
}

export interface SubjectDecision {
  rootKey: string;
  rootField: string;
  residentId: string;
  facts: DecisionFacts;
  /**
   * The facts' policy shape as a key (canonical JSON of PolicyShape): requests of one shape are decided
   * alike, so what is derived from the decisions alone (the filtered document) is cached under it.
   */
  shapeKey: string;
  /** Decides each coordinate selected under this root (remembered for the shape). */
  decide: CoordinateDecider;
  categories: Partial<Record<DataCategory, CategoryScope>>;
}

export interface DecideRequest {
  actor: Actor | null;
  purpose?: PurposeOfUse;
  breakGlassReason?: string;
  grantToken?: string;
}

/**
 * The residents an operation's root fields read, by root response key, as the roots' declarations
 * say; `resolved` holds those found by identifier in the resolve-subjects stage.
 */
export function subjectRoots(
  analysis: OperationAnalysis,
  actor: Actor | null,
  declarations: EnforcementDeclarations,
  resolved: ReadonlyMap<string, { residentId: string }> = new Map(),
): Array<{ rootKey: string; rootField: string; residentId: string }> {
  const roots = [];
  for (const field of analysis.rootFields) {
    const residentId =
      resolved.get(field.responseKey)?.residentId ?? declaredSubject(rootDeclaration(declarations, analysis.operationType, field.name), field.arguments, actor);
    if (residentId) roots.push({ rootKey: field.responseKey, rootField: field.name, residentId });
  }
  return roots;
}

const GRANT_PROBLEMS: Readonly<Record<GrantProblem, string>> = {
  UNKNOWN: 'is not known',
  REVOKED: 'has been revoked',
  EXPIRED: 'has expired',
  NOT_YET_VALID: 'is not valid yet',
  USED_UP: 'has no uses left',
  OTHER_RESIDENT: 'was granted for another resident',
  OTHER_GRANTEE: 'was granted to someone else',
  OTHER_PURPOSE: 'was granted for another purpose of use',
};

/** Thrown when the presented grant cannot be used at all: the whole operation is refused. */
export function grantInvalid(problem: GrantProblem): GraphQLError {
  return new GraphQLError(`The access grant ${GRANT_PROBLEMS[problem]}; request access again.`, {
    extensions: { code: ERROR_CODES.GRANT_INVALID, problem, http: { status: 403 } },
  });
}

export async function decideSubjects(
  db: Database,
  request: DecideRequest,
  analysis: OperationAnalysis,
  classifications: ClassificationMap,
  declarations: EnforcementDeclarations,
  resolved: ReadonlyMap<string, { residentId: string }> = new Map(),
): Promise<SubjectDecision[]> {
  const roots = subjectRoots(analysis, request.actor, declarations, resolved);
  // One set of facts per resident, gathered concurrently (several roots may read the same resident).
  const residents = [...new Set(roots.map((root) => root.residentId))];
  const gathered = new Map(
    await Promise.all(residents.map(async (residentId) => [residentId, await gatherFacts(db, { ...request, residentId })] as const)),
  );
  const decisions: SubjectDecision[] = [];
  for (const root of roots) {
    const facts = gathered.get(root.residentId)!;
    if (!facts.ok) throw grantInvalid(facts.grantProblem);
    const { key, decide, categories } = shapeDecisions(classifications, policyShapeOf(facts.facts));
    decisions.push({ ...root, facts: facts.facts, shapeKey: key, decide, categories });
  }
  return decisions;
}

/** Shapes of decision remembered: each is a few kilobytes (its ability and its decided coordinates). */
const SHAPES_KEPT = 1000;

interface ShapeDecisions {
  key: string;
  decide: CoordinateDecider;
  categories: Partial<Record<DataCategory, CategoryScope>>;
}

const shapesByClassifications = new WeakMap<ClassificationMap, LRUCache<string, ShapeDecisions>>();

/**
 * The ability, row scope and field decisions of one policy shape, built once and reused by every
 * request of that shape (the ability is a pure function of the shape: PolicyShape has no resident in it).
 */
function shapeDecisions(classifications: ClassificationMap, shape: PolicyShape): ShapeDecisions {
  let shapes = shapesByClassifications.get(classifications);
  if (!shapes) shapesByClassifications.set(classifications, (shapes = new LRUCache({ max: SHAPES_KEPT })));
  const key = canonicalize(shape);
  if (key === undefined) throw new Error('a policy shape that is not JSON');
  let decided = shapes.get(key);
  if (!decided) {
    const ability = defineAbilityFor(shape);
    const categories = categoryScopes(ability, shape.actor);
    decided = { key, decide: decider(ability, shape, classifications, categories), categories };
    shapes.set(key, decided);
  }
  return decided;
}

/** The resident's pseudonymous id joins every category: it is released whenever any of them is. */
const RESIDENT_KEY = 'Resident.id';

function decider(ability: FieldAbility, facts: PolicyShape, classifications: ClassificationMap, categories: SubjectDecision['categories']): CoordinateDecider {
  const decisions = new Map<string, FieldDecision>();
  const opened = (Object.keys(categories) as DataCategory[]).filter((category) => category !== 'RESOURCES');
  const decide: CoordinateDecider = (coordinate) => {
    let decision = decisions.get(coordinate);
    if (!decision && coordinate === RESIDENT_KEY) {
      decision = opened.map((category) => decideField(ability, facts, { category, level: 1 })).find((d) => d.effect === 'clear');
      if (decision) decisions.set(coordinate, decision);
    }
    if (!decision) {
      const classification = classifications.get(coordinate);
      // Deny by default: a field without a classification is never released.
      decision = classification
        ? decideField(ability, facts, classification)
        : { effect: 'denied', code: ERROR_CODES.FORBIDDEN, reason: 'This field has no data classification.', missing: { category: 'DEMOGRAPHICS', need: 'role' } };
      decisions.set(coordinate, decision);
    }
    return decision;
  };
  return decide;
}

/** The signed context's row scope: per resident, the categories and levels open to this request. */
export function rowScopeOf(subjects: readonly SubjectDecision[]): RowScope | undefined {
  if (subjects.length === 0) return undefined;
  const residents: RowScope['residents'] = {};
  for (const subject of subjects) residents[subject.residentId] = subject.categories;
  return { residents };
}
