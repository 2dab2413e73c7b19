import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgSchema, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { DataCategory } from '../schema/classification.js';

// The consent module's schema (tables.ts re-exports these tables, so this file cannot import from it).
const consentSchema = pgSchema('consent');

/** The cohort criteria of a scenario (DESIGN §10 `CohortInput`), as stored. */
export interface StoredCohort {
  diagnosisCodePrefixes?: string[];
  ageMin?: number;
  ageMax?: number;
  sex?: string;
  districtCodes?: string[];
  from?: string;
  until?: string;
}

/**
 * A research scenario (场景备案). Its documents are in `scenario_document`; its reviews in
 * `scenario_review`. `queries_used` only grows, by one conditional UPDATE per research query.
 */
export const researchScenarios = consentSchema.table(
  'research_scenario',
  {
    id: text('id').primaryKey(),
    title: text('title').notNull(),
    purpose: text('purpose').notNull(),
    ethicsApproval: text('ethics_approval').notNull(),
    impactAssessment: text('impact_assessment').notNull(),
    applicantSub: text('applicant_sub').notNull(),
    applicantInstitutionId: text('applicant_institution_id'),
    /** Supergraph coordinates (`LabItem.value`), in the order submitted. */
    fields: jsonb('fields').$type<string[]>().notNull(),
    /** The consent categories the listed fields fall in. */
    categories: jsonb('categories').$type<DataCategory[]>().notNull(),
    cohort: jsonb('cohort').$type<StoredCohort>().notNull(),
    /** The scenario reads level-5 records (a sensitive diagnosis or test): two stewards approve it. */
    touchesLevel5: boolean('touches_level5').notNull(),
    approvalsRequired: integer('approvals_required').notNull(),
    /** PENDING_REVIEW | APPROVED | REJECTED (EXPIRED is derived from valid_until). */
    status: text('status').notNull(),
    validUntil: timestamp('valid_until', { withTimezone: true }).notNull(),
    queryQuota: integer('query_quota').notNull(),
    queriesUsed: integer('queries_used').notNull().default(0),
    minCellSize: integer('min_cell_size').notNull(),
    /** YEAR | FIVE_YEAR_BAND | TEN_YEAR_BAND */
    ageGranularity: text('age_granularity').notNull(),
    /** DISTRICT | CITY */
    placeGranularity: text('place_granularity').notNull(),
    submittedAt: timestamp('submitted_at', { withTimezone: true }).notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    /** When the gateway finished building the scenario's mart in the research subgraph. */
    martBuiltAt: timestamp('mart_built_at', { withTimezone: true }),
  },
  (t) => [index('research_scenario_applicant_idx').on(t.applicantSub, t.submittedAt), index('research_scenario_status_idx').on(t.status, t.submittedAt)],
);

/** A registered document of a scenario: its exact text and the hex SHA-256 of that text. */
export const scenarioDocuments = consentSchema.table(
  'scenario_document',
  {
    scenarioId: text('scenario_id').notNull(),
    /** Position in the submitted list. */
    position: integer('position').notNull(),
    sha256: text('sha256').notNull(),
    text: text('text').notNull(),
  },
  (t) => [uniqueIndex('scenario_document_key').on(t.scenarioId, t.sha256), index('scenario_document_hash_idx').on(t.sha256)],
);

/** One steward's review of a scenario; a steward reviews a scenario at most once. */
export const scenarioReviews = consentSchema.table(
  'scenario_review',
  {
    id: text('id').primaryKey(),
    scenarioId: text('scenario_id').notNull(),
    reviewerSub: text('reviewer_sub').notNull(),
    /** APPROVE | REJECT */
    decision: text('decision').notNull(),
    comment: text('comment'),
    reviewedAt: timestamp('reviewed_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('scenario_review_key').on(t.scenarioId, t.reviewerSub)],
);

/**
 * The residents in a scenario's mart (the trust core's side: the mart itself holds only pseudonyms).
 * A member whose consent no longer permits the scenario is removed from the mart before the next query.
 */
export const scenarioMembers = consentSchema.table(
  'scenario_member',
  {
    scenarioId: text('scenario_id').notNull(),
    residentId: text('resident_id').notNull(),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull(),
    /** Consent changes since the member was last checked (a new member is unchecked): due a check when above 0. */
    pendingChecks: integer('pending_checks').notNull().default(1),
    /** When the earliest consent that permits the member ends (null: none ends): due a check from then. */
    consentUntil: timestamp('consent_until', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('scenario_member_key').on(t.scenarioId, t.residentId),
    index('scenario_member_resident_idx').on(t.residentId),
    index('scenario_member_due_idx').on(t.scenarioId, t.consentUntil),
    index('scenario_member_pending_idx').on(t.scenarioId).where(sql`${t.pendingChecks} > 0`),
  ],
);

export type ResearchScenarioRow = typeof researchScenarios.$inferSelect;
export type ScenarioReviewRow = typeof scenarioReviews.$inferSelect;
