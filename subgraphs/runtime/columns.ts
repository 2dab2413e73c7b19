/** Column sets shared by the domain subgraphs' tables. */
import { smallint, text } from 'drizzle-orm/pg-core';

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
