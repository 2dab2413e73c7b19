/**
 * DESIGN §9: a record is level 5 when its diagnosis, its test or its department is sensitive, and a
 * department name must not reveal what the level hides. Read through the real gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClassifications } from '../schema/classification.js';
import { SENSITIVE_DEPARTMENTS, sensitivityOfDepartment } from '../schema/sensitivity.js';
import { loadSupergraphSdl } from '../schema/supergraph.js';
import { DEMO_PROFILES } from '../seed/demo-profiles.js';
import { buildRegion } from '../seed/region.js';
import { startTestPlatform, testBackends, type TestPlatform } from '../testkit/index.js';

const RECORDS = /* GraphQL */ `
  fragment Records on Resident {
    encounters(first: 100) {
      id department level sensitivity chiefComplaint
      attendingPractitioner { id department }
      diagnoses { code display level }
      prescriptions { drugName level }
    }
    diagnoses(first: 100) { code display level }
    prescriptions(first: 100) { drugName level }
    labReports(first: 100) { panelCode panelName level items { name value } }
    imagingReports(first: 100) { modality bodyPart level }
  }
`;
const CLINICIAN_VIEW = `query($id: ID!) { resident(id: $id) { id ...Records } } ${RECORDS}`;
const OWN_ARCHIVE = `{ myArchive { id ...Records } } ${RECORDS}`;

interface EncounterView {
  id: string;
  department: string | null;
  level: number | null;
  sensitivity: string | null;
  diagnoses: Array<{ code: string; level: number }> | null;
  prescriptions: Array<{ drugName: string; level: number }> | null;
}
interface RecordsView {
  id: string;
  encounters: EncounterView[] | null;
  labReports: Array<{ panelCode: string; level: number }> | null;
}

/** The sensitive department names a response must never contain: the declared words and every seeded sensitive department. */
function sensitiveDepartmentStrings(seed: string): string[] {
  const declared = SENSITIVE_DEPARTMENTS.flatMap((d) => d.names).filter((name) => /\p{Script=Han}/u.test(name));
  const seeded = buildRegion(seed).institutions.flatMap((i) => i.departments).filter((d) => sensitivityOfDepartment(d) !== 'NONE');
  return [...new Set([...declared, ...seeded])];
}

describe('the supergraph', () => {
  it('names a department only on an encounter and a practitioner, and links no result to its encounter', () => {
    // A lab or imaging report of a hidden visit must not lead to the visit or its department.
    const coordinates = [...readClassifications(loadSupergraphSdl()).keys()].filter((c) => /department|encounter(?!Class)/i.test(c.split('.')[1]!));
    expect(coordinates.sort()).toEqual(['Encounter.department', 'Practitioner.department', 'Resident.encounters']);
  });
});

describe.each(testBackends())('department sensitivity through the gateway on $name', (backend) => {
  let stack: TestPlatform;
  const residentId = () => stack.actor('resident-sensitive').residentId!;

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** A level-4 grant (no steward approval) for clinician-a, who has never treated the resident. */
  async function levelFourGrant(): Promise<string> {
    const requested = await stack.query<{ requestAccess: { id: string } }>(
      'clinician-a',
      'mutation($input: AccessRequestInput!) { requestAccess(input: $input) { id } }',
      { input: { residentId: residentId(), categories: ['CLINICAL', 'RESULTS'], purpose: 'TREAT', reason: '会诊需要', uses: 1 } },
    );
    expect(requested.body.errors).toBeUndefined();
    const requestId = requested.body.data!.requestAccess.id;
    const approved = await stack.query<{ approveAccessRequest: { status: string } }>('resident-sensitive', 'mutation($id: ID!) { approveAccessRequest(id: $id) { status } }', { id: requestId });
    expect(approved.body.data!.approveAccessRequest.status).toBe('APPROVED');
    const mine = await stack.query<{ myAccessRequests: Array<{ id: string; grantToken: string | null }> }>('clinician-a', '{ myAccessRequests { id grantToken } }');
    return mine.body.data!.myAccessRequests.find((r) => r.id === requestId)!.grantToken!;
  }

  const readers: ReadonlyArray<{ who: string; actor: string; headers: () => Promise<Record<string, string>> }> = [
    {
      who: 'a clinician under break-glass',
      actor: 'clinician-b',
      headers: async () => ({ 'x-purpose-of-use': 'ETREAT', 'x-break-glass-reason': encodeURIComponent('急诊昏迷，需了解既往史') }),
    },
    { who: 'a clinician with a level-4 grant', actor: 'clinician-a', headers: async () => ({ 'x-purpose-of-use': 'TREAT', 'x-access-grant': await levelFourGrant() }) },
    { who: 'a treating clinician (care relationship)', actor: 'clinician-c', headers: async () => ({ 'x-purpose-of-use': 'TREAT' }) },
  ];

  it.each(readers)('shows $who no encounter in a sensitive department and no sensitive department name anywhere', async ({ actor, headers }) => {
    const { status, body } = await stack.query<{ resident: RecordsView }>(actor, CLINICIAN_VIEW, { id: residentId() }, await headers());
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const encounters = body.data!.resident.encounters!;
    // The resident has other, ordinary visits: the reader does see records, only not these.
    expect(encounters.length).toBeGreaterThan(0);
    expect(encounters.filter((e) => sensitivityOfDepartment(e.department ?? '') !== 'NONE')).toEqual([]);
    expect(encounters.flatMap((e) => [e.level, ...e.diagnoses!.map((d) => d.level), ...e.prescriptions!.map((p) => p.level)]).filter((level) => level! > 4)).toEqual([]);
    expect(body.data!.resident.labReports!.map((r) => r.panelCode)).not.toContain('HIV-AB');

    const text = JSON.stringify(body);
    const forbidden = sensitiveDepartmentStrings(stack.config.seed);
    expect(forbidden).toEqual(expect.arrayContaining(['性病艾滋病防制所', '精神心理科', '医学遗传与产前诊断科', '精神', '艾滋']));
    expect(forbidden.filter((name) => text.includes(name))).toEqual([]);
    // Nor anything else recorded at those visits: their complaints.
    const complaints = DEMO_PROFILES[1]!.visits.filter((v) => sensitivityOfDepartment(v.department) !== 'NONE').map((v) => v.complaint);
    expect(complaints.length).toBeGreaterThan(0);
    expect(complaints.filter((complaint) => text.includes(complaint))).toEqual([]);
  });

  it('shows the resident their own visits to sensitive departments, marked level 5 with what they hold', async () => {
    const { body } = await stack.query<{ myArchive: RecordsView }>('resident-sensitive', OWN_ARCHIVE);
    expect(body.errors).toBeUndefined();
    const sensitive = body.data!.myArchive.encounters!.filter((e) => sensitivityOfDepartment(e.department ?? '') !== 'NONE');
    const visit = (e: EncounterView) => [e.department, e.level, e.sensitivity, e.diagnoses!.map((d) => [d.code, d.level]), e.prescriptions!.map((p) => p.level)];
    expect(sensitive.map(visit)).toEqual([
      ['精神心理科', 5, 'MENTAL_HEALTH', [['F32.900', 5]], [5]],
      ['性病艾滋病防制所', 5, 'HIV_STI', [['Z00.000', 5]], []],
      ['精神心理科', 5, 'MENTAL_HEALTH', [['F32.900', 5]], [5]],
    ]);
    expect(body.data!.myArchive.labReports!.filter((r) => r.panelCode === 'HIV-AB').map((r) => r.level)).toEqual([5]);
  });
});
