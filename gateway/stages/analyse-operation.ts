/**
 * Stage 2, analyse: before any work, measure the operation (depth, aliases, fields, root fields) and
 * refuse what is beyond limits; collect every selected field coordinate (`Type.field`, through
 * fragments) and the residents the operation names, for the decision stage.
 */
import {
  GraphQLError,
  Kind,
  TypeInfo,
  getNamedType,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { ERROR_CODES } from '../../schema/errors.js';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxFields: number;
  maxRootFields: number;
}

export const DEFAULT_LIMITS: OperationLimits = { maxDepth: 10, maxAliases: 30, maxFields: 400, maxRootFields: 10 };

export interface RootFieldCall {
  name: string;
  responseKey: string;
  arguments: Record<string, unknown>;
}

export interface OperationAnalysis {
  /** The document as the client sent it. */
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationType: 'query' | 'mutation' | 'subscription';
  rootFields: RootFieldCall[];
  /** Every selected `Type.field` (including inside fragments), introspection excluded. */
  coordinates: Set<string>;
  depth: number;
  aliases: number;
  fields: number;
}

/** Analyses a validated operation; throws QUERY_TOO_COMPLEX beyond limits. */
export function analyseOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: OperationLimits = DEFAULT_LIMITS,
): OperationAnalysis {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const counts = { aliases: 0, fields: 0 };
  const depth = measure(operation.selectionSet, fragments, counts, new Set(), 0);
  const rootFields: RootFieldCall[] = [];
  collectRootFields(operation.selectionSet, fragments, variables, rootFields);

  const tooComplex = (what: string, actual: number, limit: number) =>
    new GraphQLError(`The operation is too complex: ${what} ${actual} exceeds the limit of ${limit}.`, {
      extensions: { code: ERROR_CODES.QUERY_TOO_COMPLEX, http: { status: 400 } },
    });
  if (depth > limits.maxDepth) throw tooComplex('depth', depth, limits.maxDepth);
  if (counts.aliases > limits.maxAliases) throw tooComplex('aliases', counts.aliases, limits.maxAliases);
  if (counts.fields > limits.maxFields) throw tooComplex('fields', counts.fields, limits.maxFields);
  if (rootFields.length > limits.maxRootFields) throw tooComplex('root fields', rootFields.length, limits.maxRootFields);

  const coordinates = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  const reachable = [operation, ...fragments.values()];
  for (const node of reachable) {
    visit(
      node,
      visitWithTypeInfo(typeInfo, {
        Field() {
          const parent = typeInfo.getParentType();
          const field = typeInfo.getFieldDef();
          if (parent && field && !field.name.startsWith('__')) coordinates.add(`${getNamedType(parent).name}.${field.name}`);
        },
      }),
    );
  }
  return {
    document,
    operation,
    operationType: operation.operation,
    rootFields,
    coordinates,
    depth,
    aliases: counts.aliases,
    fields: counts.fields,
  };
}

function measure(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  counts: { aliases: number; fields: number },
  visiting: Set<string>,
  depth: number,
): number {
  let deepest = depth;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      counts.fields += 1;
      if (selection.alias) counts.aliases += 1;
      if (selection.selectionSet) deepest = Math.max(deepest, measure(selection.selectionSet, fragments, counts, visiting, depth + 1));
      else deepest = Math.max(deepest, depth + 1);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, measure(selection.selectionSet, fragments, counts, visiting, depth));
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      // A fragment cycle is a validation error already; never loop on it.
      if (!fragment || visiting.has(name)) continue;
      visiting.add(name);
      deepest = Math.max(deepest, measure(fragment.selectionSet, fragments, counts, visiting, depth));
      visiting.delete(name);
    }
  }
  return deepest;
}

function collectRootFields(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  into: RootFieldCall[],
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      const args: Record<string, unknown> = {};
      for (const argument of selection.arguments ?? []) args[argument.name.value] = valueFromASTUntyped(argument.value, variables);
      into.push({ name: selection.name.value, responseKey: selection.alias?.value ?? selection.name.value, arguments: args });
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collectRootFields(selection.selectionSet, fragments, variables, into);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (fragment) collectRootFields(fragment.selectionSet, fragments, variables, into);
    }
  }
}
