import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import type { Actor } from '../schema/context.js';
import { migrateAll, openDatabase, type DatabaseHandle } from '../subgraphs/runtime/database.js';
import {
  activeConsentsFor,
  currentConsents,
  grantConsent,
  matchesRecipient,
  platformRecipientDirectory,
  revokeConsent,
  toFhirBundle,
  toFhirConsent,
  type ConsentRecord,
  type NewConsent,
} from './consents.js';
import { approveAccessRequest, requestAccess } from './requests.js';
import { accessGrants, guardianships } from './tables.js';

const SECRET = new Uint8Array(32).fill(7);
const T0 = new Date('2026-03-01T09:00:00.000Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

const resident = (residentId: string): Actor => ({ sub: `sub-${residentId}`, role: 'resident', residentId });
const clinician: Actor = { sub: 'dr-wang', role: 'clinician', institutionId: 'inst-a', practitionerId: 'pr-wang' };

const permitInstitutionA: NewConsent = {
  categories: ['CLINICAL', 'RESULTS'],
  recipient: { kind: 'INSTITUTION', id: 'inst-a' },
  purposes: ['TREAT'],
  provision: 'PERMIT',
  noticeVersion: '2026-01',
};

let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await openDatabase();
  await migrateAll(handle);
});

afterAll(async () => {
  await handle.close();
});

async function refusal(promise: Promise<unknown>): Promise<{ code: unknown; message: string; field: unknown }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return { code: error.extensions['code'], message: error.message, field: error.extensions['field'] };
  }
  throw new Error('expected a refusal');
}

async function versionRows(consentId: string) {
  return handle.query<{ version: number; status: string; recorded_by: string; categories: string[]; guardian_id: string | null; recorded_at: Date }>(
    'select version, status, recorded_by, categories, guardian_id, recorded_at from consent.consent_version where consent_id = $1 order by version',
    [consentId],
  );
}

async function countVersions(): Promise<number> {
  const [row] = await handle.query<{ n: number }>('select count(*)::int as n from consent.consent_version');
  return row!.n;
}

describe('granting a consent', () => {
  it('writes version 1 of a new consent for the signed-in resident, with defaults filled in', async () => {
    const consent = await grantConsent(handle.db, resident('res-g1'), { ...permitInstitutionA, categories: ['RESULTS', 'CLINICAL', 'RESULTS'] }, T0);
    expect(consent).toEqual({
      id: expect.stringMatching(/^consent-/),
      versionId: expect.stringMatching(/^cv-/),
      version: 1,
      residentId: 'res-g1',
      categories: ['RESULTS', 'CLINICAL'],
      recipient: { kind: 'INSTITUTION', id: 'inst-a' },
      purposes: ['TREAT'],
      provision: 'PERMIT',
      status: 'ACTIVE',
      validFrom: T0,
      validUntil: null,
      noticeVersion: '2026-01',
      autoApprove: false,
      guardianId: null,
      recordedBy: 'sub-res-g1',
      recordedAt: T0,
    });
    expect(await currentConsents(handle.db, 'res-g1')).toEqual([consent]);
  });

  it('lets a guardian grant for their ward and records the guardian on the consent', async () => {
    await handle.db.insert(guardianships).values({ residentId: 'res-child', guardianId: 'res-parent' });
    const consent = await grantConsent(handle.db, resident('res-parent'), { ...permitInstitutionA, residentId: 'res-child', guardianId: 'res-parent' }, T0);
    expect(consent.residentId).toBe('res-child');
    expect(consent.guardianId).toBe('res-parent');
    expect(consent.recordedBy).toBe('sub-res-parent');
  });

  it('refuses a ward granting for themself: a resident under 14 acts through their guardian', async () => {
    await handle.db.insert(guardianships).values({ residentId: 'res-child2', guardianId: 'res-parent2' });
    expect(await refusal(grantConsent(handle.db, resident('res-child2'), permitInstitutionA, T0))).toEqual({
      code: 'FORBIDDEN',
      message: 'A resident under 14 gives and withdraws consent through their guardian.',
      field: undefined,
    });
  });

  it('refuses granting for a resident one is not the guardian of, without saying whether they exist', async () => {
    expect(await refusal(grantConsent(handle.db, resident('res-g2'), { ...permitInstitutionA, residentId: 'res-g1' }, T0))).toEqual({
      code: 'FORBIDDEN',
      message: 'You can give consent only for yourself or for a resident you are the guardian of.',
      field: undefined,
    });
  });

  it('refuses a clinician (FORBIDDEN) and an anonymous caller (UNAUTHENTICATED)', async () => {
    expect((await refusal(grantConsent(handle.db, clinician, permitInstitutionA, T0))).code).toBe('FORBIDDEN');
    expect((await refusal(grantConsent(handle.db, null, permitInstitutionA, T0))).code).toBe('UNAUTHENTICATED');
  });

  const invalid: Array<[string, Partial<NewConsent>, string]> = [
    ['no categories', { categories: [] }, 'categories'],
    ['an unknown category', { categories: ['GENOME'] }, 'categories'],
    ['no purposes', { purposes: [] }, 'purposes'],
    ['an unknown purpose', { purposes: ['MARKETING'] }, 'purposes'],
    ['an unknown provision', { provision: 'MAYBE' }, 'provision'],
    ['an unknown recipient kind', { recipient: { kind: 'FRIEND', id: 'x' } }, 'recipient.kind'],
    ['an institution without its id', { recipient: { kind: 'INSTITUTION' } }, 'recipient.id'],
    ['a blank practitioner id', { recipient: { kind: 'PRACTITIONER', id: '  ' } }, 'recipient.id'],
    ['ANYONE with an id', { recipient: { kind: 'ANYONE', id: 'inst-a' } }, 'recipient.id'],
    ['validUntil before validFrom', { validFrom: minutes(10), validUntil: minutes(5) }, 'validUntil'],
    ['validUntil equal to validFrom', { validFrom: minutes(10), validUntil: minutes(10) }, 'validUntil'],
    ['a blank notice version', { noticeVersion: '   ' }, 'noticeVersion'],
    ['a notice version never published', { noticeVersion: '2099-01' }, 'noticeVersion'],
    ['autoApprove on a DENY', { provision: 'DENY', autoApprove: true }, 'autoApprove'],
    ['a guardianId that is not the acting guardian', { guardianId: 'res-someone' }, 'guardianId'],
  ];
  for (const [what, change, field] of invalid) {
    it(`refuses ${what} as BAD_USER_INPUT on ${field} and writes nothing`, async () => {
      const before = await countVersions();
      const error = await refusal(grantConsent(handle.db, resident('res-invalid'), { ...permitInstitutionA, ...change }, T0));
      expect({ code: error.code, field: error.field }).toEqual({ code: 'BAD_USER_INPUT', field });
      expect(await countVersions()).toBe(before);
    });
  }
});

describe('the notices and recipients a consent names', () => {
  it('accepts only a notice version published by the time of consenting', async () => {
    await handle.query(`insert into consent.privacy_notice (version, title, published_at) values ('2026-04', 'April notice', '2026-04-01T00:00:00Z'), ('draft', 'A draft', null)`);
    const before = await countVersions();
    for (const noticeVersion of ['2026-04', 'draft']) {
      const error = await refusal(grantConsent(handle.db, resident('res-notice'), { ...permitInstitutionA, noticeVersion }, T0));
      expect({ code: error.code, field: error.field }).toEqual({ code: 'BAD_USER_INPUT', field: 'noticeVersion' });
    }
    expect(await countVersions()).toBe(before);
    const later = await grantConsent(handle.db, resident('res-notice'), { ...permitInstitutionA, noticeVersion: '2026-04' }, new Date('2026-04-02T00:00:00Z'));
    expect(later.noticeVersion).toBe('2026-04');
  });

  it('with the platform directory, refuses an institution or practitioner that does not exist, naming recipient.id, and writes nothing', async () => {
    await handle.query(
      `insert into resources.institution (id, name, grade, kind, district_code, license_number, address) values ('inst-real', '真实医院', '三级甲等', 'HOSPITAL', '330106', 'L-1', '杭州')`,
    );
    await handle.query(`insert into resources.practitioner (id, institution_id, name, title, department, license_number) values ('pr-real', 'inst-real', '王医生', '主治医师', '内科', 'P-1')`);
    const before = await countVersions();
    const absent: Array<NewConsent['recipient']> = [
      { kind: 'INSTITUTION', id: 'inst-nowhere' },
      { kind: 'PRACTITIONER', id: 'pr-nobody' },
      { kind: 'PRACTITIONER', id: 'inst-real' },
    ];
    expect(absent.length).toBe(3);
    for (const recipient of absent) {
      const error = await refusal(grantConsent(handle.db, resident('res-dir'), { ...permitInstitutionA, recipient }, T0, undefined, platformRecipientDirectory));
      expect({ code: error.code, field: error.field }).toEqual({ code: 'BAD_USER_INPUT', field: 'recipient.id' });
    }
    expect(await countVersions()).toBe(before);
    const institution = await grantConsent(handle.db, resident('res-dir'), { ...permitInstitutionA, recipient: { kind: 'INSTITUTION', id: 'inst-real' } }, T0, undefined, platformRecipientDirectory);
    const practitioner = await grantConsent(handle.db, resident('res-dir'), { ...permitInstitutionA, recipient: { kind: 'PRACTITIONER', id: 'pr-real' } }, T0, undefined, platformRecipientDirectory);
    expect([institution.recipient, practitioner.recipient]).toEqual([{ kind: 'INSTITUTION', id: 'inst-real' }, { kind: 'PRACTITIONER', id: 'pr-real' }]);
  });
});

describe('revoking a consent', () => {
  it('appends a REVOKED version and leaves version 1 exactly as it was', async () => {
    const granted = await grantConsent(handle.db, resident('res-r1'), permitInstitutionA, T0);
    const before = await versionRows(granted.id);
    const revoked = await revokeConsent(handle.db, resident('res-r1'), granted.id, minutes(30));
    expect(revoked).toEqual({ ...granted, versionId: expect.stringMatching(/^cv-/), version: 2, status: 'REVOKED', recordedAt: minutes(30) });
    expect(revoked.versionId).not.toBe(granted.versionId);
    const after = await versionRows(granted.id);
    expect(after).toHaveLength(2);
    expect(after[0]).toEqual(before[0]);
    expect(after.map((r) => [r.version, r.status])).toEqual([
      [1, 'ACTIVE'],
      [2, 'REVOKED'],
    ]);
    expect(await currentConsents(handle.db, 'res-r1')).toEqual([revoked]);
  });

  it('revokes, in the same transaction, every grant the consent auto-approved and no other grant', async () => {
    const granted = await grantConsent(handle.db, resident('res-r2'), { ...permitInstitutionA, autoApprove: true }, T0);
    const ask = { residentId: 'res-r2', categories: ['CLINICAL'], purpose: 'TREAT', reason: 'follow-up of hypertension' };
    const first = await requestAccess(handle.db, SECRET, clinician, ask, minutes(1));
    const second = await requestAccess(handle.db, SECRET, clinician, ask, minutes(2));
    const unrelated = await requestAccess(handle.db, SECRET, clinician, { ...ask, categories: ['PAYMENT'] }, minutes(3));
    expect([first.status, second.status, unrelated.status]).toEqual(['APPROVED', 'APPROVED', 'PENDING']);
    const approvedByHand = await approveAccessRequest(handle.db, SECRET, resident('res-r2'), unrelated.id, minutes(4));

    await revokeConsent(handle.db, resident('res-r2'), granted.id, minutes(10));
    const grants = await handle.db.select().from(accessGrants);
    const revokedAt = (id: string | null) => grants.find((g) => g.id === id)?.revokedAt;
    expect(revokedAt(first.grantId)).toEqual(minutes(10));
    expect(revokedAt(second.grantId)).toEqual(minutes(10));
    expect(revokedAt(approvedByHand.grantId)).toBeNull();
  });

  it('is idempotent: revoking again returns the revoked state and writes no further version', async () => {
    const granted = await grantConsent(handle.db, resident('res-r3'), permitInstitutionA, T0);
    const revoked = await revokeConsent(handle.db, resident('res-r3'), granted.id, minutes(5));
    const again = await revokeConsent(handle.db, resident('res-r3'), granted.id, minutes(9));
    expect(again).toEqual(revoked);
    expect(await versionRows(granted.id)).toHaveLength(2);
  });

  it('treats another resident’s consent as not found', async () => {
    const granted = await grantConsent(handle.db, resident('res-r4'), permitInstitutionA, T0);
    expect(await refusal(revokeConsent(handle.db, resident('res-r5'), granted.id, minutes(1)))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'No such consent.',
      field: 'id',
    });
    expect(await refusal(revokeConsent(handle.db, resident('res-r5'), 'consent-does-not-exist', minutes(1)))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'No such consent.',
      field: 'id',
    });
    expect(await versionRows(granted.id)).toHaveLength(1);
  });

  it('lets the guardian revoke a ward’s consent and records the guardian on the new version', async () => {
    await handle.db.insert(guardianships).values({ residentId: 'res-child3', guardianId: 'res-parent3' });
    const granted = await grantConsent(handle.db, resident('res-parent3'), { ...permitInstitutionA, residentId: 'res-child3' }, T0);
    const revoked = await revokeConsent(handle.db, resident('res-parent3'), granted.id, minutes(1));
    expect([revoked.status, revoked.guardianId, revoked.recordedBy]).toEqual(['REVOKED', 'res-parent3', 'sub-res-parent3']);
  });
});

describe('reading consents', () => {
  it('answers the state as of a past time from the versions recorded by then', async () => {
    const granted = await grantConsent(handle.db, resident('res-c1'), permitInstitutionA, T0);
    await revokeConsent(handle.db, resident('res-c1'), granted.id, minutes(60));
    expect((await currentConsents(handle.db, 'res-c1', minutes(30))).map((c) => [c.version, c.status])).toEqual([[1, 'ACTIVE']]);
    expect((await currentConsents(handle.db, 'res-c1', minutes(90))).map((c) => [c.version, c.status])).toEqual([[2, 'REVOKED']]);
    expect(await currentConsents(handle.db, 'res-c1', minutes(-1))).toEqual([]);
  });

  it('lists as active only the ACTIVE consents within their period', async () => {
    const actor = resident('res-c2');
    const open = await grantConsent(handle.db, actor, permitInstitutionA, T0);
    const revoked = await grantConsent(handle.db, actor, permitInstitutionA, T0);
    await revokeConsent(handle.db, actor, revoked.id, minutes(1));
    await grantConsent(handle.db, actor, { ...permitInstitutionA, validFrom: minutes(-120), validUntil: minutes(-60) }, T0);
    await grantConsent(handle.db, actor, { ...permitInstitutionA, validFrom: minutes(60) }, T0);
    const bounded = await grantConsent(handle.db, actor, { ...permitInstitutionA, validFrom: minutes(-10), validUntil: minutes(10) }, T0);
    expect((await activeConsentsFor(handle.db, 'res-c2', minutes(5))).map((c) => c.id).sort()).toEqual([open.id, bounded.id].sort());
    expect((await activeConsentsFor(handle.db, 'res-c2', minutes(10))).map((c) => c.id)).toEqual([open.id]);
  });
});

describe('matchesRecipient', () => {
  const consentFor = (kind: ConsentRecord['recipient']['kind'], id: string | null) => ({ recipient: { kind, id } });
  const who = { institutionId: 'inst-a', practitionerId: 'pr-wang', scenarioId: 'sc-1' };

  it('matches ANYONE for every requester', () => {
    expect(matchesRecipient(consentFor('ANYONE', null), who)).toBe(true);
    expect(matchesRecipient(consentFor('ANYONE', null), {})).toBe(true);
  });

  it('matches an institution, a practitioner or a scenario only by its own id', () => {
    expect(matchesRecipient(consentFor('INSTITUTION', 'inst-a'), who)).toBe(true);
    expect(matchesRecipient(consentFor('INSTITUTION', 'inst-b'), who)).toBe(false);
    expect(matchesRecipient(consentFor('PRACTITIONER', 'pr-wang'), who)).toBe(true);
    expect(matchesRecipient(consentFor('PRACTITIONER', 'pr-li'), who)).toBe(false);
    expect(matchesRecipient(consentFor('SCENARIO', 'sc-1'), who)).toBe(true);
    expect(matchesRecipient(consentFor('SCENARIO', 'sc-1'), { institutionId: 'sc-1' })).toBe(false);
    expect(matchesRecipient(consentFor('INSTITUTION', 'inst-a'), { practitionerId: 'inst-a' })).toBe(false);
  });
});

describe('FHIR R4 export', () => {
  const base: ConsentRecord = {
    id: 'consent-1',
    versionId: 'cv-1',
    version: 3,
    residentId: 'res-1',
    categories: ['CLINICAL', 'RESULTS'],
    recipient: { kind: 'INSTITUTION', id: 'inst-a' },
    purposes: ['TREAT', 'HOPERAT'],
    provision: 'PERMIT',
    status: 'ACTIVE',
    validFrom: new Date('2026-01-01T00:00:00.000Z'),
    validUntil: new Date('2027-01-01T00:00:00.000Z'),
    noticeVersion: '2026-01',
    autoApprove: true,
    guardianId: null,
    recordedBy: 'sub-res-1',
    recordedAt: new Date('2026-01-02T03:04:05.000Z'),
  };

  it('maps a permit for an institution field by field', () => {
    const fhir: Record<string, unknown> = { ...toFhirConsent(base) };
    expect(fhir['resourceType']).toBe('Consent');
    expect(fhir['id']).toBe('consent-1');
    expect(fhir['meta']).toEqual({ versionId: '3', lastUpdated: '2026-01-02T03:04:05.000Z' });
    expect(fhir['status']).toBe('active');
    expect(fhir['scope']).toEqual({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] });
    expect(fhir['category']).toEqual([{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }]);
    expect(fhir['patient']).toEqual({ reference: 'Patient/res-1' });
    expect(fhir['dateTime']).toBe('2026-01-02T03:04:05.000Z');
    expect(fhir['policy']).toEqual([{ uri: 'urn:healthmesh:notice:2026-01' }]);
    expect(fhir['performer']).toEqual([{ reference: 'Patient/res-1' }]);
    expect(fhir['provision']).toEqual({
      type: 'permit',
      period: { start: '2026-01-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' },
      actor: [
        {
          role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
          reference: { reference: 'Organization/inst-a' },
        },
      ],
      purpose: [
        { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' },
        { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HOPERAT' },
      ],
      class: [
        { system: 'urn:healthmesh:data-category', code: 'CLINICAL' },
        { system: 'urn:healthmesh:data-category', code: 'RESULTS' },
      ],
    });
    expect(Object.keys(fhir)).toEqual(['resourceType', 'id', 'meta', 'status', 'scope', 'category', 'patient', 'dateTime', 'performer', 'policy', 'provision']);
  });

  it('references a practitioner as Practitioner and a research scenario as the Group of its researchers, never ResearchStudy', () => {
    const actorOf = (consent: ConsentRecord) => toFhirConsent(consent).provision.actor?.[0]?.reference.reference;
    expect(actorOf({ ...base, recipient: { kind: 'PRACTITIONER', id: 'pr-wang' } })).toBe('Practitioner/pr-wang');
    expect(actorOf({ ...base, recipient: { kind: 'SCENARIO', id: 'sc-1' } })).toBe('Group/sc-1');
    // R4 Consent.provision.actor.reference: Device | Group | CareTeam | Organization | Patient | Practitioner | RelatedPerson | PractitionerRole.
    const allowed = /^(Device|Group|CareTeam|Organization|Patient|Practitioner|RelatedPerson|PractitionerRole)\//;
    const kinds = ['INSTITUTION', 'PRACTITIONER', 'SCENARIO'] as const;
    expect(kinds.length).toBe(3);
    for (const kind of kinds) expect(actorOf({ ...base, recipient: { kind, id: 'x' } })).toMatch(allowed);
  });

  it('gives research consents the R4 scope "research", and care consents "patient-privacy"', () => {
    const scopeOf = (consent: ConsentRecord) => toFhirConsent(consent).scope.coding[0]!.code;
    expect(scopeOf({ ...base, recipient: { kind: 'SCENARIO', id: 'sc-1' }, purposes: ['HRESCH'] })).toBe('research');
    expect(scopeOf({ ...base, recipient: { kind: 'ANYONE', id: null }, purposes: ['HRESCH'] })).toBe('research');
    expect(scopeOf(base)).toBe('patient-privacy');
  });

  it('maps a revoked, open-ended deny for anyone: inactive, no actor, no period end', () => {
    const fhir: Record<string, unknown> = { ...toFhirConsent({ ...base, provision: 'DENY', status: 'REVOKED', recipient: { kind: 'ANYONE', id: null }, validUntil: null }) };
    expect(fhir['status']).toBe('inactive');
    expect(fhir['provision']).toEqual({
      type: 'deny',
      period: { start: '2026-01-01T00:00:00.000Z' },
      purpose: [
        { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' },
        { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HOPERAT' },
      ],
      class: [
        { system: 'urn:healthmesh:data-category', code: 'CLINICAL' },
        { system: 'urn:healthmesh:data-category', code: 'RESULTS' },
      ],
    });
  });

  it('names a guardian as performer through a contained RelatedPerson of the ward, never reusing a Patient id', () => {
    const fhir = toFhirConsent({ ...base, guardianId: 'res-parent' });
    expect(fhir.performer).toEqual([{ reference: '#guardian' }]);
    expect(fhir.contained).toEqual([
      {
        resourceType: 'RelatedPerson',
        id: 'guardian',
        identifier: [{ system: 'urn:healthmesh:resident', value: 'res-parent' }],
        patient: { reference: 'Patient/res-1' },
        relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'GUARD', display: 'guardian' }] }],
      },
    ]);
    expect(JSON.stringify(fhir)).not.toContain('RelatedPerson/res-parent');
    expect(Object.keys(fhir)).toEqual(['resourceType', 'id', 'meta', 'contained', 'status', 'scope', 'category', 'patient', 'dateTime', 'performer', 'policy', 'provision']);
  });

  it('bundles consents as a FHIR collection, each entry with a stable urn:uuid fullUrl', () => {
    const other = { ...base, id: 'consent-2', versionId: 'cv-2' };
    const bundle = toFhirBundle([base, other]);
    expect(bundle.entry.map((e) => e.resource)).toEqual([toFhirConsent(base), toFhirConsent(other)]);
    expect(bundle.entry.length).toBe(2);
    for (const entry of bundle.entry) expect(entry.fullUrl).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bundle.entry[0]!.fullUrl).not.toBe(bundle.entry[1]!.fullUrl);
    expect(toFhirBundle([base]).entry[0]!.fullUrl).toBe(bundle.entry[0]!.fullUrl);
    expect(toFhirBundle([])).toEqual({ resourceType: 'Bundle', type: 'collection', entry: [] });
  });
});
