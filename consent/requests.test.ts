import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import type { Actor } from '../schema/context.js';
import { migrateAll, openDatabase, type DatabaseHandle } from '../subgraphs/runtime/database.js';
import { grantConsent, revokeConsent, type NewConsent } from './consents.js';
import { grantTokenFor } from './grants.js';
import { approveAccessRequest, denyAccessRequest, listAccessRequests, requestAccess, type NewAccessRequest } from './requests.js';
import { accessGrants, accessRequests, guardianships } from './tables.js';

const SECRET = new Uint8Array(32).fill(3);
const T0 = new Date('2026-03-01T09:00:00.000Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const HOUR = 60;

const resident = (residentId: string): Actor => ({ sub: `sub-${residentId}`, role: 'resident', residentId });
const drWang: Actor = { sub: 'dr-wang', role: 'clinician', institutionId: 'inst-a', practitionerId: 'pr-wang' };
const drLi: Actor = { sub: 'dr-li', role: 'clinician', institutionId: 'inst-b', practitionerId: 'pr-li' };
const stewardZhao: Actor = { sub: 'steward-zhao', role: 'steward' };
const stewardQian: Actor = { sub: 'steward-qian', role: 'steward' };

const ask = (residentId: string, change: Partial<NewAccessRequest> = {}): NewAccessRequest => ({
  residentId,
  categories: ['CLINICAL', 'RESULTS'],
  purpose: 'TREAT',
  reason: 'Chest pain; prior ECG and troponin from hospital A.',
  ...change,
});

const autoApproveInstitutionA: NewConsent = {
  categories: ['CLINICAL', 'RESULTS', 'DEMOGRAPHICS'],
  recipient: { kind: 'INSTITUTION', id: 'inst-a' },
  purposes: ['TREAT'],
  provision: 'PERMIT',
  noticeVersion: '2026-01',
  autoApprove: true,
};

let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await openDatabase();
  await migrateAll(handle);
});

afterAll(async () => {
  await handle.close();
});

async function refusal(promise: Promise<unknown>): Promise<{ code: unknown; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return { code: error.extensions['code'], message: error.message };
  }
  throw new Error('expected a refusal');
}

async function grantOf(grantId: string | null) {
  if (!grantId) return undefined;
  const [grant] = await handle.db.select().from(accessGrants).where(eq(accessGrants.id, grantId));
  return grant;
}

async function counts(): Promise<{ requests: number; grants: number }> {
  const [row] = await handle.query<{ requests: number; grants: number }>(
    'select (select count(*) from consent.access_request)::int as requests, (select count(*) from consent.access_grant)::int as grants',
  );
  return row!;
}

describe('requesting access', () => {
  it('files a PENDING request for 72 hours with the defaults (1 use, 60 minutes, no level 5) and no grant', async () => {
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-p1'), T0);
    expect(request).toEqual({
      id: expect.stringMatching(/^areq-/),
      residentId: 'res-p1',
      requester: { sub: 'dr-wang', practitionerId: 'pr-wang', institutionId: 'inst-a' },
      categories: ['CLINICAL', 'RESULTS'],
      purpose: 'TREAT',
      reason: 'Chest pain; prior ECG and troponin from hospital A.',
      uses: 1,
      validForMinutes: 60,
      includesLevel5: false,
      status: 'PENDING',
      residentDecision: null,
      stewardDecision: null,
      denialReason: null,
      createdAt: T0,
      expiresAt: minutes(72 * HOUR),
      grantId: null,
      grantToken: null,
      grantCategories: null,
      grantExpiresAt: null,
      grantUsesRemaining: null,
      approvedByConsentId: null,
    });
  });

  it('is approved at once by an autoApprove PERMIT for the requester’s institution, with a grant tied to that consent', async () => {
    const consent = await grantConsent(handle.db, resident('res-auto'), autoApproveInstitutionA, T0);
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-auto', { uses: 3, validForMinutes: 30 }), minutes(1));
    expect(request.status).toBe('APPROVED');
    expect(request.residentDecision).toBe('APPROVE');
    expect(request.approvedByConsentId).toBe(consent.id);
    expect(request.grantToken).toBe(grantTokenFor(SECRET, request.grantId!));
    expect([request.grantCategories, request.grantExpiresAt, request.grantUsesRemaining]).toEqual([['CLINICAL', 'RESULTS'], minutes(31), 3]);
    const grant = await grantOf(request.grantId);
    expect(grant).toMatchObject({
      requestId: request.id,
      residentId: 'res-auto',
      granteeSub: 'dr-wang',
      granteeInstitutionId: 'inst-a',
      categories: ['CLINICAL', 'RESULTS'],
      purpose: 'TREAT',
      maxLevel: 4,
      usesAllowed: 3,
      usesRemaining: 3,
      validFrom: minutes(1),
      validUntil: minutes(31),
      revokedAt: null,
      consentId: consent.id,
    });
  });

  it('is auto-approved by a consent for the requesting practitioner or for anyone', async () => {
    await grantConsent(handle.db, resident('res-auto-pr'), { ...autoApproveInstitutionA, recipient: { kind: 'PRACTITIONER', id: 'pr-li' } }, T0);
    await grantConsent(handle.db, resident('res-auto-any'), { ...autoApproveInstitutionA, recipient: { kind: 'ANYONE' } }, T0);
    expect((await requestAccess(handle.db, SECRET, drLi, ask('res-auto-pr'), minutes(1))).status).toBe('APPROVED');
    expect((await requestAccess(handle.db, SECRET, drWang, ask('res-auto-pr'), minutes(1))).status).toBe('PENDING');
    expect((await requestAccess(handle.db, SECRET, drLi, ask('res-auto-any'), minutes(1))).status).toBe('APPROVED');
  });

  it('never outlasts the auto-approving consent', async () => {
    await grantConsent(handle.db, resident('res-auto-short'), { ...autoApproveInstitutionA, validUntil: minutes(20) }, T0);
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-auto-short', { validForMinutes: 120 }), minutes(5));
    expect(request.grantExpiresAt).toEqual(minutes(20));
  });

  const notAutoApproved: Array<[string, Partial<NewConsent>, Partial<NewAccessRequest>, Actor]> = [
    ['a category the consent does not cover', {}, { categories: ['CLINICAL', 'PAYMENT'] }, drWang],
    ['another purpose', {}, { purpose: 'HOPERAT' }, drWang],
    ['level-5 records', {}, { includeLevel5: true }, drWang],
    ['a requester at another institution', {}, {}, drLi],
    ['a consent without autoApprove', { autoApprove: false }, {}, drWang],
    ['a consent not yet in force', { validFrom: minutes(60) }, {}, drWang],
  ];
  notAutoApproved.forEach(([what, consentChange, requestChange, requester], index) => {
    it(`stays PENDING for ${what}`, async () => {
      const residentId = `res-manual-${index}`;
      await grantConsent(handle.db, resident(residentId), { ...autoApproveInstitutionA, ...consentChange }, T0);
      const request = await requestAccess(handle.db, SECRET, requester, ask(residentId, requestChange), minutes(1));
      expect([request.status, request.grantId, request.approvedByConsentId]).toEqual(['PENDING', null, null]);
    });
  });

  it('stays PENDING when the auto-approving consent was revoked, or a DENY consent closes a requested category', async () => {
    const consent = await grantConsent(handle.db, resident('res-revoked'), autoApproveInstitutionA, T0);
    await revokeConsent(handle.db, resident('res-revoked'), consent.id, minutes(1));
    expect((await requestAccess(handle.db, SECRET, drWang, ask('res-revoked'), minutes(2))).status).toBe('PENDING');

    await grantConsent(handle.db, resident('res-denied'), autoApproveInstitutionA, T0);
    await grantConsent(
      handle.db,
      resident('res-denied'),
      { categories: ['RESULTS'], recipient: { kind: 'ANYONE' }, purposes: ['TREAT'], provision: 'DENY', noticeVersion: '2026-01' },
      T0,
    );
    expect((await requestAccess(handle.db, SECRET, drWang, ask('res-denied'), minutes(2))).status).toBe('PENDING');
  });

  it('refuses anyone but a clinician at an institution', async () => {
    expect(await refusal(requestAccess(handle.db, SECRET, resident('res-x'), ask('res-p1'), T0))).toEqual({
      code: 'FORBIDDEN',
      message: 'Only a clinician at an institution can request access to a resident’s data.',
    });
    expect((await refusal(requestAccess(handle.db, SECRET, { sub: 'dr-nowhere', role: 'clinician' }, ask('res-p1'), T0))).code).toBe('FORBIDDEN');
    expect((await refusal(requestAccess(handle.db, SECRET, stewardZhao, ask('res-p1'), T0))).code).toBe('FORBIDDEN');
    expect((await refusal(requestAccess(handle.db, SECRET, null, ask('res-p1'), T0))).code).toBe('UNAUTHENTICATED');
  });

  const invalid: Array<[string, Partial<NewAccessRequest>, string]> = [
    ['a blank resident id', { residentId: ' ' }, 'residentId'],
    ['no categories', { categories: [] }, 'categories'],
    ['an unknown category', { categories: ['GENOME'] }, 'categories'],
    ['the break-glass purpose ETREAT', { purpose: 'ETREAT' }, 'purpose'],
    ['a research purpose', { purpose: 'HRESCH' }, 'purpose'],
    ['a blank reason', { reason: '  \n ' }, 'reason'],
    ['a reason over 500 characters', { reason: 'x'.repeat(501) }, 'reason'],
    ['zero uses', { uses: 0 }, 'uses'],
    ['21 uses', { uses: 21 }, 'uses'],
    ['a fractional use count', { uses: 1.5 }, 'uses'],
    ['zero minutes', { validForMinutes: 0 }, 'validForMinutes'],
    ['more than a week', { validForMinutes: 10_081 }, 'validForMinutes'],
  ];
  for (const [what, change, field] of invalid) {
    it(`refuses ${what} as BAD_USER_INPUT on ${field} and writes nothing`, async () => {
      await grantConsent(handle.db, resident('res-invalid'), autoApproveInstitutionA, T0).catch(() => undefined);
      const before = await counts();
      let caught: unknown;
      try {
        await requestAccess(handle.db, SECRET, drWang, { ...ask('res-invalid'), ...change }, minutes(1));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(GraphQLError);
      expect((caught as GraphQLError).extensions).toEqual({ code: 'BAD_USER_INPUT', field });
      expect(await counts()).toEqual(before);
    });
  }

  it('accepts a reason of exactly 500 characters, 20 uses and a week', async () => {
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-p2', { reason: 'y'.repeat(500), uses: 20, validForMinutes: 10_080 }), T0);
    expect([request.reason.length, request.uses, request.validForMinutes]).toEqual([500, 20, 10_080]);
  });
});

describe('deciding a request', () => {
  it('issues a grant when the resident approves: from approval time, for validForMinutes, at most level 4', async () => {
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-d1', { uses: 2, validForMinutes: 90 }), T0);
    const approved = await approveAccessRequest(handle.db, SECRET, resident('res-d1'), request.id, minutes(10));
    expect([approved.status, approved.residentDecision, approved.stewardDecision]).toEqual(['APPROVED', 'APPROVE', null]);
    expect(approved.grantToken).toBeNull();
    const grant = await grantOf(approved.grantId);
    expect(grant).toMatchObject({
      granteeSub: 'dr-wang',
      granteeInstitutionId: 'inst-a',
      categories: ['CLINICAL', 'RESULTS'],
      maxLevel: 4,
      usesAllowed: 2,
      validFrom: minutes(10),
      validUntil: minutes(100),
      consentId: null,
    });
    const asSeenByRequester = (await listAccessRequests(handle.db, SECRET, drWang, 'APPROVED', minutes(11))).find((r) => r.id === request.id);
    expect(asSeenByRequester?.grantToken).toBe(grantTokenFor(SECRET, approved.grantId!));
  });

  it('needs the resident AND a steward for level 5: PARTIALLY_APPROVED after one, APPROVED at level 5 after both', async () => {
    const first = await requestAccess(handle.db, SECRET, drWang, ask('res-l5', { includeLevel5: true }), T0);
    const afterResident = await approveAccessRequest(handle.db, SECRET, resident('res-l5'), first.id, minutes(5));
    expect([afterResident.status, afterResident.grantId]).toEqual(['PARTIALLY_APPROVED', null]);
    const afterSteward = await approveAccessRequest(handle.db, SECRET, stewardZhao, first.id, minutes(6));
    expect([afterSteward.status, afterSteward.residentDecision, afterSteward.stewardDecision]).toEqual(['APPROVED', 'APPROVE', 'APPROVE']);
    expect((await grantOf(afterSteward.grantId))?.maxLevel).toBe(5);

    const second = await requestAccess(handle.db, SECRET, drWang, ask('res-l5', { includeLevel5: true }), T0);
    expect((await approveAccessRequest(handle.db, SECRET, stewardQian, second.id, minutes(5))).status).toBe('PARTIALLY_APPROVED');
    const both = await approveAccessRequest(handle.db, SECRET, resident('res-l5'), second.id, minutes(6));
    expect(both.status).toBe('APPROVED');
    expect((await grantOf(both.grantId))?.maxLevel).toBe(5);
  });

  it('refuses a steward decision on a request without level 5', async () => {
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-d2'), T0);
    expect(await refusal(approveAccessRequest(handle.db, SECRET, stewardZhao, request.id, minutes(1)))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'This request does not include level-5 data: it needs no steward decision.',
    });
  });

  it('narrows the grant by the resident’s DENY consents for this recipient and purpose', async () => {
    const deny = { recipient: { kind: 'INSTITUTION', id: 'inst-a' }, purposes: ['TREAT'], provision: 'DENY', noticeVersion: '2026-01' };
    await grantConsent(handle.db, resident('res-narrow'), { ...deny, categories: ['RESULTS'] }, T0);
    await grantConsent(handle.db, resident('res-narrow'), { ...deny, categories: ['CLINICAL'], purposes: ['HOPERAT'] }, T0);
    await grantConsent(handle.db, resident('res-narrow'), { ...deny, categories: ['CLINICAL'], recipient: { kind: 'INSTITUTION', id: 'inst-b' } }, T0);
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-narrow'), T0);
    const approved = await approveAccessRequest(handle.db, SECRET, resident('res-narrow'), request.id, minutes(1));
    expect(approved.status).toBe('APPROVED');
    expect(approved.categories).toEqual(['CLINICAL', 'RESULTS']);
    expect(approved.grantCategories).toEqual(['CLINICAL']);
    expect((await grantOf(approved.grantId))?.categories).toEqual(['CLINICAL']);
  });

  it('ends DENIED, blocked by consent, with no grant when DENY consents close every requested category', async () => {
    await grantConsent(
      handle.db,
      resident('res-blocked'),
      { categories: ['CLINICAL', 'RESULTS'], recipient: { kind: 'ANYONE' }, purposes: ['TREAT'], provision: 'DENY', noticeVersion: '2026-01' },
      T0,
    );
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-blocked'), T0);
    const before = await counts();
    const decided = await approveAccessRequest(handle.db, SECRET, resident('res-blocked'), request.id, minutes(1));
    expect([decided.status, decided.denialReason, decided.grantId]).toEqual(['DENIED', 'blocked by consent', null]);
    expect((await counts()).grants).toBe(before.grants);
  });

  it('treats another resident’s or another clinician’s attempt as not found, and writes nothing', async () => {
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-d3'), T0);
    const notFound = { code: 'BAD_USER_INPUT', message: 'No such access request' };
    expect(await refusal(approveAccessRequest(handle.db, SECRET, resident('res-other'), request.id, minutes(1)))).toEqual(notFound);
    expect(await refusal(denyAccessRequest(handle.db, resident('res-other'), request.id, 'no', minutes(1)))).toEqual(notFound);
    expect(await refusal(approveAccessRequest(handle.db, SECRET, drLi, request.id, minutes(1)))).toEqual(notFound);
    expect(await refusal(approveAccessRequest(handle.db, SECRET, resident('res-other'), 'areq-does-not-exist', minutes(1)))).toEqual(notFound);
    const [row] = await handle.db.select().from(accessRequests).where(eq(accessRequests.id, request.id));
    expect([row?.status, row?.residentDecision]).toEqual(['PENDING', null]);
  });

  it('does not let the requester decide their own request', async () => {
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-d4'), T0);
    expect(await refusal(approveAccessRequest(handle.db, SECRET, drWang, request.id, minutes(1)))).toEqual({
      code: 'FORBIDDEN',
      message: 'A requester cannot decide their own access request.',
    });
  });

  it('reports a request past its 72 hours as EXPIRED and refuses to approve it', async () => {
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-exp'), T0);
    const late = minutes(72 * HOUR);
    expect(await refusal(approveAccessRequest(handle.db, SECRET, resident('res-exp'), request.id, late))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'This access request has expired; the clinician can ask again.',
    });
    expect((await listAccessRequests(handle.db, SECRET, resident('res-exp'), null, late)).map((r) => r.status)).toEqual(['EXPIRED']);
    expect(await listAccessRequests(handle.db, SECRET, resident('res-exp'), 'PENDING', late)).toEqual([]);
    expect((await listAccessRequests(handle.db, SECRET, resident('res-exp'), 'EXPIRED', late)).map((r) => r.id)).toEqual([request.id]);
    expect((await listAccessRequests(handle.db, SECRET, resident('res-exp'), 'PENDING', minutes(72 * HOUR - 1))).map((r) => r.id)).toEqual([request.id]);
  });

  it('refuses to decide twice', async () => {
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-twice'), T0);
    await approveAccessRequest(handle.db, SECRET, resident('res-twice'), request.id, minutes(1));
    expect(await refusal(approveAccessRequest(handle.db, SECRET, resident('res-twice'), request.id, minutes(2)))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'This access request is already approved.',
    });
    const l5 = await requestAccess(handle.db, SECRET, drWang, ask('res-twice', { includeLevel5: true }), T0);
    await approveAccessRequest(handle.db, SECRET, stewardZhao, l5.id, minutes(1));
    expect(await refusal(approveAccessRequest(handle.db, SECRET, stewardQian, l5.id, minutes(2)))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'You have already decided this access request.',
    });
  });

  it('denies with the resident’s reason, and a denied request cannot be approved afterwards', async () => {
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-deny'), T0);
    const denied = await denyAccessRequest(handle.db, resident('res-deny'), request.id, '  I will bring my records myself. ', minutes(1));
    expect([denied.status, denied.residentDecision, denied.denialReason, denied.grantId]).toEqual(['DENIED', 'DENY', 'I will bring my records myself.', null]);
    expect(await refusal(approveAccessRequest(handle.db, SECRET, resident('res-deny'), request.id, minutes(2)))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'This access request is already denied.',
    });
  });

  it('lets a steward deny a level-5 request outright', async () => {
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-l5-deny', { includeLevel5: true }), T0);
    await approveAccessRequest(handle.db, SECRET, resident('res-l5-deny'), request.id, minutes(1));
    const denied = await denyAccessRequest(handle.db, stewardZhao, request.id, null, minutes(2));
    expect([denied.status, denied.residentDecision, denied.stewardDecision, denied.denialReason, denied.grantId]).toEqual(['DENIED', 'APPROVE', 'DENY', null, null]);
  });

  it('withdraws an approval: denying an approved request revokes its grant', async () => {
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-withdraw'), T0);
    const approved = await approveAccessRequest(handle.db, SECRET, resident('res-withdraw'), request.id, minutes(1));
    const withdrawn = await denyAccessRequest(handle.db, resident('res-withdraw'), request.id, undefined, minutes(5));
    expect(withdrawn.status).toBe('DENIED');
    expect((await grantOf(approved.grantId))?.revokedAt).toEqual(minutes(5));
  });

  it('lets a guardian decide for a ward, and tells the ward to ask their guardian', async () => {
    await handle.db.insert(guardianships).values({ residentId: 'res-ward', guardianId: 'res-guardian' });
    const first = await requestAccess(handle.db, SECRET, drWang, ask('res-ward'), T0);
    expect(await refusal(approveAccessRequest(handle.db, SECRET, resident('res-ward'), first.id, minutes(1)))).toEqual({
      code: 'FORBIDDEN',
      message: 'A resident under 14 decides access requests through their guardian.',
    });
    expect((await approveAccessRequest(handle.db, SECRET, resident('res-guardian'), first.id, minutes(1))).status).toBe('APPROVED');
  });
});

describe('listing requests', () => {
  it('shows each role its own part: residents theirs and their wards’, clinicians their own, stewards level-5 work', async () => {
    await handle.db.insert(guardianships).values({ residentId: 'res-l-ward', guardianId: 'res-l-parent' });
    const aboutParent = await requestAccess(handle.db, SECRET, drWang, ask('res-l-parent'), minutes(1));
    const aboutWard = await requestAccess(handle.db, SECRET, drLi, ask('res-l-ward'), minutes(2));
    const aboutStranger = await requestAccess(handle.db, SECRET, drLi, ask('res-l-stranger', { includeLevel5: true }), minutes(3));
    const decidedByZhao = await requestAccess(handle.db, SECRET, drLi, ask('res-l-stranger', { includeLevel5: true }), minutes(4));
    await approveAccessRequest(handle.db, SECRET, stewardZhao, decidedByZhao.id, minutes(5));
    const now = minutes(6);
    const ids = async (actor: Actor) => (await listAccessRequests(handle.db, SECRET, actor, null, now)).map((r) => r.id);

    expect(await ids(resident('res-l-parent'))).toEqual([aboutWard.id, aboutParent.id]);
    expect(await ids(resident('res-l-ward'))).toEqual([aboutWard.id]);
    expect(await ids(resident('res-l-nobody'))).toEqual([]);
    const mineAsLi = await ids(drLi);
    expect(mineAsLi.slice(0, 3)).toEqual([decidedByZhao.id, aboutStranger.id, aboutWard.id]);
    expect(mineAsLi).not.toContain(aboutParent.id);
    const zhao = await ids(stewardZhao);
    expect(zhao).toContain(aboutStranger.id);
    expect(zhao).toContain(decidedByZhao.id);
    expect(zhao).not.toContain(aboutWard.id);
    const qian = await ids(stewardQian);
    expect(qian).toContain(aboutStranger.id);
    expect(qian).not.toContain(decidedByZhao.id);
    expect(await ids({ sub: 'auditor-1', role: 'auditor' })).toEqual([]);
  });

  it('shows the grant token to the requester only', async () => {
    await grantConsent(handle.db, resident('res-token'), autoApproveInstitutionA, T0);
    const request = await requestAccess(handle.db, SECRET, drWang, ask('res-token'), minutes(1));
    const token = grantTokenFor(SECRET, request.grantId!);
    const tokenAs = async (actor: Actor) => (await listAccessRequests(handle.db, SECRET, actor, null, minutes(2))).find((r) => r.id === request.id)?.grantToken;
    expect(await tokenAs(drWang)).toBe(token);
    expect(await tokenAs(resident('res-token'))).toBeNull();
    expect((await listAccessRequests(handle.db, SECRET, resident('res-token'), null, minutes(2)))[0]?.grantUsesRemaining).toBe(1);
  });
});
