import { randomUUID } from 'node:crypto';
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_BODY_DIGEST_CLAIM, CONTEXT_ISSUER, CONTEXT_TTL_SECONDS, contextBodyDigest } from '../schema/context.js';
import { postToSubgraph, startTestPlatform, testBackends, type TestPlatform } from '../testkit/index.js';
import { createFetchSigner } from './stages/sign-context.js';

const FULL_RESIDENT = /* GraphQL */ `
  query MyWholeRecord {
    myArchive {
      id
      name
      sex
      birthDate
      idCardNumber
      district { code name }
      encounters(first: 5) {
        id encounterClass department startedAt
        institution { id name grade }
        attendingPractitioner { id name title }
        diagnoses { code codeSystem codeSystemVersion display institution { name } }
      }
      diagnoses(first: 5) { code codeSystem codeSystemVersion institution { name } }
      labReports(first: 5) { panelName collectedAt institution { name hrMark eqaPassed } items { name value unit referenceRange abnormalFlag loinc } }
      imagingReports(first: 5) { modality bodyPart impression institution { name } }
      healthArchive { archiveNumber managingInstitution { name } chronicConditions { code display } }
      immunizations(first: 5) { vaccineName doseNumber lotNumber administeredOn institution { name } }
    }
  }
`;

describe.each(testBackends())('the federated data plane on $name', (backend) => {
  let stack: TestPlatform;
  beforeAll(async () => {
    stack = await startTestPlatform(backend);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('returns one resident from all six domains in one query through the gateway', async () => {
    const residentId = stack.actor('resident-multi').residentId!;
    const { status, body } = await stack.query<{ myArchive: Record<string, any> }>('resident-multi', FULL_RESIDENT);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const resident = body.data!.myArchive;
    expect(resident.id).toBe(residentId);
    expect(resident.idCardNumber).toMatch(/^\d{17}[\dX]$/);
    expect(resident.district.code).toMatch(/^\d{6}$/);
    expect(resident.encounters.length).toBeGreaterThan(0);
    const institutions = new Set(resident.encounters.map((e: any) => e.institution.name));
    expect(institutions.size).toBeGreaterThanOrEqual(2);
    for (const encounter of resident.encounters) {
      expect(encounter.institution.name).toEqual(expect.any(String));
      expect(encounter.institution.grade).toEqual(expect.any(String));
    }
    expect(resident.diagnoses[0].codeSystem).toEqual(expect.any(String));
    expect(resident.labReports.length + resident.imagingReports.length).toBeGreaterThan(0);
    for (const report of resident.labReports) expect(report.institution.name).toEqual(expect.any(String));
    expect(resident.healthArchive.archiveNumber).toMatch(/^\d{17}$/);
    expect(resident.healthArchive.managingInstitution.name).toEqual(expect.any(String));
  });

  it('gives an anonymous caller public institutions but no resident', async () => {
    const institutions = await stack.query<{ institutions: Array<{ name: string; grade: string }> }>(null, '{ institutions(first: 20) { id name grade hrMark } }');
    expect(institutions.body.errors).toBeUndefined();
    expect(institutions.body.data!.institutions.length).toBeGreaterThanOrEqual(10);
    const residentId = stack.actor('resident-multi').residentId!;
    const resident = await stack.query(null, 'query($id: ID!) { resident(id: $id) { id name } }', { id: residentId });
    expect(resident.body.data).toEqual({ resident: null });
  });

  it('lets a resident read only their own record', async () => {
    const self = stack.actor('resident-multi').residentId!;
    const other = stack.actor('resident-sensitive').residentId!;
    const own = await stack.query<{ myArchive: { id: string; name: string } }>('resident-multi', '{ myArchive { id name encounters(first: 1) { id } } }');
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data!.myArchive.id).toBe(self);
    const foreign = await stack.query('resident-multi', 'query($id: ID!) { resident(id: $id) { id name } }', { id: other });
    expect(foreign.body.data).toEqual({ resident: null });
  });

  it('seeds the demo resident who consented to research, separately per purpose and recipient', async () => {
    const { body } = await stack.query<{ myConsents: Array<Record<string, unknown>> }>(
      'resident-research',
      '{ myConsents { provision purposes categories status recipient { kind id } } }',
    );
    expect(body.data!.myConsents).toContainEqual({
      provision: 'PERMIT',
      purposes: ['HRESCH'],
      categories: ['CLINICAL', 'RESULTS'],
      status: 'ACTIVE',
      recipient: { kind: 'SCENARIO', id: stack.actor('researcher').scenarioId },
    });
  });

  it('refuses a bad bearer token with UNAUTHENTICATED', async () => {
    const response = await fetch(stack.platform.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-token' },
      body: JSON.stringify({ query: '{ institutions { id } }' }),
    });
    const body = (await response.json()) as { data?: unknown; errors: Array<{ extensions: { code: string } }> };
    expect(response.status).toBe(401);
    expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect(body.data).toBeUndefined();
  });

  it('refuses an operation with more aliases than the limit with QUERY_TOO_COMPLEX before any subgraph is asked', async () => {
    const residentId = stack.actor('resident-multi').residentId!;
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: id`).join(' ');
    const response = await stack.query('clinician-a', `query($id: ID!) { resident(id: $id) { ${aliases} } }`, { id: residentId });
    expect(response.body.errors?.[0]?.extensions?.['code']).toBe('QUERY_TOO_COMPLEX');
    expect(response.body.data).toBeUndefined();
  });

  it('suggests no field names, not even for a misspelt input field in a variable', async () => {
    const mutation = 'mutation($input: ResidentInput!) { registerResident(input: $input) { id } }';
    const input = { name: '测试', nme: 'x', sex: '2', idCardNumber: '11010519491231002X', districtCode: '330106' };
    const { body } = await stack.query('his-inst-01', mutation, { input });
    expect(body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(body.errors)).not.toMatch(/Did you mean/);
    const typo = await stack.query('resident-multi', '{ myArchve { id } }');
    expect(JSON.stringify(typo.body.errors)).not.toMatch(/Did you mean/);
  });

  it('does not answer introspection outside dev mode', async () => {
    const response = await stack.query(null, '{ __schema { types { name } } }');
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors?.length).toBeGreaterThan(0);
  });

  it('rejects a bad ID-card number from a hospital system with BAD_USER_INPUT and writes nothing', async () => {
    const mutation = 'mutation($input: ResidentInput!) { registerResident(input: $input) { id } }';
    const input = { name: '测试', sex: '2', idCardNumber: '110105194912310021', districtCode: '330106' };
    const response = await stack.query('his-inst-01', mutation, { input });
    expect(response.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(response.body.errors?.[0]?.message).toMatch(/check/i);
    const rows = await stack.platform.database.query<{ count: string }>('select count(*)::text as count from population.resident where name = $1', ['测试']);
    expect(rows[0]!.count).toBe('0');
  });

  describe('a subgraph called around the gateway', () => {
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Resident { id encounters { id } } } }';
    const request = () => ({ query, variables: { r: [{ __typename: 'Resident', id: stack.actor('resident-multi').residentId! }] } });
    const claims = () => ({
      requestId: 'test',
      actor: { sub: 'clinician-a', role: 'clinician' as const, institutionId: stack.actor('clinician-a').institutionId! },
      scope: { residents: { [stack.actor('resident-multi').residentId!]: { CLINICAL: { maxLevel: 4 as const } } } },
    });
    const post = (options?: Parameters<typeof postToSubgraph>[4]) => postToSubgraph(stack, 'clinical', request(), claims(), options);

    it('answers with data when the context is signed by the gateway for this subgraph and body', async () => {
      const { status, body } = await post();
      expect(status).toBe(200);
      const entities = (body.data as { _entities: Array<{ encounters: unknown[] }> })._entities;
      expect(entities[0]!.encounters.length).toBeGreaterThan(0);
    });

    it('returns nothing without a context', async () => {
      const { status, body } = await post({ context: null });
      expect(status).toBe(401);
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    });

    it('returns nothing with a context signed by another key', async () => {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const { status, body } = await post({ signFetch: createFetchSigner(privateKey, stack.platform.contextKey.kid) });
      expect(status).toBe(401);
      expect(body.data).toBeUndefined();
    });

    it('returns nothing with an expired context', async () => {
      const expired = await new SignJWT({ ctx: claims(), [CONTEXT_BODY_DIGEST_CLAIM]: contextBodyDigest(JSON.stringify(request())) })
        .setProtectedHeader({ alg: 'EdDSA', kid: stack.platform.contextKey.kid })
        .setIssuer(CONTEXT_ISSUER)
        .setAudience('clinical')
        .setJti(randomUUID())
        .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(stack.platform.contextKey.privateKey);
      const { status, body } = await post({ context: expired });
      expect(status).toBe(401);
      expect(body.data).toBeUndefined();
    });

    it('returns nothing with a context that lives longer than a context may', async () => {
      const longLived = await new SignJWT({ ctx: claims(), [CONTEXT_BODY_DIGEST_CLAIM]: contextBodyDigest(JSON.stringify(request())) })
        .setProtectedHeader({ alg: 'EdDSA', kid: stack.platform.contextKey.kid })
        .setIssuer(CONTEXT_ISSUER)
        .setAudience('clinical')
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime(`${CONTEXT_TTL_SECONDS * 60}s`)
        .sign(stack.platform.contextKey.privateKey);
      const { status, body } = await post({ context: longLived });
      expect(status).toBe(401);
      expect(body.data).toBeUndefined();
    });

    it('returns nothing with a tampered context', async () => {
      const sign = createFetchSigner(stack.platform.contextKey.privateKey, stack.platform.contextKey.kid);
      const [header, payload, signature] = (await sign({ subgraph: 'clinical', body: JSON.stringify(request()), claims: claims() })).split('.');
      const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), ctx: { ...claims(), scope: { residents: { [stack.actor('resident-multi').residentId!]: { CLINICAL: { maxLevel: 5 } } } } } })).toString('base64url');
      const { status, body } = await post({ context: `${header}.${widened}.${signature}` });
      expect(status).toBe(401);
      expect(body.data).toBeUndefined();
    });
  });
});
