/**
 * Stage 4b, filter: removes every selection the decision denies before the gateway plans the
 * operation, so no subgraph is ever asked for a denied field (filter mode, as the Apollo Router's
 * authorisation directives do). Fragments are merged in first (collect-fields.ts), so aliases and
 * fragments cannot carry a denied field past the filter, and only what executes is decided on:
 * `@skip` / `@include` were decided by analysis, whose limits bound everything done here (this stage
 * needs its result, so it never sees an operation analysis refused). Each removal is recorded with
 * its response path, so the result can carry `null` and an error there; masked fields are recorded
 * for the decrypt-and-mask stage.
 */
import {
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type InlineFragmentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import type { DataCategory, MaskKind } from '../../schema/classification.js';
import type { FieldDecision } from '../../consent/policy.js';
import { tooComplex, type OperationAnalysis } from './analyse-operation.js';
import { FieldCollector, selectionsUnder, type CollectedSelection } from './collect-fields.js';
import type { WorkCounter } from './selections.js';

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
  /** One per response path and coordinate (a field selected twice is removed once). */
  removed: RemovedSelection[];
  /** One per response path and coordinate (a field selected twice is released, and decrypted, once). */
  released: ReleasedSelection[];
  /** Coordinates left in the operation, per root response key (for audit). */
  kept: Map<string, Set<string>>;
  /** True when nothing is left to execute. */
  empty: boolean;
}

/** What the filter needs from analysis: the operation, its reachable fragments, variables and limits. */
export type AnalysedOperation = Pick<OperationAnalysis, 'operation' | 'fragments' | 'variableValues' | 'limits'>;

const TYPENAME: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

/**
 * Filters the analysed operation. `deciderFor(rootResponseKey, rootFieldName)` returns the decider
 * for the resident a root field reads, or `undefined` for roots that read no resident's data.
 */
export function filterOperation(
  schema: GraphQLSchema,
  analysis: AnalysedOperation,
  deciderFor: (rootResponseKey: string, rootFieldName: string) => CoordinateDecider | undefined,
  work?: WorkCounter,
): FilteredOperation {
  const { operation } = analysis;
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) throw new Error(`schema has no ${operation.operation} type`);
  const walk = new FilterWalk(schema, new FieldCollector(schema, analysis.fragments, analysis.variableValues, work), analysis.limits);

  const removed: RemovedSelection[] = [];
  const released: ReleasedSelection[] = [];
  const kept = new Map<string, Set<string>>();
  const rootSelections: SelectionNode[] = [];

  // The root is an object type: every fragment on it was merged in, so only fields are left.
  for (const selection of selectionsUnder(schema, walk.collector.collect(operation.selectionSet, rootType), rootType)) {
    if (selection.kind !== 'field') continue;
    const field = selection.node;
    walk.countField();
    const key = field.alias?.value ?? field.name.value;
    const namedType = getNamedType(fieldDefinition(schema, rootType, field.name.value)?.type);
    if (!field.selectionSet || !isCompositeType(namedType)) {
      rootSelections.push(field);
      continue;
    }
    const decide = field.name.value.startsWith('__') ? undefined : deciderFor(key, field.name.value);
    if (!decide) {
      rootSelections.push({ ...field, selectionSet: walk.unfiltered(field.selectionSet, namedType) });
      continue;
    }
    const coordinates = new Set<string>();
    const result = walk.filter(field.selectionSet, namedType, [key], decide, removed, released, coordinates);
    if (result.kind !== 'kept') {
      const [first, ...more] = result.denials;
      removed.push({ path: [key], coordinate: `${rootType.name}.${field.name.value}`, decision: first!, ...(more.length ? { alsoMissing: more.map((d) => d.missing) } : {}) });
      continue;
    }
    // The same response key twice (fields merge when executed): audit both selections' coordinates.
    const keptUnderKey = kept.get(key) ?? new Set<string>();
    for (const coordinate of coordinates) keptUnderKey.add(coordinate);
    kept.set(key, keptUnderKey);
    rootSelections.push({ ...field, selectionSet: result.selectionSet });
  }

  const filteredOperation: OperationDefinitionNode = { ...operation, selectionSet: { kind: Kind.SELECTION_SET, selections: rootSelections } };
  return {
    document: { kind: Kind.DOCUMENT, definitions: [filteredOperation] },
    operation: filteredOperation,
    removed: onePerPath(removed),
    released: onePerPath(released),
    kept,
    empty: rootSelections.length === 0,
  };
}

/** Filtered documents kept by their text: how many different ones (shapes of decision × documents). */
const FILTERED_DOCUMENTS_KEPT = 1000;

/**
 * One document object per filtered text. The runtime caches query plans per document object, so the
 * same filtered text (the same document decided the same way) is planned once, never once per request;
 * a different decision gives a different text, hence its own plan.
 */
export function filteredDocumentInterner(): (document: DocumentNode) => DocumentNode {
  const documents = new LRUCache<string, DocumentNode>({ max: FILTERED_DOCUMENTS_KEPT });
  return (document) => {
    const text = print(document);
    const kept = documents.get(text);
    if (kept) return kept;
    documents.set(text, document);
    return document;
  };
}

/** Decision shapes remembered per document (each a filtered operation). */
const SHAPES_PER_DOCUMENT = 64;

/**
 * Filtered operations by document and decision shape. The filter is a pure function of the document,
 * the operation chosen, the values of the variables its `@include`/`@skip` read, and the decider of
 * each root; a root's decider is fixed by its policy shape (decide.ts: `shapeKey`, '' for roots that
 * read no resident). So a request of a shape already seen gets that filtered operation, its document
 * already interned (hence already planned), without walking or printing anything: cached per shape,
 * never per resident (DESIGN §12). Nothing downstream changes a filtered operation.
 */
export function filteredOperationCache(intern: (document: DocumentNode) => DocumentNode) {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, LRUCache<string, FilteredOperation>>>();
  return (schema: GraphQLSchema, analysis: OperationAnalysis, rootShapes: readonly string[], filter: () => FilteredOperation): FilteredOperation => {
    let byDocument = bySchema.get(schema);
    if (!byDocument) bySchema.set(schema, (byDocument = new WeakMap()));
    let shapes = byDocument.get(analysis.document);
    if (!shapes) byDocument.set(analysis.document, (shapes = new LRUCache({ max: SHAPES_PER_DOCUMENT })));
    const included = directiveVariablesOf(analysis.document).map((name) => analysis.variableValues[name] ?? null);
    const key = JSON.stringify([analysis.operation.name?.value ?? null, analysis.operation.loc?.start ?? null, included, rootShapes]);
    let filtered = shapes.get(key);
    if (!filtered) {
      const fresh = filter();
      const document = intern(fresh.document);
      filtered = { ...fresh, document, operation: document.definitions[0] as OperationDefinitionNode };
      shapes.set(key, filtered);
    }
    return filtered;
  };
}

const directiveVariables = new WeakMap<DocumentNode, string[]>();

/** The variables any directive of the document reads (`@include(if: $x)`), sorted. */
function directiveVariablesOf(document: DocumentNode): string[] {
  let names = directiveVariables.get(document);
  if (!names) {
    const found = new Set<string>();
    visit(document, {
      Directive(directive) {
        visit(directive, { Variable: (variable) => void found.add(variable.name.value) });
        return false;
      },
    });
    names = [...found].sort();
    directiveVariables.set(document, names);
  }
  return names;
}

/** Execution merges fields of one response key: one entry per path and coordinate, the first found. */
function onePerPath<Entry extends { path: string[]; coordinate: string }>(entries: readonly Entry[]): Entry[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = JSON.stringify([entry.path, entry.coordinate]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
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

/** Filters selection sets; counts the fields it keeps or removes against the field limit. */
class FilterWalk {
  private fields = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    readonly collector: FieldCollector,
    private readonly limits: AnalysedOperation['limits'],
  ) {}

  /** Analysis counted every field that executes; a walk past that count means it was bypassed. */
  countField(): void {
    this.fields += 1;
    if (this.fields > this.limits.maxFields) throw tooComplex('maxFields', this.limits);
  }

  /** What executes under `selectionSet` as one self-contained selection set (no fragment spreads left). */
  unfiltered(selectionSet: SelectionSetNode, parentType: GraphQLCompositeType): SelectionSetNode {
    return this.unfilteredSet(this.collector.collect(selectionSet, parentType), parentType);
  }

  private unfilteredSet(collected: readonly CollectedSelection[], parentType: GraphQLCompositeType): SelectionSetNode {
    const selections = selectionsUnder(this.schema, collected, parentType).map((selection): SelectionNode => {
      if (selection.kind === 'fragment') return narrowing(selection, this.unfilteredSet(selection.selections, selection.type));
      this.countField();
      const field = selection.node;
      const namedType = fieldDefinition(this.schema, parentType, field.name.value)?.type;
      const composite = namedType ? getNamedType(namedType) : undefined;
      return field.selectionSet && isCompositeType(composite) ? { ...field, selectionSet: this.unfiltered(field.selectionSet, composite) } : field;
    });
    return { kind: Kind.SELECTION_SET, selections };
  }

  /**
   * Filters one selection set. Removals and releases are collected locally and handed up only when
   * the set is kept: when a denied non-null field takes its parent with it, every denial found inside
   * is reported at the parent, so the caller learns everything that is missing, not only the first.
   */
  filter(
    selectionSet: SelectionSetNode,
    parentType: GraphQLCompositeType,
    path: string[],
    decide: CoordinateDecider,
    removed: RemovedSelection[],
    released: ReleasedSelection[],
    coordinates: Set<string>,
  ): WalkResult {
    return this.filterCollected(this.collector.collect(selectionSet, parentType), parentType, path, decide, removed, released, coordinates);
  }

  private filterCollected(
    collected: readonly CollectedSelection[],
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
    for (const selection of selectionsUnder(this.schema, collected, parentType)) {
      if (selection.kind === 'fragment') {
        // Only a fragment narrowing an interface or union to some of its types is left here.
        const inner = this.filterCollected(selection.selections, selection.type, path, decide, local.removed, local.released, local.coordinates);
        if (inner.kind === 'kept') selections.push(narrowing(selection, inner.selectionSet));
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
      this.countField();
      const field = selection.node;
      const name = field.name.value;
      if (name === '__typename') {
        selections.push(field);
        continue;
      }
      const key = field.alias?.value ?? name;
      // Interfaces and unions are reached through inline fragments on object types; fields on an
      // abstract parent are decided by their declaring type.
      const definition = fieldDefinition(this.schema, parentType, name);
      if (!definition) continue;
      const coordinate = `${parentType.name}.${name}`;
      const decision = decide(coordinate);
      if (decision.effect === 'denied') {
        // A denied non-null field cannot be null: the nearest nullable ancestor is removed instead.
        if (isNonNullType(definition.type)) {
          denials.push(decision);
          removeThisSet = true;
        } else {
          removeChild([...path, key], coordinate, [decision]);
        }
        continue;
      }
      local.coordinates.add(coordinate);
      const namedType = getNamedType(definition.type);
      if (!field.selectionSet) {
        local.released.push({ path: [...path, key], coordinate, rootKey: path[0]!, effect: decision.effect, ...(decision.effect === 'masked' ? { mask: decision.mask } : {}) });
      }
      if (field.selectionSet && isCompositeType(namedType)) {
        const inner = this.filter(field.selectionSet, namedType, [...path, key], decide, local.removed, local.released, local.coordinates);
        if (inner.kind !== 'kept') {
          if (isNonNullType(definition.type)) {
            denials.push(...inner.denials);
            removeThisSet = true;
          } else {
            removeChild([...path, key], coordinate, inner.denials);
          }
          continue;
        }
        selections.push({ ...field, selectionSet: inner.selectionSet });
      } else {
        selections.push(field);
      }
    }
    const hasField = selections.some((s) => (s.kind === Kind.FIELD && s.name.value !== '__typename') || s.kind === Kind.INLINE_FRAGMENT);
    if (removeThisSet) return { kind: 'removed', denials: distinctDenials(denials) };
    if (!hasField && denials.length > 0) return { kind: 'empty', denials: distinctDenials(denials), collected: local };
    if (selections.length === 0) selections.push(TYPENAME);
    removed.push(...local.removed);
    released.push(...local.released);
    for (const coordinate of local.coordinates) coordinates.add(coordinate);
    return { kind: 'kept', selectionSet: { kind: Kind.SELECTION_SET, selections } };
  }
}

/** The inline fragment a narrowing fragment becomes in the filtered operation. */
function narrowing(fragment: Extract<CollectedSelection, { kind: 'fragment' }>, selectionSet: SelectionSetNode): InlineFragmentNode {
  return {
    kind: Kind.INLINE_FRAGMENT,
    typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: fragment.type.name } },
    ...(fragment.directives ? { directives: fragment.directives } : {}),
    selectionSet,
  };
}

/** A field's definition on its parent, introspection's meta fields included. */
function fieldDefinition(schema: GraphQLSchema, parentType: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (parentType === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  return isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[name] : undefined;
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
