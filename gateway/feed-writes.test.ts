import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedRefusal, startExtraGateway, startRecordingProxy, startTestPlatform, testBackends, type TestPlatform } from '../testkit/index.js';

const TREAT = { 'x-purpose-of-use': 'TREAT' };
const RECORD_ENCOUNTERS = 'mutation($input: [EncounterInput!]!) { recordEncounters(input: $input) }';
const RECORD_LAB_REPORTS = 'mutation($input: [LabReportInput!]!) { recordLabReports(input: $input) }';
const RECORD_IMMUNIZATIONS = 'mutation($input: [ImmunizationInput!]!) { recordImmunizations(input: $input) }';
const RECORD_FOLLOW_UPS = 'mutation($input: [FollowUpInput!]!) { recordFollowUps(input: $input) }';
const CLINICAL_VIEW = 'query($id: ID!) { resident(id: $id) { id name birthDate encounters(first: 50) { id institution { id } } } }';
const ACCESS_LOG = `{ myAccessLog(first: 50) { edges { node {
  kind summary startedCare actorRole actorInstitution { id } purpose categories deniedCategories outcome
} } } }`;

const UNKNOWN_RESIDENT = 'res-nonexistent-rt';
/** The institutions whose systems push records in these tests; the residents used have never been treated there. */
const FEEDING_INSTITUTIONS = ['inst-03', 'inst-05'];

type ClinicalView = { resident: null | { id: string; name: string | null; birthDate: string | null; encounters: Array<{ id: string; institution: { id: string } }> | null } };
type AccessLog = { myAccessLog: { edges: Array<{ node: Record<string, unknown> }> } };

function encounter(residentId: string, change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    residentId,
    encounterClass: 'OUTPATIENT',
    department: '全科医疗科',
    startedAt: '2026-01-10T01:30:00.000Z',
    diagnoses: [{ code: 'I10.x00', codeSystem: 'ICD-10-CN', codeSystemVersion: '2.0', display: '高血压', rank: 'PRIMARY' }],
    ...change,
  };
}

function labReport(residentId: string, change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    residentId,
    panelCode: 'GLU',
    panelName: '空腹血糖',
    specimen: '静脉血',
    collectedAt: '2026-01-10T00:00:00.000Z',
    reportedAt: '2026-01-10T02:00:00.000Z',
    items: [{ localCode: 'GLU', loinc: '1558-6', name: '空腹血糖', value: '5.4', unit: 'mmol/L', referenceRange: '3.9-6.1', abnormalFlag: 'N' }],
    ...change,
  };
}

function dose(residentId: string): Record<string, unknown> {
  return { residentId, vaccineCode: '0101', vaccineName: '乙肝疫苗', doseNumber: 1, lotNumber: '202501A01', manufacturer: '深圳康泰', administeredOn: '2026-01-10', site: '左上臂三角肌', route: '肌内注射' };
}

function followUp(residentId: string): Record<string, unknown> {
  return { residentId, programme: 'HYPERTENSION', visitDate: '2026-01-10', mode: 'CLINIC', systolic: 138, diastolic: 86, assessment: 'CONTROLLED' };
}

const refusal = feedRefusal;

describe.each(testBackends())('hospital feeds on $name', (backend) => {
  let stack: TestPlatform;
  /** Residents of the seeded region that no test has used yet and that inst-03 and inst-05 have never treated. */
  let fresh: string[];
  const id = (actor: string) => stack.actor(actor).residentId!;
  const nextResident = () => {
    const resident = fresh.shift();
    if (!resident) throw new Error('the test region has run out of untreated residents');
    return resident;
  };
  const practitionerOf = async (institutionId: string) =>
    (await stack.platform.database.query<{ id: string }>('select id from resources.practitioner where institution_id = $1 order by id limit 1', [institutionId]))[0]!.id;
  // The seeded region has its own history at other institutions: look only at what the feeding institutions wrote.
  const encountersOf = async (residentId: string) =>
    stack.platform.database.query<{ id: string; institution_id: string }>(
      'select id, institution_id from clinical.encounter where resident_id = $1 and institution_id = any($2) order by id',
      [residentId, FEEDING_INSTITUTIONS],
    );
  const careOf = async (residentId: string) =>
    stack.platform.database.query<{ institution_id: string; started_by_operation: string | null; started_by_request_id: string | null; started_by_record_ids: string[] | null }>(
      `select institution_id, started_by_operation, started_by_request_id, started_by_record_ids from consent.care_relationship
        where resident_id = $1 and institution_id = any($2) order by institution_id`,
      [residentId, FEEDING_INSTITUTIONS],
    );
  const auditOf = async (residentId: string) =>
    stack.platform.database.query<{ request_id: string; actor_role: string; institution_id: string | null; fields_by_category: Record<string, string[]>; rows_returned: number; outcome: string }>(
      'select request_id, actor_role, institution_id, fields_by_category, rows_returned, outcome from consent.audit_entry where resident_id = $1 order by seq',
      [residentId],
    );
  const readAs = (clinician: string, residentId: string) => stack.query<ClinicalView>(clinician, CLINICAL_VIEW, { id: residentId }, TREAT);
  const expectGrantRequired = async (clinician: string, residentId: string) => {
    const { body } = await readAs(clinician, residentId);
    expect(body.data).toEqual({ resident: null });
    expect(body.errors?.map((e) => e.extensions?.['code'])).toEqual(['GRANT_REQUIRED']);
  };

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
    const demo = new Set(stack.actors.flatMap((a) => (a.residentId ? [a.residentId] : [])));
    const rows = await stack.platform.database.query<{ id: string }>(
      `select r.id from population.resident r
        where not exists (select 1 from consent.care_relationship c where c.resident_id = r.id and c.institution_id = any($1))
        order by r.id`,
      [FEEDING_INSTITUTIONS],
    );
    fresh = rows.map((r) => r.id).filter((resident) => !demo.has(resident));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('lets inst-03 start care with a real encounter for a known resident, shown in the access log as a write with its provenance', async () => {
    const resident = id('resident-multi');
    expect(resident).toBe('res-000000');
    await expectGrantRequired('clinician-c', resident);
    const practitioner = await practitionerOf('inst-03');

    const written = await stack.query<{ recordEncounters: string[] }>('his-inst-03', RECORD_ENCOUNTERS, { input: [encounter(resident, { attendingPractitionerId: practitioner })] });
    expect(written.body.errors).toBeUndefined();
    const [encounterId] = written.body.data!.recordEncounters;
    expect(written.body.data!.recordEncounters).toEqual([expect.stringMatching(/^enc-/)]);

    const { body } = await readAs('clinician-c', resident);
    expect(body.errors).toBeUndefined();
    expect(body.data!.resident!.name).toMatch(/^王\*+$/);
    expect(body.data!.resident!.encounters).toEqual([{ id: encounterId, institution: { id: 'inst-03' } }]);

    const care = (await careOf(resident)).find((row) => row.institution_id === 'inst-03');
    expect(care).toEqual({ institution_id: 'inst-03', started_by_operation: 'recordEncounters', started_by_request_id: expect.any(String), started_by_record_ids: [encounterId] });
    const feedEntries = (await auditOf(resident)).filter((entry) => entry.request_id === care!.started_by_request_id);
    expect(feedEntries).toEqual([
      { request_id: care!.started_by_request_id, actor_role: 'hospital_system', institution_id: 'inst-03', fields_by_category: { CLINICAL: ['Mutation.recordEncounters'] }, rows_returned: 1, outcome: 'ALLOWED' },
    ]);

    const log = await stack.query<AccessLog>('resident-multi', ACCESS_LOG);
    const writes = log.body.data!.myAccessLog.edges.map((e) => e.node).filter((node) => node['kind'] === 'WRITE');
    expect(writes).toEqual([
      {
        kind: 'WRITE',
        summary: 'inst-03 recorded an encounter and became one of your treating institutions',
        startedCare: true,
        actorRole: 'hospital_system',
        actorInstitution: { id: 'inst-03' },
        purpose: null,
        categories: ['CLINICAL'],
        deniedCategories: [],
        outcome: 'ALLOWED',
      },
    ]);
  });

  it('says only that it recorded, without starting care again, when the institution already treats the resident', async () => {
    const resident = nextResident();
    for (const n of [1, 2]) {
      const written = await stack.query('his-inst-03', RECORD_ENCOUNTERS, { input: Array.from({ length: n }, () => encounter(resident)) });
      expect(written.body.errors).toBeUndefined();
    }
    const care = (await careOf(resident)).filter((row) => row.institution_id === 'inst-03');
    expect(care).toHaveLength(1);
    expect(care[0]!.started_by_record_ids).toHaveLength(1);
    const entries = (await auditOf(resident)).filter((entry) => entry.actor_role === 'hospital_system');
    expect(entries.map((e) => e.rows_returned)).toEqual([1, 2]);
  });

  it('refuses an encounter for a resident the platform does not know: BAD_USER_INPUT, no encounter, no care relationship, no audit, no data key', async () => {
    const response = await stack.query('his-inst-03', RECORD_ENCOUNTERS, { input: [encounter(UNKNOWN_RESIDENT, { chiefComplaint: '头晕 3 天' })] });
    expect(refusal(response)).toEqual({ status: 400, code: 'BAD_USER_INPUT', field: 'input[0].residentId', rule: 'KNOWN_RESIDENT' });
    expect(response.body.errors![0]!.message).toMatch(/^input\[0\]\.residentId /);
    expect(await encountersOf(UNKNOWN_RESIDENT)).toEqual([]);
    expect(await careOf(UNKNOWN_RESIDENT)).toEqual([]);
    expect(await auditOf(UNKNOWN_RESIDENT)).toEqual([]);
    expect(await stack.platform.database.query('select resident_id from keyring.data_key where resident_id = $1', [UNKNOWN_RESIDENT])).toEqual([]);
    await expectGrantRequired('clinician-c', UNKNOWN_RESIDENT);
  });

  it("refuses an encounter naming another institution's practitioner, or one that does not exist", async () => {
    const resident = nextResident();
    const strangers = [await practitionerOf('inst-05'), 'pr-nonexistent'];
    expect(strangers[0]).not.toBe(await practitionerOf('inst-03'));
    for (const practitioner of strangers) {
      const response = await stack.query('his-inst-03', RECORD_ENCOUNTERS, { input: [encounter(resident, { attendingPractitionerId: practitioner })] });
      expect(refusal(response)).toEqual({ status: 400, code: 'BAD_USER_INPUT', field: 'input[0].attendingPractitionerId', rule: 'OWN_PRACTITIONER' });
    }
    expect(await encountersOf(resident)).toEqual([]);
    expect(await careOf(resident)).toEqual([]);
    await expectGrantRequired('clinician-c', resident);
  });

  it("refuses a lab report pointing at another institution's encounter or at another resident's encounter, and accepts its own", async () => {
    const [treatedElsewhere] = await stack.platform.database.query<{ id: string; resident_id: string }>(
      "select id, resident_id from clinical.encounter where institution_id = 'inst-01' and resident_id = $1 order by id limit 1",
      [id('resident-multi')],
    );
    expect(treatedElsewhere).toBeDefined();
    const reportsBefore = await countLabReports(treatedElsewhere!.resident_id);
    const foreign = await stack.query('his-inst-03', RECORD_LAB_REPORTS, { input: [labReport(treatedElsewhere!.resident_id, { encounterId: treatedElsewhere!.id })] });
    expect(refusal(foreign)).toEqual({ status: 400, code: 'BAD_USER_INPUT', field: 'input[0].encounterId', rule: 'OWN_ENCOUNTER' });

    const [patient, other] = [nextResident(), nextResident()];
    const written = await stack.query<{ recordEncounters: string[] }>('his-inst-03', RECORD_ENCOUNTERS, { input: [encounter(patient)] });
    const [ownEncounter] = written.body.data!.recordEncounters;
    const mismatched = await stack.query('his-inst-03', RECORD_LAB_REPORTS, { input: [labReport(other, { encounterId: ownEncounter })] });
    expect(refusal(mismatched)).toEqual({ status: 400, code: 'BAD_USER_INPUT', field: 'input[0].encounterId', rule: 'OWN_ENCOUNTER' });
    const unknown = await stack.query('his-inst-03', RECORD_LAB_REPORTS, { input: [labReport(patient, { encounterId: 'enc-nonexistent' })] });
    expect(refusal(unknown).rule).toBe('OWN_ENCOUNTER');
    expect([await countLabReports(treatedElsewhere!.resident_id), await countLabReports(patient), await countLabReports(other)]).toEqual([reportsBefore, 0, 0]);
    expect(await careOf(other)).toEqual([]);

    const accepted = await stack.query<{ recordLabReports: string[] }>('his-inst-03', RECORD_LAB_REPORTS, { input: [labReport(patient, { encounterId: ownEncounter })] });
    expect(accepted.body.errors).toBeUndefined();
    expect(accepted.body.data!.recordLabReports).toEqual([expect.stringMatching(/^lab-/)]);
    const stored = await stack.platform.database.query<{ id: string; encounter_id: string; institution_id: string }>(
      'select id, encounter_id, institution_id from results.lab_report where id = any($1)',
      [accepted.body.data!.recordLabReports],
    );
    expect(stored).toEqual([{ id: accepted.body.data!.recordLabReports[0], encounter_id: ownEncounter, institution_id: 'inst-03' }]);
  });

  async function countLabReports(residentId: string): Promise<number> {
    const sql = 'select count(*)::int as n from results.lab_report where resident_id = $1 and institution_id = any($2)';
    return (await stack.platform.database.query<{ n: number }>(sql, [residentId, FEEDING_INSTITUTIONS]))[0]!.n;
  }

  it('writes nothing from a batch with one bad record among good ones, and names the bad one', async () => {
    const [first, second] = [nextResident(), nextResident()];
    const response = await stack.query('his-inst-03', RECORD_ENCOUNTERS, { input: [encounter(first), encounter(second), encounter(UNKNOWN_RESIDENT), encounter(first)] });
    expect(refusal(response)).toEqual({ status: 400, code: 'BAD_USER_INPUT', field: 'input[2].residentId', rule: 'KNOWN_RESIDENT' });
    for (const resident of [first, second]) {
      expect(await encountersOf(resident)).toEqual([]);
      expect(await careOf(resident)).toEqual([]);
      expect((await auditOf(resident)).filter((entry) => entry.actor_role === 'hospital_system')).toEqual([]);
      await expectGrantRequired('clinician-c', resident);
    }
  });

  it("takes the institution from the token only: inst-05's system cannot write for inst-03", async () => {
    const resident = nextResident();
    const withInst03Practitioner = await stack.query('his-inst-05', RECORD_ENCOUNTERS, { input: [encounter(resident, { attendingPractitionerId: await practitionerOf('inst-03') })] });
    expect(refusal(withInst03Practitioner)).toMatchObject({ status: 400, code: 'BAD_USER_INPUT', field: 'input[0].attendingPractitionerId' });
    const claimingInst03 = await stack.query('his-inst-05', RECORD_ENCOUNTERS, { input: [encounter(resident, { institutionId: 'inst-03' })] });
    // A record naming another institution breaks OWN_INSTITUTION (the policy's condition on feed writes).
    expect(refusal(claimingInst03).code).toBe('BAD_USER_INPUT');
    expect(await encountersOf(resident)).toEqual([]);

    const own = await stack.query<{ recordEncounters: string[] }>('his-inst-05', RECORD_ENCOUNTERS, { input: [encounter(resident, { attendingPractitionerId: await practitionerOf('inst-05') })] });
    expect(own.body.errors).toBeUndefined();
    expect((await encountersOf(resident)).map((e) => e.institution_id)).toEqual(['inst-05']);
    expect((await careOf(resident)).map((c) => c.institution_id)).toEqual(['inst-05']);
    await expectGrantRequired('clinician-c', resident);
  });

  it('refuses feed writes from anyone but a hospital system with FORBIDDEN, before looking anything up', async () => {
    const resident = nextResident();
    for (const actor of ['clinician-c', 'resident-multi', null]) {
      const response = await stack.query(actor, RECORD_ENCOUNTERS, { input: [encounter(resident)] });
      expect(refusal(response)).toMatchObject({ code: actor === null ? expect.stringMatching(/^(FORBIDDEN|UNAUTHENTICATED)$/) : 'FORBIDDEN' });
    }
    expect(await encountersOf(resident)).toEqual([]);
    expect(await careOf(resident)).toEqual([]);
  });

  it('refuses a feed write sent together with other root fields, so every committed batch is audited', async () => {
    const resident = nextResident();
    const both = `mutation($a: [EncounterInput!]!, $b: [ImmunizationInput!]!) { recordEncounters(input: $a) recordImmunizations(input: $b) }`;
    const response = await stack.query('his-inst-03', both, { a: [encounter(resident)], b: [dose(resident)] });
    expect(refusal(response)).toMatchObject({ status: 400, code: 'BAD_USER_INPUT' });
    expect(await encountersOf(resident)).toEqual([]);
  });

  it.each([
    ['recordImmunizations', RECORD_IMMUNIZATIONS, dose],
    ['recordFollowUps', RECORD_FOLLOW_UPS, followUp],
  ] as const)('checks the resident of %s too, and records care and an audited write for a known one', async (operation, mutation, record) => {
    const unknown = await stack.query('his-inst-03', mutation, { input: [record(nextResident()), record(UNKNOWN_RESIDENT)] });
    expect(refusal(unknown)).toEqual({ status: 400, code: 'BAD_USER_INPUT', field: 'input[1].residentId', rule: 'KNOWN_RESIDENT' });
    expect(await careOf(UNKNOWN_RESIDENT)).toEqual([]);

    const resident = nextResident();
    const written = await stack.query<Record<string, string[]>>('his-inst-03', mutation, { input: [record(resident)] });
    expect(written.body.errors).toBeUndefined();
    expect((await careOf(resident)).map((c) => [c.institution_id, c.started_by_operation, c.started_by_record_ids])).toEqual([['inst-03', operation, written.body.data![operation]]]);
    const entries = (await auditOf(resident)).filter((entry) => entry.actor_role === 'hospital_system');
    expect(entries.map((e) => [e.fields_by_category, e.rows_returned])).toEqual([[{ PUBLIC_HEALTH: [`Mutation.${operation}`] }, 1]]);
  });

  it('looks each kind of reference up once per batch, not once per record', async () => {
    const proxies = await Promise.all(['population', 'resources', 'clinical'].map(async (name) => [name, await startRecordingProxy(stack.platform.subgraphs.find((s) => s.name === name)!.url)] as const));
    const gateway = await startExtraGateway(stack, { subgraphUrls: Object.fromEntries(proxies.map(([name, proxy]) => [name, proxy.url])) });
    try {
      const practitioner = await practitionerOf('inst-03');
      const residents = [nextResident(), nextResident(), nextResident()];
      const response = await stack.query('his-inst-03', RECORD_ENCOUNTERS, { input: residents.map((r) => encounter(r, { attendingPractitionerId: practitioner })) }, {}, gateway.url);
      expect(response.body.errors).toBeUndefined();
      const [population, resources, clinical] = proxies.map(([, proxy]) => proxy.queries);
      expect(population!.filter((q) => q.includes('knownResidentIds'))).toHaveLength(1);
      expect(resources!.filter((q) => q.includes('Practitioner'))).toHaveLength(1);
      expect(clinical!.filter((q) => q.includes('recordEncounters'))).toHaveLength(1);
    } finally {
      await gateway.stop();
      for (const [, proxy] of proxies) await proxy.stop();
    }
  });

  it('still verifies the audit chain after every feed write above', async () => {
    const { body } = await stack.query<{ verifyAuditChain: { valid: boolean } }>('auditor', '{ verifyAuditChain { valid } }');
    expect(body.data!.verifyAuditChain.valid).toBe(true);
  });
});
