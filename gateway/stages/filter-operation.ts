/**
 * Stage 4b, filter: removes every selection the decision denies before the gateway plans the
 * operation, so no subgraph is ever asked for a denied field (filter mode, as the Apollo Router's
 * authorisation directives do). Fragments are inlined first, so aliases and fragments cannot carry a
 * denied field past the filter. Each removal is recorded with its response path, so the result can
 * carry `null` and an error there; masked fields are recorded for the decrypt-and-mask stage.
 */
import {
  Kind,
  getNamedType,
  isCompositeType,
  isNonNullType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { DataCategory, MaskKind } from '../../schema/classification.js';
import type { FieldDecision } from '../../consent/policy.js';

export type DeniedDecision = Extract<FieldDecision, { effect: 'denied' }>;

/** Decides a field coordinate (`Type.field`) for the resident a root field reads. */
export type CoordinateDecider = (coordinate: string) => FieldDecision & { category?: DataCategory };

export interface RemovedSelection {
  /** Response keys from the root (aliases applied); lists are expanded when the result is shaped. */
  path: string[];
  coordinate: string;
  decision: DeniedDecision;
  /** When a whole object was removed: what else inside it was missing. */
  alsoMissing?: Array<DeniedDecision['missing']>;
}

/** A leaf field left in the operation, and how it may be released (decrypt-and-mask reads these). */
export interface ReleasedSelection {
  path: string[];
  coordinate: string;
  /** The root response key it lives under (which resident's data it is). */
  rootKey: string;
  effect: 'clear' | 'masked';
  mask?: MaskKind;
}

export interface FilteredOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  removed: RemovedSelection[];
  released: ReleasedSelection[];
  /** Coordinates left in the operation, per root response key (for audit). */
  kept: Map<string, Set<string>>;
  /** True when nothing is left to execute. */
  empty: boolean;
}

const TYPENAME: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

/**
 * Filters `operation`. `deciderFor(rootResponseKey, rootFieldName)` returns the decider for the
 * resident a root field reads, or `undefined` for roots that read no resident's data.
 */
export function filterOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  deciderFor: (rootResponseKey: string, rootFieldName: string) => CoordinateDecider | undefined,
): FilteredOperation {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) throw new Error(`schema has no ${operation.operation} type`);
  const inlined = inlineFragments(operation.selectionSet, fragments, new Set());

  const removed: RemovedSelection[] = [];
  const released: ReleasedSelection[] = [];
  const kept = new Map<string, Set<string>>();
  const rootSelections: SelectionNode[] = [];

  for (const selection of inlined.selections) {
    // Root-level fragments were inlined; a root selection here is a field or an inline fragment on the root type.
    const fields = selection.kind === Kind.FIELD ? [selection] : rootFieldsOf(selection);
    for (const field of fields) {
      const key = field.alias?.value ?? field.name.value;
      const decide = field.name.value.startsWith('__') ? undefined : deciderFor(key, field.name.value);
      if (!decide || !field.selectionSet) {
        rootSelections.push(field);
        continue;
      }
      const fieldType = rootType.getFields()[field.name.value]?.type;
      const namedType = fieldType ? getNamedType(fieldType) : undefined;
      if (!namedType || !isCompositeType(namedType)) {
        rootSelections.push(field);
        continue;
      }
      const coordinates = new Set<string>();
      const walk = filterSelectionSet(schema, field.selectionSet, namedType, [key], decide, removed, released, coordinates);
      if (walk.kind !== 'kept') {
        const [first, ...more] = walk.denials;
        removed.push({ path: [key], coordinate: `${rootType.name}.${field.name.value}`, decision: first!, ...(more.length ? { alsoMissing: more.map((d) => d.missing) } : {}) });
        continue;
      }
      kept.set(key, coordinates);
      rootSelections.push({ ...field, selectionSet: walk.selectionSet });
    }
  }

  const filteredOperation: OperationDefinitionNode = { ...operation, selectionSet: { kind: Kind.SELECTION_SET, selections: rootSelections } };
  return {
    document: { kind: Kind.DOCUMENT, definitions: [filteredOperation] },
    operation: filteredOperation,
    removed,
    released,
    kept,
    empty: rootSelections.length === 0,
  };
}

type Collected = { removed: RemovedSelection[]; released: ReleasedSelection[]; coordinates: Set<string> };

/**
 * kept: the set survives. empty: every field was denied but each could be null (a fragment merges the
 * removals, a field is removed whole). removed: a denied non-null field takes the enclosing object.
 */
type WalkResult =
  | { kind: 'kept'; selectionSet: SelectionSetNode }
  | { kind: 'empty'; denials: DeniedDecision[]; collected: Collected }
  | { kind: 'removed'; denials: DeniedDecision[] };

/**
 * Filters one selection set. Removals and releases are collected locally and handed up only when the
 * set is kept: when a denied non-null field takes its parent with it, every denial found inside is
 * reported at the parent, so the caller learns everything that is missing, not only the first thing.
 */
function filterSelectionSet(
  schema: GraphQLSchema,
  selectionSet: SelectionSetNode,
  parentType: GraphQLCompositeType,
  path: string[],
  decide: CoordinateDecider,
  removed: RemovedSelection[],
  released: ReleasedSelection[],
  coordinates: Set<string>,
): WalkResult {
  const selections: SelectionNode[] = [];
  const local = { removed: [] as RemovedSelection[], released: [] as ReleasedSelection[], coordinates: new Set<string>() };
  const denials: DeniedDecision[] = [];
  let removeThisSet = false;
  const removeChild = (childPath: string[], coordinate: string, found: DeniedDecision[]) => {
    denials.push(...found);
    local.removed.push({ path: childPath, coordinate, decision: found[0]!, ...(found.length > 1 ? { alsoMissing: found.slice(1).map((d) => d.missing) } : {}) });
  };
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const conditionType = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parentType;
      if (!conditionType || !isCompositeType(conditionType)) continue;
      const inner = filterSelectionSet(schema, selection.selectionSet, conditionType, path, decide, local.removed, local.released, local.coordinates);
      if (inner.kind === 'kept') selections.push({ ...selection, selectionSet: inner.selectionSet });
      else if (inner.kind === 'empty') {
        // The fragment disappears; its fields are removed at their own paths.
        denials.push(...inner.denials);
        local.removed.push(...inner.collected.removed);
      } else {
        denials.push(...inner.denials);
        removeThisSet = true;
      }
      continue;
    }
    if (selection.kind !== Kind.FIELD) continue;
    const name = selection.name.value;
    if (name === '__typename') {
      selections.push(selection);
      continue;
    }
    const key = selection.alias?.value ?? name;
    // Interfaces and unions are reached through inline fragments on object types; fields on an
    // abstract parent are decided by their declaring type.
    const fieldDefinition = isObjectType(parentType) || 'getFields' in parentType ? parentType.getFields()[name] : undefined;
    if (!fieldDefinition) continue;
    const coordinate = `${parentType.name}.${name}`;
    const decision = decide(coordinate);
    if (decision.effect === 'denied') {
      // A denied non-null field cannot be null: the nearest nullable ancestor is removed instead.
      if (isNonNullType(fieldDefinition.type)) {
        denials.push(decision);
        removeThisSet = true;
      } else {
        removeChild([...path, key], coordinate, [decision]);
      }
      continue;
    }
    local.coordinates.add(coordinate);
    const namedType = getNamedType(fieldDefinition.type);
    if (!selection.selectionSet) {
      local.released.push({ path: [...path, key], coordinate, rootKey: path[0]!, effect: decision.effect, ...(decision.effect === 'masked' ? { mask: decision.mask } : {}) });
    }
    if (selection.selectionSet && isCompositeType(namedType)) {
      const inner = filterSelectionSet(schema, selection.selectionSet, namedType, [...path, key], decide, local.removed, local.released, local.coordinates);
      if (inner.kind !== 'kept') {
        if (isNonNullType(fieldDefinition.type)) {
          denials.push(...inner.denials);
          removeThisSet = true;
        } else {
          removeChild([...path, key], coordinate, inner.denials);
        }
        continue;
      }
      selections.push({ ...selection, selectionSet: inner.selectionSet });
    } else {
      selections.push(selection);
    }
  }
  const hasField = selections.some((s) => (s.kind === Kind.FIELD && s.name.value !== '__typename') || s.kind === Kind.INLINE_FRAGMENT);
  if (removeThisSet) return { kind: 'removed', denials: distinctDenials(denials) };
  if (!hasField && denials.length > 0) return { kind: 'empty', denials: distinctDenials(denials), collected: local };
  if (!hasField) selections.push(TYPENAME);
  removed.push(...local.removed);
  released.push(...local.released);
  for (const coordinate of local.coordinates) coordinates.add(coordinate);
  return { kind: 'kept', selectionSet: { kind: Kind.SELECTION_SET, selections } };
}

/** One denial per category and need, in the order found. */
function distinctDenials(denials: readonly DeniedDecision[]): DeniedDecision[] {
  const seen = new Set<string>();
  return denials.filter((denial) => {
    const key = `${denial.missing.category}:${denial.missing.need}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Replaces every fragment spread with an equivalent inline fragment (recursively). */
export function inlineFragments(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  visiting: ReadonlySet<string>,
): SelectionSetNode {
  const selections: SelectionNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || visiting.has(fragment.name.value)) continue;
      const inline: InlineFragmentNode = {
        kind: Kind.INLINE_FRAGMENT,
        typeCondition: fragment.typeCondition,
        directives: [...(fragment.directives ?? []), ...(selection.directives ?? [])],
        selectionSet: inlineFragments(fragment.selectionSet, fragments, new Set([...visiting, fragment.name.value])),
      };
      selections.push(inline);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      selections.push({ ...selection, selectionSet: inlineFragments(selection.selectionSet, fragments, visiting) });
    } else if (selection.selectionSet) {
      selections.push({ ...selection, selectionSet: inlineFragments(selection.selectionSet, fragments, visiting) });
    } else {
      selections.push(selection);
    }
  }
  return { kind: Kind.SELECTION_SET, selections };
}

function rootFieldsOf(selection: SelectionNode): FieldNode[] {
  if (selection.kind === Kind.FIELD) return [selection];
  if (selection.kind === Kind.INLINE_FRAGMENT) return selection.selectionSet.selections.flatMap(rootFieldsOf);
  return [];
}

/**
 * Replaces root-field arguments (e.g. an ID-card number by its blind index) in a filtered operation:
 * literals are rewritten in the document, variables get an overriding value.
 */
export function overrideRootArguments(
  filtered: FilteredOperation,
  overrides: ReadonlyMap<string, { name: string; value: string }>,
): { filtered: FilteredOperation; variables: Record<string, string> } {
  const variables: Record<string, string> = {};
  if (overrides.size === 0) return { filtered, variables };
  const selections = filtered.operation.selectionSet.selections.map((selection) => {
    if (selection.kind !== Kind.FIELD) return selection;
    const override = overrides.get(selection.alias?.value ?? selection.name.value);
    if (!override) return selection;
    const args = (selection.arguments ?? []).map((argument) => {
      if (argument.name.value !== override.name) return argument;
      if (argument.value.kind === Kind.VARIABLE) {
        variables[argument.value.name.value] = override.value;
        return argument;
      }
      return { ...argument, value: { kind: Kind.STRING, value: override.value } as const };
    });
    return { ...selection, arguments: args };
  });
  const operation: OperationDefinitionNode = { ...filtered.operation, selectionSet: { kind: Kind.SELECTION_SET, selections } };
  return { filtered: { ...filtered, operation, document: { kind: Kind.DOCUMENT, definitions: [operation] } }, variables };
}
