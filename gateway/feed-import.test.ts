import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFeed } from '../scripts/feed-import.js';
import {
  approvedGrant,
  feedDose,
  feedEncounter,
  feedImagingReport,
  feedLabReport,
  feedRefusal,
  startRecordingProxy,
  startTestPlatform,
  testBackends,
  type RecordedRequest,
  type TestPlatform,
} from '../testkit/index.js';

const TREAT = { 'x-purpose-of-use': 'TREAT' };
const RECORD_IMAGING = 'mutation($input: [ImagingReportInput!]!, $checkOnly: Boolean) { recordImagingReports(input: $input, checkOnly: $checkOnly) }';
const ASK = `query($residentId: ID!, $itemCodes: [String!]!) { recognizableResults(residentId: $residentId, itemCodes: $itemCodes) {
  id itemCode recognizable reasons institution { id } imagingReport { id modality bodyPart } } }`;
const ACCESS_LOG = '{ myAccessLog(first: 20) { edges { node { kind summary actorRole actorInstitution { id } categories } } } }';
const DAY_MS = 86_400_000;

/**
 * Every table a feed writes, and the audit log's entries of records written: what "nothing written" is
 * checked against. (A check that passed is audited too, as an entry of no rows: it is not a write.)
 */
const WRITTEN = ['clinical.encounter', 'clinical.diagnosis', 'results.lab_report', 'results.lab_item', 'results.imaging_report', 'immunization.immunization_record', 'consent.audit_entry', 'consent.care_relationship'];
const COUNTED: Readonly<Record<string, string>> = { 'consent.audit_entry': 'consent.audit_entry where rows_returned > 0' };

type Candidate = { id: string; itemCode: string; recognizable: boolean; reasons: string[]; institution: { id: string }; imagingReport: { id: string; modality: string; bodyPart: string } | null };
type AccessLog = { myAccessLog: { edges: Array<{ node: { kind: string; summary: string; actorRole: string; actorInstitution: { id: string } | null; categories: string[] } }> } };

/** Before the `nth` feed write (a feed call that is not a check), does `then`: a change on the platform between the check and the writes, or a cut connection. */
function beforeWrite(nth: number, then: () => Promise<'forward' | 'drop'>): (request: RecordedRequest) => Promise<'forward' | 'drop'> {
  let writes = 0;
  return async ({ body }) => ((JSON.parse(body) as { variables?: { checkOnly?: boolean } }).variables?.checkOnly === false && ++writes === nth ? then() : 'forward');
}

const ndjson = (records: ReadonlyArray<{ kind: string } & Record<string, unknown>>) => records.map((record) => JSON.stringify(record)).join('\n');

describe.each(testBackends())('hospital feed imports and imaging reports on $name', (backend) => {
  let stack: TestPlatform;
  let fresh: string[];
  const nextResident = () => {
    const resident = fresh.shift();
    if (!resident) throw new Error('the test region has run out of residents');
    return resident;
  };
  const rowCounts = async () => {
    const counts: Record<string, number> = {};
    for (const table of WRITTEN) counts[table] = (await stack.platform.database.query<{ n: number }>(`select count(*)::int as n from ${COUNTED[table] ?? table}`))[0]!.n;
    return counts;
  };
  const importAs = async (institution: string, text: string, options: { acceptValid?: boolean; batchSize?: number; onStored?: (ids: readonly string[]) => void } = {}) =>
    importFeed(text, {
      ...(options.onStored ? { onStored: options.onStored } : {}),
      url: stack.platform.gateway.url,
      token: await stack.token(`his-${institution}`),
      institutionId: institution,
      acceptValid: options.acceptValid ?? false,
      // Two records a batch unless asked, so a file of a few records is several batches, sent two at a time.
      batchSize: options.batchSize ?? 2,
      concurrency: 2,
    });

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
    const demo = new Set(stack.actors.flatMap((a) => (a.residentId ? [a.residentId] : [])));
    fresh = (await stack.platform.database.query<{ id: string }>('select id from population.resident order by id')).map((r) => r.id).filter((id) => !demo.has(id));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('writes nothing of a file whose last batch holds a bad reference, and names it by line and rule', async () => {
    const [a, b, c] = [nextResident(), nextResident(), nextResident()];
    const file = ndjson([
      { kind: 'encounter', ...feedEncounter(a) },
      { kind: 'encounter', ...feedEncounter(b) },
      { kind: 'labReport', ...feedLabReport(a) },
      { kind: 'imagingReport', ...feedImagingReport(b) },
      { kind: 'immunization', ...feedDose(c) },
      { kind: 'immunization', ...feedDose('res-not-known-to-the-platform') },
    ]);
    const before = await rowCounts();
    const report = await importAs('inst-05', file);
    expect(report.stored).toBe(0);
    expect(report.rejected).toEqual([{ line: 6, kind: 'immunization', field: 'residentId', rule: 'KNOWN_RESIDENT', message: expect.any(String) }]);
    expect(report.stoppedAt).toEqual({ line: 6, reason: 'a record breaks a reference rule: nothing was written' });
    expect(await rowCounts()).toEqual(before);

    // With --accept-valid the five good records are stored (each batch all or nothing) and the bad one reported.
    const accepted = await importAs('inst-05', file, { acceptValid: true });
    expect(accepted.stored).toBe(5);
    expect(accepted.storedByKind).toEqual({ encounter: 2, labReport: 1, imagingReport: 1, immunization: 1 });
    expect(accepted.rejected.map((r) => [r.line, r.rule])).toEqual([[6, 'KNOWN_RESIDENT']]);
    const after = await rowCounts();
    expect(after['clinical.encounter']! - before['clinical.encounter']!).toBe(2);
    expect(after['results.imaging_report']! - before['results.imaging_report']!).toBe(1);
    expect(after['immunization.immunization_record']! - before['immunization.immunization_record']!).toBe(1);
    // One WRITE entry per resident written for, per batch that wrote for them.
    expect(after['consent.audit_entry']! - before['consent.audit_entry']!).toBeGreaterThanOrEqual(3);
  });

  it('imports a good file of every kind in full, imaging reports included', async () => {
    const [a, b] = [nextResident(), nextResident()];
    const before = await rowCounts();
    const report = await importAs('inst-05', ndjson([
      { kind: 'imagingReport', ...feedImagingReport(a) },
      { kind: 'imagingReport', ...feedImagingReport(b, { itemCode: 'US-ABD', modality: 'US', bodyPart: 'ABDOMEN' }) },
      { kind: 'imagingReport', ...feedImagingReport(a, { itemCode: 'MR-KNEE', modality: 'MR', bodyPart: 'KNEE' }) },
      { kind: 'encounter', ...feedEncounter(b) },
    ]));
    expect(report.rejected).toEqual([]);
    expect(report.stored).toBe(4);
    const after = await rowCounts();
    expect(after['results.imaging_report']! - before['results.imaging_report']!).toBe(3);
    const rows = await stack.platform.database.query<{ institution_id: string; modality: string; level: number }>(
      'select institution_id, modality, level from results.imaging_report where resident_id = any($1) and institution_id = $2 order by modality',
      [[a, b], 'inst-05'],
    );
    expect(rows.map((r) => r.modality)).toEqual(['CT', 'MR', 'US']);
    expect(rows.every((r) => r.institution_id === 'inst-05' && r.level === 3)).toBe(true);
  });

  it('reports exactly which lines were stored when a write is refused after the whole file passed the check (a steward changed the catalogue in between), or its answer is lost', async () => {
    const upsert = 'mutation($i: RecognitionItemInput!) { upsertRecognitionItem(input: $i) { code } }';
    const pelvis = { code: 'CT-PELVIS', name: '盆腔CT平扫', group: 'CT', validityDays: 90, priceYuan: 260, modality: 'CT', bodyPart: 'PELVIS', recognisedGrades: ['三级甲等'] };
    expect((await stack.query('steward-1', upsert, { i: pelvis })).body.errors).toBeUndefined();
    const imported = async (residents: string[], via: { url: string }) =>
      importFeed(
        ndjson([
          { kind: 'imagingReport', ...feedImagingReport(residents[0]!) },
          { kind: 'imagingReport', ...feedImagingReport(residents[1]!) },
          { kind: 'imagingReport', ...feedImagingReport(residents[2]!, { itemCode: 'CT-PELVIS', bodyPart: 'PELVIS' }) },
          { kind: 'imagingReport', ...feedImagingReport(residents[3]!, { itemCode: 'CT-PELVIS', bodyPart: 'PELVIS' }) },
        ]),
        { url: via.url, token: await stack.token('his-inst-05'), institutionId: 'inst-05', acceptValid: false, batchSize: 2, concurrency: 1 },
      );
    // The feed records' own time (testkit/feed-records.ts): the seeded history of these residents has none at it.
    const imagingOf = async (residents: string[]) =>
      (
        await stack.platform.database.query<{ resident_id: string }>(
          "select resident_id from results.imaging_report where resident_id = any($1) and institution_id = 'inst-05' and performed_at = '2026-01-10T03:00:00Z' order by resident_id",
          [residents],
        )
      ).map((r) => r.resident_id);

    const refusedResidents = [nextResident(), nextResident(), nextResident(), nextResident()];
    const moved = await startRecordingProxy(stack.platform.gateway.url, {
      intercept: beforeWrite(2, async () => {
        await stack.query('steward-1', upsert, { i: { ...pelvis, bodyPart: 'HIP' } });
        return 'forward';
      }),
    });
    try {
      const report = await imported(refusedResidents, moved);
      expect(report).toMatchObject({ stored: 2, storedLines: [{ from: 1, to: 2 }], stoppedAt: { line: 3, reason: expect.stringContaining('refused when written') } });
      expect(report.unconfirmedLines).toBeUndefined();
      expect(report.rejected.map(({ line, field, rule }) => ({ line, field, rule }))).toEqual([
        { line: 3, field: 'bodyPart', rule: 'KNOWN_ITEM' },
        { line: 4, field: 'bodyPart', rule: 'KNOWN_ITEM' },
      ]);
      expect(await imagingOf(refusedResidents)).toEqual(refusedResidents.slice(0, 2).sort());
    } finally {
      await moved.stop();
      await stack.query('steward-1', upsert, { i: pelvis });
    }

    const lostResidents = [nextResident(), nextResident(), nextResident(), nextResident()];
    const cut = await startRecordingProxy(stack.platform.gateway.url, { intercept: beforeWrite(2, async () => 'drop') });
    try {
      const report = await imported(lostResidents, cut);
      expect(report).toMatchObject({ stored: 2, storedLines: [{ from: 1, to: 2 }], unconfirmedLines: [{ from: 3, to: 4 }], rejected: [], stoppedAt: { line: 3 } });
      // The connection was cut before the gateway saw the batch: here it was not stored (the report cannot know that).
      expect(await imagingOf(lostResidents)).toEqual(lostResidents.slice(0, 2).sort());
    } finally {
      await cut.stop();
    }
  });

  it('splits a batch too large for the 1 MB body limit (which still answers 413) and stores every record of it', async () => {
    // Three reports of about 350 kB each: one request of all three is over the gateway's body limit.
    const findings = '两肺野清晰，未见明显结节及实变影。'.repeat(7_000);
    const records = [nextResident(), nextResident(), nextResident()].map((resident) => feedImagingReport(resident, { findings }));
    const whole = await stack.query('his-inst-05', RECORD_IMAGING, { input: records });
    expect([whole.status, whole.body.errors?.[0]?.extensions?.['code']]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const before = await rowCounts();
    const importer = await importAs('inst-05', ndjson(records.map((record) => ({ kind: 'imagingReport', ...record }))), { batchSize: 1000 });
    expect([importer.stored, importer.rejected, importer.stoppedAt]).toEqual([3, [], undefined]);
    const after = await rowCounts();
    expect(after['results.imaging_report']! - before['results.imaging_report']!).toBe(3);
  });

  it('writes a batch just under the body limit whose encrypted fields make the subgraph request larger than it', async () => {
    // Two encounters of about 440 kB of chief complaint each: one request of 0.9 MB, about 1.2 MB once encrypted.
    const chiefComplaint = '头晕乏力'.repeat(37_000);
    const [a, b] = [nextResident(), nextResident()];
    const before = await rowCounts();
    const report = await importAs('inst-05', ndjson([a, b].map((resident) => ({ kind: 'encounter', ...feedEncounter(resident, { chiefComplaint }) }))), { batchSize: 1000 });
    expect([report.stored, report.rejected, report.stoppedAt]).toEqual([2, [], undefined]);
    const after = await rowCounts();
    expect(after['clinical.encounter']! - before['clinical.encounter']!).toBe(2);
  });

  it('answers a check-only feed with an empty list and writes nothing; a bad record is refused the same as a write', async () => {
    const resident = nextResident();
    const before = await rowCounts();
    const checked = await stack.query<{ recordImagingReports: string[] }>('his-inst-05', RECORD_IMAGING, { input: [feedImagingReport(resident)], checkOnly: true });
    expect(checked.status).toBe(200);
    expect(checked.body).toEqual({ data: { recordImagingReports: [] } });
    const refused = await stack.query('his-inst-05', RECORD_IMAGING, { input: [feedImagingReport('res-not-known-to-the-platform')], checkOnly: true });
    expect(feedRefusal(refused)).toEqual({ status: 400, code: 'BAD_USER_INPUT', field: 'input[0].residentId', rule: 'KNOWN_RESIDENT' });
    expect(await rowCounts()).toEqual(before);
    // The sender learnt the platform knows this resident: the check is in the resident's log, as a check.
    const audited = await stack.platform.database.query<{ rows_returned: number; fields_by_category: Record<string, string[]>; actor_role: string }>(
      'select rows_returned, fields_by_category, actor_role from consent.audit_entry where resident_id = $1',
      [resident],
    );
    expect(audited).toEqual([{ rows_returned: 0, fields_by_category: { RESULTS: ['Mutation.recordImagingReports'] }, actor_role: 'hospital_system' }]);
    const multi = stack.actor('resident-multi').residentId!;
    await stack.query('his-inst-05', RECORD_IMAGING, { input: [feedImagingReport(multi)], checkOnly: true });
    const log = await stack.query<AccessLog>('resident-multi', ACCESS_LOG);
    expect(log.body.data!.myAccessLog.edges.map((e) => e.node.summary)).toContain('inst-05 checked imaging reports about you before sending them; nothing was stored');
  });

  it.each([
    { name: 'another institution', change: { institutionId: 'inst-03' }, field: 'input[0].institutionId', rule: 'OWN_INSTITUTION' },
    { name: 'a modality outside DICOM', change: { modality: 'XRAY' }, field: 'input[0].modality', rule: 'CODE_SYSTEM' },
    { name: 'a body part outside DICOM', change: { bodyPart: 'THORAX' }, field: 'input[0].bodyPart', rule: 'CODE_SYSTEM' },
    { name: 'an item not in the catalogue', change: { itemCode: 'PET-WHOLEBODY' }, field: 'input[0].itemCode', rule: 'KNOWN_ITEM' },
    { name: "an item whose body part is not the record's", change: { itemCode: 'CT-HEAD' }, field: 'input[0].bodyPart', rule: 'KNOWN_ITEM' },
    { name: 'a future date', change: { performedAt: new Date(Date.now() + 2 * DAY_MS).toISOString() }, field: 'input[0].performedAt', rule: 'NOT_FUTURE' },
    { name: 'no impression', change: { impression: ' ' }, field: 'input[0].impression', rule: 'REQUIRED_FIELD' },
    { name: 'an unknown resident', change: { residentId: 'res-not-known-to-the-platform' }, field: 'input[0].residentId', rule: 'KNOWN_RESIDENT' },
  ])('refuses an imaging report with $name: 400 naming the field and rule, nothing written', async ({ change, field, rule }) => {
    const resident = nextResident();
    const before = await rowCounts();
    const response = await stack.query('his-inst-05', RECORD_IMAGING, { input: [feedImagingReport(resident, change)] });
    expect(feedRefusal(response)).toEqual({ status: 400, code: 'BAD_USER_INPUT', field, rule });
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses imaging reports pushed by anyone but a hospital system', async () => {
    const before = await rowCounts();
    for (const actor of ['clinician-a', 'resident-multi', null]) {
      const response = await stack.query(actor, RECORD_IMAGING, { input: [feedImagingReport(nextResident())] }, TREAT);
      expect(response.body.data?.['recordImagingReports'] ?? null, String(actor)).toBeNull();
      expect(response.body.errors?.map((e) => e.extensions?.['code']), String(actor)).toEqual(['FORBIDDEN']);
    }
    expect(await rowCounts()).toEqual(before);
  });

  it("records an imported imaging report in the resident's access log and offers it for recognition of that examination", async () => {
    const resident = stack.actor('resident-multi').residentId!;
    const performedAt = new Date(Date.now() - 2 * DAY_MS).toISOString();
    const ids: string[] = [];
    const imported = await importAs('inst-02', ndjson([{ kind: 'imagingReport', ...feedImagingReport(resident, { performedAt }) }]), { onStored: (stored) => ids.push(...stored) });
    expect(imported).toMatchObject({ stored: 1, rejected: [] });
    const [reportId] = ids;
    expect(reportId).toMatch(/^img-/);

    const log = await stack.query<AccessLog>('resident-multi', ACCESS_LOG);
    const entries = log.body.data!.myAccessLog.edges.map((e) => e.node);
    expect(entries.length).toBeGreaterThan(0);
    const write = entries.find((e) => e.kind === 'WRITE' && e.summary.includes('recorded an imaging report'));
    expect(write).toMatchObject({ actorRole: 'hospital_system', actorInstitution: { id: 'inst-02' }, categories: ['RESULTS'] });

    const grant = await approvedGrant(stack, 'clinician-a', 'resident-multi', { categories: ['RESULTS'], uses: 2 });
    const asked = await stack.query<{ recognizableResults: Candidate[] }>('clinician-a', ASK, { residentId: resident, itemCodes: ['CT-CHEST'] }, { ...TREAT, 'x-access-grant': grant });
    expect(asked.body.errors).toBeUndefined();
    const candidates = asked.body.data!.recognizableResults;
    expect(candidates.length).toBeGreaterThan(0);
    const ours = candidates.find((c) => c.imagingReport?.id === reportId);
    expect(ours).toEqual({
      id: expect.any(String),
      itemCode: 'CT-CHEST',
      recognizable: true,
      reasons: [],
      institution: { id: 'inst-02' },
      imagingReport: { id: reportId, modality: 'CT', bodyPart: 'CHEST' },
    });
  });
});
