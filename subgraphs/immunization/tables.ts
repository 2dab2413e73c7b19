import { date, index, integer, pgSchema, text } from 'drizzle-orm/pg-core';
import { residentIdColumn, residentKey, sensitivityColumns } from '../runtime/columns.js';

export const immunizationSchema = pgSchema('immunization');

/** One administered vaccine dose (预防接种记录). */
export const immunizationRecords = immunizationSchema.table(
  'immunization_record',
  {
    id: text('id').notNull(),
    residentId: residentIdColumn(),
    institutionId: text('institution_id').notNull(),
    /** National immunisation programme vaccine code (e.g. 0101 乙肝疫苗). */
    vaccineCode: text('vaccine_code').notNull(),
    vaccineName: text('vaccine_name').notNull(),
    doseNumber: integer('dose_number').notNull(),
    lotNumber: text('lot_number').notNull(),
    manufacturer: text('manufacturer').notNull(),
    administeredOn: date('administered_on').notNull(),
    /** Injection site and route. */
    site: text('site').notNull(),
    route: text('route').notNull(),
    ...sensitivityColumns(),
  },
  (t) => [residentKey('immunization_record', t), index('immunization_history_idx').on(t.residentId, t.administeredOn, t.doseNumber, t.id)],
);

export type ImmunizationRecordRow = typeof immunizationRecords.$inferSelect;
