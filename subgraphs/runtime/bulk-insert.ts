/**
 * Many rows into one table in one statement that binds one array per column
 * (`INSERT … SELECT … FROM unnest($1::text[], $2::timestamptz[], …)`) instead of one parameter per
 * value: a handful of parameters whatever the row count, so no 65,535-parameter limit to chunk
 * around, and several times cheaper to build (drizzle's VALUES builder costs microseconds per value)
 * and to parse than a VALUES list, on PGlite and on PostgreSQL alike. The seed, the hospital feeds
 * and the audit log all write their batches through it.
 */
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';

/** Whatever runs a statement: a database or a transaction. */
export interface StatementRunner {
  execute(query: SQL): PromiseLike<unknown>;
}

/** What must be escaped inside a quoted array element. */
const NEEDS_ESCAPE = /["\\]/;

/**
 * A Postgres array literal (`{"a",NULL,"say \\"hi\\""}`), sent as one text parameter so no driver needs
 * array support. Built by concatenation, escaping only the values that need it: a feed batch or an
 * audit append makes tens of thousands of elements, and two regex replacements each were a visible
 * part of the gateway's time per record.
 */
function arrayLiteral(values: readonly unknown[]): string {
  let literal = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) literal += ',';
    if (value === null || value === undefined) literal += 'NULL';
    else if (typeof value === 'number' || typeof value === 'boolean') literal += String(value);
    else {
      const text = String(value);
      literal += NEEDS_ESCAPE.test(text) ? `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `"${text}"`;
    }
  }
  return `${literal}}`;
}

/** True when every value is the same text, number, boolean or null (the request id of a whole audit append, a batch's institution). */
function sameValue(values: readonly unknown[]): boolean {
  const [first] = values;
  if (values.length < 2 || (first !== null && typeof first === 'object')) return false;
  for (let i = 1; i < values.length; i++) if (values[i] !== first) return false;
  return true;
}

/**
 * The array literal of `count` copies of one value, escaped once: most columns of an audit append
 * or a feed batch hold one value for every row, and this is the same text arrayLiteral gives them.
 */
function repeatedLiteral(value: unknown, count: number): string {
  const element = arrayLiteral([value]).slice(1, -1);
  return `{${`${element},`.repeat(count - 1)}${element}}`;
}

/** The type of a serial column's values (a serial is not a type an array can be of). */
const SERIAL_TYPES: Readonly<Record<string, string>> = { smallserial: 'smallint', serial: 'integer', bigserial: 'bigint' };

function valueType(sqlType: string): string {
  return SERIAL_TYPES[sqlType] ?? sqlType;
}

/** Rows per statement: each binds one array per column, so this only bounds a statement's size. */
const ROWS_PER_STATEMENT = 5_000;

/**
 * Inserts `rows` (drizzle insert models of `table`, keyed by property) in statements of at most
 * 5,000 rows. A column a row leaves unset (undefined, not null) gets its database default, as in
 * drizzle's own insert: rows are written in groups of the same set columns (usually one group). An
 * array column (`text[]`) travels as a list of its array literals and is cast back per row, since
 * unnest would flatten it. `onConflictDoNothing` skips rows that would break a unique constraint.
 */
export async function insertRows<Table extends PgTable>(
  db: StatementRunner,
  table: Table,
  rows: ReadonlyArray<Table['$inferInsert']>,
  options: { onConflictDoNothing?: boolean } = {},
): Promise<void> {
  const all = Object.entries(getTableColumns(table));
  const groups = new Map<string, Array<Record<string, unknown>>>();
  for (const row of rows as ReadonlyArray<Record<string, unknown>>) {
    const set = all.map(([key]) => (row[key] === undefined ? '0' : '1')).join('');
    const group = groups.get(set);
    if (group) group.push(row);
    else groups.set(set, [row]);
  }
  for (const [set, group] of groups) {
    const columns = all.filter((_, i) => set[i] === '1');
    for (let start = 0; start < group.length; start += ROWS_PER_STATEMENT) await insertGroup(db, table, columns, group.slice(start, start + ROWS_PER_STATEMENT), options);
  }
}

/** One statement: rows that all set exactly these columns. */
async function insertGroup(
  db: StatementRunner,
  table: PgTable,
  columns: ReadonlyArray<[string, ReturnType<typeof getTableColumns>[string]]>,
  rows: ReadonlyArray<Record<string, unknown>>,
  options: { onConflictDoNothing?: boolean },
): Promise<void> {
  const isArray = columns.map(([, column]) => column.columnType === 'PgArray');
  const names = sql.join(
    columns.map(([, column]) => sql.identifier(column.name)),
    sql`, `,
  );
  const selected = sql.join(
    columns.map(([, column], i) => (isArray[i] ? sql`${sql.identifier(`c${i}`)}::${sql.raw(column.getSQLType())}` : sql.identifier(`c${i}`))),
    sql`, `,
  );
  const aliases = sql.join(
    columns.map((_, i) => sql.identifier(`c${i}`)),
    sql`, `,
  );
  const arrays = columns.map(([key, column], i) => {
    const values = rows.map((row) => (row[key] === null ? null : column.mapToDriverValue(row[key])));
    return sql`${sql.param(sameValue(values) ? repeatedLiteral(values[0], values.length) : arrayLiteral(values))}::${sql.raw(isArray[i] ? 'text' : valueType(column.getSQLType()))}[]`;
  });
  const onConflict = options.onConflictDoNothing ? sql` on conflict do nothing` : sql``;
  if (columns.length === 0) {
    // Every column left to its default: unnest has nothing to expand.
    for (let i = 0; i < rows.length; i++) await db.execute(sql`insert into ${table} default values${onConflict}`);
    return;
  }
  await db.execute(sql`insert into ${table} (${names}) select ${selected} from unnest(${sql.join(arrays, sql`, `)}) as u(${aliases})${onConflict}`);
}

/**
 * `column = any($1::type[])`: membership in a list bound as one array parameter. Unlike drizzle's
 * `inArray` (one parameter per value) the statement's text is the same whatever the list's length,
 * so it is prepared once per connection instead of described and planned anew for every batch of a
 * hospital feed's lookups (a thousand ids each).
 */
export function isAnyOf(column: PgColumn, values: readonly unknown[]): SQL {
  return sql`${column} = any(${sql.param(arrayLiteral(values.map((value) => column.mapToDriverValue(value))))}::${sql.raw(valueType(column.getSQLType()))}[])`;
}
