/** Column sets shared by the domain subgraphs' tables. */
import { primaryKey, smallint, text, type AnyPgColumn } from 'drizzle-orm/pg-core';

/**
 * Every resident-keyed record carries a sensitivity label and its record level (the highest level of
 * any of its fields, 5 for a special label), so a subgraph can filter rows by the signed context alone.
 */
export function sensitivityColumns() {
  return {
    sensitivity: text('sensitivity').notNull().default('NONE'),
    level: smallint('level').notNull().default(3),
  };
}

/** The resident a record belongs to: every resident-keyed table leads with it (distributable by resident). */
export function residentIdColumn() {
  return text('resident_id').notNull();
}

/**
 * The key of a resident-keyed record: (id, resident_id). The tables are hash-partitioned by
 * resident_id (the column Citus would distribute by), and a partitioned table's keys must contain it;
 * ids are random UUIDs, so (id, resident_id) is as unique as id was. Children reference their parent
 * by (parent_id, resident_id), so every join between colocated tables carries the resident.
 */
export function residentKey(table: string, columns: { id: AnyPgColumn; residentId: AnyPgColumn }) {
  return primaryKey({ name: `${table}_pkey`, columns: [columns.id, columns.residentId] });
}
