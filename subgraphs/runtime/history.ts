/**
 * One page of a resident's history list (encounters, reports, doses): newest first, optionally within a
 * period and at one institution, continued after a cursor. The cursor is the id of the last record of
 * the previous page, so a page needs no total and no offset: the next page starts strictly after that
 * record in the list's order (keyset pagination, one index range scan however deep the page).
 */
import { and, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { InvalidInputError } from '../../schema/errors.js';
import type { SubgraphContext } from './server.js';

/** The filters and cursor a client may give a history list. */
export interface HistoryWindow {
  /** Only records at or after this time (or date). */
  from?: Date | string | null;
  /** Only records at or before this time (or date). */
  until?: Date | string | null;
  /** Only records of this institution. */
  institutionId?: string | null;
  /** The id of the last record of the previous page. */
  after?: string | null;
}

/** A history table: its id, its institution, and the columns it is ordered by, newest first (time first). */
export interface HistoryColumns {
  id: AnyPgColumn;
  institutionId: AnyPgColumn;
  /** Descending sort keys, the time column first; the id is added as the last tie-breaker. */
  order: readonly AnyPgColumn[];
}

/**
 * The rows of one page: those `visible` (the row filter) matches, within the window, after the cursor,
 * newest first, at most `limit`. A cursor that is not a visible record of this list is refused with
 * BAD_USER_INPUT, exactly like one that never existed.
 */
export async function historyPage<Table extends PgTable>(
  context: SubgraphContext,
  table: Table,
  columns: HistoryColumns,
  visible: SQL,
  window: HistoryWindow,
  limit: number,
): Promise<Table['$inferSelect'][]> {
  const [time] = columns.order;
  if (!time) throw new Error('a history list needs a time column to order by');
  if (window.from != null && window.until != null && String(isoOf(window.from)) > String(isoOf(window.until))) {
    throw new InvalidInputError('`from` must not be later than `until`.', { field: 'from' });
  }
  const keys = [...columns.order, columns.id];
  const conditions: SQL[] = [visible];
  if (window.from != null) conditions.push(gte(time, window.from));
  if (window.until != null) conditions.push(lte(time, window.until));
  if (window.institutionId != null) conditions.push(eq(columns.institutionId, window.institutionId));
  if (window.after != null) {
    const selection = Object.fromEntries(keys.map((column, i) => [`k${i}`, column]));
    const [cursor] = await context.db.select(selection).from(table as PgTable).where(and(visible, eq(columns.id, window.after))).limit(1);
    if (!cursor) throw new InvalidInputError('`after` is not a record of this list.', { field: 'after' });
    // Row-value comparison: strictly after the cursor in (keys…) descending order.
    const left = sql.join(keys.map((column) => sql`${column}`), sql`, `);
    const right = sql.join(keys.map((column, i) => sql`${sql.param(cursor[`k${i}`], column)}`), sql`, `);
    conditions.push(sql`(${left}) < (${right})`);
  }
  const rows = await context.db
    .select()
    .from(table as PgTable)
    .where(and(...conditions))
    .orderBy(...keys.map((column) => desc(column)))
    .limit(limit);
  return rows as Table['$inferSelect'][];
}

function isoOf(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : value;
}
