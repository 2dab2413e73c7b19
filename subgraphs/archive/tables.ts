import { date, index, integer, jsonb, pgSchema, real, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { residentIdColumn, residentKey, sensitivityColumns } from '../runtime/columns.js';

export const archiveSchema = pgSchema('archive');

export interface CodedCondition {
  code: string;
  codeSystem: string;
  codeSystemVersion: string;
  display: string;
  since: string;
}

export interface Allergy {
  substance: string;
  reaction: string;
}

/**
 * The resident health archive (居民健康档案, WS 365): one per resident. Not partitioned, like
 * population.resident: one row per resident is read by its unique resident_id, and the archive number
 * must stay unique region-wide, which a unique index on a table partitioned by resident_id cannot say.
 */
export const healthArchives = archiveSchema.table(
  'health_archive',
  {
    id: text('id').primaryKey(),
    residentId: residentIdColumn(),
    /** 17-digit archive number: 12-digit administrative division + 5-digit sequence (WS 365). */
    archiveNumber: text('archive_number').notNull(),
    managingInstitutionId: text('managing_institution_id').notNull(),
    openedOn: date('opened_on').notNull(),
    bloodType: text('blood_type'),
    chronicConditions: jsonb('chronic_conditions').$type<CodedCondition[]>().notNull().default([]),
    allergies: jsonb('allergies').$type<Allergy[]>().notNull().default([]),
    ...sensitivityColumns(),
  },
  (t) => [uniqueIndex('health_archive_resident_key').on(t.residentId), uniqueIndex('health_archive_number_key').on(t.archiveNumber)],
);

/** An annual physical examination (健康体检). */
export const physicalExams = archiveSchema.table(
  'physical_exam',
  {
    id: text('id').notNull(),
    residentId: residentIdColumn(),
    institutionId: text('institution_id').notNull(),
    examDate: date('exam_date').notNull(),
    heightCm: real('height_cm').notNull(),
    weightKg: real('weight_kg').notNull(),
    systolic: integer('systolic').notNull(),
    diastolic: integer('diastolic').notNull(),
    fastingGlucose: real('fasting_glucose'),
    summary: text('summary').notNull(),
    ...sensitivityColumns(),
  },
  (t) => [residentKey('physical_exam', t), index('physical_exam_resident_date_idx').on(t.residentId, t.examDate)],
);

/** A chronic-disease follow-up visit (慢病随访: hypertension, type 2 diabetes). */
export const followUps = archiveSchema.table(
  'follow_up',
  {
    id: text('id').notNull(),
    residentId: residentIdColumn(),
    institutionId: text('institution_id').notNull(),
    /** HYPERTENSION | DIABETES */
    programme: text('programme').notNull(),
    visitDate: date('visit_date').notNull(),
    /** CLINIC | HOME | PHONE */
    mode: text('mode').notNull(),
    systolic: integer('systolic'),
    diastolic: integer('diastolic'),
    fastingGlucose: real('fasting_glucose'),
    /** CONTROLLED | UNCONTROLLED | ADVERSE_REACTION | COMPLICATION */
    assessment: text('assessment').notNull(),
    nextVisitDate: date('next_visit_date'),
    ...sensitivityColumns(),
  },
  (t) => [residentKey('follow_up', t), index('follow_up_resident_date_idx').on(t.residentId, t.visitDate)],
);

export type HealthArchiveRow = typeof healthArchives.$inferSelect;
export type PhysicalExamRow = typeof physicalExams.$inferSelect;
export type FollowUpRow = typeof followUps.$inferSelect;
