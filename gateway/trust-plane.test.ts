import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../subgraphs/runtime/index.js';
import { startExtraGateway, startRecordingProxy, startTestPlatform, testBackends, type TestPlatform } from '../testkit/index.js';

const TREAT = { 'x-purpose-of-use': 'TREAT' };

const CLINICAL_VIEW = /* GraphQL */ `
  query ClinicalView($id: ID!) {
    resident(id: $id) {
      id name idCardNumber phone sex birthDate
      encounters(first: 50) { id department institution { id } diagnoses { code level } }
      labReports(first: 50) { id panelCode institution { id } }
    }
  }
`;

type Encounter = { id: string; department: string; institution: { id: string }; diagnoses: Array<{ code: string; level: number }> };
type ClinicalView = {
  resident: null | {
    id: string;
    name: string | null;
    idCardNumber: string | null;
    phone: string | null;
    sex: string | null;
    encounters: Encounter[] | null;
    labReports: Array<{ id: string; institution: { id: string } }> | null;
  };
};

describe.each(testBackends())('the trust plane on $name', (backend) => {
  let stack: TestPlatform;
  const id = (actor: string) => stack.actor(actor).residentId!;
  const institutionOf = (actor: string) => stack.actor(actor).institutionId!;

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function requestAndApprove(clinician: string, residentActor: string, input: Record<string, unknown>): Promise<string> {
    const requested = await stack.query<{ requestAccess: { id: string; status: string } }>(
      clinician,
      'mutation($input: AccessRequestInput!) { requestAccess(input: $input) { id status } }',
      { input: { residentId: id(residentActor), purpose: 'TREAT', reason: '会诊需要', ...input } },
    );
    expect(requested.body.errors).toBeUndefined();
    const requestId = requested.body.data!.requestAccess.id;
    const approved = await stack.query<{ approveAccessRequest: { status: string } }>(residentActor, 'mutation($id: ID!) { approveAccessRequest(id: $id) { status } }', { id: requestId });
    expect(approved.body.errors).toBeUndefined();
    const mine = await stack.query<{ myAccessRequests: Array<{ id: string; status: string; grantToken: string | null }> }>(clinician, '{ myAccessRequests { id status grantToken } }');
    const request = mine.body.data!.myAccessRequests.find((r) => r.id === requestId)!;
    expect(request.status).toBe('APPROVED');
    expect(request.grantToken).toMatch(/^hmg_/);
    return request.grantToken!;
  }

  describe('a clinician without a grant', () => {
    it("sees masked identity and only their own institution's records of a patient treated there", async () => {
      const { body } = await stack.query<ClinicalView>('clinician-a', CLINICAL_VIEW, { id: id('resident-multi') }, TREAT);
      expect(body.errors).toBeUndefined();
      const resident = body.data!.resident!;
      expect(resident.name).toMatch(/^王\*+$/);
      expect(resident.idCardNumber).toMatch(/^330106\*{8}\d{3}[\dX]$/);
      expect(resident.phone).toMatch(/^1\d{2}\*{4}\d{4}$/);
      expect(resident.sex).toBe('1');
      expect(resident.encounters!.length).toBeGreaterThan(0);
      expect(new Set(resident.encounters!.map((e) => e.institution.id))).toEqual(new Set([institutionOf('clinician-a')]));
      for (const report of resident.labReports!) expect(report.institution.id).toBe(institutionOf('clinician-a'));
    });

    it('gets GRANT_REQUIRED for a patient never treated at their institution, the same as for a resident who does not exist', async () => {
      const existing = await stack.query<ClinicalView>('clinician-c', CLINICAL_VIEW, { id: id('resident-multi') }, TREAT);
      const missing = await stack.query<ClinicalView>('clinician-c', CLINICAL_VIEW, { id: 'res-999999' }, TREAT);
      expect(existing.body.data).toEqual({ resident: null });
      expect(existing.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['resident'], 'GRANT_REQUIRED']]);
      // Everything the clinician would need to ask for, in one error.
      const extensions = existing.body.errors![0]!.extensions as { missing: { category: string }; alsoMissing: Array<{ category: string }> };
      expect([extensions.missing, ...extensions.alsoMissing].map((m) => m.category).sort()).toEqual(['CLINICAL', 'DEMOGRAPHICS', 'RESULTS']);
      expect(missing.body).toEqual(existing.body);
    });

    it('is refused with PURPOSE_REQUIRED without a purpose of use', async () => {
      const { body } = await stack.query<ClinicalView>('clinician-a', CLINICAL_VIEW, { id: id('resident-multi') });
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.[0]?.extensions?.['code']).toBe('PURPOSE_REQUIRED');
    });

    it('is refused with FORBIDDEN fields for a purpose a clinician may not read under (research)', async () => {
      const { body } = await stack.query<ClinicalView>('clinician-a', CLINICAL_VIEW, { id: id('resident-multi') }, { 'x-purpose-of-use': 'HRESCH' });
      expect(body.data).toEqual({ resident: null });
      expect(body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    });
  });

  describe('other readers', () => {
    it("lets a guardian read their ward's record in clear, and no other resident's", async () => {
      const ward = await stack.query<{ resident: { id: string; name: string; immunizations: unknown[] } }>(
        'resident-multi',
        'query($id: ID!) { resident(id: $id) { id name immunizations(first: 3) { vaccineName } } }',
        { id: id('resident-child') },
      );
      expect(ward.body.errors).toBeUndefined();
      expect(ward.body.data!.resident.name).toBe(stack.actor('resident-child').displayName);
      expect(ward.body.data!.resident.immunizations.length).toBeGreaterThan(0);
      const stranger = await stack.query('resident-child', 'query($id: ID!) { resident(id: $id) { id name } }', { id: id('resident-multi') });
      expect(stranger.body.data).toEqual({ resident: null });
      expect(stranger.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    });

    it.each(['researcher', 'steward-1', 'auditor', 'his-inst-01'])('refuses resident data to %s with FORBIDDEN', async (actor) => {
      const { body } = await stack.query(actor, 'query($id: ID!) { resident(id: $id) { id name encounters(first: 1) { id } } }', { id: id('resident-multi') }, TREAT);
      expect(body.data).toEqual({ resident: null });
      expect(body.errors?.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);
    });
  });

  describe('findResident', () => {
    const FIND = 'query($card: String!) { findResident(idCardNumber: $card) { id name sex } }';

    it('finds a treated patient by ID-card number through the blind index, identity masked', async () => {
      const card = stack.actor('resident-multi').idCardNumber!;
      const { body } = await stack.query<{ findResident: { id: string; name: string; sex: string } }>('clinician-a', FIND, { card }, TREAT);
      expect(body.errors).toBeUndefined();
      expect(body.data!.findResident.id).toBe(id('resident-multi'));
      expect(body.data!.findResident.name).toMatch(/^王\*+$/);
    });

    it('answers an untreated patient and an unknown valid number identically', async () => {
      const hidden = await stack.query('clinician-c', FIND, { card: stack.actor('resident-multi').idCardNumber! }, TREAT);
      const unknown = await stack.query('clinician-c', FIND, { card: '11010519491231002X' }, TREAT);
      expect(hidden.body.data).toEqual({ findResident: null });
      expect(hidden.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['GRANT_REQUIRED']);
      expect(unknown.body).toEqual(hidden.body);
    });

    it('rejects a malformed ID-card number with BAD_USER_INPUT before any lookup', async () => {
      const { body } = await stack.query('clinician-a', FIND, { card: '110105194912310021' }, TREAT);
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    });

    it('never sends the plaintext number to the population subgraph', async () => {
      const population = stack.platform.subgraphs.find((s) => s.name === 'population')!;
      const proxy = await startRecordingProxy(population.url);
      const gateway = await startExtraGateway(stack, { subgraphUrls: { population: proxy.url } });
      try {
        const card = stack.actor('resident-multi').idCardNumber!;
        const found = await stack.query<{ findResident: { id: string } }>('clinician-a', `{ findResident(idCardNumber: "${card}") { id } }`, {}, TREAT, gateway.url);
        expect(found.body.data!.findResident.id).toBe(id('resident-multi'));
        expect(proxy.queries.join('\n')).not.toContain(card);
      } finally {
        await gateway.stop();
        await proxy.stop();
      }
    });
  });

  describe('a per-use grant', () => {
    it('opens exactly the granted categories across institutions, for the granted number of uses', async () => {
      const token = await requestAndApprove('clinician-c', 'resident-multi', { categories: ['CLINICAL'], uses: 2 });
      const headers = { ...TREAT, 'x-access-grant': token };
      const first = await stack.query<ClinicalView>('clinician-c', CLINICAL_VIEW, { id: id('resident-multi') }, headers);
      const resident = first.body.data!.resident!;
      expect(resident.id).toBe(id('resident-multi'));
      expect(new Set(resident.encounters!.map((e) => e.institution.id)).size).toBeGreaterThanOrEqual(2);
      // Not granted: demographics and results come back null, each with an error naming the category.
      expect(resident.name).toBeNull();
      expect(resident.labReports).toBeNull();
      const codes = Object.fromEntries(first.body.errors!.map((e) => [e.path!.join('.'), [e.extensions!['code'], (e.extensions!['missing'] as { category: string }).category]]));
      expect(codes['resident.name']).toEqual(['GRANT_INVALID', 'DEMOGRAPHICS']);
      expect(codes['resident.labReports']).toEqual(['GRANT_INVALID', 'RESULTS']);

      const second = await stack.query<ClinicalView>('clinician-c', CLINICAL_VIEW, { id: id('resident-multi') }, headers);
      expect(second.body.data!.resident!.encounters!.length).toBeGreaterThan(0);
      const third = await stack.query<ClinicalView>('clinician-c', CLINICAL_VIEW, { id: id('resident-multi') }, headers);
      expect(third.body.data ?? null).toBeNull();
      expect(third.body.errors?.[0]?.extensions).toMatchObject({ code: 'GRANT_INVALID', problem: 'USED_UP' });
    });

    it('is GRANT_INVALID for another resident, another clinician, after expiry and after revocation', async () => {
      const token = await requestAndApprove('clinician-c', 'resident-multi', { categories: ['CLINICAL'], uses: 5 });
      const headers = { ...TREAT, 'x-access-grant': token };
      const otherResident = await stack.query(`clinician-c`, CLINICAL_VIEW, { id: id('resident-research') }, headers);
      expect(otherResident.body.errors?.[0]?.extensions).toMatchObject({ code: 'GRANT_INVALID', problem: 'OTHER_RESIDENT' });
      const otherClinician = await stack.query('clinician-b', CLINICAL_VIEW, { id: id('resident-multi') }, headers);
      expect(otherClinician.body.errors?.[0]?.extensions).toMatchObject({ code: 'GRANT_INVALID', problem: 'OTHER_GRANTEE' });

      await stack.platform.database.query(`update consent.access_grant set valid_until = now() - interval '1 minute' where token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`, [token]);
      const expired = await stack.query('clinician-c', CLINICAL_VIEW, { id: id('resident-multi') }, headers);
      expect(expired.body.errors?.[0]?.extensions).toMatchObject({ code: 'GRANT_INVALID', problem: 'EXPIRED' });

      const revokedToken = await requestAndApprove('clinician-c', 'resident-multi', { categories: ['CLINICAL'], uses: 5 });
      const requests = await stack.query<{ myAccessRequests: Array<{ id: string; grantToken: string | null }> }>('clinician-c', '{ myAccessRequests { id grantToken } }');
      const requestId = requests.body.data!.myAccessRequests.find((r) => r.grantToken === revokedToken)!.id;
      const denied = await stack.query('resident-multi', 'mutation($id: ID!) { denyAccessRequest(id: $id, reason: "改变主意") { status } }', { id: requestId });
      expect(denied.body.errors).toBeUndefined();
      const revoked = await stack.query('clinician-c', CLINICAL_VIEW, { id: id('resident-multi') }, { ...TREAT, 'x-access-grant': revokedToken });
      expect(revoked.body.errors?.[0]?.extensions).toMatchObject({ code: 'GRANT_INVALID', problem: 'REVOKED' });
    });

    it('opens level-5 records only after both the resident and a steward approved', async () => {
      const requested = await stack.query<{ requestAccess: { id: string } }>(
        'clinician-a',
        'mutation($input: AccessRequestInput!) { requestAccess(input: $input) { id status } }',
        { input: { residentId: id('resident-sensitive'), categories: ['CLINICAL'], purpose: 'TREAT', reason: '联合诊疗', uses: 3, includeLevel5: true } },
      );
      const requestId = requested.body.data!.requestAccess.id;
      const byResident = await stack.query<{ approveAccessRequest: { status: string } }>('resident-sensitive', 'mutation($id: ID!) { approveAccessRequest(id: $id) { status } }', { id: requestId });
      expect(byResident.body.data!.approveAccessRequest.status).toBe('PARTIALLY_APPROVED');
      const bySteward = await stack.query<{ approveAccessRequest: { status: string } }>('steward-1', 'mutation($id: ID!) { approveAccessRequest(id: $id) { status } }', { id: requestId });
      expect(bySteward.body.data!.approveAccessRequest.status).toBe('APPROVED');
      const mine = await stack.query<{ myAccessRequests: Array<{ id: string; grantToken: string }> }>('clinician-a', '{ myAccessRequests { id grantToken } }');
      const token = mine.body.data!.myAccessRequests.find((r) => r.id === requestId)!.grantToken;
      const view = await stack.query<ClinicalView>('clinician-a', CLINICAL_VIEW, { id: id('resident-sensitive') }, { ...TREAT, 'x-access-grant': token });
      const codes = view.body.data!.resident!.encounters!.flatMap((e) => e.diagnoses.map((d) => d.code));
      expect(codes).toContain('F32.900');
    });
  });

  describe('break-glass', () => {
    it('reads everything but level 5, is flagged to the resident and queued for a steward', async () => {
      const reason = encodeURIComponent('急诊昏迷，需了解既往史');
      const { body } = await stack.query<ClinicalView>('clinician-b', CLINICAL_VIEW, { id: id('resident-sensitive') }, { 'x-purpose-of-use': 'ETREAT', 'x-break-glass-reason': reason });
      expect(body.errors).toBeUndefined();
      const resident = body.data!.resident!;
      expect(resident.name).not.toContain('*');
      const levels = resident.encounters!.flatMap((e) => e.diagnoses.map((d) => d.level));
      expect(levels.every((level) => level <= 4)).toBe(true);
      expect(resident.encounters!.flatMap((e) => e.diagnoses.map((d) => d.code))).not.toContain('F32.900');

      const log = await stack.query<{ myAccessLog: { edges: Array<{ node: { breakGlass: boolean; breakGlassReason: string; actorRole: string } }> } }>('resident-sensitive', '{ myAccessLog(first: 5) { edges { node { breakGlass breakGlassReason actorRole } } } }');
      expect(log.body.data!.myAccessLog.edges[0]!.node).toEqual({ breakGlass: true, breakGlassReason: '急诊昏迷，需了解既往史', actorRole: 'clinician' });

      const queue = await stack.query<{ breakGlassReviews: Array<{ id: string; residentId: string; status: string }> }>('steward-2', '{ breakGlassReviews(status: PENDING) { id residentId status } }');
      const review = queue.body.data!.breakGlassReviews.find((r) => r.residentId === id('resident-sensitive'))!;
      expect(review.status).toBe('PENDING');
      const reviewed = await stack.query<{ reviewBreakGlass: { status: string } }>('steward-2', 'mutation($id: ID!) { reviewBreakGlass(id: $id, decision: JUSTIFIED, comment: "合理") { status } }', { id: review.id });
      expect(reviewed.body.data!.reviewBreakGlass.status).toBe('JUSTIFIED');
    });

    it('needs a reason', async () => {
      const { body } = await stack.query('clinician-b', CLINICAL_VIEW, { id: id('resident-sensitive') }, { 'x-purpose-of-use': 'ETREAT' });
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    });
  });

  describe('filtering before planning', () => {
    it('never asks a subgraph for a denied field, and plans the same text separately for callers with different rights', async () => {
      const population = stack.platform.subgraphs.find((s) => s.name === 'population')!;
      const results = stack.platform.subgraphs.find((s) => s.name === 'results')!;
      const populationProxy = await startRecordingProxy(population.url);
      const resultsProxy = await startRecordingProxy(results.url);
      const gateway = await startExtraGateway(stack, { subgraphUrls: { population: populationProxy.url, results: resultsProxy.url } });
      try {
        const token = await requestAndApprove('clinician-c', 'resident-multi', { categories: ['CLINICAL'], uses: 1 });
        const granted = await stack.query<ClinicalView>('clinician-c', CLINICAL_VIEW, { id: id('resident-multi') }, { ...TREAT, 'x-access-grant': token }, gateway.url);
        expect(granted.body.data!.resident!.name).toBeNull();
        expect(populationProxy.queries.join('\n')).not.toMatch(/\bname\b|idCardNumber|phone/);
        expect(resultsProxy.queries).toEqual([]);

        const treating = await stack.query<ClinicalView>('clinician-a', CLINICAL_VIEW, { id: id('resident-multi') }, TREAT, gateway.url);
        expect(treating.body.data!.resident!.name).toMatch(/^王\*/);
        expect(populationProxy.queries.at(-1)).toMatch(/\bname\b/);
        expect(resultsProxy.queries.length).toBeGreaterThan(0);
      } finally {
        await gateway.stop();
        await populationProxy.stop();
        await resultsProxy.stop();
      }
    });

    it('returns null with an error at every aliased and fragment path of a denied field', async () => {
      const token = await requestAndApprove('clinician-c', 'resident-multi', { categories: ['CLINICAL'], uses: 1 });
      const query = `query($id: ID!) { patient: resident(id: $id) { ...Identity encounters(first: 2) { id } } }
        fragment Identity on Resident { fullName: name id ... on Resident { card: idCardNumber } }`;
      const { body } = await stack.query<{ patient: Record<string, unknown> }>('clinician-c', query, { id: id('resident-multi') }, { ...TREAT, 'x-access-grant': token });
      expect(body.data!.patient['fullName']).toBeNull();
      expect(body.data!.patient['card']).toBeNull();
      expect(body.data!.patient['id']).toBe(id('resident-multi'));
      expect(body.errors!.map((e) => e.path!.join('.')).sort()).toEqual(['patient.card', 'patient.fullName']);
    });

    it('refuses the whole operation in reject mode, and answers one with nothing denied', async () => {
      const gateway = await startExtraGateway(stack, { mode: 'reject' });
      try {
        const allowed = await stack.query<ClinicalView>('clinician-a', CLINICAL_VIEW, { id: id('resident-multi') }, TREAT, gateway.url);
        expect(allowed.body.errors).toBeUndefined();
        expect(allowed.body.data!.resident!.name).toMatch(/^王\*+$/);
        const granted = await requestAndApprove('clinician-c', 'resident-multi', { categories: ['CLINICAL'], uses: 1 });
        const refused = await stack.query('clinician-c', CLINICAL_VIEW, { id: id('resident-multi') }, { ...TREAT, 'x-access-grant': granted }, gateway.url);
        expect(refused.body.data ?? null).toBeNull();
        expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('GRANT_INVALID');
      } finally {
        await gateway.stop();
      }
    });
  });

  describe('the audit trail', () => {
    it('writes one entry per resident touched and lets each resident read only their own', async () => {
      const before = await stack.platform.database.query<{ n: string }>('select count(*)::text as n from consent.audit_entry');
      const query = 'query($a: ID!, $b: ID!) { a: resident(id: $a) { id sex } b: resident(id: $b) { id sex } again: resident(id: $a) { birthDate } }';
      await stack.query('clinician-a', query, { a: id('resident-multi'), b: id('resident-research') }, TREAT);
      const after = await stack.platform.database.query<{ n: string }>('select count(*)::text as n from consent.audit_entry');
      expect(Number(after[0]!.n) - Number(before[0]!.n)).toBe(2);

      const log = await stack.query<{ myAccessLog: { edges: Array<{ node: { id: string } }> } }>('resident-research', '{ myAccessLog(first: 100) { edges { node { id } } } }');
      const ids = log.body.data!.myAccessLog.edges.map((e) => e.node.id);
      const rows = await stack.platform.database.query<{ id: string; resident_id: string }>('select id, resident_id from consent.audit_entry');
      const own = rows.filter((r) => r.resident_id === id('resident-research')).map((r) => r.id);
      expect(ids.sort()).toEqual(own.sort());
    });

    it('verifies the chain, and reports an altered or deleted row at its position', async () => {
      const report = async () =>
        (await stack.query<{ verifyAuditChain: { valid: boolean; brokenAtPosition: number | null; problem: string | null } }>('auditor', '{ verifyAuditChain { valid entries brokenAtPosition problem } }')).body.data!.verifyAuditChain;
      for (const actor of ['resident-multi', 'resident-research', 'resident-child', 'resident-multi']) await stack.query(actor, '{ myArchive { id sex } }');
      expect((await report()).valid).toBe(true);
      const rows = await stack.platform.database.query<{ seq: string; outcome: string }>('select seq::text as seq, outcome from consent.audit_entry order by audit_entry.seq');
      expect(rows.length).toBeGreaterThan(3);
      const victim = rows[2]!;
      await stack.platform.database.query(`update consent.audit_entry set outcome = 'ALLOWED', rows_returned = rows_returned + 1 where seq = $1`, [victim.seq]);
      expect(await report()).toMatchObject({ valid: false, brokenAtPosition: 3, problem: 'ALTERED' });
      await stack.platform.database.query(`delete from consent.audit_entry where seq = $1`, [victim.seq]);
      expect(await report()).toMatchObject({ valid: false, brokenAtPosition: 3, problem: 'MISSING_ENTRIES' });
    });

    it('releases nothing when the audit cannot be written (fail closed)', async () => {
      await stack.platform.database.query(`alter table consent.audit_entry add constraint audit_unwritable check (false) not valid`);
      try {
        const { body } = await stack.query<ClinicalView>('clinician-a', CLINICAL_VIEW, { id: id('resident-multi') }, TREAT);
        expect(body.data?.resident ?? null).toBeNull();
        expect(JSON.stringify(body)).not.toContain('心血管内科');
        expect(body.errors?.length).toBeGreaterThan(0);
      } finally {
        await stack.platform.database.query(`alter table consent.audit_entry drop constraint audit_unwritable`);
      }
    });
  });

  describe('revocation', () => {
    it('takes effect on the next request, also on a second gateway sharing the database', async () => {
      const second = stack.databaseUrl ? await openDatabase({ url: stack.databaseUrl, maxConnections: 4 }) : undefined;
      const gateway = await startExtraGateway(stack, second ? { database: second.db } : {});
      try {
        const token = await requestAndApprove('clinician-c', 'resident-research', { categories: ['CLINICAL'], uses: 10 });
        const headers = { ...TREAT, 'x-access-grant': token };
        const before = await stack.query<ClinicalView>('clinician-c', CLINICAL_VIEW, { id: id('resident-research') }, headers, gateway.url);
        expect(before.body.data!.resident!.encounters!.length).toBeGreaterThan(0);
        const requests = await stack.query<{ myAccessRequests: Array<{ id: string; grantToken: string | null }> }>('clinician-c', '{ myAccessRequests { id grantToken } }');
        const requestId = requests.body.data!.myAccessRequests.find((r) => r.grantToken === token)!.id;
        await stack.query('resident-research', 'mutation($id: ID!) { denyAccessRequest(id: $id) { status } }', { id: requestId });
        const after = await stack.query('clinician-c', CLINICAL_VIEW, { id: id('resident-research') }, headers, gateway.url);
        expect(after.body.errors?.[0]?.extensions).toMatchObject({ code: 'GRANT_INVALID', problem: 'REVOKED' });

        const consent = await stack.query<{ grantConsent: { id: string } }>(
          'resident-research',
          'mutation($input: ConsentInput!) { grantConsent(input: $input) { id } }',
          { input: { categories: ['CLINICAL', 'RESULTS'], recipient: { kind: 'INSTITUTION', id: institutionOf('clinician-a') }, purposes: ['TREAT'], provision: 'DENY', noticeVersion: '2026-01' } },
        );
        const denied = await stack.query<ClinicalView>('clinician-a', CLINICAL_VIEW, { id: id('resident-research') }, TREAT, gateway.url);
        expect(denied.body.data!.resident!.encounters).toBeNull();
        expect(denied.body.errors?.find((e) => e.path?.join('.') === 'resident.encounters')?.extensions?.['code']).toBe('CONSENT_REQUIRED');
        await stack.query('resident-research', 'mutation($id: ID!) { revokeConsent(id: $id) { status } }', { id: consent.body.data!.grantConsent.id });
        const reopened = await stack.query<ClinicalView>('clinician-a', CLINICAL_VIEW, { id: id('resident-research') }, TREAT, gateway.url);
        expect(reopened.body.data!.resident!.encounters!.length).toBeGreaterThan(0);
      } finally {
        await gateway.stop();
        await second?.close();
      }
    });
  });

  it('lets exactly one of two concurrent uses of a one-use grant succeed', async () => {
    const token = await requestAndApprove('clinician-c', 'resident-multi', { categories: ['CLINICAL'], uses: 1 });
    const headers = { ...TREAT, 'x-access-grant': token };
    const responses = await Promise.all([1, 2, 3].map(() => stack.query<ClinicalView>('clinician-c', CLINICAL_VIEW, { id: id('resident-multi') }, headers)));
    const succeeded = responses.filter((r) => r.body.data?.resident?.encounters);
    const refused = responses.filter((r) => (r.body.data ?? null) === null && r.body.errors?.[0]?.extensions?.['code'] === 'GRANT_INVALID');
    expect(succeeded).toHaveLength(1);
    expect(refused).toHaveLength(2);
  });
});
