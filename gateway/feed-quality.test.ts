import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUALITY_RULES } from '../schema/feed-quality.js';
import { feedDose, feedEncounter, feedImagingReport, feedLabReport, feedRefusal, startTestPlatform, testBackends, type TestPlatform } from '../testkit/index.js';

const MUTATIONS = {
  recordEncounters: 'mutation($input: [EncounterInput!]!) { recordEncounters(input: $input) }',
  recordLabReports: 'mutation($input: [LabReportInput!]!) { recordLabReports(input: $input) }',
  recordImagingReports: 'mutation($input: [ImagingReportInput!]!) { recordImagingReports(input: $input) }',
  recordImmunizations: 'mutation($input: [ImmunizationInput!]!) { recordImmunizations(input: $input) }',
} as const;
type Mutation = keyof typeof MUTATIONS;
type Json = Record<string, unknown>;

/** The institution whose system sends in these tests, and the one it must not write for. */
const SENDER = 'inst-05';
const OTHER = 'inst-03';

const encounter = feedEncounter;
const labReport = feedLabReport;
const dose = feedDose;
const imaging = feedImagingReport;

/** What the world of one case needs: a fresh resident, and practitioners and encounters to reference. */
interface World {
  resident: string;
  foreignPractitioner: string;
  sensitivePractitioner: { id: string; institutionId: string };
  foreignEncounter: string;
}

/** One bad record per rule of the catalogue: what is sent, by whom, and the field and rule the refusal names. */
const CASES: Array<{ rule: string; mutation: Mutation; record: (w: World) => Json; field: string; sender?: (w: World) => string }> = [
  { rule: 'REQUIRED_FIELD', mutation: 'recordEncounters', record: (w) => encounter(w.resident, { department: '  ' }), field: 'input[0].department' },
  { rule: 'ALLOWED_VALUE', mutation: 'recordEncounters', record: (w) => encounter(w.resident, { encounterClass: 'HOME_VISIT' }), field: 'input[0].encounterClass' },
  {
    rule: 'CODE_SYSTEM',
    mutation: 'recordEncounters',
    record: (w) => encounter(w.resident, { diagnoses: [{ code: 'BA00', codeSystem: 'ICD-11', codeSystemVersion: '2024', display: '高血压', rank: 'PRIMARY' }] }),
    field: 'input[0].diagnoses[0].code',
  },
  { rule: 'KNOWN_ITEM', mutation: 'recordImagingReports', record: (w) => imaging(w.resident, { itemCode: 'CT-HEAD-AND-NECK' }), field: 'input[0].itemCode' },
  { rule: 'UNIT', mutation: 'recordLabReports', record: (w) => labReport(w.resident, {}, { unit: 'mmol/mol' }), field: 'input[0].items[0].unit' },
  { rule: 'RANGE', mutation: 'recordLabReports', record: (w) => labReport(w.resident, {}, { value: '680' }), field: 'input[0].items[0].value' },
  { rule: 'NOT_FUTURE', mutation: 'recordImmunizations', record: (w) => dose(w.resident, { administeredOn: `${new Date().getUTCFullYear() + 1}-01-10` }), field: 'input[0].administeredOn' },
  { rule: 'CHRONOLOGY', mutation: 'recordLabReports', record: (w) => labReport(w.resident, { reportedAt: '2026-01-09T00:00:00.000Z' }), field: 'input[0].reportedAt' },
  { rule: 'OWN_INSTITUTION', mutation: 'recordEncounters', record: (w) => encounter(w.resident, { institutionId: OTHER }), field: 'input[0].institutionId' },
  { rule: 'KNOWN_RESIDENT', mutation: 'recordImmunizations', record: () => dose('res-not-known-to-the-platform'), field: 'input[0].residentId' },
  { rule: 'OWN_PRACTITIONER', mutation: 'recordEncounters', record: (w) => encounter(w.resident, { attendingPractitionerId: w.foreignPractitioner }), field: 'input[0].attendingPractitionerId' },
  { rule: 'OWN_ENCOUNTER', mutation: 'recordLabReports', record: (w) => labReport(w.resident, { encounterId: w.foreignEncounter }), field: 'input[0].encounterId' },
  {
    rule: 'SENSITIVE_PRACTITIONER_DEPARTMENT',
    mutation: 'recordEncounters',
    record: (w) => encounter(w.resident, { attendingPractitionerId: w.sensitivePractitioner.id }),
    field: 'input[0].attendingPractitionerId',
    sender: (w) => w.sensitivePractitioner.institutionId,
  },
];

const refusal = feedRefusal;

describe.each(testBackends())('the quality rules of hospital feeds on $name', (backend) => {
  let stack: TestPlatform;
  let fresh: string[];
  let world: Omit<World, 'resident'>;
  const nextResident = () => {
    const resident = fresh.shift();
    if (!resident) throw new Error('the test region has run out of residents');
    return resident;
  };
  /** Every row written for a resident by any feed this file sends (the seeded history has none at these ids). */
  const rowsFor = async (residentId: string) => {
    const counts = await stack.platform.database.query<{ n: number }>(
      `select ((select count(*) from clinical.encounter where resident_id = $1 and institution_id = any($2))
             + (select count(*) from results.lab_report where resident_id = $1 and institution_id = any($2))
             + (select count(*) from results.imaging_report where resident_id = $1 and institution_id = any($2))
             + (select count(*) from immunization.immunization_record where resident_id = $1 and institution_id = any($2)))::int as n`,
      [residentId, [SENDER, world.sensitivePractitioner.institutionId]],
    );
    return counts[0]!.n;
  };

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
    const demo = new Set(stack.actors.flatMap((a) => (a.residentId ? [a.residentId] : [])));
    const sensitive = (
      await stack.platform.database.query<{ id: string; institution_id: string }>(
        "select id, institution_id from resources.practitioner where department like '%精神%' or department like '%心理%' order by id limit 1",
      )
    )[0]!;
    const residents = await stack.platform.database.query<{ id: string }>(
      `select r.id from population.resident r where not exists (
         select 1 from consent.care_relationship c where c.resident_id = r.id and c.institution_id = any($1)) order by r.id`,
      [[SENDER, sensitive.institution_id]],
    );
    fresh = residents.map((r) => r.id).filter((id) => !demo.has(id));
    const foreignPractitioner = (await stack.platform.database.query<{ id: string }>('select id from resources.practitioner where institution_id = $1 order by id limit 1', [OTHER]))[0]!.id;
    const foreignEncounter = (await stack.platform.database.query<{ id: string }>('select id from clinical.encounter where institution_id = $1 order by id limit 1', [OTHER]))[0]!.id;
    world = { foreignPractitioner, foreignEncounter, sensitivePractitioner: { id: sensitive.id, institutionId: sensitive.institution_id } };
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('has one case below for every rule of the catalogue, each with an id and a message', () => {
    expect(QUALITY_RULES.length).toBeGreaterThan(0);
    for (const rule of QUALITY_RULES) expect(rule.message.length, rule.id).toBeGreaterThan(0);
    expect(CASES.map((c) => c.rule).sort()).toEqual(QUALITY_RULES.map((r) => r.id).sort());
  });

  it.each(CASES)('refuses a record breaking $rule: 400 BAD_USER_INPUT naming the field and the rule, nothing written', async ({ rule, mutation, record, field, sender }) => {
    const resident = nextResident();
    const w = { ...world, resident };
    const institution = sender ? sender(w) : SENDER;
    const response = await stack.query(`his-${institution}`, MUTATIONS[mutation], { input: [record(w)] });
    expect(refusal(response)).toEqual({ status: 400, code: 'BAD_USER_INPUT', field, rule });
    expect(response.body.errors![0]!.extensions!['violations']).toEqual([{ field, rule }]);
    expect(await rowsFor(resident)).toBe(0);
  });

  it('accepts the same records when they are good, so each case above fails by its one change only', async () => {
    const resident = nextResident();
    for (const [mutation, record] of [
      ['recordEncounters', encounter(resident, { institutionId: SENDER })],
      ['recordLabReports', labReport(resident)],
      ['recordImagingReports', imaging(resident)],
      ['recordImmunizations', dose(resident)],
    ] as const) {
      const response = await stack.query<Record<string, string[]>>(`his-${SENDER}`, MUTATIONS[mutation], { input: [record] });
      expect(response.body.errors, mutation).toBeUndefined();
      expect(response.body.data![mutation]).toHaveLength(1);
    }
    expect(await rowsFor(resident)).toBe(4);
  });

  it('leaves zero rows from a batch with one bad record among good ones, and names every bad record', async () => {
    const residents = [nextResident(), nextResident(), nextResident()];
    const input = [labReport(residents[0]!), labReport(residents[1]!, {}, { unit: 'g/L' }), labReport(residents[2]!), labReport(residents[2]!, { panelName: '' })];
    const response = await stack.query('his-inst-05', MUTATIONS.recordLabReports, { input });
    expect(refusal(response)).toEqual({ status: 400, code: 'BAD_USER_INPUT', field: 'input[1].items[0].unit', rule: 'UNIT' });
    expect(response.body.errors![0]!.extensions!['violations']).toEqual([
      { field: 'input[1].items[0].unit', rule: 'UNIT' },
      { field: 'input[3].panelName', rule: 'REQUIRED_FIELD' },
    ]);
    for (const resident of residents) expect(await rowsFor(resident)).toBe(0);
  });

  it("checks KNOWN_ITEM and UNIT against the steward's catalogue: an item the steward adds can be sent at once, a unit the steward changes is the one required", async () => {
    const resident = nextResident();
    const pelvis = imaging(resident, { itemCode: 'CT-PELVIS', bodyPart: 'PELVIS' });
    const before = await stack.query(`his-${SENDER}`, MUTATIONS.recordImagingReports, { input: [pelvis] });
    expect(refusal(before)).toEqual({ status: 400, code: 'BAD_USER_INPUT', field: 'input[0].itemCode', rule: 'KNOWN_ITEM' });
    const upsert = 'mutation($i: RecognitionItemInput!) { upsertRecognitionItem(input: $i) { code unit } }';
    const added = await stack.query('steward-1', upsert, {
      i: { code: 'CT-PELVIS', name: '盆腔CT平扫', group: 'CT', validityDays: 90, priceYuan: 260, modality: 'CT', bodyPart: 'PELVIS', recognisedGrades: ['三级甲等'] },
    });
    expect(added.body.errors).toBeUndefined();
    const after = await stack.query<{ recordImagingReports: string[] }>(`his-${SENDER}`, MUTATIONS.recordImagingReports, { input: [pelvis] });
    expect(after.body.errors).toBeUndefined();
    expect(after.body.data!.recordImagingReports).toHaveLength(1);
    // Still refused: a code no catalogue lists, and the new item under another body part than the steward's.
    const unknown = await stack.query(`his-${SENDER}`, MUTATIONS.recordImagingReports, { input: [imaging(resident, { itemCode: 'CT-HIP', bodyPart: 'HIP' }), imaging(resident, { itemCode: 'CT-PELVIS', bodyPart: 'ABDOMEN' })] });
    expect(unknown.body.errors![0]!.extensions!['violations']).toEqual([
      { field: 'input[0].itemCode', rule: 'KNOWN_ITEM' },
      { field: 'input[1].bodyPart', rule: 'KNOWN_ITEM' },
    ]);

    // The steward's catalogue says in which unit HbA1c is reported: change it, and the feed must follow.
    const hba1c = { code: 'HBA1C', name: '糖化血红蛋白', group: 'CLINICAL_CHEMISTRY', loinc: '4548-4', validityDays: 60, priceYuan: 60, recognisedGrades: ['三级甲等', '三级乙等', '二级甲等', '二级乙等', '一级甲等'] };
    try {
      expect((await stack.query('steward-1', upsert, { i: { ...hba1c, unit: 'mmol/mol' } })).body.data).toEqual({ upsertRecognitionItem: { code: 'HBA1C', unit: 'mmol/mol' } });
      const percent = await stack.query(`his-${SENDER}`, MUTATIONS.recordLabReports, { input: [labReport(resident)] });
      expect(refusal(percent)).toEqual({ status: 400, code: 'BAD_USER_INPUT', field: 'input[0].items[0].unit', rule: 'UNIT' });
      const ifcc = await stack.query(`his-${SENDER}`, MUTATIONS.recordLabReports, { input: [labReport(resident, {}, { unit: 'mmol/mol', value: '51' })] });
      expect(ifcc.body.errors).toBeUndefined();
      const imagingUnit = await stack.query('steward-1', upsert, { i: { code: 'CT-PELVIS', name: '盆腔CT平扫', group: 'CT', validityDays: 90, priceYuan: 260, modality: 'CT', bodyPart: 'PELVIS', recognisedGrades: ['三级甲等'], unit: 'mm' } });
      expect(imagingUnit.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.unit' });
    } finally {
      await stack.query('steward-1', upsert, { i: { ...hba1c, unit: '%' } });
    }
    expect(await rowsFor(resident)).toBe(2);
  });

  it("refuses a hospital system reading anything: a resident's record, the lookup, the history", async () => {
    const resident = stack.actor('resident-multi');
    const reads = [
      ['query($id: ID!) { resident(id: $id) { id encounters(first: 1) { id } } }', { id: resident.residentId }],
      ['query($c: String!) { findResident(idCardNumber: $c) { id } }', { c: resident.idCardNumber }],
      ['query($c: String!) { findResidentByHealthCard(healthCardNumber: $c) { id } }', { c: resident.healthCardNumber }],
      ['query($id: ID!) { resident(id: $id) { labReports(first: 5, institutionId: "inst-05") { id } } }', { id: resident.residentId }],
    ] as const;
    for (const [query, variables] of reads) {
      const { body } = await stack.query(`his-${SENDER}`, query, variables, { 'x-purpose-of-use': 'TREAT' });
      expect(Object.values(body.data ?? {}).every((value) => value === null), query).toBe(true);
      expect(body.errors?.map((e) => e.extensions?.['code']), query).toEqual(['FORBIDDEN']);
    }
  });
});
