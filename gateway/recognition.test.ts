import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedGrant, startTestPlatform, testBackends, type GraphQLResponse, type TestPlatform } from '../testkit/index.js';

const TREAT = { 'x-purpose-of-use': 'TREAT' };
const ASK = `query($residentId: ID!, $itemCodes: [String!]!) { recognizableResults(residentId: $residentId, itemCodes: $itemCodes) {
  id itemCode recognizable reasons performedAt validUntil institution { id } labReport { id panelCode } } }`;
const DECIDE = 'mutation($c: ID!, $a: Boolean!, $r: String) { recordRecognitionDecision(candidateId: $c, accepted: $a, reason: $r) { id candidateId accepted reason decidedAt } }';
const REPORT = 'query($from: DateTimeISO!, $until: DateTimeISO!, $inst: ID) { recognitionReport(from: $from, until: $until, institutionId: $inst) { institutionId day remindersShown accepted declined declinedByReason { reason count } costSavedYuan } }';
const DAY_MS = 86_400_000;

type Candidate = { id: string; itemCode: string; recognizable: boolean; reasons: string[]; performedAt: string; validUntil: string | null; institution: { id: string }; labReport: { id: string; panelCode: string } | null };
type Asked = { recognizableResults: Candidate[] | null };

function codes(response: GraphQLResponse): unknown[] {
  return (response.body.errors ?? []).map((e) => e.extensions?.['code']);
}

describe.each(testBackends())('mutual recognition of results on $name', (backend) => {
  let stack: TestPlatform;
  let grant: string;
  let residentId: string;
  /** Lab report id → what the test inserted it as. */
  const reports = new Map<string, string>();
  /** Recognizable candidates the tests' questions by clinician-c (inst-03) were answered with. */
  let remindersSeen = 0;
  const now = Date.now();
  const today = new Date(now + 8 * 3_600_000).toISOString().slice(0, 10);
  const daysAgo = (days: number) => new Date(now - days * DAY_MS);
  const isoDaysAgo = (days: number) => new Date(now - days * DAY_MS + 8 * 3_600_000).toISOString().slice(0, 10);

  async function insertLab(name: string, institutionId: string, localCode: string, collectedAt: Date): Promise<void> {
    const id = `lab-test-${name}`;
    await stack.platform.database.query(
      `insert into results.lab_report (id, resident_id, institution_id, panel_code, panel_name, specimen, collected_at, reported_at)
        values ($1, $2, $3, 'TEST', '测试', '血清', $4, $4)`,
      [id, residentId, institutionId, collectedAt.toISOString()],
    );
    await stack.platform.database.query(
      `insert into results.lab_item (id, report_id, resident_id, local_code, name, value, abnormal_flag) values ($1, $2, $3, $4, $4, '1', 'N')`,
      [`${id}-1`, id, residentId, localCode],
    );
    reports.set(id, name);
  }
  const ask = (actor: string, itemCodes: string[], headers: Record<string, string> = { ...TREAT, 'x-access-grant': grant }) =>
    stack.query<Asked>(actor, ASK, { residentId, itemCodes }, headers);
  /** The candidates of the inserted reports, by their test names. */
  const ours = (response: GraphQLResponse<Asked>) => {
    expect(response.body.errors).toBeUndefined();
    const list = response.body.data!.recognizableResults!;
    expect(list.length).toBeGreaterThan(0);
    remindersSeen += list.filter((c) => c.recognizable).length;
    return new Map(list.flatMap((c) => (c.labReport && reports.has(c.labReport.id) ? [[reports.get(c.labReport.id)!, c] as const] : [])));
  };
  const candidatesShownTo = async (sub: string) =>
    Number((await stack.platform.database.query<{ n: string }>('select count(*) as n from results.recognition_candidate where shown_to_sub = $1', [sub]))[0]!.n);

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
    residentId = stack.actor('resident-multi').residentId!;
    grant = await approvedGrant(stack, 'clinician-c', 'resident-multi', { categories: ['RESULTS'], uses: 20 });
    // LFT-ALT is a 30-day item. inst-02 qualified with the HR mark, inst-04 failed EQA, inst-05 has no HR mark, inst-03 is the asker's own.
    await insertLab('day30', 'inst-02', 'LFT-ALT', daysAgo(30));
    await insertLab('day31', 'inst-02', 'LFT-ALT', daysAgo(31));
    await insertLab('noEqa', 'inst-04', 'LFT-ALT', daysAgo(5));
    await insertLab('noHr', 'inst-05', 'LFT-ALT', daysAgo(5));
    await insertLab('own', 'inst-03', 'LFT-ALT', daysAgo(5));
    // inst-02's EQA for LFT-AST lapsed 10 days ago: a result from before still counts, one from after does not.
    await insertLab('beforeLapse', 'inst-02', 'LFT-AST', daysAgo(20));
    await insertLab('afterLapse', 'inst-02', 'LFT-AST', daysAgo(5));
    await insertLab('unlisted', 'inst-02', 'URINE-WBC', daysAgo(2));
    const lapse = await stack.query('steward-1', 'mutation($i: RecognitionEqaStatusInput!) { setRecognitionEqaStatus(input: $i) { validUntil } }', {
      i: { institutionId: 'inst-02', itemCode: 'LFT-AST', validFrom: '2025-01-01', validUntil: isoDaysAgo(10), passed: true, hrMark: true },
    });
    expect(lapse.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('gives every prior result of the items with every reason that applies, pinning the 30-day window and EQA at the time of the result', async () => {
    const found = ours(await ask('clinician-c', ['LFT-ALT', 'LFT-AST', 'URINE-WBC']));
    const verdicts = Object.fromEntries([...found].map(([name, c]) => [name, [c.itemCode, c.institution.id, c.recognizable, c.reasons]]));
    expect(verdicts).toEqual({
      day30: ['LFT-ALT', 'inst-02', true, []],
      day31: ['LFT-ALT', 'inst-02', false, ['EXPIRED']],
      noEqa: ['LFT-ALT', 'inst-04', false, ['LAB_NOT_EQA_QUALIFIED', 'NO_HR_MARK']],
      noHr: ['LFT-ALT', 'inst-05', false, ['NO_HR_MARK']],
      own: ['LFT-ALT', 'inst-03', false, ['SAME_INSTITUTION']],
      beforeLapse: ['LFT-AST', 'inst-02', true, []],
      afterLapse: ['LFT-AST', 'inst-02', false, ['LAB_NOT_EQA_QUALIFIED', 'NO_HR_MARK']],
      unlisted: ['URINE-WBC', 'inst-02', false, ['NOT_IN_CATALOGUE', 'LAB_NOT_EQA_QUALIFIED', 'NO_HR_MARK']],
    });
    // Valid through the end of local day 30: the first moment after is local midnight starting day 31.
    const day30 = found.get('day30')!;
    expect(new Date(day30.validUntil!).getTime() - new Date(`${isoDaysAgo(30)}T00:00:00+08:00`).getTime()).toBe(31 * DAY_MS);
    expect(found.get('unlisted')!.validUntil).toBeNull();
    expect(day30.labReport).toEqual({ id: 'lab-test-day30', panelCode: 'TEST' });
  });

  it('finds a lab item by its LOINC as well, and shows a test named twice (code and LOINC) once', async () => {
    const byLoinc = ours(await ask('clinician-c', ['1742-6']));
    expect([...byLoinc.keys()].sort()).toEqual(['day30', 'day31', 'noEqa', 'noHr', 'own']);
    expect(new Set([...byLoinc.values()].map((c) => c.itemCode))).toEqual(new Set(['LFT-ALT']));
    const response = await ask('clinician-c', ['LFT-ALT', '1742-6']);
    const list = response.body.data!.recognizableResults!;
    const ids = list.map((c) => c.labReport?.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    remindersSeen += list.filter((c) => c.recognizable).length;
  });

  it('recognises only results from the grades the item lists, judged on the day of the result (GRADE_NOT_RECOGNISED otherwise); stewards keep the grades', async () => {
    const upsert = 'mutation($i: RecognitionItemInput!) { upsertRecognitionItem(input: $i) { code recognisedGrades } }';
    const item = { code: 'TEST-TERTIARY', name: '三级医院互认项目', group: 'CLINICAL_CHEMISTRY', validityDays: 30, priceYuan: 8, recognisedGrades: ['三级甲等', '三级乙等'] };
    expect((await stack.query('steward-1', upsert, { i: item })).body.errors).toBeUndefined();
    const eqa = 'mutation($i: RecognitionEqaStatusInput!) { setRecognitionEqaStatus(input: $i) { itemCode } }';
    for (const institutionId of ['inst-02', 'inst-06']) {
      expect((await stack.query('steward-1', eqa, { i: { institutionId, itemCode: item.code, validFrom: '2025-01-01', validUntil: '2099-12-31', passed: true, hrMark: true } })).body.errors).toBeUndefined();
    }
    // inst-02 is 三级甲等, inst-06 二级甲等 (seed/region.ts), both qualified with the HR mark.
    await insertLab('tertiary', 'inst-02', item.code, daysAgo(3));
    await insertLab('secondary', 'inst-06', item.code, daysAgo(3));
    await insertLab('secondaryEarlier', 'inst-06', item.code, daysAgo(20));
    const verdicts = async () => Object.fromEntries([...ours(await ask('clinician-c', [item.code]))].map(([name, c]) => [name, [c.institution.id, c.recognizable, c.reasons]]));
    expect(await verdicts()).toEqual({
      tertiary: ['inst-02', true, []],
      secondary: ['inst-06', false, ['GRADE_NOT_RECOGNISED']],
      secondaryEarlier: ['inst-06', false, ['GRADE_NOT_RECOGNISED']],
    });

    const grade = 'mutation($i: RecognitionInstitutionGradeInput!) { setRecognitionInstitutionGrade(input: $i) { institutionId validFrom grade } }';
    const upgrade = { institutionId: 'inst-06', validFrom: isoDaysAgo(10), grade: '三级乙等' };
    const byClinician = await stack.query('clinician-c', grade, { i: upgrade });
    expect([byClinician.status, codes(byClinician)]).toEqual([403, ['FORBIDDEN']]);
    for (const [change, field] of [[{ validFrom: '2026-02-30' }, 'input.validFrom'], [{ grade: ' ' }, 'input.grade'], [{ institutionId: 'inst 06' }, 'input.institutionId']] as const) {
      const bad = await stack.query('steward-1', grade, { i: { ...upgrade, ...change } });
      expect([bad.status, bad.body.errors?.[0]?.extensions?.['code'], bad.body.errors?.[0]?.extensions?.['field']]).toEqual([400, 'BAD_USER_INPUT', field]);
    }
    expect((await stack.query('steward-1', grade, { i: upgrade })).body.data).toEqual({ setRecognitionInstitutionGrade: upgrade });
    // Upgraded ten days ago: the result of three days ago was produced at the new grade, the one of twenty days ago at the old.
    expect(await verdicts()).toEqual({
      tertiary: ['inst-02', true, []],
      secondary: ['inst-06', true, []],
      secondaryEarlier: ['inst-06', false, ['GRADE_NOT_RECOGNISED']],
    });
    const listed = await stack.query<{ recognitionInstitutionGrades: unknown[] }>('clinician-c', 'query($ids: [ID!]!) { recognitionInstitutionGrades(institutionIds: $ids) { institutionId validFrom grade } }', { ids: ['inst-06'] });
    expect(listed.body.data!.recognitionInstitutionGrades).toEqual([{ institutionId: 'inst-06', validFrom: '2025-01-01', grade: '二级甲等' }, upgrade]);
  });

  it('audits the question like a read of the resident’s RESULTS', async () => {
    const before = await stack.platform.database.query<{ seq: string }>("select seq from consent.audit_entry where actor_sub = 'clinician-c' and resident_id = $1", [residentId]);
    ours(await ask('clinician-c', ['LFT-ALT']));
    const entries = await stack.platform.database.query<{ fields_by_category: Record<string, string[]>; outcome: string; purpose: string; grant_id: string | null }>(
      "select fields_by_category, outcome, purpose, grant_id from consent.audit_entry where actor_sub = 'clinician-c' and resident_id = $1 order by seq",
      [residentId],
    );
    expect(entries.length).toBe(before.length + 1);
    const last = entries.at(-1)!;
    expect(last.outcome).toBe('ALLOWED');
    expect(last.purpose).toBe('TREAT');
    expect(last.grant_id).not.toBeNull();
    expect(last.fields_by_category['RESULTS']).toEqual(expect.arrayContaining(['RecognitionCandidate.recognizable', 'RecognitionCandidate.reasons']));
  });

  it('refuses a clinician without a basis, a wrong purpose, a hospital system and a researcher, keeping no candidate', async () => {
    const shownBefore = await candidatesShownTo('clinician-c');
    const noBasis = await ask('clinician-c', ['LFT-ALT'], TREAT);
    expect(noBasis.body.data?.recognizableResults ?? null).toBeNull();
    expect(codes(noBasis)).toEqual(['GRANT_REQUIRED']);
    const wrongPurpose = await ask('clinician-c', ['LFT-ALT'], { 'x-purpose-of-use': 'HRESCH', 'x-access-grant': grant });
    expect(wrongPurpose.body.data?.recognizableResults ?? null).toBeNull();
    expect([wrongPurpose.status, codes(wrongPurpose), wrongPurpose.body.errors?.[0]?.extensions?.['problem']]).toEqual([403, ['GRANT_INVALID'], 'OTHER_PURPOSE']);
    const noPurpose = await ask('clinician-c', ['LFT-ALT'], { 'x-access-grant': grant });
    expect(codes(noPurpose)).toEqual(['PURPOSE_REQUIRED']);
    for (const actor of ['his-inst-02', 'researcher']) {
      const refused = await ask(actor, ['LFT-ALT'], TREAT);
      expect(refused.body.data?.recognizableResults ?? null).toBeNull();
      expect(codes(refused)).toEqual(['FORBIDDEN']);
      expect(refused.body.errors?.[0]?.extensions?.['missing']).toEqual({ category: 'RESULTS', need: 'role' });
      expect(await candidatesShownTo(actor)).toBe(0);
    }
    expect(await candidatesShownTo('clinician-c')).toBe(shownBefore);
  });

  it('shows a treating clinician without a grant only their own institution’s results, none recognizable', async () => {
    const response = await ask('clinician-b', ['LFT-ALT'], TREAT);
    expect(response.body.errors).toBeUndefined();
    const list = response.body.data!.recognizableResults!;
    expect(list.length).toBeGreaterThan(0);
    for (const candidate of list) expect([candidate.institution.id, candidate.recognizable, candidate.reasons.includes('SAME_INSTITUTION')]).toEqual(['inst-02', false, true]);
  });

  it('refuses item codes it cannot take with BAD_USER_INPUT naming the field', async () => {
    const empty = await ask('clinician-c', []);
    expect(empty.status).toBe(400);
    expect(empty.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'itemCodes' });
    const odd = await ask('clinician-c', ['LFT-ALT', 'no spaces']);
    expect(odd.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'itemCodes[1]' });
  });

  it('records decisions: one per candidate, fixed reasons, OTHER with a text, only by the clinician it was shown to; the report adds them up exactly', async () => {
    const found = ours(await ask('clinician-c', ['LFT-ALT', 'LFT-AST']));
    const decide = (actor: string, name: string, accepted: boolean, reason?: string) => stack.query<{ recordRecognitionDecision: Record<string, unknown> }>(actor, DECIDE, { c: found.get(name)!.id, a: accepted, r: reason ?? null });

    const accepted = await decide('clinician-c', 'day30', true);
    expect(accepted.body.errors).toBeUndefined();
    expect(accepted.body.data!.recordRecognitionDecision).toMatchObject({ candidateId: found.get('day30')!.id, accepted: true, reason: null });
    const again = await decide('clinician-c', 'day30', false, 'CONDITION_CHANGED');
    expect([again.status, codes(again)]).toEqual([409, ['CONFLICT']]);
    expect((await decide('clinician-c', 'beforeLapse', true)).body.errors).toBeUndefined();

    for (const [reason, field] of [['NOT_A_REASON', 'reason'], ['OTHER', 'reason'], ['OTHER:   ', 'reason'], [undefined, 'reason']] as const) {
      const bad = await decide('clinician-c', 'day31', false, reason);
      expect([bad.status, bad.body.errors?.[0]?.extensions?.['code'], bad.body.errors?.[0]?.extensions?.['field']]).toEqual([400, 'BAD_USER_INPUT', field]);
    }
    const expiredAccepted = await decide('clinician-c', 'day31', true);
    expect(expiredAccepted.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'accepted' });
    const reasonOnAccept = await decide('clinician-c', 'day30', true, 'EMERGENCY');
    expect(reasonOnAccept.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });

    const other = await decide('clinician-c', 'day31', false, 'OTHER: 外院报告单位不一致');
    expect(other.body.data!.recordRecognitionDecision).toMatchObject({ accepted: false, reason: 'OTHER: 外院报告单位不一致' });
    expect((await decide('clinician-c', 'noEqa', false, 'CONDITION_CHANGED')).body.errors).toBeUndefined();
    expect((await decide('clinician-c', 'noHr', false, 'CONDITION_CHANGED')).body.errors).toBeUndefined();

    const stranger = await decide('clinician-a', 'own', false, 'EMERGENCY');
    expect([stranger.status, codes(stranger)]).toEqual([403, ['FORBIDDEN']]);
    const unknown = await stack.query('clinician-c', DECIDE, { c: 'rc-unknown', a: false, r: 'EMERGENCY' });
    expect([unknown.status, codes(unknown), unknown.body.errors?.[0]?.message]).toEqual([403, ['FORBIDDEN'], stranger.body.errors?.[0]?.message]);
    expect(
      await stack.platform.database.query("select count(*)::int as n from results.recognition_decision where decided_by_sub <> 'clinician-c'"),
    ).toEqual([{ n: 0 }]);

    expect(remindersSeen).toBeGreaterThanOrEqual(4);
    const report = await stack.query<{ recognitionReport: unknown[] }>('steward-1', REPORT, { from: `${today}T00:00:00+08:00`, until: `${today}T23:59:59+08:00` });
    expect(report.body.errors).toBeUndefined();
    expect(report.body.data!.recognitionReport).toEqual([
      {
        institutionId: 'inst-03',
        day: today,
        remindersShown: remindersSeen,
        accepted: 2,
        declined: 3,
        declinedByReason: [{ reason: 'CONDITION_CHANGED', count: 2 }, { reason: 'OTHER', count: 1 }],
        costSavedYuan: 10,
      },
    ]);
    const own = await stack.query<{ recognitionReport: unknown[] }>('clinician-c', REPORT, { from: `${today}T00:00:00+08:00`, until: `${today}T23:59:59+08:00` });
    expect(own.body.data!.recognitionReport).toEqual(report.body.data!.recognitionReport);
    const otherInstitution = await stack.query<{ recognitionReport: unknown[] }>('clinician-a', REPORT, { from: `${today}T00:00:00+08:00`, until: `${today}T23:59:59+08:00` });
    expect(otherInstitution.body.data!.recognitionReport).toEqual([]);
    const named = await stack.query('clinician-a', REPORT, { from: `${today}T00:00:00+08:00`, until: `${today}T23:59:59+08:00`, inst: 'inst-03' });
    expect([named.status, codes(named)]).toEqual([403, ['FORBIDDEN']]);
    const researcher = await stack.query('researcher', REPORT, { from: `${today}T00:00:00+08:00`, until: `${today}T23:59:59+08:00` });
    expect(codes(researcher)).toEqual(['FORBIDDEN']);
    const backwards = await stack.query('steward-1', REPORT, { from: `${today}T00:00:00+08:00`, until: `${isoDaysAgo(3)}T00:00:00+08:00` });
    expect(backwards.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'until' });
  });

  it('audits a committed decision as a write in the resident’s access log, and a refused one not at all', async () => {
    const found = ours(await ask('clinician-c', ['LFT-ALT']));
    const writes = async () =>
      stack.platform.database.query<{ request_id: string; fields_by_category: Record<string, string[]>; actor_role: string; institution_id: string; outcome: string }>(
        "select request_id, fields_by_category, actor_role, institution_id, outcome from consent.audit_entry where resident_id = $1 and fields_by_category::text like '%Mutation.recordRecognitionDecision%' order by seq",
        [residentId],
      );
    const before = await writes();
    const refused = await stack.query('clinician-c', DECIDE, { c: found.get('day30')!.id, a: false, r: 'NOT_A_REASON' });
    expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(await writes()).toEqual(before);
    const recorded = await stack.query('clinician-c', DECIDE, { c: found.get('day30')!.id, a: false, r: 'PATIENT_REQUEST' });
    expect(recorded.body.errors).toBeUndefined();
    const after = await writes();
    expect(after.slice(before.length)).toEqual([
      { request_id: expect.any(String), fields_by_category: { RESULTS: ['Mutation.recordRecognitionDecision'] }, actor_role: 'clinician', institution_id: 'inst-03', outcome: 'ALLOWED' },
    ]);
    const log = await stack.query<{ myAccessLog: { edges: Array<{ node: { kind: string; summary: string; categories: string[] } }> } }>(
      'resident-multi',
      '{ myAccessLog(first: 100) { edges { node { kind summary categories } } } }',
    );
    const decisionEntries = log.body.data!.myAccessLog.edges.map((e) => e.node).filter((n) => n.summary.includes('互认'));
    expect(decisionEntries[0]).toEqual({ kind: 'WRITE', summary: 'A clinician of inst-03 recorded whether an earlier result of yours stands in for a new test (互认)', categories: ['RESULTS'] });
  });

  it('ships a catalogue of at least 60 items over the seven groups, maintained by stewards only, with validated input', async () => {
    const catalogue = await stack.query<{ recognitionCatalogue: Array<{ code: string; group: string; validityDays: number; priceYuan: number }> }>(
      'clinician-a',
      '{ recognitionCatalogue { code group validityDays priceYuan } }',
    );
    const items = catalogue.body.data!.recognitionCatalogue;
    expect(items.length).toBeGreaterThanOrEqual(60);
    expect(new Set(items.map((i) => i.group))).toEqual(new Set(['CLINICAL_CHEMISTRY', 'IMMUNOLOGY', 'HAEMATOLOGY', 'PLAIN_RADIOGRAPHY', 'CT', 'MR', 'ULTRASOUND']));
    const windows = Object.fromEntries(items.filter((i) => ['ELEC-K', 'LFT-ALT', 'HBA1C'].includes(i.code)).map((i) => [i.code, i.validityDays]));
    expect(windows).toEqual({ 'ELEC-K': 7, 'LFT-ALT': 30, HBA1C: 60 });

    const upsert = 'mutation($i: RecognitionItemInput!) { upsertRecognitionItem(input: $i) { code group modality bodyPart priceYuan } }';
    const item = { code: 'CT-PELVIS', name: '盆腔CT平扫', group: 'CT', validityDays: 180, priceYuan: 220.5, modality: 'CT', bodyPart: 'PELVIS', recognisedGrades: ['三级甲等'] };
    const byClinician = await stack.query('clinician-a', upsert, { i: item });
    expect([byClinician.status, codes(byClinician)]).toEqual([403, ['FORBIDDEN']]);
    for (const [change, field] of [
      [{ group: 'DENTAL' }, 'input.group'],
      [{ modality: 'MR' }, 'input.modality'],
      // A body part feeds cannot carry (CODE_SYSTEM): hospitals could never send the item.
      [{ bodyPart: 'THORAX' }, 'input.bodyPart'],
      [{ validityDays: 0 }, 'input.validityDays'],
      [{ priceYuan: 1.005 }, 'input.priceYuan'],
      [{ recognisedGrades: [] }, 'input.recognisedGrades'],
      [{ group: 'CLINICAL_CHEMISTRY', modality: null, bodyPart: null, loinc: 'abc' }, 'input.loinc'],
    ] as const) {
      const bad = await stack.query('steward-1', upsert, { i: { ...item, ...change } });
      expect([bad.status, bad.body.errors?.[0]?.extensions?.['code'], bad.body.errors?.[0]?.extensions?.['field']]).toEqual([400, 'BAD_USER_INPUT', field]);
    }
    const written = await stack.query('steward-1', upsert, { i: item });
    expect(written.body.data).toEqual({ upsertRecognitionItem: { code: 'CT-PELVIS', group: 'CT', modality: 'CT', bodyPart: 'PELVIS', priceYuan: 220.5 } });
    const eqa = 'mutation($i: RecognitionEqaStatusInput!) { setRecognitionEqaStatus(input: $i) { itemCode } }';
    const unknownItem = await stack.query('steward-1', eqa, { i: { institutionId: 'inst-02', itemCode: 'NOPE', validFrom: '2026-01-01', validUntil: '2026-12-31', passed: true, hrMark: true } });
    expect(unknownItem.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.itemCode' });
    const badDay = await stack.query('steward-1', eqa, { i: { institutionId: 'inst-02', itemCode: 'CT-PELVIS', validFrom: '2026-02-30', validUntil: '2026-12-31', passed: true, hrMark: true } });
    expect(badDay.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.validFrom' });
  });
});
