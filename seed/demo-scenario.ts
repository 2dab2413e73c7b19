/**
 * The demo research scenario (DESIGN §11): diabetes, HbA1c by age band and sex, submitted by the demo
 * researcher and approved by both demo stewards through the consent plane's own checks. Approved here,
 * outside any gateway, its mart is built by the gateway when the researcher first runs one of its
 * documents (a scenario approved through the gateway has its mart built on approval).
 */
import { reviewScenario, submitScenario, type NewScenario } from '../consent/index.js';
import { readClassifications } from '../schema/classification.js';
import { loadSupergraphSdl } from '../schema/supergraph.js';
import type { Database } from '../subgraphs/runtime/database.js';
import { DEMO_RESEARCH_INSTITUTION, DEMO_SCENARIO_ID } from './demo.js';

/** The demo scenario's registered documents, exactly as the README's commands send them. */
export const DEMO_SCENARIO_DOCUMENTS = {
  hba1cByAgeBandAndSex:
    'query HbA1cByAgeBandAndSex($scenarioId: ID!) { researchAggregate(scenarioId: $scenarioId, input: { measure: MEAN, field: "LabItem.value", itemCode: "4548-4", groupBy: ["ageBand", "sex"] }) { cells { group value suppressed } minCellSize } }',
  countByAgeBandAndSex:
    'query CountByAgeBandAndSex($scenarioId: ID!) { researchAggregate(scenarioId: $scenarioId, input: { measure: COUNT, groupBy: ["ageBand", "sex"] }) { cells { group value suppressed } minCellSize } }',
  cohort:
    'query Cohort($scenarioId: ID!, $after: String) { researchCohort(scenarioId: $scenarioId, first: 50, after: $after) { edges { node { pseudonym ageBand sex diagnoses { code } labItems { loinc value } } } pageInfo { hasNextPage endCursor } } }',
} as const;

export const DEMO_SCENARIO: NewScenario = {
  title: '2型糖尿病患者糖化血红蛋白（HbA1c）控制情况：按年龄段与性别',
  purpose: 'Describe glycaemic control (HbA1c) of residents aged 50 to 69 with type 2 diabetes by 10-year age band and sex.',
  ethicsApproval: 'IRB-2026-017',
  impactAssessment: 'PIA-2026-009',
  fields: ['Resident.sex', 'Resident.birthDate', 'Diagnosis.code', 'LabItem.loinc', 'LabItem.value'],
  // Ages 50-69 in 10-year bands: where type 2 diabetes is common enough that, at the default 2,000
  // residents, every band-and-sex cell holds at least k (11) residents (counted in demo-scenario.test.ts;
  // in 5-year bands, or with the over-70s, which are fewer, most cells fell below k).
  cohort: { diagnosisCodePrefixes: ['E11'], ageMin: 50, ageMax: 69 },
  ageGranularity: 'TEN_YEAR_BAND',
  documents: Object.values(DEMO_SCENARIO_DOCUMENTS),
  validUntil: new Date('2028-12-31T23:59:59+08:00'),
  queryQuota: 1000,
};

/** Files and approves the demo scenario (two stewards), once, when the region is first seeded. */
export async function seedDemoScenario(db: Database): Promise<void> {
  const classifications = readClassifications(loadSupergraphSdl());
  await submitScenario(db, { sub: 'researcher', role: 'researcher', institutionId: DEMO_RESEARCH_INSTITUTION }, DEMO_SCENARIO, classifications, new Date(), undefined, { id: DEMO_SCENARIO_ID, approvalsRequired: 2 });
  for (const steward of ['steward-1', 'steward-2']) await reviewScenario(db, { sub: steward, role: 'steward' }, DEMO_SCENARIO_ID, 'APPROVE', 'Minimum necessary fields; ethics and impact assessment on file.');
}
