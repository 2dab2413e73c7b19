/**
 * Many rows into one table in one statement that binds one array per column
 * (`INSERT … SELECT … FROM unnest($1::text[], $2::timestamptz[], …)`) instead of one parameter per
 * value: a handful of parameters whatever the row count, so no 65,535-parameter limit to chunk
 * around, and several times cheaper to build (drizzle's VALUES builder costs microseconds per value)
 * and to parse than a VALUES list, on PGlite and on PostgreSQL alike. The seed, the hospital feeds
 * and the audit log all write their batches through it.
 */
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

/** Whatever runs a statement: a database or a transaction. */
export interface StatementRunner {
  execute(query: SQL): PromiseLike<unknown>;
}

/** A Postgres array literal (`{"a",NULL,"say \\"hi\\""}`), sent as one text parameter so no driver needs array support. */
function arrayLiteral(values: readonly unknown[]): string {
  const parts = values.map((value) => {
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${parts.join(',')}}`;
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
 * 5,000 rows. Columns no row sets are left to their database defaults. An array column (`text[]`)
 * travels as a list of its array literals and is cast back per row, since unnest would flatten it.
 * `onConflictDoNothing` skips rows that would break a unique constraint.
 */
export async function insertRows<Table extends PgTable>(
  db: StatementRunner,
  table: Table,
  rows: ReadonlyArray<Table['$inferInsert']>,
  options: { onConflictDoNothing?: boolean } = {},
): Promise<void> {
  if (rows.length === 0) return;
  const records = rows as ReadonlyArray<Record<string, unknown>>;
  const columns = Object.entries(getTableColumns(table)).filter(([key]) => records.some((row) => row[key] !== undefined));
  const names = sql.join(
    columns.map(([, column]) => sql.identifier(column.name)),
    sql`, `,
  );
  const isArray = columns.map(([, column]) => column.columnType === 'PgArray');
  const selected = sql.join(
    columns.map(([, column], i) => (isArray[i] ? sql`${sql.identifier(`c${i}`)}::${sql.raw(column.getSQLType())}` : sql.identifier(`c${i}`))),
    sql`, `,
  );
  const aliases = sql.join(
    columns.map((_, i) => sql.identifier(`c${i}`)),
    sql`, `,
  );
  const onConflict = options.onConflictDoNothing ? sql` on conflict do nothing` : sql``;
  for (let start = 0; start < records.length; start += ROWS_PER_STATEMENT) {
    const chunk = records.slice(start, start + ROWS_PER_STATEMENT);
    const arrays = columns.map(([key, column], i) => {
      const values = chunk.map((row) => (row[key] == null ? null : column.mapToDriverValue(row[key])));
      return sql`${sql.param(arrayLiteral(values))}::${sql.raw(isArray[i] ? 'text' : valueType(column.getSQLType()))}[]`;
    });
    await db.execute(sql`insert into ${table} (${names}) select ${selected} from unnest(${sql.join(arrays, sql`, `)}) as u(${aliases})${onConflict}`);
  }
}
