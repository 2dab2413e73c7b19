import { doublePrecision, index, integer, jsonb, pgSchema, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

export const researchSchema = pgSchema('research');

/**
 * One pseudonymous subject of a scenario's mart: the scenario's HMAC pseudonym and the generalised
 * frame (birth year or 5- or 10-year band, district or the city). No identifier and no platform resident id
 * is ever stored here; a column the scenario does not list stays null.
 */
export const martSubjects = researchSchema.table(
  'mart_subject',
  {
    scenarioId: text('scenario_id').notNull(),
    pseudonym: text('pseudonym').notNull(),
    sex: text('sex'),
    birthYear: integer('birth_year'),
    ageBand: text('age_band'),
    district: text('district'),
  },
  (t) => [primaryKey({ columns: [t.scenarioId, t.pseudonym] })],
);

/** A subject's diagnosis, as far as the scenario lists it (the year only, never the date). */
export const martDiagnoses = researchSchema.table(
  'mart_diagnosis',
  {
    scenarioId: text('scenario_id').notNull(),
    pseudonym: text('pseudonym').notNull(),
    code: text('code'),
    codeSystem: text('code_system'),
    year: integer('year'),
  },
  (t) => [index('mart_diagnosis_subject_idx').on(t.scenarioId, t.pseudonym)],
);

/** A subject's lab item; `value_number` is the value when it is numeric (what MEAN, MEDIAN and P90 read). */
export const martLabItems = researchSchema.table(
  'mart_lab_item',
  {
    scenarioId: text('scenario_id').notNull(),
    pseudonym: text('pseudonym').notNull(),
    loinc: text('loinc'),
    localCode: text('local_code'),
    value: text('value'),
    valueNumber: doublePrecision('value_number'),
    unit: text('unit'),
    year: integer('year'),
  },
  (t) => [index('mart_lab_item_subject_idx').on(t.scenarioId, t.pseudonym), index('mart_lab_item_code_idx').on(t.scenarioId, t.loinc)],
);

/** A scenario's mart as built: when, and the minimum cell size its answers keep. */
export const martBuilds = researchSchema.table('mart_build', {
  scenarioId: text('scenario_id').primaryKey(),
  minCellSize: integer('min_cell_size').notNull(),
  builtAt: timestamp('built_at', { withTimezone: true }).notNull(),
});

/**
 * Every aggregate answered, with the residents behind each cell: what the repeat limit counts and
 * what a later answer is compared with (a differencing attack differs from an earlier answer by
 * fewer than k residents).
 */
export const aggregateAnswers = researchSchema.table(
  'aggregate_answer',
  {
    id: text('id').primaryKey(),
    scenarioId: text('scenario_id').notNull(),
    /** measure, field, item code and the sorted dimensions. */
    signature: text('signature').notNull(),
    measure: text('measure').notNull(),
    itemCode: text('item_code'),
    dimensions: jsonb('dimensions').$type<string[]>().notNull(),
    /** Cell key (the group values joined) → residents in the cell, before suppression. */
    cellCounts: jsonb('cell_counts').$type<Record<string, number>>().notNull(),
    /** Residents behind the whole answer. */
    total: integer('total').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [index('aggregate_answer_scenario_idx').on(t.scenarioId, t.at)],
);
