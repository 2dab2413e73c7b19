/**
 * The research vocabulary (DESIGN §7, §10), shared by the consent plane (which checks a scenario's
 * fields and documents at submission), the gateway (which runs only registered documents) and the
 * research subgraph (which builds marts): what a research answer can carry, and from which supergraph
 * coordinate each part of it is derived. A scenario lists source coordinates; a registered document may
 * select a research field only when the scenario lists the coordinate it comes from.
 */

/** The research roots: the only roots a registered document may select. */
export const RESEARCH_ROOTS = ['researchCohort', 'researchAggregate'] as const;
export type ResearchRoot = (typeof RESEARCH_ROOTS)[number];

export function isResearchRoot(name: string): name is ResearchRoot {
  return (RESEARCH_ROOTS as readonly string[]).includes(name);
}

/**
 * Research output fields (`Type.field` of the research subgraph's types) → the supergraph coordinate
 * each is derived from; `null` for fields derived from nothing personal (the scenario pseudonym, paging).
 * A field not in this table is not a research field.
 */
export const RESEARCH_FIELD_SOURCES: Readonly<Record<string, string | null>> = {
  'ResearchSubjectConnection.edges': null,
  'ResearchSubjectConnection.pageInfo': null,
  'ResearchSubjectEdge.cursor': null,
  'ResearchSubjectEdge.node': null,
  'PageInfo.hasNextPage': null,
  'PageInfo.endCursor': null,
  'ResearchSubject.pseudonym': null,
  'ResearchSubject.sex': 'Resident.sex',
  'ResearchSubject.ageBand': 'Resident.birthDate',
  'ResearchSubject.birthYear': 'Resident.birthDate',
  'ResearchSubject.district': 'Resident.district',
  'ResearchSubject.diagnoses': 'Diagnosis.code',
  'ResearchDiagnosis.code': 'Diagnosis.code',
  'ResearchDiagnosis.codeSystem': 'Diagnosis.codeSystem',
  'ResearchDiagnosis.year': 'Diagnosis.recordedAt',
  'ResearchSubject.labItems': 'LabItem.value',
  'ResearchLabItem.loinc': 'LabItem.loinc',
  'ResearchLabItem.localCode': 'LabItem.localCode',
  'ResearchLabItem.value': 'LabItem.value',
  'ResearchLabItem.unit': 'LabItem.unit',
  'ResearchLabItem.year': 'LabReport.collectedAt',
  'AggregateResult.cells': null,
  'AggregateResult.minCellSize': null,
  'AggregateCell.group': null,
  'AggregateCell.value': null,
  'AggregateCell.suppressed': null,
};

/** The types a research root returns, and the type of each object field below them. */
export const RESEARCH_FIELD_TYPES: Readonly<Record<string, string>> = {
  'Query.researchCohort': 'ResearchSubjectConnection',
  'Query.researchAggregate': 'AggregateResult',
  'ResearchSubjectConnection.edges': 'ResearchSubjectEdge',
  'ResearchSubjectConnection.pageInfo': 'PageInfo',
  'ResearchSubjectEdge.node': 'ResearchSubject',
  'ResearchSubject.diagnoses': 'ResearchDiagnosis',
  'ResearchSubject.labItems': 'ResearchLabItem',
  'AggregateResult.cells': 'AggregateCell',
};

/** Coordinates a scenario may list: everything a mart can hold. Anything else is not offered to research. */
export const RESEARCH_COORDINATES: ReadonlySet<string> = new Set(Object.values(RESEARCH_FIELD_SOURCES).filter((c): c is string => c !== null));

/** Aggregate dimensions (`AggregateInput.groupBy`) → the coordinate each groups by. */
export const AGGREGATE_DIMENSIONS: Readonly<Record<string, string>> = {
  sex: 'Resident.sex',
  ageBand: 'Resident.birthDate',
  birthYear: 'Resident.birthDate',
  district: 'Resident.district',
  'Diagnosis.code': 'Diagnosis.code',
  'LabItem.loinc': 'LabItem.loinc',
  'LabItem.localCode': 'LabItem.localCode',
};

/** Coordinates a MEAN, MEDIAN or P90 can be taken of (with an `itemCode`). */
export const NUMERIC_COORDINATES: ReadonlySet<string> = new Set(['LabItem.value']);

export const AGGREGATE_MEASURES = ['COUNT', 'MEAN', 'MEDIAN', 'P90'] as const;
export type AggregateMeasure = (typeof AGGREGATE_MEASURES)[number];

/** Birth year, or age in 5- or 10-year bands (the 10-year band keeps small cohorts' cells above k). */
export const AGE_GRANULARITIES = ['YEAR', 'FIVE_YEAR_BAND', 'TEN_YEAR_BAND'] as const;
export type AgeGranularity = (typeof AGE_GRANULARITIES)[number];
export const PLACE_GRANULARITIES = ['DISTRICT', 'CITY'] as const;
export type PlaceGranularity = (typeof PLACE_GRANULARITIES)[number];

/** Minimum cell size: the default (CMS, PCORnet) and the floor no scenario may go below. */
export const DEFAULT_MIN_CELL_SIZE = 11;
export const MIN_CELL_SIZE_FLOOR = 5;

/**
 * Coordinates whose categories a resident's research consent must permit. Generalised demographics
 * (sex, birth year or band, district or city) are the frame every research consent implies; the
 * health data a scenario reads is what consent is asked for.
 */
export const FRAME_COORDINATES: ReadonlySet<string> = new Set(['Resident.sex', 'Resident.birthDate', 'Resident.district']);
