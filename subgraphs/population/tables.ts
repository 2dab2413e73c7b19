import { date, index, pgSchema, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const populationSchema = pgSchema('population');

/**
 * The resident master record. Identifying columns (name, id_card_number, phone, address) are written
 * by the gateway's keyring as ciphertext once field encryption is enabled; exact lookups then go
 * through the blind-index columns.
 */
export const residents = populationSchema.table(
  'resident',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** GB/T 2261.1: 0 unknown, 1 male, 2 female, 9 unstated. */
    sex: text('sex').notNull(),
    birthDate: date('birth_date').notNull(),
    idCardNumber: text('id_card_number').notNull(),
    idCardIndex: text('id_card_index').notNull(),
    /** 电子健康卡 number (ciphertext) and its blind index; a resident without a card has neither. */
    healthCardNumber: text('health_card_number'),
    healthCardIndex: text('health_card_index'),
    phone: text('phone'),
    phoneIndex: text('phone_index'),
    address: text('address'),
    /** GB/T 2260 6-digit district code of residence. */
    districtCode: text('district_code').notNull(),
    ethnicity: text('ethnicity').notNull().default('01'),
    guardianId: text('guardian_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('resident_id_card_index_key').on(t.idCardIndex),
    uniqueIndex('resident_health_card_index_key').on(t.healthCardIndex),
    index('resident_phone_index_idx').on(t.phoneIndex),
  ],
);

export type ResidentRow = typeof residents.$inferSelect;
export type NewResidentRow = typeof residents.$inferInsert;
