/**
 * The selections that execute under a selection set, with every fragment that always applies merged
 * into its parent (as graphql-js's collectFields does) and only type-narrowing fragments left as
 * fragments. Memoised per selection set and parent type, fragments first in dependency order, so
 * a fragment spread a thousand times, or a chain of a thousand fragments, is collected once.
 */
import {
  Kind,
  isAbstractType,
  isCompositeType,
  isObjectType,
  type DirectiveNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { includedSelections, otherDirectives, pushInOrder, type FragmentMap, type VariableValues, type WorkCounter } from './selections.js';

export type CollectedSelection =
  /** A field that executes, without its `@skip` / `@include`. */
  | { kind: 'field'; node: FieldNode }
  /** A fragment that applies only to some of the parent's possible types. */
  | { kind: 'fragment'; type: GraphQLCompositeType; directives: readonly DirectiveNode[] | undefined; selections: readonly CollectedSelection[] };

export class FieldCollector {
  private readonly collected = new Map<SelectionSetNode, Map<string, readonly CollectedSelection[]>>();

  /**
   * `fragments` in dependency order (as analysis returns them): collecting never recurses along a
   * chain. `work` counts the selections visited (it grows with the document, not its expansion).
   */
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: FragmentMap,
    private readonly variableValues: VariableValues,
    private readonly work: WorkCounter = { selections: 0 },
  ) {
    for (const fragment of fragments.values()) {
      const type = schema.getType(fragment.typeCondition.name.value);
      if (isCompositeType(type)) this.collect(fragment.selectionSet, type);
    }
  }

  /** What executes under `selectionSet` in a `parentType` parent. */
  collect(selectionSet: SelectionSetNode, parentType: GraphQLCompositeType): readonly CollectedSelection[] {
    const memo = this.collected.get(selectionSet)?.get(parentType.name);
    if (memo) return memo;
    // Runs of the set's own selections and whole (shared, never copied) lists of merged fragments.
    const runs: Array<readonly CollectedSelection[]> = [];
    let own: CollectedSelection[] = [];
    const pending: SelectionNode[] = [];
    pushInOrder(pending, includedSelections(selectionSet, this.variableValues));
    for (let selection = pending.pop(); selection; selection = pending.pop()) {
      this.work.selections += 1;
      if (selection.kind === Kind.FIELD) {
        own.push({ kind: 'field', node: { ...selection, directives: otherDirectives(selection) } });
        continue;
      }
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? this.fragments.get(selection.name.value) : undefined;
      if (selection.kind === Kind.FRAGMENT_SPREAD && !fragment) continue;
      const condition = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition : fragment!.typeCondition;
      const type = condition ? this.schema.getType(condition.name.value) : parentType;
      if (!isCompositeType(type)) continue;
      const applies = fragmentApplies(this.schema, type, parentType);
      // In an object type's selections, a fragment on another type never executes.
      if (!applies && isObjectType(parentType)) continue;
      if (applies && selection.kind === Kind.INLINE_FRAGMENT) {
        pushInOrder(pending, includedSelections(selection.selectionSet, this.variableValues));
        continue;
      }
      const selections = this.collect(selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragment!.selectionSet, type);
      if (selections.length === 0) continue;
      if (applies) {
        if (own.length > 0) runs.push(own);
        own = [];
        runs.push(selections);
      } else {
        own.push({ kind: 'fragment', type, directives: otherDirectives(selection), selections });
      }
    }
    if (own.length > 0) runs.push(own);
    const result = runs.length === 1 ? runs[0]! : runs.flat();
    let byType = this.collected.get(selectionSet);
    if (!byType) this.collected.set(selectionSet, (byType = new Map()));
    byType.set(parentType.name, result);
    return result;
  }
}

/**
 * `selections` as they execute under an actual `parentType` (more specific, perhaps, than the one
 * they were collected under): fragments that apply are merged in, those that cannot are left out.
 */
export function selectionsUnder(schema: GraphQLSchema, selections: readonly CollectedSelection[], parentType: GraphQLCompositeType): CollectedSelection[] {
  const result: CollectedSelection[] = [];
  const pending: CollectedSelection[] = [];
  pushInOrder(pending, selections);
  for (let selection = pending.pop(); selection; selection = pending.pop()) {
    if (selection.kind === 'field') result.push(selection);
    else if (fragmentApplies(schema, selection.type, parentType)) pushInOrder(pending, selection.selections);
    else if (!isObjectType(parentType)) result.push(selection);
  }
  return result;
}

/** Whether a fragment on `condition` applies to every object a `parentType` value can be. */
function fragmentApplies(schema: GraphQLSchema, condition: GraphQLCompositeType, parentType: GraphQLCompositeType): boolean {
  if (condition === parentType) return true;
  if (!isAbstractType(condition)) return false;
  if (isObjectType(parentType)) return schema.isSubType(condition, parentType);
  return schema.getPossibleTypes(parentType).every((possible) => schema.isSubType(condition, possible));
}
