import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSupergraphSdl } from '../schema/supergraph.js';
import { approvedGrant, startRecordingProxy, startExtraGateway, startTestPlatform, testBackends, type GraphQLResponse, type TestPlatform } from '../testkit/index.js';

const TREAT = { 'x-purpose-of-use': 'TREAT' };
const FIND_BY_CARD = 'query($card: String!) { findResidentByHealthCard(healthCardNumber: $card) { id name idCardNumber healthCardNumber } }';
const FIND_BY_ID = 'query($card: String!) { findResident(idCardNumber: $card) { id name idCardNumber healthCardNumber } }';

/** Every history list of one resident, with the same window arguments on each. */
const HISTORY = /* GraphQL */ `
  query History($id: ID!, $first: Int, $from: DateTimeISO, $until: DateTimeISO, $fromDate: LocalDate, $untilDate: LocalDate, $institutionId: ID) {
    resident(id: $id) {
      encounters(first: $first, from: $from, until: $until, institutionId: $institutionId) {
        id startedAt institution { id name grade }
        diagnoses { code display } prescriptions { drugName }
      }
      labReports(first: $first, from: $from, until: $until, institutionId: $institutionId) { id collectedAt institution { id name grade } }
      imagingReports(first: $first, from: $from, until: $until, institutionId: $institutionId) { id performedAt institution { id name grade } }
      immunizations(first: $first, from: $fromDate, until: $untilDate, institutionId: $institutionId) { id administeredOn institution { id name grade } }
    }
  }
`;
const ENCOUNTER_PAGE = 'query($id: ID!, $first: Int, $after: String) { resident(id: $id) { encounters(first: $first, after: $after) { id startedAt } } }';

type Institution = { id: string; name: string; grade: string };
type Dated = { id: string; institution: Institution };
type History = {
  resident: {
    encounters: Array<Dated & { startedAt: string; diagnoses: Array<{ code: string }>; prescriptions: Array<{ drugName: string }> }>;
    labReports: Array<Dated & { collectedAt: string }>;
    imagingReports: Array<Dated & { performedAt: string }>;
    immunizations: Array<Dated & { administeredOn: string }>;
  } | null;
};
type Found = { id: string; name: string | null; idCardNumber: string | null; healthCardNumber: string | null };

function codes(response: GraphQLResponse): unknown[] {
  return (response.body.errors ?? []).map((e) => e.extensions?.['code']);
}

/** Each list's timestamps, in the order they came. */
function timesOf(resident: NonNullable<History['resident']>): Record<string, string[]> {
  return {
    encounters: resident.encounters.map((e) => e.startedAt),
    labReports: resident.labReports.map((r) => r.collectedAt),
    imagingReports: resident.imagingReports.map((r) => r.performedAt),
    immunizations: resident.immunizations.map((d) => d.administeredOn),
  };
}

describe.each(testBackends())("a clinician finds the patient and reads the history across hospitals on $name", (backend) => {
  let stack: TestPlatform;
  let grant: string;
  const multi = () => stack.actor('resident-multi');
  const history = (variables: Record<string, unknown>) => stack.query<History>('clinician-c', HISTORY, { id: multi().residentId, ...variables }, { ...TREAT, 'x-access-grant': grant });

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
    grant = await approvedGrant(stack, 'clinician-c', 'resident-multi', { categories: ['CLINICAL', 'RESULTS', 'PUBLIC_HEALTH'], uses: 20 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('finding the patient by electronic health card number', () => {
    it('stores the card number only as ciphertext with a blind index, seeded for every resident', async () => {
      const rows = await stack.platform.database.query<{ health_card_number: string; health_card_index: string }>('select health_card_number, health_card_index from population.resident');
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.health_card_number).toMatch(/^hm1\./);
        expect(row.health_card_index).toMatch(/^bi1\.healthCard\./);
      }
      expect(multi().healthCardNumber).toMatch(/^[0-9A-F]{64}$/);
    });

    it('finds a treated patient by card number, typed in any case and spacing, with only masked identity without a grant', async () => {
      const card = multi().healthCardNumber!;
      const typed = `${card.slice(0, 32).toLowerCase()} ${card.slice(32)}`;
      for (const number of [card, typed]) {
        const { body } = await stack.query<{ findResidentByHealthCard: Found }>('clinician-a', FIND_BY_CARD, { card: number }, TREAT);
        expect(body.errors).toBeUndefined();
        const found = body.data!.findResidentByHealthCard;
        expect(found.id).toBe(multi().residentId);
        expect(found.name).toMatch(/^王\*+$/);
        expect(found.idCardNumber).toBe(`${multi().idCardNumber!.slice(0, 6)}********${multi().idCardNumber!.slice(-4)}`);
        expect(found.healthCardNumber).toBe(`${card.slice(0, 4)}${'*'.repeat(56)}${card.slice(-4)}`);
      }
    });

    it('finds the same resident by ID-card number (the DESIGN §10 signature), the card number masked there too', async () => {
      const { body } = await stack.query<{ findResident: Found }>('clinician-a', FIND_BY_ID, { card: multi().idCardNumber! }, TREAT);
      expect(body.errors).toBeUndefined();
      expect(body.data!.findResident.id).toBe(multi().residentId);
      expect(body.data!.findResident.healthCardNumber).toMatch(/^[0-9A-F]{4}\*{56}[0-9A-F]{4}$/);
    });

    it('answers an untreated patient and an unknown valid card number identically: GRANT_REQUIRED, nothing else', async () => {
      const hidden = await stack.query('clinician-c', FIND_BY_CARD, { card: multi().healthCardNumber! }, TREAT);
      const unknown = await stack.query('clinician-c', FIND_BY_CARD, { card: 'AB'.repeat(32) }, TREAT);
      expect(hidden.body.data).toEqual({ findResidentByHealthCard: null });
      expect(codes(hidden)).toEqual(['GRANT_REQUIRED']);
      expect(unknown.body).toEqual(hidden.body);
    });

    it.each([
      ['too short', 'ABC123'],
      ['not hexadecimal', 'G'.repeat(64)],
      ['empty', ''],
    ])('refuses a malformed card number (%s) with BAD_USER_INPUT 400 before any lookup', async (_case, card) => {
      const response = await stack.query('clinician-a', FIND_BY_CARD, { card }, TREAT);
      expect(response.status).toBe(400);
      expect(response.body.data ?? null).toBeNull();
      expect(response.body.errors?.map((e) => [e.extensions?.['code'], e.extensions?.['field']])).toEqual([['BAD_USER_INPUT', 'healthCardNumber']]);
    });

    it('refuses the lookup to a hospital system and to a resident', async () => {
      for (const actor of ['his-inst-01', 'resident-multi']) {
        const { body } = await stack.query(actor, FIND_BY_CARD, { card: multi().healthCardNumber! }, TREAT);
        expect(body.data?.['findResidentByHealthCard'] ?? null).toBeNull();
        expect(codes({ status: 0, body } as GraphQLResponse).length).toBeGreaterThan(0);
        expect(JSON.stringify(body)).not.toContain(multi().residentId!);
      }
    });

    it('never sends the plaintext card number to the population subgraph', async () => {
      const population = stack.platform.subgraphs.find((s) => s.name === 'population')!;
      const proxy = await startRecordingProxy(population.url);
      const gateway = await startExtraGateway(stack, { subgraphUrls: { population: proxy.url } });
      try {
        const card = multi().healthCardNumber!;
        const found = await stack.query<{ findResidentByHealthCard: { id: string } }>('clinician-a', FIND_BY_CARD, { card }, TREAT, gateway.url);
        expect(found.body.data!.findResidentByHealthCard.id).toBe(multi().residentId);
        expect(proxy.queries.length).toBeGreaterThan(0);
        expect(proxy.queries.join('\n').toUpperCase()).not.toContain(card);
      } finally {
        await gateway.stop();
        await proxy.stop();
      }
    });
  });

  describe('the history across institutions, with a grant', () => {
    it('gives every list newest first, each record with its institution, grade and time, from two or more institutions', async () => {
      const response = await history({ first: 100 });
      expect(response.body.errors).toBeUndefined();
      const resident = response.body.data!.resident!;
      expect(resident.encounters.length).toBeGreaterThan(0);
      expect(resident.labReports.length).toBeGreaterThan(0);
      expect(resident.immunizations.length).toBeGreaterThan(0);
      expect(new Set(resident.encounters.map((e) => e.institution.id)).size).toBeGreaterThanOrEqual(2);
      expect(resident.encounters.some((e) => e.diagnoses.length > 0)).toBe(true);
      for (const [list, times] of Object.entries(timesOf(resident))) {
        expect([...times].sort().reverse(), list).toEqual(times);
      }
      const records = [...resident.encounters, ...resident.labReports, ...resident.imagingReports, ...resident.immunizations];
      for (const record of records) {
        expect(record.institution.name.length, record.id).toBeGreaterThan(0);
        expect(record.institution.grade.length, record.id).toBeGreaterThan(0);
      }
    });

    it('filters every list by institution', async () => {
      const all = (await history({ first: 100 })).body.data!.resident!;
      const institutionId = all.encounters[0]!.institution.id;
      const response = await history({ first: 100, institutionId });
      expect(response.body.errors).toBeUndefined();
      const only = response.body.data!.resident!;
      expect(only.encounters.length).toBeGreaterThan(0);
      expect(only.encounters.map((e) => e.id)).toEqual(all.encounters.filter((e) => e.institution.id === institutionId).map((e) => e.id));
      expect(only.labReports.map((r) => r.id)).toEqual(all.labReports.filter((r) => r.institution.id === institutionId).map((r) => r.id));
      expect(only.immunizations.map((d) => d.id)).toEqual(all.immunizations.filter((d) => d.institution.id === institutionId).map((d) => d.id));
      const elsewhere = await history({ first: 100, institutionId: 'inst-unknown' });
      expect(elsewhere.body.data!.resident!.encounters).toEqual([]);
    });

    it('filters every list by period, both ends inclusive', async () => {
      const all = (await history({ first: 100 })).body.data!.resident!;
      expect(all.encounters.length).toBeGreaterThanOrEqual(3);
      // A period from the third-newest encounter to the newest-but-one: exactly those in between.
      const until = all.encounters[1]!.startedAt;
      const from = all.encounters[Math.min(4, all.encounters.length - 1)]!.startedAt;
      const response = await history({ first: 100, from, until, fromDate: from.slice(0, 10), untilDate: until.slice(0, 10) });
      expect(response.body.errors).toBeUndefined();
      const window = response.body.data!.resident!;
      expect(window.encounters.map((e) => e.id)).toEqual(all.encounters.filter((e) => e.startedAt >= from && e.startedAt <= until).map((e) => e.id));
      expect(window.encounters.length).toBeGreaterThanOrEqual(2);
      expect(window.labReports.map((r) => r.id)).toEqual(all.labReports.filter((r) => r.collectedAt >= from && r.collectedAt <= until).map((r) => r.id));
      expect(window.immunizations.map((d) => d.id)).toEqual(
        all.immunizations.filter((d) => d.administeredOn >= from.slice(0, 10) && d.administeredOn <= until.slice(0, 10)).map((d) => d.id),
      );
    });

    it('pages with a cursor (the last id of a page): pages follow each other without gaps or repeats, and carry no total', async () => {
      const headers = { ...TREAT, 'x-access-grant': grant };
      const page = (after?: string) =>
        stack.query<{ resident: { encounters: Array<{ id: string; startedAt: string }> } }>('clinician-c', ENCOUNTER_PAGE, { id: multi().residentId, first: 2, ...(after ? { after } : {}) }, headers);
      const whole = (await stack.query<{ resident: { encounters: Array<{ id: string }> } }>('clinician-c', ENCOUNTER_PAGE, { id: multi().residentId, first: 100 }, headers)).body.data!.resident.encounters;
      expect(whole.length).toBeGreaterThanOrEqual(5);
      const seen: string[] = [];
      let after: string | undefined;
      for (let i = 0; i < 3; i++) {
        const { body } = await page(after);
        expect(body.errors).toBeUndefined();
        const ids = body.data!.resident.encounters.map((e) => e.id);
        expect(ids).toHaveLength(2);
        seen.push(...ids);
        after = ids.at(-1);
      }
      expect(seen).toEqual(whole.slice(0, 6).map((e) => e.id));
      // No type of the API has a total: a count would reveal what the caller may not see.
      expect(loadSupergraphSdl()).not.toMatch(/^\s+total\w*\s*(\(|:)/im);
    });

    it('refuses a cursor that is not a record of the list, and a period that ends before it starts, with BAD_USER_INPUT', async () => {
      const headers = { ...TREAT, 'x-access-grant': grant };
      const badCursor = await stack.query('clinician-c', ENCOUNTER_PAGE, { id: multi().residentId, first: 2, after: 'enc-not-a-record' }, headers);
      expect(badCursor.body.errors?.map((e) => [e.extensions?.['code'], e.extensions?.['field']])).toEqual([['BAD_USER_INPUT', 'after']]);
      // Another resident's encounter is no cursor either: it reads exactly like one that does not exist.
      const other = (await stack.platform.database.query<{ id: string }>('select id from clinical.encounter where resident_id <> $1 limit 1', [multi().residentId]))[0]!.id;
      const foreignCursor = await stack.query('clinician-c', ENCOUNTER_PAGE, { id: multi().residentId, first: 2, after: other }, headers);
      expect(foreignCursor.body).toEqual({ ...badCursor.body, errors: badCursor.body.errors });
      const backwards = await history({ first: 5, from: '2026-01-02T00:00:00.000Z', until: '2026-01-01T00:00:00.000Z', fromDate: '2026-01-02', untilDate: '2026-01-01' });
      expect(new Set(codes(backwards))).toEqual(new Set(['BAD_USER_INPUT']));
    });

    it('without a grant, the same history query gets nothing for clinician-c', async () => {
      const response = await stack.query<History>('clinician-c', HISTORY, { id: multi().residentId, first: 5 }, TREAT);
      expect(response.body.data).toEqual({ resident: null });
      expect(codes(response)).toEqual(['GRANT_REQUIRED']);
    });
  });
});
