/**
 * Row filters from the signed context (defence in depth): whatever the gateway decided, a subgraph never
 * returns a row of another resident, of a category or level the context does not allow, or of another
 * institution when the context is limited to one.
 */
import { and, eq, lte, or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { DataCategory, SensitivityLevel } from '../../schema/classification.js';
import type { CategoryScope, GatewayContextClaims } from '../../schema/context.js';

/**
 * The columns a resident-keyed table exposes to the filter. The level is required: a table without one
 * could not prove that a row is within the scope's level (a level-5 row to a context without level 5).
 */
export interface ResidentRowColumns {
  residentId: AnyPgColumn;
  level: AnyPgColumn;
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
  const open = openCategory(context, category, residentId);
  if (!open) return NO_ROWS;
  return scopedConditions(eq(columns.residentId, residentId), open, columns);
}

/** Same filter over several residents at once (batched entity resolution). */
export function residentsRowFilter(
  context: GatewayContextClaims,
  category: DataCategory,
  columns: ResidentRowColumns,
  residentIds: readonly string[],
): SQL {
  const conditions = residentIds.flatMap((id) => {
    const open = openCategory(context, category, id);
    return open ? [scopedConditions(eq(columns.residentId, id), open, columns)] : [];
  });
  if (conditions.length === 0) return NO_ROWS;
  return conditions.length === 1 ? conditions[0]! : or(...conditions)!;
}

function scopedConditions(residentCondition: SQL, open: CategoryScope, columns: ResidentRowColumns): SQL {
  // The context is signed by the gateway; still, a scope without a valid level opens nothing, decided
  // here rather than left to how the database compares `level <= NULL`.
  if (!isRecordLevel(open.maxLevel)) return NO_ROWS;
  const conditions: SQL[] = [residentCondition, lte(columns.level, open.maxLevel)];
  if (open.institutionId) {
    // A table without an institution column cannot prove the row is the institution's own: none.
    if (!columns.institutionId) return NO_ROWS;
    conditions.push(eq(columns.institutionId, open.institutionId));
  }
  return and(...conditions)!;
}

function isRecordLevel(value: unknown): value is SensitivityLevel {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 5;
}

/** The category's scope when this resident's rows of it are open to the request. */
function openCategory(context: GatewayContextClaims, category: DataCategory, residentId: string): CategoryScope | undefined {
  return context.scope?.residents[residentId]?.[category];
}

/** Whether the context opens any category of this resident (the resident's key may then be returned). */
export function mayReachResident(context: GatewayContextClaims, residentId: string): boolean {
  const categories = context.scope?.residents[residentId];
  // RESOURCES is public institution data, never a resident's: it must not reveal that one exists.
  return categories !== undefined && Object.keys(categories).some((category) => category !== 'RESOURCES');
}

/** Whether the context allows any row of this resident in this category. */
export function mayReadResidentCategory(context: GatewayContextClaims, category: DataCategory, residentId: string): boolean {
  return openCategory(context, category, residentId) !== undefined;
}

/** Caps a caller-supplied page size: every list is bounded. */
export function boundedPageSize(requested: number | null | undefined, fallback = 20, maximum = 100): number {
  if (requested === null || requested === undefined) return fallback;
  return Math.max(1, Math.min(maximum, Math.trunc(requested)));
}
