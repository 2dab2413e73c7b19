import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postToSubgraph, startExtraGateway, startTestPlatform, testBackends, type GraphQLResponse, type TestPlatform } from '../testkit/index.js';
import type { RunningGateway } from './index.js';
import { scenarioPseudonym } from './research-mart.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const COHORT = `query Cohort($scenarioId: ID!, $after: String) {
  researchCohort(scenarioId: $scenarioId, first: 100, after: $after) {
    edges { cursor node { pseudonym ageBand sex labItems { loinc value } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const COUNT_BY_SEX = `query CountBySex($scenarioId: ID!) {
  researchAggregate(scenarioId: $scenarioId, input: { measure: COUNT, groupBy: ["sex"] }) { cells { group value suppressed } minCellSize }
}`;
const COUNT_BY_BAND_AND_SEX = `query CountByBandAndSex($scenarioId: ID!) {
  researchAggregate(scenarioId: $scenarioId, input: { measure: COUNT, groupBy: ["ageBand", "sex"] }) { cells { group value suppressed } minCellSize }
}`;
const COUNT_ALL = `query CountAll($scenarioId: ID!) {
  researchAggregate(scenarioId: $scenarioId, input: { measure: COUNT, groupBy: [] }) { cells { group value suppressed } minCellSize }
}`;
const COUNT_BY_LOINC = `query CountByLoinc($scenarioId: ID!) {
  researchAggregate(scenarioId: $scenarioId, input: { measure: COUNT, groupBy: ["LabItem.loinc"] }) { cells { group value suppressed } minCellSize }
}`;
const MEAN_HBA1C_BY_SEX = `query MeanHbA1c($scenarioId: ID!) {
  researchAggregate(scenarioId: $scenarioId, input: { measure: MEAN, field: "LabItem.value", itemCode: "4548-4", groupBy: ["sex"] }) { cells { group value suppressed } minCellSize }
}`;

const SUBMIT = `mutation($input: ScenarioInput!) { submitScenario(input: $input) { id status documentIds approvalsRequired queriesUsed } }`;
const REVIEW = `mutation($id: ID!, $decision: ReviewDecision!, $comment: String) { reviewScenario(id: $id, decision: $decision, comment: $comment) { id status reviews { reviewerSub decision comment } } }`;

const scenarioInput = (change: Record<string, unknown> = {}) => ({
  title: 'Glycaemic control across the region',
  purpose: 'Describe HbA1c by sex and age band.',
  ethicsApproval: 'IRB-2026-101',
  impactAssessment: 'PIA-2026-044',
  fields: ['Resident.sex', 'Resident.birthDate', 'LabItem.loinc', 'LabItem.value'],
  cohort: {},
  documents: [COHORT, COUNT_BY_SEX, COUNT_BY_BAND_AND_SEX, COUNT_ALL, COUNT_BY_LOINC, MEAN_HBA1C_BY_SEX],
  validUntil: new Date(Date.now() + 90 * 86_400_000).toISOString(),
  queryQuota: 60,
  minCellSize: 5,
  ...change,
});

type Cohort = { researchCohort: { edges: Array<{ cursor: string; node: { pseudonym: string; sex: string | null; ageBand: string | null } }>; pageInfo: { hasNextPage: boolean } } };
type Aggregate = { researchAggregate: { cells: Array<{ group: string[]; value: number | null; suppressed: boolean }>; minCellSize: number } };

const codeOf = (answer: GraphQLResponse<unknown>) => answer.body.errors?.[0]?.extensions?.['code'];

describe.each(testBackends())('research scenarios through the gateway on $name', (backend) => {
  let stack: TestPlatform;
  let second: RunningGateway;
  let residentIds: string[];
  /** Residents given a research consent for everyone (all but the first four). */
  let consenting: string[];
  let scenarioId: string;

  const queriesUsed = async (id = scenarioId) =>
    (await stack.platform.database.query<{ queries_used: number }>('select queries_used from consent.research_scenario where id = $1', [id]))[0]!.queries_used;
  const run = <Data = Record<string, unknown>>(document: string, variables: Record<string, unknown> = { scenarioId }, actor = 'researcher', gatewayUrl?: string) =>
    stack.query<Data>(actor, document, variables, {}, gatewayUrl);

  beforeAll(async () => {
    stack = await startTestPlatform(backend, { residents: 40 });
    second = await startExtraGateway(stack);
    residentIds = (await stack.platform.database.query<{ id: string }>('select id from population.resident order by id')).map((r) => r.id);
    // The seed's research consents are replaced by this test's own, so the expected cohort is exact.
    await stack.platform.database.query("delete from consent.consent_version where consent_id like 'consent-research-%'");
    const researchResident = stack.actor('resident-research').residentId!;
    consenting = residentIds.slice(4).filter((id) => id !== researchResident);
    for (const residentId of consenting) {
      await stack.platform.database.query(
        `insert into consent.consent_version (id, consent_id, version, resident_id, categories, recipient_kind, recipient_id, purposes, provision, status, valid_from, valid_until, notice_version, auto_approve, guardian_id, recorded_by, recorded_at)
         values ($1, $2, 1, $3, '["CLINICAL","RESULTS"]', 'ANYONE', null, '["HRESCH"]', 'PERMIT', 'ACTIVE', now() - interval '1 day', null, '2026-01', false, null, $3, now())`,
        [`cv-${randomUUID()}`, `consent-${randomUUID()}`, residentId],
      );
    }
  });
  afterAll(async () => {
    await second?.stop();
    await stack?.stop();
  });

  it('lets the resident consent to research through their own portal path', async () => {
    const granted = await stack.query<{ grantConsent: { id: string } }>(
      'resident-research',
      'mutation($input: ConsentInput!) { grantConsent(input: $input) { id } }',
      { input: { categories: ['CLINICAL', 'RESULTS'], recipient: { kind: 'ANYONE' }, purposes: ['HRESCH'], provision: 'PERMIT', noticeVersion: '2026-01' } },
    );
    expect(granted.body.errors).toBeUndefined();
    consenting.push(stack.actor('resident-research').residentId!);
    expect(consenting.length).toBeGreaterThan(30);
  });

  it('submits, queues and refuses before approval', async () => {
    const submitted = await stack.query<{ submitScenario: { id: string; status: string; documentIds: string[]; approvalsRequired: number } }>('researcher', SUBMIT, { input: scenarioInput() });
    expect(submitted.status).toBe(200);
    expect(submitted.body.errors).toBeUndefined();
    scenarioId = submitted.body.data!.submitScenario.id;
    expect(submitted.body.data!.submitScenario).toMatchObject({ status: 'PENDING_REVIEW', approvalsRequired: 1, documentIds: [COHORT, COUNT_BY_SEX, COUNT_BY_BAND_AND_SEX, COUNT_ALL, COUNT_BY_LOINC, MEAN_HBA1C_BY_SEX].map(sha256) });
    const refused = await stack.query('researcher', SUBMIT, { input: scenarioInput({ fields: ['Resident.idCardNumber'] }) });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'fields[0]' } });
    const queue = await stack.query<{ scenarios: Array<{ id: string }> }>('steward-1', '{ scenarios(status: PENDING_REVIEW) { id title status } }');
    expect(queue.body.data!.scenarios.map((s) => s.id)).toContain(scenarioId);
    const early = await run(COUNT_BY_SEX);
    expect(early.status).toBe(403);
    expect(codeOf(early)).toBe('SCENARIO_NOT_APPROVED');
    const clinician = await stack.query('clinician-a', '{ scenarios { id } }');
    expect(codeOf(clinician)).toBe('FORBIDDEN');
  });

  it('is approved by a steward, who cannot then approve again', async () => {
    const approved = await stack.query<{ reviewScenario: { status: string } }>('steward-1', REVIEW, { id: scenarioId, decision: 'APPROVE' });
    expect(approved.body.errors).toBeUndefined();
    expect(approved.body.data!.reviewScenario.status).toBe('APPROVED');
    const mine = await stack.query<{ scenarios: Array<{ id: string; status: string; reviews: Array<{ reviewerSub: string }> }> }>('researcher', '{ scenarios { id status queriesUsed reviews { reviewerSub decision } } }');
    expect(mine.body.data!.scenarios.find((s) => s.id === scenarioId)).toMatchObject({ status: 'APPROVED', reviews: [{ reviewerSub: 'steward-1' }] });
  });

  it('builds the mart on approval: its tables hold the cohort before any research query', async () => {
    // No research query has run yet (the one before approval was refused): none is audited.
    const audited = await stack.platform.database.query<{ operation_hash: string }>('select operation_hash from consent.audit_entry where scenario_id = $1', [scenarioId]);
    expect(audited.length).toBeGreaterThan(0);
    const documents = new Set([COHORT, COUNT_BY_SEX, COUNT_BY_BAND_AND_SEX, COUNT_ALL, COUNT_BY_LOINC, MEAN_HBA1C_BY_SEX].map(sha256));
    expect(audited.filter((entry) => documents.has(entry.operation_hash))).toEqual([]);
    const subjects = await stack.platform.database.query<{ pseudonym: string }>('select pseudonym from research.mart_subject where scenario_id = $1', [scenarioId]);
    expect(new Set(subjects.map((s) => s.pseudonym))).toEqual(new Set(consenting.map((id) => scenarioPseudonym(stack.platform.researchSecret, scenarioId, id))));
    const items = await stack.platform.database.query<{ n: number }>('select count(*)::int as n from research.mart_lab_item where scenario_id = $1', [scenarioId]);
    expect(items[0]!.n).toBeGreaterThan(0);
  });

  it('stores a subject once when two gateways build the same mart at once', async () => {
    const pseudonym = sha256(`twice-${randomUUID()}`);
    const subject = { pseudonym, sex: '1', ageBand: '50-54', labItems: [{ loinc: '4548-4', value: '6.1' }, { loinc: '4548-4', value: '6.4' }] };
    const store = (labItems: typeof subject.labItems) =>
      postToSubgraph(
        stack,
        'research',
        {
          query: 'mutation($s: ID!, $subjects: [MartSubjectInput!]!) { storeScenarioMart(scenarioId: $s, minCellSize: 5, replace: false, subjects: $subjects) }',
          variables: { s: scenarioId, subjects: [{ ...subject, labItems }] },
        },
        { requestId: randomUUID(), actor: { sub: 'researcher', role: 'researcher' }, scenario: { id: scenarioId, use: 'build' } },
      );
    const stored = await Promise.all([store(subject.labItems), store(subject.labItems), store(subject.labItems)]);
    for (const answer of stored) expect(answer.body).toEqual({ data: { storeScenarioMart: 1 } });
    const count = async (table: string) =>
      (await stack.platform.database.query<{ n: number }>(`select count(*)::int as n from research.${table} where scenario_id = $1 and pseudonym = $2`, [scenarioId, pseudonym]))[0]!.n;
    expect([await count('mart_subject'), await count('mart_lab_item')]).toEqual([1, 2]);
    // Stored again with other values: replaced, not added to.
    await store([{ loinc: '4548-4', value: '7.0' }]);
    expect([await count('mart_subject'), await count('mart_lab_item')]).toEqual([1, 1]);
    const twice = await postToSubgraph(
      stack,
      'research',
      { query: 'mutation($s: ID!, $subjects: [MartSubjectInput!]!) { storeScenarioMart(scenarioId: $s, minCellSize: 5, replace: false, subjects: $subjects) }', variables: { s: scenarioId, subjects: [subject, subject] } },
      { requestId: randomUUID(), actor: { sub: 'researcher', role: 'researcher' }, scenario: { id: scenarioId, use: 'build' } },
    );
    expect(twice.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    for (const table of ['mart_lab_item', 'mart_subject']) await stack.platform.database.query(`delete from research.${table} where pseudonym = $1`, [pseudonym]);
  });

  it('runs a registered document: a mart of exactly the consenting residents, by pseudonym, with no identifier in it', async () => {
    const answer = await run<Cohort>(COHORT);
    expect(answer.body.errors).toBeUndefined();
    const pseudonyms = answer.body.data!.researchCohort.edges.map((e) => e.node.pseudonym);
    expect(answer.body.data!.researchCohort.pageInfo.hasNextPage).toBe(false);
    // Every consenting resident is included and nobody else: the mart against the raw consent table.
    expect(new Set(pseudonyms)).toEqual(new Set(consenting.map((id) => scenarioPseudonym(stack.platform.researchSecret, scenarioId, id))));
    for (const edge of answer.body.data!.researchCohort.edges) {
      expect(edge.node.pseudonym).toMatch(/^[0-9a-f]{64}$/);
      expect(edge.node.ageBand).toMatch(/^\d+-\d+$/);
    }
    const text = JSON.stringify(answer.body);
    for (const id of residentIds) expect(text).not.toContain(id);
    // The mart's tables hold no resident id, ID-card number, phone or ciphertext of any seeded resident.
    const mart = (await stack.platform.database.query<{ row: string }>(
      `select t::text as row from research.mart_subject t union all select t::text from research.mart_lab_item t union all select t::text from research.mart_diagnosis t`,
    )).map((r) => r.row).join('\n');
    expect(mart.length).toBeGreaterThan(0);
    const identifiers = await stack.platform.database.query<{ id: string; id_card_number: string; phone: string | null; name: string }>('select id, id_card_number, phone, name from population.resident');
    expect(identifiers.length).toBe(40);
    for (const resident of identifiers) {
      for (const value of [resident.id, resident.id_card_number, resident.phone, resident.name]) if (value) expect(mart).not.toContain(value);
    }
    for (const actor of stack.actors.filter((a) => a.idCardNumber)) expect(mart).not.toContain(actor.idCardNumber!);
  });

  it('refuses an unregistered or altered document, and research roots mixed with others', async () => {
    const used = await queriesUsed();
    const altered = await run(COUNT_BY_SEX.replace('sex"] }', 'sex"]  }'));
    expect(altered.status).toBe(403);
    expect(codeOf(altered)).toBe('OPERATION_NOT_REGISTERED');
    const other = await run(`query($scenarioId: ID!) { researchAggregate(scenarioId: $scenarioId, input: { measure: COUNT, groupBy: ["ageBand"] }) { cells { value } } }`);
    expect(codeOf(other)).toBe('OPERATION_NOT_REGISTERED');
    const mixed = await run(`query($scenarioId: ID!) { me { sub } researchAggregate(scenarioId: $scenarioId, input: { measure: COUNT, groupBy: ["sex"] }) { cells { value } } }`);
    expect(codeOf(mixed)).toBe('OPERATION_NOT_REGISTERED');
    const steward = await run(COUNT_BY_SEX, { scenarioId }, 'steward-1');
    expect(codeOf(steward)).toBe('FORBIDDEN');
    // Refused queries spend nothing of the quota.
    expect(await queriesUsed()).toBe(used);
  });

  it('runs a registered document by its SHA-256 as a persisted query; any other hash stays refused', async () => {
    const post = (body: unknown) =>
      fetch(stack.platform.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const token = await stack.token('researcher');
    const byHash = await fetch(stack.platform.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ variables: { scenarioId }, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(COUNT_BY_SEX) } } }),
    });
    const answer = (await byHash.json()) as GraphQLResponse<Aggregate>['body'];
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.researchAggregate.cells.length).toBeGreaterThan(0);
    const unknown = await post({ variables: { scenarioId }, extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ me { sub } }') } } });
    expect(((await unknown.json()) as GraphQLResponse['body']).errors?.[0]?.extensions?.['code']).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
  });

  it('answers another researcher’s registered hash exactly as an unknown hash: registration does not leak', async () => {
    const theirs = COUNT_ALL.replace('query CountAll', 'query TheirCount');
    const submitted = await stack.query<{ submitScenario: { id: string } }>('researcher', SUBMIT, { input: scenarioInput({ title: 'Another researcher’s study', documents: [theirs] }) });
    const theirId = submitted.body.data!.submitScenario.id;
    expect((await stack.query('steward-1', REVIEW, { id: theirId, decision: 'APPROVE' })).body.errors).toBeUndefined();
    const token = await stack.token('researcher');
    const byHash = async (hash: string, id: string, authorization: string | null = `Bearer ${token}`) => {
      const response = await fetch(stack.platform.gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ variables: { scenarioId: id }, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
      });
      const body = (await response.json()) as GraphQLResponse['body'];
      return { status: response.status, code: body.errors?.[0]?.extensions?.['code'], message: body.errors?.[0]?.message, data: body.data };
    };
    // While it is the caller's own, its hash runs.
    expect((await byHash(sha256(theirs), theirId)).data).toBeTruthy();
    // It becomes someone else's scenario: its hash now answers like a hash nobody registered.
    await stack.platform.database.query("update consent.research_scenario set applicant_sub = 'researcher-elsewhere' where id = $1", [theirId]);
    const known = await byHash(sha256(theirs), theirId);
    const unknown = await byHash(sha256('query Nobody { me { sub } }'), theirId);
    expect(known.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    expect(known).toEqual(unknown);
    // Anonymous, or with a token that does not verify: the same answer for the caller's own hash too.
    const anonymous = await byHash(sha256(COUNT_BY_SEX), scenarioId, null);
    const forged = await byHash(sha256(COUNT_BY_SEX), scenarioId, 'Bearer not-a-token');
    expect(anonymous).toEqual(unknown);
    expect(forged).toEqual(unknown);
  });

  it('answers aggregates in SQL over the mart, small cells and their complements suppressed', async () => {
    const bySex = await run<Aggregate>(COUNT_BY_SEX);
    expect(bySex.body.errors).toBeUndefined();
    const cells = bySex.body.data!.researchAggregate.cells;
    expect(cells.length).toBeGreaterThan(0);
    // The visible counts are the mart's residents by sex (only what is at least k).
    const visible = cells.filter((c) => !c.suppressed).reduce((sum, c) => sum + c.value!, 0);
    expect(visible).toBeLessThanOrEqual(consenting.length);
    for (const cell of cells) {
      if (cell.suppressed) expect(cell.value).toBeNull();
      else expect(cell.value).toBeGreaterThanOrEqual(5);
    }
    const byBand = await run<Aggregate>(COUNT_BY_BAND_AND_SEX);
    expect(byBand.body.errors).toBeUndefined();
    const bandCells = byBand.body.data!.researchAggregate.cells;
    expect(bandCells.some((c) => c.suppressed)).toBe(true);
    // The attack: a row total (one age band, both sexes) minus its visible cells never isolates one hidden cell.
    const bands = new Map<string, typeof bandCells>();
    for (const cell of bandCells) bands.set(cell.group[0]!, [...(bands.get(cell.group[0]!) ?? []), cell]);
    const rows = [...bands.values()].filter((row) => row.length > 1);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.filter((c) => c.suppressed).length).not.toBe(1);
    // A band with one cell only hides it whole: its total is that cell, below k, so a marginal hides it too.
    const mean = await run<Aggregate>(MEAN_HBA1C_BY_SEX);
    expect(mean.body.errors).toBeUndefined();
    for (const cell of mean.body.data!.researchAggregate.cells.filter((c) => !c.suppressed)) expect(cell.value).toBeGreaterThan(3);
  });

  it('answers the grand total: every resident of the mart', async () => {
    const total = await run<Aggregate>(COUNT_ALL);
    expect(total.body.errors).toBeUndefined();
    expect(total.body.data!.researchAggregate.cells).toEqual([{ group: [], value: consenting.length, suppressed: false }]);
  });

  it('counts residents, not measurements, when grouped by a code a resident has several of', async () => {
    const answer = await run<Aggregate>(COUNT_BY_LOINC);
    expect(answer.body.errors).toBeUndefined();
    const cells = answer.body.data!.researchAggregate.cells;
    // The mart itself: residents per code (each counted once however many items of it they have).
    const expected = await stack.platform.database.query<{ code: string; n: number }>(
      `select coalesce(loinc, 'UNKNOWN') as code, count(distinct pseudonym)::int as n from research.mart_lab_item where scenario_id = $1 group by 1 order by 1`,
      [scenarioId],
    );
    const measurements = await stack.platform.database.query<{ n: number }>('select count(*)::int as n from research.mart_lab_item where scenario_id = $1', [scenarioId]);
    expect(expected.length).toBeGreaterThan(1);
    // Several codes per resident: a sum of the cells exceeds the residents, so a total is not a sum here.
    expect(expected.reduce((sum, row) => sum + row.n, 0)).toBeGreaterThan(consenting.length);
    expect(measurements[0]!.n).toBeGreaterThan(expected.reduce((sum, row) => sum + row.n, 0));
    expect(cells.map((c) => c.group[0])).toEqual(expected.map((row) => row.code));
    for (const [i, cell] of cells.entries()) {
      if (cell.suppressed) expect(cell.value).toBeNull();
      else expect(cell.value).toBe(expected[i]!.n);
    }
    expect(cells.some((c) => !c.suppressed)).toBe(true);
  });

  it('refuses an aggregate repeated (or overlapping) beyond the limit; repeats are identical, nothing random to average out', async () => {
    const used = await queriesUsed();
    const answers: Aggregate[] = [];
    let refusal: GraphQLResponse<unknown> | undefined;
    for (let i = 0; i < 10 && !refusal; i += 1) {
      const answer = await run<Aggregate>(COUNT_BY_SEX);
      if (answer.body.errors) refusal = answer;
      else answers.push(answer.body.data!);
    }
    // Four earlier overlapping counts (two by sex, one by band and sex, the grand total) count towards the limit of 7.
    expect(answers.length).toBe(7 - 4);
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(refusal!.status).toBe(429);
    expect(refusal!.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', reason: 'REPEATED_QUERY' });
    // Only the answered ones count towards the scenario's quota; the refused repeat gives its use back.
    expect(await queriesUsed()).toBe(used + answers.length);
    const again = await run(COUNT_BY_SEX);
    expect(again.body.errors?.[0]?.extensions).toMatchObject({ reason: 'REPEATED_QUERY' });
    expect(await queriesUsed()).toBe(used + answers.length);
  });

  it('audits every research query with its scenario, document hash and rows or cells returned', async () => {
    const entries = await stack.platform.database.query<{ operation_hash: string; rows_returned: number; resident_id: string | null }>(
      'select operation_hash, rows_returned, resident_id from consent.audit_entry where scenario_id = $1 and resident_id is null and operation_name is distinct from $2 order by seq',
      [scenarioId, 'submitScenario'],
    );
    const hashes = entries.map((e) => e.operation_hash);
    expect(hashes).toContain(sha256(COHORT));
    expect(hashes).toContain(sha256(COUNT_BY_SEX));
    expect(entries.find((e) => e.operation_hash === sha256(COHORT))!.rows_returned).toBe(consenting.length);
  });

  it('shows research use in each included resident’s access log, by the scenario’s title', async () => {
    const log = await stack.query<{ myAccessLog: { edges: Array<{ node: { summary: string } }> } }>('resident-research', '{ myAccessLog(first: 50) { edges { node { summary } } } }');
    expect(log.body.errors).toBeUndefined();
    expect(log.body.data!.myAccessLog.edges.map((e) => e.node.summary)).toContain('The research scenario “Glycaemic control across the region” used your demographics, results data, pseudonymised');
  });

  it('removes a resident who withdraws before the next query, on another gateway too; the answer that would differ by one is refused', async () => {
    const consents = await stack.query<{ myConsents: Array<{ id: string; purposes: string[] }> }>('resident-research', '{ myConsents { id purposes recipient { kind } } }');
    const research = consents.body.data!.myConsents.find((c) => c.purposes.includes('HRESCH') && (c as unknown as { recipient: { kind: string } }).recipient.kind === 'ANYONE')!;
    const revoked = await stack.query('resident-research', 'mutation($id: ID!) { revokeConsent(id: $id) { id status } }', { id: research.id });
    expect(revoked.body.errors).toBeUndefined();
    const withdrawn = scenarioPseudonym(stack.platform.researchSecret, scenarioId, stack.actor('resident-research').residentId!);
    const cohort = await run<Cohort>(COHORT, { scenarioId }, 'researcher', second.url);
    expect(cohort.body.errors).toBeUndefined();
    const pseudonyms = cohort.body.data!.researchCohort.edges.map((e) => e.node.pseudonym);
    expect(pseudonyms).toHaveLength(consenting.length - 1);
    expect(pseudonyms).not.toContain(withdrawn);
    // The differencing attack: the same average, one resident fewer, would reveal the one who left.
    const used = await queriesUsed();
    const again = await run(MEAN_HBA1C_BY_SEX, { scenarioId }, 'researcher', second.url);
    expect(again.status).toBe(403);
    expect(again.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'DIFFERENCING' });
    expect(await queriesUsed()).toBe(used);
  });

  it('gives the same resident another pseudonym in another scenario, and stops at the quota', async () => {
    const submitted = await stack.query<{ submitScenario: { id: string } }>('researcher', SUBMIT, { input: scenarioInput({ title: 'Second study', documents: [COHORT], queryQuota: 2 }) });
    const otherId = submitted.body.data!.submitScenario.id;
    await stack.query('steward-2', REVIEW, { id: otherId, decision: 'APPROVE' });
    const first = await run<Cohort>(COHORT, { scenarioId: otherId });
    const repeat = await run<Cohort>(COHORT, { scenarioId: otherId });
    expect(first.body.errors).toBeUndefined();
    const ours = new Set(first.body.data!.researchCohort.edges.map((e) => e.node.pseudonym));
    expect(ours.size).toBe(consenting.length - 1);
    expect(repeat.body.data!.researchCohort.edges.map((e) => e.node.pseudonym)).toEqual([...first.body.data!.researchCohort.edges.map((e) => e.node.pseudonym)]);
    const third = await run<Cohort>(COHORT, { scenarioId: otherId });
    expect(third.status).toBe(429);
    expect(codeOf(third)).toBe('QUOTA_EXCEEDED');
    const firstScenario = consenting.map((id) => scenarioPseudonym(stack.platform.researchSecret, scenarioId, id));
    for (const pseudonym of firstScenario) expect(ours.has(pseudonym)).toBe(false);
  });

  it('audits concurrent research queries through the group commit: batched, one signed head for several', async () => {
    const submitted = await stack.query<{ submitScenario: { id: string } }>('researcher', SUBMIT, { input: scenarioInput({ title: 'Batched study', documents: [COHORT], queryQuota: 20 }) });
    const batchedId = submitted.body.data!.submitScenario.id;
    expect((await stack.query('steward-1', REVIEW, { id: batchedId, decision: 'APPROVE' })).body.errors).toBeUndefined();
    const heads = async () => (await stack.platform.database.query<{ n: number }>('select count(*)::int as n from consent.audit_tree_head'))[0]!.n;
    const before = await heads();
    const answers = await Promise.all(Array.from({ length: 8 }, () => run<Cohort>(COHORT, { scenarioId: batchedId })));
    for (const answer of answers) expect(answer.body.errors).toBeUndefined();
    const audited = await stack.platform.database.query<{ n: number }>('select count(*)::int as n from consent.audit_entry where scenario_id = $1 and operation_hash = $2', [batchedId, sha256(COHORT)]);
    expect(audited[0]!.n).toBe(8);
    expect(await heads() - before).toBeLessThan(8);
  });

  it('refuses the documents once the scenario has ended', async () => {
    await stack.platform.database.query("update consent.research_scenario set valid_until = now() - interval '1 minute' where id = $1", [scenarioId]);
    const late = await run(COHORT);
    expect(late.status).toBe(403);
    expect(codeOf(late)).toBe('SCENARIO_NOT_APPROVED');
  });
});
