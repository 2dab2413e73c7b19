import { integer, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';

export const keyringSchema = pgSchema('keyring');

/**
 * One data key per resident (envelope encryption, DESIGN §4), stored only wrapped by a key-encryption
 * key (KEK) of the `KeyProvider`. Rotating the KEK rewrites `kek_id`/`wrapped`, never the data.
 * Crypto-shredding sets `wrapped` to null: every ciphertext made with the key becomes unreadable.
 */
export const dataKeys = keyringSchema.table('data_key', {
  residentId: text('resident_id').primaryKey(),
  /** Generation of the resident's data key; ciphertexts name it (`dk<version>`). */
  keyVersion: integer('key_version').notNull().default(1),
  /** The KEK that wrapped `wrapped`; null only for a tombstone (shredded before any key existed). */
  kekId: text('kek_id'),
  /** base64 of the wrapped data key; null once shredded. */
  wrapped: text('wrapped'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  /** Last time the key was re-wrapped under a new KEK. */
  rotatedAt: timestamp('rotated_at', { withTimezone: true }),
  shreddedAt: timestamp('shredded_at', { withTimezone: true }),
});

export type DataKeyRow = typeof dataKeys.$inferSelect;
