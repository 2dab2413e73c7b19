import { boolean, foreignKey, index, text, timestamp } from 'drizzle-orm/pg-core';
import { residentIdColumn, residentKey, sensitivityColumns } from '../runtime/columns.js';
import { resultsSchema } from './results-schema.js';

export { resultsSchema };
export * from './recognition-tables.js';

/** A laboratory report (检验报告): one panel, several items. */
export const labReports = resultsSchema.table(
  'lab_report',
  {
    id: text('id').notNull(),
    residentId: residentIdColumn(),
    institutionId: text('institution_id').notNull(),
    encounterId: text('encounter_id'),
    panelCode: text('panel_code').notNull(),
    panelName: text('panel_name').notNull(),
    specimen: text('specimen').notNull(),
    collectedAt: timestamp('collected_at', { withTimezone: true }).notNull(),
    reportedAt: timestamp('reported_at', { withTimezone: true }).notNull(),
    ...sensitivityColumns(),
  },
  (t) => [residentKey('lab_report', t), index('lab_report_history_idx').on(t.residentId, t.collectedAt, t.id)],
);

/** One measured item of a lab report. */
export const labItems = resultsSchema.table(
  'lab_item',
  {
    id: text('id').notNull(),
    reportId: text('report_id').notNull(),
    residentId: residentIdColumn(),
    localCode: text('local_code').notNull(),
    /** LOINC code where the item is mapped; null for local-only items. */
    loinc: text('loinc'),
    name: text('name').notNull(),
    value: text('value').notNull(),
    unit: text('unit'),
    referenceRange: text('reference_range'),
    /** N normal, H high, L low, A abnormal (qualitative). */
    abnormalFlag: text('abnormal_flag').notNull(),
  },
  (t) => [
    residentKey('lab_item', t),
    foreignKey({ name: 'lab_item_report_fk', columns: [t.reportId, t.residentId], foreignColumns: [labReports.id, labReports.residentId] }),
    index('lab_item_report_idx').on(t.residentId, t.reportId),
  ],
);

/** An imaging report (检查报告). */
export const imagingReports = resultsSchema.table(
  'imaging_report',
  {
    id: text('id').notNull(),
    residentId: residentIdColumn(),
    institutionId: text('institution_id').notNull(),
    encounterId: text('encounter_id'),
    /** DICOM modality: CT, MR, DX, US, … */
    modality: text('modality').notNull(),
    bodyPart: text('body_part').notNull(),
    findings: text('findings').notNull(),
    impression: text('impression').notNull(),
    performedAt: timestamp('performed_at', { withTimezone: true }).notNull(),
    contrast: boolean('contrast').notNull().default(false),
    ...sensitivityColumns(),
  },
  (t) => [residentKey('imaging_report', t), index('imaging_report_history_idx').on(t.residentId, t.performedAt, t.id)],
);

export type LabReportRow = typeof labReports.$inferSelect;
export type LabItemRow = typeof labItems.$inferSelect;
export type ImagingReportRow = typeof imagingReports.$inferSelect;
