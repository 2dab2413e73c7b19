/**
 * Stage 2, analyse: before any work, measure the operation (depth, aliases, fields, root fields) and
 * refuse what is beyond limits; collect every selected field coordinate (`Type.field`, through
 * fragments) and the residents the operation names, for the decision stage. Only what executes is
 * measured and collected: `@skip` / `@include` are decided here with the request's variables.
 *
 * Linear in the document: each fragment is measured once, after the fragments it spreads, and a
 * spread counts as its fragment's totals, so a fragment bomb is refused at the first selection that
 * takes a fragment over a limit instead of being expanded.
 */
import {
  GraphQLError,
  Kind,
  getArgumentValues,
  getNamedType,
  getVariableValues,
  isInterfaceType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { ERROR_CODES } from '../../schema/errors.js';
import { badUserInput, fragmentsOf, includedSelections, rootFieldNodes, type FragmentMap, type VariableValues, type WorkCounter } from './selections.js';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxFields: number;
  maxRootFields: number;
  /**
   * The parser's limit (Apollo Server's parseOptions), before validation: graphql-js's validation
   * is neither linear nor iterative (a chain of thousands of fragments overflows its stack).
   */
  maxTokens: number;
}

export const DEFAULT_LIMITS: OperationLimits = { maxDepth: 10, maxAliases: 30, maxFields: 400, maxRootFields: 10, maxTokens: 15_000 };

export interface RootFieldCall {
  name: string;
  responseKey: string;
  /** The arguments as execution sees them: coerced, variables and defaults applied. */
  arguments: Record<string, unknown>;
  node: FieldNode;
}

export interface OperationAnalysis {
  /** The document as the client sent it. */
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationType: 'query' | 'mutation' | 'subscription';
  /** The request's variables coerced to their declared types (defaults applied). */
  variableValues: VariableValues;
  limits: OperationLimits;
  /** The fragments reached through included spreads, each after every fragment it spreads. */
  fragments: FragmentMap;
  /** The root fields that execute, one per response key (introspection excluded). */
  rootFields: RootFieldCall[];
  /** Every `Type.field` that executes (including inside fragments), introspection excluded. */
  coordinates: Set<string>;
  depth: number;
  aliases: number;
  fields: number;
}

export type { WorkCounter } from './selections.js';

/** Analyses a validated operation; throws QUERY_TOO_COMPLEX beyond limits, BAD_USER_INPUT for bad variables. */
export function analyseOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: OperationLimits = DEFAULT_LIMITS,
  work: WorkCounter = { selections: 0 },
): OperationAnalysis {
  const variableValues = coerceVariables(schema, operation, variables);
  const definitions = fragmentsOf(document);
  const measurer = new Measurer(schema, definitions, variableValues, limits, work);
  const fragments = measurer.measureFragments(operation);
  const rootType = schema.getRootType(operation.operation);
  const measure = measurer.measure(operation.selectionSet, rootType ?? undefined);
  refuseBeyondLimits(measure, limits, { asRoot: true });

  const holdsNoRootField = (name: string) => {
    work.selections += 1;
    return measurer.fragmentMeasure(name).rootFields === 0;
  };
  // One call per response key: fields selected twice under one key (validation made them the same
  // field with the same arguments) are merged and run once.
  const rootFields = new Map<string, RootFieldCall>();
  for (const node of rootFieldNodes(operation, fragments, variableValues, holdsNoRootField)) {
    const responseKey = node.alias?.value ?? node.name.value;
    if (node.name.value.startsWith('__') || rootFields.has(responseKey)) continue;
    rootFields.set(responseKey, { name: node.name.value, responseKey, arguments: argumentsOf(rootType?.getFields()[node.name.value], node, variableValues), node });
  }
  return {
    document,
    operation,
    operationType: operation.operation,
    variableValues,
    limits,
    fragments,
    rootFields: [...rootFields.values()],
    coordinates: measurer.coordinates,
    depth: measure.depth,
    aliases: measure.aliases,
    fields: measure.fields,
  };
}

/** The refusal for an operation beyond `limit` (one of the OperationLimits). */
export function tooComplex(limit: keyof OperationLimits, limits: OperationLimits): GraphQLError {
  const what: Record<keyof OperationLimits, string> = { maxDepth: 'levels of nesting', maxAliases: 'aliases', maxFields: 'fields', maxRootFields: 'root fields', maxTokens: 'tokens' };
  return new GraphQLError(`The operation is too complex: it has more than ${limits[limit]} ${what[limit]}.`, {
    extensions: { code: ERROR_CODES.QUERY_TOO_COMPLEX, limit, http: { status: 400 } },
  });
}

interface Measure {
  depth: number;
  fields: number;
  aliases: number;
  /** Fields at the top of the set (through fragments), introspection excluded: root fields when it is the root. */
  rootFields: number;
}

const NOTHING: Measure = { depth: 0, fields: 0, aliases: 0, rootFields: 0 };

/** Measures selection sets, refusing at the first selection past a limit. */
class Measurer {
  readonly coordinates = new Set<string>();
  private readonly measured = new Map<string, Measure>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly definitions: FragmentMap,
    private readonly variableValues: VariableValues,
    private readonly limits: OperationLimits,
    private readonly work: WorkCounter,
  ) {}

  /**
   * Measures every fragment `operation` reaches through included spreads, dependencies first, and
   * returns them in that order. Throws at the first selection that takes a fragment past a limit.
   */
  measureFragments(operation: OperationDefinitionNode): Map<string, FragmentDefinitionNode> {
    const ordered = new Map<string, FragmentDefinitionNode>();
    const spreadsOf = new Map<string, string[]>();
    const onPath = new Set<string>();
    // Iterative depth-first search: a chain of thousands of fragments must not exhaust the stack.
    const stack: Array<{ name: string; next: number }> = [];
    const enter = (name: string) => {
      if (ordered.has(name) || !this.definitions.has(name)) return;
      // Validation refuses fragment cycles; were one to get here, its expansion would be infinite.
      if (onPath.has(name)) throw tooComplex('maxFields', this.limits);
      onPath.add(name);
      spreadsOf.set(name, this.spreadsIn(this.definitions.get(name)!.selectionSet));
      stack.push({ name, next: 0 });
    };
    for (const name of this.spreadsIn(operation.selectionSet)) {
      enter(name);
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const children = spreadsOf.get(top.name)!;
        if (top.next < children.length) {
          enter(children[top.next++]!);
          continue;
        }
        stack.pop();
        onPath.delete(top.name);
        const fragment = this.definitions.get(top.name)!;
        this.measured.set(top.name, this.measure(fragment.selectionSet, this.schema.getType(fragment.typeCondition.name.value) ?? undefined));
        ordered.set(top.name, fragment);
      }
    }
    return ordered;
  }

  fragmentMeasure(name: string): Measure {
    return this.measured.get(name) ?? NOTHING;
  }

  /**
   * Measures one selection set whose spreads are already measured; records its own coordinates
   * (a spread's were recorded when its fragment was measured).
   */
  measure(selectionSet: SelectionSetNode, parentType: GraphQLNamedType | undefined): Measure {
    let depth = 0;
    let fields = 0;
    let aliases = 0;
    let rootFields = 0;
    for (const selection of includedSelections(selectionSet, this.variableValues)) {
      this.work.selections += 1;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const definition = isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[name] : undefined;
        if (definition && !name.startsWith('__')) this.coordinates.add(`${parentType!.name}.${name}`);
        const inner = selection.selectionSet ? this.measure(selection.selectionSet, definition ? getNamedType(definition.type) : undefined) : NOTHING;
        depth = Math.max(depth, inner.depth + 1);
        fields = fields + 1 + inner.fields;
        aliases = aliases + (selection.alias ? 1 : 0) + inner.aliases;
        if (!name.startsWith('__')) rootFields += 1;
      } else {
        const inner =
          selection.kind === Kind.INLINE_FRAGMENT
            ? this.measure(selection.selectionSet, selection.typeCondition ? (this.schema.getType(selection.typeCondition.name.value) ?? undefined) : parentType)
            : this.fragmentMeasure(selection.name.value);
        depth = Math.max(depth, inner.depth);
        fields += inner.fields;
        aliases += inner.aliases;
        rootFields += inner.rootFields;
      }
      // Counts only grow, and a set's counts are part of every count that includes it: the first
      // selection past a limit is enough to refuse, so an exploding document is never counted out.
      refuseBeyondLimits({ depth, fields, aliases, rootFields }, this.limits, { asRoot: false });
      // Root fields count only where the set is the root: saturate, refused (or not) there.
      rootFields = Math.min(rootFields, this.limits.maxRootFields + 1);
    }
    return { depth, fields, aliases, rootFields };
  }

  /** The fragments a selection set spreads (at any nesting), through included selections only. */
  private spreadsIn(selectionSet: SelectionSetNode): string[] {
    const names: string[] = [];
    const pending = [selectionSet];
    for (let set = pending.pop(); set; set = pending.pop()) {
      for (const selection of includedSelections(set, this.variableValues)) {
        this.work.selections += 1;
        if (selection.kind === Kind.FRAGMENT_SPREAD) names.push(selection.name.value);
        else if (selection.selectionSet) pending.push(selection.selectionSet);
      }
    }
    return names;
  }
}

/** `asRoot: false` for a fragment: its top-level fields are root fields only where it is spread at the root. */
function refuseBeyondLimits(measure: Measure, limits: OperationLimits, { asRoot }: { asRoot: boolean }): void {
  if (measure.depth > limits.maxDepth) throw tooComplex('maxDepth', limits);
  if (measure.aliases > limits.maxAliases) throw tooComplex('maxAliases', limits);
  if (measure.fields > limits.maxFields) throw tooComplex('maxFields', limits);
  if (asRoot && measure.rootFields > limits.maxRootFields) throw tooComplex('maxRootFields', limits);
}

type Coercion = ReturnType<typeof getVariableValues>;

/**
 * One coercion per request: check-operation and analyse both need the variables coerced, and a feed
 * batch's variables are hundreds of records, so the result is kept for the request's variables object.
 */
const coercions = new WeakMap<object, { schema: GraphQLSchema; operation: OperationDefinitionNode; result: Coercion }>();

function coercion(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>): Coercion {
  const kept = coercions.get(variables);
  if (kept && kept.schema === schema && kept.operation === operation) return kept.result;
  const result = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 1, hideSuggestions: true });
  coercions.set(variables, { schema, operation, result });
  return result;
}

/** The variables as execution will coerce them, or undefined when one does not fit its type. */
export function coercedVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>): VariableValues | undefined {
  return coercion(schema, operation, variables).coerced;
}

/** The variables as execution will coerce them; a value of the wrong type is the client's mistake. */
function coerceVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Record<string, unknown>): VariableValues {
  const result = coercion(schema, operation, variables);
  if (result.coerced) return result.coerced;
  throw badUserInput(withoutValues(result.errors[0]?.message ?? 'Invalid variables.'));
}

/**
 * graphql-js quotes the offending value in some messages (`got invalid value "…"`), and a value may
 * be an identifier: keep the variable's name and the rule, never the value.
 */
function withoutValues(message: string): string {
  const variable = /^Variable "\$([^"]+)"/.exec(message)?.[1];
  if (!variable) return 'A variable has an invalid value.';
  if (/^Variable "\$[^"]+" (of required type "[^"]+" was not provided|of non-null type "[^"]+" must not be null)\.$/.test(message)) return message;
  const rule = /; (Field "[^"]+" (of required type "[^"]+" was not provided|is not defined by type "[^"]+")\.)/.exec(message)?.[1];
  return `Variable "$${variable}" got an invalid value${rule ? `: ${rule}` : '.'}`;
}

function argumentsOf(definition: Parameters<typeof getArgumentValues>[0] | undefined, node: FieldNode, variableValues: VariableValues): Record<string, unknown> {
  if (!definition) return {};
  try {
    return getArgumentValues(definition, node, variableValues as Record<string, unknown>);
  } catch (error) {
    // A variable given null for a required argument: execution would refuse it the same way.
    if (error instanceof GraphQLError) throw badUserInput(error.message.includes('has invalid value') ? `Argument of ${node.name.value} has an invalid value.` : error.message);
    throw error;
  }
}
