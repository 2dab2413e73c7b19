/**
 * Stage 7a, shape the result: every selection the filter removed comes back as `null` at its original
 * path (through lists, under aliases), with an error there whose `extensions.code` says why and what
 * is missing. Paths are walked over the actual data, so nothing is said about rows that do not exist.
 */
import { GraphQLError } from 'graphql';
import type { RemovedSelection } from './filter-operation.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Calls `visit` with the parent object and concrete path of every value at `path` in `data`. */
export function forEachAtPath(
  data: Record<string, Json>,
  path: readonly string[],
  visit: (parent: { [key: string]: Json }, key: string, concretePath: Array<string | number>) => void,
): void {
  const walk = (node: Json | undefined, depth: number, concrete: Array<string | number>): void => {
    if (node === null || node === undefined) return;
    if (Array.isArray(node)) {
      node.forEach((item, index) => walk(item, depth, [...concrete, index]));
      return;
    }
    if (typeof node !== 'object') return;
    const key = path[depth]!;
    if (depth === path.length - 1) {
      visit(node, key, [...concrete, key]);
      return;
    }
    walk(node[key], depth + 1, [...concrete, key]);
  };
  walk(data, 0, []);
}

/** Sets every removed selection to null and returns one error per concrete path. */
export function nullRemovedSelections(data: Record<string, unknown>, removed: readonly RemovedSelection[]): GraphQLError[] {
  const errors: GraphQLError[] = [];
  for (const selection of removed) {
    forEachAtPath(data as Record<string, Json>, selection.path, (parent, key, concretePath) => {
      parent[key] = null;
      const also = selection.alsoMissing ?? [];
      const message = also.length
        ? `${selection.decision.reason} Also missing: ${also.map((m) => `${m.category} (${m.need})`).join(', ')}.`
        : selection.decision.reason;
      errors.push(
        new GraphQLError(message, {
          path: concretePath,
          extensions: { code: selection.decision.code, missing: selection.decision.missing, ...(also.length ? { alsoMissing: also } : {}) },
        }),
      );
    });
  }
  return errors;
}

/** Counts the objects returned under a root response key (the rows an audit entry reports). */
export function countObjects(node: unknown): number {
  if (node === null || typeof node !== 'object') return 0;
  if (Array.isArray(node)) return node.reduce((sum: number, item) => sum + countObjects(item), 0);
  return 1 + Object.values(node).reduce((sum: number, value) => sum + countObjects(value), 0);
}
