/**
 * Row filters from the signed context (defence in depth): whatever the gateway decided, a subgraph never
 * returns a row of another resident, of a category or level the context does not allow, or of another
 * institution when the context is limited to one.
 */
import { and, eq, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { DataCategory } from '../../schema/classification.js';
import type { GatewayContextClaims } from '../../schema/context.js';

/** The columns a resident-keyed table exposes to the filter. */
export interface ResidentRowColumns {
  residentId: AnyPgColumn;
  level?: AnyPgColumn;
  institutionId?: AnyPgColumn;
}

/** Nothing matches: the deny-by-default filter. */
export const NO_ROWS: SQL = sql`false`;

/**
 * SQL condition for the rows of `residentId` in a table of `category` that this request may see;
 * `NO_ROWS` when the context allows none.
 */
export function residentRowFilter(
  context: GatewayContextClaims,
  category: DataCategory,
  columns: ResidentRowColumns,
  residentId: string,
): SQL {
  if (!mayReadResidentCategory(context, category, residentId)) return NO_ROWS;
  const scope = context.scope!;
  const conditions: SQL[] = [eq(columns.residentId, residentId)];
  if (columns.level) conditions.push(lte(columns.level, scope.maxLevel));
  if (scope.institutionId && columns.institutionId) conditions.push(eq(columns.institutionId, scope.institutionId));
  return and(...conditions)!;
}

/** Same filter over several residents at once (batched entity resolution). */
export function residentsRowFilter(
  context: GatewayContextClaims,
  category: DataCategory,
  columns: ResidentRowColumns,
  residentIds: readonly string[],
): SQL {
  const allowed = residentIds.filter((id) => mayReadResidentCategory(context, category, id));
  if (allowed.length === 0) return NO_ROWS;
  const scope = context.scope!;
  const conditions: SQL[] = [inArray(columns.residentId, allowed)];
  if (columns.level) conditions.push(lte(columns.level, scope.maxLevel));
  if (scope.institutionId && columns.institutionId) conditions.push(eq(columns.institutionId, scope.institutionId));
  return and(...conditions)!;
}

/** Whether the context allows any row of this resident in this category. */
export function mayReadResidentCategory(context: GatewayContextClaims, category: DataCategory, residentId: string): boolean {
  const scope = context.scope;
  if (!scope) return false;
  return scope.residentIds.includes(residentId) && scope.categories.includes(category);
}

/** Caps a caller-supplied page size: every list is bounded. */
export function boundedPageSize(requested: number | null | undefined, fallback = 20, maximum = 100): number {
  if (requested === null || requested === undefined) return fallback;
  return Math.max(1, Math.min(maximum, Math.trunc(requested)));
}
