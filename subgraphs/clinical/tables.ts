import { foreignKey, index, integer, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';
import { residentIdColumn, residentKey, sensitivityColumns } from '../runtime/columns.js';

export const clinicalSchema = pgSchema('clinical');

/** A visit: outpatient (门诊), inpatient stay (住院) or emergency (急诊). */
export const encounters = clinicalSchema.table(
  'encounter',
  {
    id: text('id').notNull(),
    residentId: residentIdColumn(),
    institutionId: text('institution_id').notNull(),
    /** OUTPATIENT | INPATIENT | EMERGENCY */
    encounterClass: text('encounter_class').notNull(),
    department: text('department').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    attendingPractitionerId: text('attending_practitioner_id'),
    /** Free-text chief complaint (主诉): encrypted once field encryption is on. */
    chiefComplaint: text('chief_complaint'),
    ...sensitivityColumns(),
  },
  (t) => [residentKey('encounter', t), index('encounter_history_idx').on(t.residentId, t.startedAt, t.id)],
);

/** A coded diagnosis recorded in an encounter. */
export const diagnoses = clinicalSchema.table(
  'diagnosis',
  {
    id: text('id').notNull(),
    residentId: residentIdColumn(),
    encounterId: text('encounter_id').notNull(),
    institutionId: text('institution_id').notNull(),
    code: text('code').notNull(),
    codeSystem: text('code_system').notNull(),
    codeSystemVersion: text('code_system_version').notNull(),
    display: text('display').notNull(),
    /** PRIMARY | SECONDARY */
    rank: text('rank').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
    ...sensitivityColumns(),
  },
  (t) => [
    residentKey('diagnosis', t),
    foreignKey({ name: 'diagnosis_encounter_fk', columns: [t.encounterId, t.residentId], foreignColumns: [encounters.id, encounters.residentId] }),
    index('diagnosis_history_idx').on(t.residentId, t.recordedAt, t.id),
    index('diagnosis_encounter_idx').on(t.residentId, t.encounterId),
  ],
);

/** A medication prescribed in an encounter. */
export const prescriptions = clinicalSchema.table(
  'prescription',
  {
    id: text('id').notNull(),
    residentId: residentIdColumn(),
    encounterId: text('encounter_id').notNull(),
    institutionId: text('institution_id').notNull(),
    drugCode: text('drug_code').notNull(),
    drugName: text('drug_name').notNull(),
    dosage: text('dosage').notNull(),
    route: text('route').notNull(),
    frequency: text('frequency').notNull(),
    days: integer('days').notNull(),
    prescribedAt: timestamp('prescribed_at', { withTimezone: true }).notNull(),
    prescriberId: text('prescriber_id'),
    ...sensitivityColumns(),
  },
  (t) => [
    residentKey('prescription', t),
    foreignKey({ name: 'prescription_encounter_fk', columns: [t.encounterId, t.residentId], foreignColumns: [encounters.id, encounters.residentId] }),
    index('prescription_history_idx').on(t.residentId, t.prescribedAt, t.id),
  ],
);

export type EncounterRow = typeof encounters.$inferSelect;
export type DiagnosisRow = typeof diagnoses.$inferSelect;
export type PrescriptionRow = typeof prescriptions.$inferSelect;
