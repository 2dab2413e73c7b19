import { createHash, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { readClassifications } from '../schema/classification.js';
import type { Actor } from '../schema/context.js';
import { loadSupergraphSdl } from '../schema/supergraph.js';
import { migrateAll, type DatabaseHandle } from '../subgraphs/runtime/index.js';
import { testBackends } from '../testkit/databases.js';
import { toFhirConsent } from './consents.js';
import { countResearchQuery, isRegisteredDocument, releaseResearchQuery, listScenarios, registeredDocumentsByHash, reviewScenario, submitScenario, type NewScenario } from './scenarios.js';

const classifications = readClassifications(loadSupergraphSdl());
const AUDIT_KEYS = generateKeyPairSync('ed25519');
const audit = { signer: { keyId: 'audit-test', privateKey: AUDIT_KEYS.privateKey }, requestId: 'req-scenario' };

const T0 = new Date('2026-06-01T09:00:00.000Z');
const days = (n: number) => new Date(T0.getTime() + n * 86_400_000);

const researcher: Actor = { sub: 'researcher-qian', role: 'researcher', institutionId: 'inst-a' };
const otherResearcher: Actor = { sub: 'researcher-li', role: 'researcher' };
const stewardZhao: Actor = { sub: 'steward-zhao', role: 'steward' };
const stewardSun: Actor = { sub: 'steward-sun', role: 'steward' };
const clinician: Actor = { sub: 'dr-wang', role: 'clinician', institutionId: 'inst-a' };

const COHORT_DOCUMENT = `query Cohort($scenarioId: ID!, $after: String) {
  researchCohort(scenarioId: $scenarioId, first: 50, after: $after) {
    edges { node { pseudonym ageBand sex labItems { loinc value } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const AGGREGATE_DOCUMENT = `query HbA1cByAgeBandAndSex($scenarioId: ID!) {
  researchAggregate(scenarioId: $scenarioId, input: { measure: MEAN, field: "LabItem.value", itemCode: "4548-4", groupBy: ["ageBand", "sex"] }) {
    cells { group value suppressed }
    minCellSize
  }
}`;

const diabetes = (change: Partial<NewScenario> = {}): NewScenario => ({
  title: 'HbA1c in type 2 diabetes by age band and sex',
  purpose: 'Describe glycaemic control across the region.',
  ethicsApproval: 'IRB-2026-017',
  impactAssessment: 'PIA-2026-009',
  fields: ['Resident.sex', 'Resident.birthDate', 'Diagnosis.code', 'LabItem.loinc', 'LabItem.value'],
  cohort: { diagnosisCodePrefixes: ['E11'], ageMin: 18 },
  documents: [COHORT_DOCUMENT, AGGREGATE_DOCUMENT],
  validUntil: days(180),
  queryQuota: 100,
  ...change,
});

async function refusal(promise: Promise<unknown>): Promise<{ code: unknown; field: unknown; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return { code: error.extensions['code'], field: error.extensions['field'], message: error.message };
  }
  throw new Error('expected a refusal');
}

describe.each(testBackends())('research scenarios on $name', (backend) => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ handle, dispose } = await backend.open());
    await migrateAll(handle, ['consent']);
  });
  afterAll(async () => {
    await dispose?.();
  });

  const counts = async () =>
    (
      await handle.query<{ scenarios: number; documents: number; audit: number }>(
        'select (select count(*) from consent.research_scenario)::int as scenarios, (select count(*) from consent.scenario_document)::int as documents, (select count(*) from consent.audit_entry)::int as audit',
      )
    )[0]!;

  it('files a submission PENDING_REVIEW with its documents by hex SHA-256, one approval required, audited under the scenario', async () => {
    const scenario = await submitScenario(handle.db, researcher, diabetes(), classifications, T0, audit);
    expect(scenario).toMatchObject({
      status: 'PENDING_REVIEW',
      applicantSub: 'researcher-qian',
      approvalsRequired: 1,
      touchesLevel5: false,
      categories: ['CLINICAL', 'RESULTS'],
      minCellSize: 11,
      ageGranularity: 'FIVE_YEAR_BAND',
      placeGranularity: 'DISTRICT',
      queriesUsed: 0,
      reviews: [],
    });
    const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
    expect(scenario.documentIds).toEqual([sha(COHORT_DOCUMENT), sha(AGGREGATE_DOCUMENT)]);
    expect(await registeredDocumentsByHash(handle.db, sha(AGGREGATE_DOCUMENT))).toEqual([{ scenarioId: scenario.id, text: AGGREGATE_DOCUMENT }]);
    expect(await isRegisteredDocument(handle.db, scenario.id, COHORT_DOCUMENT)).toBe(true);
    expect(await isRegisteredDocument(handle.db, scenario.id, `${COHORT_DOCUMENT} `)).toBe(false);
    const entries = await handle.query<{ scenario_id: string; operation_name: string; resident_id: string | null; actor_sub: string }>(
      'select scenario_id, operation_name, resident_id, actor_sub from consent.audit_entry where scenario_id = $1',
      [scenario.id],
    );
    expect(entries).toEqual([{ scenario_id: scenario.id, operation_name: 'submitScenario', resident_id: null, actor_sub: 'researcher-qian' }]);
  });

  const REFUSALS: Array<[string, Partial<NewScenario>, string, RegExp]> = [
    ['a level-4 identifier', { fields: ['Resident.sex', 'Resident.idCardNumber'] }, 'fields[1]', /Resident\.idCardNumber identifies a person directly/],
    ['a name', { fields: ['Resident.name'] }, 'fields[0]', /Resident\.name identifies a person directly/],
    ['free text', { fields: ['LabItem.value', 'Encounter.chiefComplaint'] }, 'fields[1]', /Encounter\.chiefComplaint identifies a person directly/],
    ['the platform resident id', { fields: ['Resident.id'] }, 'fields[0]', /Resident\.id identifies a person directly/],
    ['a coordinate that does not exist', { fields: ['LabItem.value', 'LabItem.glucose'] }, 'fields[1]', /LabItem\.glucose is not a field of the platform/],
    ['a malformed coordinate', { fields: ['value'] }, 'fields[0]', /value is not a field of the platform/],
    ['a field research is not offered', { fields: ['Prescription.drugName'] }, 'fields[0]', /Prescription\.drugName is not offered to research/],
    ['a document that does not parse', { documents: [COHORT_DOCUMENT, 'query { researchCohort(scenarioId: "x" { edges } }'] }, 'documents[1]', /documents\[1\] does not parse/],
    [
      'a document selecting a field not listed',
      { documents: [COHORT_DOCUMENT.replace('loinc value', 'loinc value unit')] },
      'documents[0]',
      /selects ResearchLabItem\.unit, derived from LabItem\.unit, which the scenario does not list/,
    ],
    ['a document selecting a field in a fragment', { documents: [`${COHORT_DOCUMENT.replace('pseudonym', 'pseudonym ...Place')}\nfragment Place on ResearchSubject { district }`] }, 'documents[0]', /ResearchSubject\.district, derived from Resident\.district/],
    ['a document reading another root', { documents: ['query { resident(id: "r1") { name } }'] }, 'documents[0]', /selects Query\.resident; a registered document selects researchCohort or researchAggregate only/],
    ['a document that is a mutation', { documents: ['mutation { revokeConsent(id: "c") { id } }'] }, 'documents[0]', /must be a query/],
    ['an aggregate grouped by a dimension not listed', { documents: [AGGREGATE_DOCUMENT.replace('"sex"]', '"district"]')] }, 'documents[0]', /groups by district, derived from Resident\.district, which the scenario does not list/],
    ['an aggregate whose input is a variable', { documents: ['query A($s: ID!, $i: AggregateInput!) { researchAggregate(scenarioId: $s, input: $i) { cells { value } } }'] }, 'documents[0]', /input literally/],
    ['birth years when bands are asked', { documents: [COHORT_DOCUMENT.replace('ageBand', 'birthYear')] }, 'documents[0]', /finer than the scenario's generalisation/],
    ['no documents', { documents: [] }, 'documents', /at least one/],
    ['a minimum cell size below 5', { minCellSize: 4 }, 'minCellSize', /never below 5/],
    ['an end date in the past', { validUntil: days(-1) }, 'validUntil', /validUntil is in the past/],
    ['a quota of zero', { queryQuota: 0 }, 'queryQuota', /queryQuota must be a whole number from 1/],
    ['an unknown district', { cohort: { districtCodes: ['999999'] } }, 'cohort.districtCodes[0]', /999999 is not a GB\/T 2260 district code/],
    ['a bad diagnosis prefix', { cohort: { diagnosisCodePrefixes: ['diabetes'] } }, 'cohort.diagnosisCodePrefixes[0]', /not an ICD-10 code prefix/],
    ['an empty title', { title: '  ' }, 'title', /title is required/],
  ];

  it('has refusals to check', () => expect(REFUSALS.length).toBeGreaterThan(10));

  it.each(REFUSALS)('refuses %s with BAD_USER_INPUT naming it, writing nothing', async (_name, change, field, message) => {
    const before = await counts();
    const refused = await refusal(submitScenario(handle.db, researcher, diabetes(change), classifications, T0, audit));
    expect(refused).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(refused.message).toMatch(message);
    expect(await counts()).toEqual(before);
  });

  it('lets only a researcher submit', async () => {
    expect(await refusal(submitScenario(handle.db, stewardZhao, diabetes(), classifications, T0, audit))).toMatchObject({ code: 'FORBIDDEN', message: 'Only a researcher submits research scenarios.' });
    expect(await refusal(submitScenario(handle.db, null, diabetes(), classifications, T0, audit))).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('shows a researcher their own scenarios, a steward every one, and nobody else any', async () => {
    const mine = await submitScenario(handle.db, researcher, diabetes({ title: 'Mine' }), classifications, T0, audit);
    const theirs = await submitScenario(handle.db, otherResearcher, diabetes({ title: 'Theirs' }), classifications, T0, audit);
    const ownIds = (await listScenarios(handle.db, researcher, null, T0)).map((s) => s.id);
    expect(ownIds).toContain(mine.id);
    expect(ownIds).not.toContain(theirs.id);
    const queue = (await listScenarios(handle.db, stewardZhao, 'PENDING_REVIEW', T0)).map((s) => s.id);
    expect(queue).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    expect(await refusal(listScenarios(handle.db, clinician, null, T0))).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('approves with one steward, and then counts queries atomically up to the quota', async () => {
    const scenario = await submitScenario(handle.db, researcher, diabetes({ queryQuota: 3 }), classifications, T0, audit);
    expect(await countResearchQuery(handle.db, scenario.id, T0)).toBe('SCENARIO_NOT_APPROVED');
    const approved = await reviewScenario(handle.db, stewardZhao, scenario.id, 'APPROVE', null, T0, audit);
    expect(approved).toMatchObject({ status: 'APPROVED', reviews: [{ reviewerSub: 'steward-zhao', decision: 'APPROVE', comment: null }] });
    // Five at once against a quota of three: exactly three are counted.
    const outcomes = await Promise.all([1, 2, 3, 4, 5].map(() => countResearchQuery(handle.db, scenario.id, T0)));
    expect(outcomes.filter((o) => o === undefined)).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'QUOTA_EXCEEDED')).toHaveLength(2);
    const [listed] = (await listScenarios(handle.db, researcher, 'APPROVED', T0)).filter((s) => s.id === scenario.id);
    expect(listed).toMatchObject({ queriesUsed: 3, queryQuota: 3 });
    // A query refused after its reservation gives it back: one more may then run, and no more.
    await releaseResearchQuery(handle.db, scenario.id);
    expect(await countResearchQuery(handle.db, scenario.id, T0)).toBeUndefined();
    expect(await countResearchQuery(handle.db, scenario.id, T0)).toBe('QUOTA_EXCEEDED');
    // Past its end date it is EXPIRED, and runs nothing.
    const late = days(181);
    expect(await countResearchQuery(handle.db, scenario.id, late)).toBe('SCENARIO_NOT_APPROVED');
    expect((await listScenarios(handle.db, researcher, 'EXPIRED', late)).map((s) => s.id)).toContain(scenario.id);
    expect(await refusal(reviewScenario(handle.db, stewardSun, scenario.id, 'APPROVE', null, T0, audit))).toMatchObject({ code: 'BAD_USER_INPUT', message: 'This scenario is APPROVED, no longer pending review.' });
  });

  it('needs a comment to reject, and shows it to the applicant', async () => {
    const scenario = await submitScenario(handle.db, researcher, diabetes(), classifications, T0, audit);
    expect(await refusal(reviewScenario(handle.db, stewardZhao, scenario.id, 'REJECT', '  ', T0, audit))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'comment' });
    expect((await listScenarios(handle.db, researcher, null, T0)).find((s) => s.id === scenario.id)).toMatchObject({ status: 'PENDING_REVIEW', reviews: [] });
    await reviewScenario(handle.db, stewardZhao, scenario.id, 'REJECT', 'The impact assessment does not cover the lab data.', T0, audit);
    expect((await listScenarios(handle.db, researcher, 'REJECTED', T0)).find((s) => s.id === scenario.id)).toMatchObject({
      status: 'REJECTED',
      reviews: [{ reviewerSub: 'steward-zhao', decision: 'REJECT', comment: 'The impact assessment does not cover the lab data.' }],
    });
  });

  it('needs two distinct stewards for a scenario touching level-5 records, never the applicant', async () => {
    const scenario = await submitScenario(handle.db, researcher, diabetes({ cohort: { diagnosisCodePrefixes: ['F3'] } }), classifications, T0, audit);
    expect(scenario).toMatchObject({ approvalsRequired: 2, touchesLevel5: true });
    // The applicant's own account, acting as a steward, cannot review it.
    const applicantAsSteward: Actor = { sub: researcher.sub, role: 'steward' };
    expect(await refusal(reviewScenario(handle.db, applicantAsSteward, scenario.id, 'APPROVE', null, T0, audit))).toMatchObject({ code: 'FORBIDDEN', message: 'Nobody reviews their own research scenario.' });
    expect(await refusal(reviewScenario(handle.db, researcher, scenario.id, 'APPROVE', null, T0, audit))).toMatchObject({ code: 'FORBIDDEN', message: 'Only a data steward reviews research scenarios.' });
    expect(await reviewScenario(handle.db, stewardZhao, scenario.id, 'APPROVE', null, T0, audit)).toMatchObject({ status: 'PENDING_REVIEW' });
    expect(await refusal(reviewScenario(handle.db, stewardZhao, scenario.id, 'APPROVE', null, T0, audit))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/another steward/) });
    expect(await reviewScenario(handle.db, stewardSun, scenario.id, 'APPROVE', 'Both reviews done.', T0, audit)).toMatchObject({ status: 'APPROVED' });
    const entries = await handle.query<{ n: number }>("select count(*)::int as n from consent.audit_entry where scenario_id = $1 and operation_name = 'reviewScenario'", [scenario.id]);
    expect(entries[0]!.n).toBe(2);
  });

  it('treats a sensitive lab test in an aggregate as level 5', async () => {
    const scenario = await submitScenario(handle.db, researcher, diabetes({ documents: [AGGREGATE_DOCUMENT.replace('4548-4', '75622-1')] }), classifications, T0, audit);
    expect(scenario.approvalsRequired).toBe(2);
  });
});

describe('a research consent as FHIR', () => {
  const consent = {
    id: 'consent-research-1', versionId: 'cv-1', version: 1, residentId: 'res-1', categories: ['CLINICAL', 'RESULTS'] as const,
    recipient: { kind: 'ANYONE' as const, id: null }, provision: 'PERMIT' as const, status: 'ACTIVE' as const, validFrom: T0, validUntil: null,
    noticeVersion: '2026-01', autoApprove: false, guardianId: null, recordedBy: 'res-1', recordedAt: T0,
  };
  it('is scoped research; a treatment consent stays patient-privacy', () => {
    expect(toFhirConsent({ ...consent, categories: [...consent.categories], purposes: ['HRESCH'] }).scope.coding[0]!.code).toBe('research');
    expect(toFhirConsent({ ...consent, categories: [...consent.categories], purposes: ['TREAT'] }).scope.coding[0]!.code).toBe('patient-privacy');
  });
});
