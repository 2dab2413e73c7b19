/**
 * Mutual recognition of results (互认, DESIGN §8): the catalogue of recognised items, each
 * institution's external quality assessment (室间质评) per item with its period and the regional HR
 * mark, the candidates shown to clinicians (so a decision can name one) and the decisions taken.
 */
import { boolean, date, foreignKey, index, integer, numeric, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { residentIdColumn, residentKey } from '../runtime/columns.js';
import { resultsSchema } from './results-schema.js';

/** One recognised item: a lab test (local code, LOINC where known) or an imaging examination (modality + body part). */
export const recognitionItems = resultsSchema.table('recognition_item', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  /** CLINICAL_CHEMISTRY, IMMUNOLOGY, HAEMATOLOGY, PLAIN_RADIOGRAPHY, CT, MR, ULTRASOUND. */
  itemGroup: text('item_group').notNull(),
  loinc: text('loinc'),
  /** A result is recognised up to and including this many calendar days after it was taken. */
  validityDays: integer('validity_days').notNull(),
  /** What a repeat costs, in yuan (the report's cost saved). */
  priceYuan: numeric('price_yuan', { precision: 10, scale: 2 }).notNull(),
  /** DICOM modality and body part, for imaging items; null for lab items. */
  modality: text('modality'),
  bodyPart: text('body_part'),
  /** Institution grades (三级甲等, …) whose results are recognised. */
  recognisedGrades: text('recognised_grades').array().notNull(),
  /** The unit a hospital feed must report a lab item in (UCUM-style, as the laboratories print it); null when unitless or for imaging. */
  unit: text('unit'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

/** An institution's EQA result for one item over a period, and whether it carries the regional HR mark. */
export const recognitionEqaStatuses = resultsSchema.table(
  'recognition_eqa_status',
  {
    institutionId: text('institution_id').notNull(),
    itemCode: text('item_code')
      .notNull()
      .references(() => recognitionItems.code),
    validFrom: date('valid_from').notNull(),
    validUntil: date('valid_until').notNull(),
    passed: boolean('passed').notNull(),
    hrMark: boolean('hr_mark').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.institutionId, t.itemCode, t.validFrom] })],
);

/**
 * An institution's grade (三级甲等, …) from a local day on, until its next period starts: what the
 * catalogue's `recognised_grades` are matched against, on the day of the result. The steward keeps it
 * here, beside the EQA statuses, because a subgraph never reads another's tables (resources holds
 * the institution itself); the seed writes both from the same region.
 */
export const recognitionInstitutionGrades = resultsSchema.table(
  'recognition_institution_grade',
  {
    institutionId: text('institution_id').notNull(),
    validFrom: date('valid_from').notNull(),
    grade: text('grade').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.institutionId, t.validFrom] })],
);

/** A prior result as it was shown to a clinician, with the verdict they saw. */
export const recognitionCandidates = resultsSchema.table(
  'recognition_candidate',
  {
    id: text('id').notNull(),
    residentId: residentIdColumn(),
    itemCode: text('item_code').notNull(),
    labReportId: text('lab_report_id'),
    labItemId: text('lab_item_id'),
    imagingReportId: text('imaging_report_id'),
    /** The institution that produced the prior result. */
    resultInstitutionId: text('result_institution_id').notNull(),
    performedAt: timestamp('performed_at', { withTimezone: true }).notNull(),
    recognizable: boolean('recognizable').notNull(),
    reasons: text('reasons').array().notNull(),
    /** Who it was shown to (the token's subject) and where they work. */
    shownToSub: text('shown_to_sub').notNull(),
    shownToInstitutionId: text('shown_to_institution_id').notNull(),
    shownAt: timestamp('shown_at', { withTimezone: true }).notNull(),
    /** The platform's local (UTC+8) day it was shown: the report's day. */
    shownOn: date('shown_on').notNull(),
  },
  (t) => [residentKey('recognition_candidate', t), index('recognition_candidate_institution_day_idx').on(t.shownToInstitutionId, t.shownOn)],
);

/** A clinician's accept or decline of one candidate: at most one per candidate. */
export const recognitionDecisions = resultsSchema.table(
  'recognition_decision',
  {
    id: text('id').notNull(),
    candidateId: text('candidate_id').notNull(),
    /** The candidate's resident: decisions are partitioned and keyed with their candidate (colocated). */
    residentId: residentIdColumn(),
    accepted: boolean('accepted').notNull(),
    /** A decline's reason code; null when accepted. */
    reason: text('reason'),
    /** The free text an OTHER decline needs. */
    reasonText: text('reason_text'),
    decidedBySub: text('decided_by_sub').notNull(),
    institutionId: text('institution_id').notNull(),
    /** The accepted item's price when decided (the cost the repeat would have had). */
    savedYuan: numeric('saved_yuan', { precision: 10, scale: 2 }).notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull(),
    decidedOn: date('decided_on').notNull(),
  },
  (t) => [
    residentKey('recognition_decision', t),
    foreignKey({ name: 'recognition_decision_candidate_fk', columns: [t.candidateId, t.residentId], foreignColumns: [recognitionCandidates.id, recognitionCandidates.residentId] }),
    uniqueIndex('recognition_decision_candidate_idx').on(t.candidateId, t.residentId),
    index('recognition_decision_institution_day_idx').on(t.institutionId, t.decidedOn),
  ],
);

export type RecognitionItemRow = typeof recognitionItems.$inferSelect;
export type RecognitionEqaStatusRow = typeof recognitionEqaStatuses.$inferSelect;
export type RecognitionInstitutionGradeRow = typeof recognitionInstitutionGrades.$inferSelect;
export type RecognitionCandidateRow = typeof recognitionCandidates.$inferSelect;
export type RecognitionDecisionRow = typeof recognitionDecisions.$inferSelect;
