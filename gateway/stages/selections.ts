/**
 * How every stage reads an operation's selections, so that analysis, the filter and protect-writes
 * agree on exactly what will execute: fragments by name, and whether a selection is included
 * (`@skip` / `@include` with literals or the request's coerced variables), decided as graphql-js's
 * own execution does (collectFields' shouldIncludeNode), at every level, the root included.
 */
import {
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getDirectiveValues,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { ERROR_CODES } from '../../schema/errors.js';

/** Variable values coerced to their declared types (defaults applied), as execution sees them. */
export type VariableValues = Readonly<Record<string, unknown>>;

export type FragmentMap = ReadonlyMap<string, FragmentDefinitionNode>;

/** Counts the selections a stage visits: tests check it grows with the document, not its expansion. */
export interface WorkCounter {
  selections: number;
}

/** The document's fragment definitions by name. */
export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/** A client mistake in the request's values: HTTP 400 with `BAD_USER_INPUT`. */
export function badUserInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ERROR_CODES.BAD_USER_INPUT, http: { status: 400 } } });
}

/** Whether `selection` executes: false when `@skip(if: true)` or `@include(if: false)`. */
export function isIncluded(selection: SelectionNode, variableValues: VariableValues): boolean {
  if (!selection.directives?.length) return true;
  try {
    if (getDirectiveValues(GraphQLSkipDirective, selection, variableValues)?.['if'] === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, selection, variableValues)?.['if'] !== false;
  } catch (error) {
    // `if: $v` with `$v` null: execution refuses the request for the same reason.
    if (error instanceof GraphQLError) throw badUserInput(error.message);
    throw error;
  }
}

/** The selections of `selectionSet` that execute, in document order (the set's own array when all do). */
export function includedSelections(selectionSet: SelectionSetNode, variableValues: VariableValues): readonly SelectionNode[] {
  const { selections } = selectionSet;
  return selections.every((selection) => isIncluded(selection, variableValues)) ? selections : selections.filter((selection) => isIncluded(selection, variableValues));
}

/** Pushes `items` onto a work stack so that they pop in document order (no spread: sets can be huge). */
export function pushInOrder<Item>(stack: Item[], items: readonly Item[]): void {
  for (let index = items.length - 1; index >= 0; index--) stack.push(items[index]!);
}

/** A selection's directives without `@skip` / `@include`: once decided, they say nothing more. */
export function otherDirectives(selection: SelectionNode): readonly DirectiveNode[] | undefined {
  const directives = selection.directives?.filter((d) => d.name.value !== GraphQLSkipDirective.name && d.name.value !== GraphQLIncludeDirective.name);
  return directives?.length ? directives : undefined;
}

/**
 * The root fields that execute, in document order, through inline fragments and fragment spreads
 * (introspection fields included). Iterative, so a long chain of fragments cannot exhaust the stack;
 * `skipFragment` lets the caller prune fragments known to hold no root field.
 */
export function rootFieldNodes(
  operation: OperationDefinitionNode,
  fragments: FragmentMap,
  variableValues: VariableValues,
  skipFragment: (name: string) => boolean = () => false,
): FieldNode[] {
  const fields: FieldNode[] = [];
  const pending: SelectionNode[] = [];
  pushInOrder(pending, includedSelections(operation.selectionSet, variableValues));
  for (let selection = pending.pop(); selection; selection = pending.pop()) {
    if (selection.kind === Kind.FIELD) {
      fields.push(selection);
      continue;
    }
    const selectionSet = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : skipFragment(selection.name.value) ? undefined : fragments.get(selection.name.value)?.selectionSet;
    if (selectionSet) pushInOrder(pending, includedSelections(selectionSet, variableValues));
  }
  return fields;
}
