import { generateKeyPairSync, verify } from 'node:crypto';
import { leafHash, verifyConsistency, verifyInclusion } from '../merkle/index.js';
import { subgraphContext } from '../../subgraphs/runtime/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, Kind, parse, type ExecutionResult, type ObjectTypeDefinitionNode } from 'graphql';
import { classificationGaps } from '../../schema/classification.js';
import type { Actor, GatewayContextClaims } from '../../schema/context.js';
import { migrateAll, openDatabase, type DatabaseHandle } from '../../subgraphs/runtime/database.js';
import { buildSubgraph, type BuiltSubgraph } from '../../subgraphs/runtime/server.js';
import { appendAuditEntries, type AuditEvent } from '../audit.js';
import { recordCareRelationships } from '../facts.js';
import { grantTokenFor, type Executor } from '../grants.js';
import { auditEntries, breakGlassReviews, guardianships } from '../tables.js';
import { consentSubgraph } from './index.js';

const SECRET = new Uint8Array(32).fill(9);
const resident = (residentId: string): Actor => ({ sub: `sub-${residentId}`, role: 'resident', residentId });
const drWang: Actor = { sub: 'dr-wang', role: 'clinician', institutionId: 'inst-a', practitionerId: 'pr-wang' };
const drLi: Actor = { sub: 'dr-li', role: 'clinician', institutionId: 'inst-b', practitionerId: 'pr-li' };
const steward: Actor = { sub: 'steward-zhao', role: 'steward' };
const auditor: Actor = { sub: 'auditor-sun', role: 'auditor' };

let built: BuiltSubgraph;
let handle: DatabaseHandle;
const AUDIT_KEYS = generateKeyPairSync('ed25519');
const AUDIT_SIGNER = { keyId: 'audit-test', privateKey: AUDIT_KEYS.privateKey };
const AUDIT_VERIFIER = new Map([['audit-test', AUDIT_KEYS.publicKey]]);

beforeAll(async () => {
  handle = await openDatabase();
  await migrateAll(handle);
  built = await buildSubgraph(consentSubgraph({ grantSecret: SECRET, auditVerifier: AUDIT_VERIFIER, auditSigner: AUDIT_SIGNER }));
});

afterAll(async () => {
  await handle.close();
});

function claims(actor: Actor | null): GatewayContextClaims {
  return { requestId: 'req-test', actor };
}

async function run<Data = Record<string, unknown>>(actor: Actor | null, source: string, variableValues?: Record<string, unknown>): Promise<ExecutionResult<Data>> {
  return (await graphql({ schema: built.schema, source, variableValues, contextValue: subgraphContext(handle.db, claims(actor)) })) as ExecutionResult<Data>;
}

/** The single error of a refused operation, as `code: message`. */
function refusalOf(result: ExecutionResult): string {
  expect(result.errors).toHaveLength(1);
  return `${String(result.errors![0]!.extensions['code'])}: ${result.errors![0]!.message}`;
}

const GRANT = /* GraphQL */ `
  mutation ($input: ConsentInput!) {
    grantConsent(input: $input) { id version residentId categories recipient { kind id } purposes provision status noticeVersion autoApprove guardianId receiptUrl }
  }
`;

const consentInput = (change: Record<string, unknown> = {}) => ({
  categories: ['CLINICAL', 'RESULTS'],
  recipient: { kind: 'INSTITUTION', id: 'inst-a' },
  purposes: ['TREAT'],
  provision: 'PERMIT',
  noticeVersion: '2026-01',
  ...change,
});

interface GrantedConsent {
  grantConsent: { id: string; version: number; residentId: string; status: string; guardianId: string | null; receiptUrl: string | null };
}

async function grant(actor: Actor, change: Record<string, unknown> = {}): Promise<GrantedConsent['grantConsent']> {
  const result = await run<GrantedConsent>(actor, GRANT, { input: consentInput(change) });
  expect(result.errors).toBeUndefined();
  return result.data!.grantConsent;
}

describe('me', () => {
  it('is the actor of the signed context', async () => {
    const result = await run(drWang, '{ me { sub role residentId institution { id } practitioner { id } } }');
    expect(result).toEqual({
      data: { me: { sub: 'dr-wang', role: 'clinician', residentId: null, institution: { id: 'inst-a' }, practitioner: { id: 'pr-wang' } } },
    });
    expect((await run(resident('res-me'), '{ me { role residentId institution { id } } }')).data).toEqual({
      me: { role: 'resident', residentId: 'res-me', institution: null },
    });
  });

  it('refuses an anonymous caller with UNAUTHENTICATED', async () => {
    expect(refusalOf(await run(null, '{ me { sub } }'))).toBe('UNAUTHENTICATED: Sign in first.');
  });
});

describe('consents over GraphQL', () => {
  it('grants a consent from the binding input shape and reports its current version', async () => {
    const result = await run(resident('res-gql'), GRANT, { input: consentInput({ autoApprove: true, validUntil: '2099-01-01T00:00:00.000Z' }) });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      grantConsent: {
        id: expect.stringMatching(/^consent-/),
        version: 1,
        residentId: 'res-gql',
        categories: ['CLINICAL', 'RESULTS'],
        recipient: { kind: 'INSTITUTION', id: 'inst-a' },
        purposes: ['TREAT'],
        provision: 'PERMIT',
        status: 'ACTIVE',
        noticeVersion: '2026-01',
        autoApprove: true,
        guardianId: null,
        receiptUrl: expect.stringMatching(/^\/consents\/[^/]+\/receipt$/),
      },
    });
  });

  it('refuses validUntil before validFrom with BAD_USER_INPUT and writes nothing', async () => {
    const result = await run(resident('res-bad'), GRANT, {
      input: consentInput({ validFrom: '2026-05-01T00:00:00.000Z', validUntil: '2026-04-01T00:00:00.000Z' }),
    });
    expect(refusalOf(result)).toBe('BAD_USER_INPUT: validUntil must be after validFrom.');
    expect(result.errors![0]!.extensions['field']).toBe('validUntil');
    expect((await run(resident('res-bad'), '{ myConsents { id } }')).data).toEqual({ myConsents: [] });
  });

  it('shows a resident only their own consents and their wards’, never another resident’s', async () => {
    await handle.db.insert(guardianships).values({ residentId: 'res-kid', guardianId: 'res-mum' });
    const mum = await grant(resident('res-mum'));
    const kid = await grant(resident('res-mum'), { residentId: 'res-kid' });
    const stranger = await grant(resident('res-stranger'));
    expect(kid.guardianId).toBe('res-mum');

    const ids = async (actor: Actor) => ((await run<{ myConsents: Array<{ id: string }> }>(actor, '{ myConsents { id } }')).data?.myConsents ?? []).map((c) => c.id).sort();
    expect(await ids(resident('res-mum'))).toEqual([mum.id, kid.id].sort());
    expect(await ids(resident('res-stranger'))).toEqual([stranger.id]);
    expect(await ids(resident('res-kid'))).toEqual([kid.id]);
    expect(await ids(drWang)).toEqual([]);
  });

  it('revokes a consent as a new REVOKED version, and another resident’s consent is not found', async () => {
    const granted = await grant(resident('res-rev'));
    const REVOKE = 'mutation ($id: ID!) { revokeConsent(id: $id) { id version status } }';
    expect(refusalOf(await run(resident('res-thief'), REVOKE, { id: granted.id }))).toBe('BAD_USER_INPUT: No such consent.');
    expect((await run(resident('res-rev'), REVOKE, { id: granted.id })).data).toEqual({ revokeConsent: { id: granted.id, version: 2, status: 'REVOKED' } });
  });

  it('exports the caller’s consents as a FHIR R4 collection Bundle', async () => {
    const granted = await grant(resident('res-fhir'), { recipient: { kind: 'ANYONE' }, provision: 'DENY', categories: ['PAYMENT'] });
    const result = await run<{ myConsentsFhir: { resourceType: string; type: string; entry: Array<{ resource: Record<string, unknown> }> } }>(
      resident('res-fhir'),
      '{ myConsentsFhir }',
    );
    const bundle = result.data!.myConsentsFhir;
    expect([bundle.resourceType, bundle.type, bundle.entry.length]).toEqual(['Bundle', 'collection', 1]);
    expect(bundle.entry[0]!.resource).toMatchObject({
      resourceType: 'Consent',
      id: granted.id,
      status: 'active',
      patient: { reference: 'Patient/res-fhir' },
      policy: [{ uri: 'urn:healthmesh:notice:2026-01' }],
      provision: { type: 'deny', class: [{ system: 'urn:healthmesh:data-category', code: 'PAYMENT' }] },
    });
  });

  it('resolves Resident.consents for the resident and their guardian, and null for anyone else', async () => {
    await handle.db.insert(guardianships).values({ residentId: 'res-ent-kid', guardianId: 'res-ent-dad' });
    const granted = await grant(resident('res-ent-dad'), { residentId: 'res-ent-kid' });
    const ENTITY = 'query ($id: ID!) { _entities(representations: [{ __typename: "Resident", id: $id }]) { ... on Resident { id consents { id } } } }';
    const consentsAs = async (actor: Actor) =>
      (await run<{ _entities: Array<{ consents: Array<{ id: string }> | null }> }>(actor, ENTITY, { id: 'res-ent-kid' })).data!._entities[0]!.consents;
    expect(await consentsAs(resident('res-ent-kid'))).toEqual([{ id: granted.id }]);
    expect(await consentsAs(resident('res-ent-dad'))).toEqual([{ id: granted.id }]);
    expect(await consentsAs(resident('res-ent-other'))).toBeNull();
    expect(await consentsAs(drWang)).toBeNull();
  });
});

describe('access requests over GraphQL', () => {
  const REQUEST = 'mutation ($input: AccessRequestInput!) { requestAccess(input: $input) { id status grantToken } }';
  const LIST = 'query ($status: AccessRequestStatus) { myAccessRequests(status: $status) { id residentId status grantToken grantUsesRemaining requester { sub institution { id } practitioner { id } } } }';
  type Listed = { myAccessRequests: Array<{ id: string; residentId: string; status: string; grantToken: string | null; requester: { sub: string } }> };

  it('lists requests per role and shows the grant token to the requester only', async () => {
    await grant(resident('res-ar'), { autoApprove: true });
    const auto = await run<{ requestAccess: { id: string; status: string; grantToken: string | null } }>(drWang, REQUEST, {
      input: { residentId: 'res-ar', categories: ['CLINICAL'], purpose: 'TREAT', reason: 'Follow-up visit.' },
    });
    expect(auto.errors).toBeUndefined();
    expect(auto.data!.requestAccess.status).toBe('APPROVED');
    expect(auto.data!.requestAccess.grantToken).toMatch(/^hmg_/);
    const pending = await run<{ requestAccess: { id: string; status: string } }>(drLi, REQUEST, {
      input: { residentId: 'res-ar', categories: ['RESULTS'], purpose: 'TREAT', reason: 'Second opinion.', includeLevel5: true },
    });
    expect(pending.data!.requestAccess.status).toBe('PENDING');

    const asWang = (await run<Listed>(drWang, LIST)).data!.myAccessRequests;
    expect(asWang.map((r) => [r.id, r.status, r.requester.sub])).toEqual([[auto.data!.requestAccess.id, 'APPROVED', 'dr-wang']]);
    expect(asWang[0]!.grantToken).toBe(auto.data!.requestAccess.grantToken);

    const asResident = (await run<Listed>(resident('res-ar'), LIST)).data!.myAccessRequests;
    expect(asResident.map((r) => [r.id, r.grantToken])).toEqual([
      [pending.data!.requestAccess.id, null],
      [auto.data!.requestAccess.id, null],
    ]);
    expect((await run<Listed>(resident('res-ar'), LIST, { status: 'PENDING' })).data!.myAccessRequests.map((r) => r.id)).toEqual([pending.data!.requestAccess.id]);
    expect((await run<Listed>(resident('res-someone-else'), LIST)).data!.myAccessRequests).toEqual([]);

    const asSteward = (await run<Listed>(steward, LIST)).data!.myAccessRequests;
    expect(asSteward.map((r) => [r.id, r.grantToken])).toEqual([[pending.data!.requestAccess.id, null]]);
    expect((await run<Listed>(drLi, LIST)).data!.myAccessRequests.map((r) => r.id)).toEqual([pending.data!.requestAccess.id]);
    expect(refusalOf(await run(null, LIST))).toBe('UNAUTHENTICATED: Sign in first.');
  });

  it('lets the resident approve, treats another resident as not found, and shows the token to the requester afterwards', async () => {
    const asked = await run<{ requestAccess: { id: string } }>(drWang, REQUEST, {
      input: { residentId: 'res-ap', categories: ['CLINICAL', 'RESULTS'], purpose: 'HOPERAT', reason: 'Discharge planning.', uses: 2, validForMinutes: 15 },
    });
    const id = asked.data!.requestAccess.id;
    const APPROVE = 'mutation ($id: ID!) { approveAccessRequest(id: $id) { status grantToken grantUsesRemaining } }';
    expect(refusalOf(await run(resident('res-not-me'), APPROVE, { id }))).toBe('BAD_USER_INPUT: No such access request');
    expect((await run(resident('res-ap'), APPROVE, { id })).data).toEqual({ approveAccessRequest: { status: 'APPROVED', grantToken: null, grantUsesRemaining: 2 } });
    const listed = (await run<Listed>(drWang, LIST, { status: 'APPROVED' })).data!.myAccessRequests.find((r) => r.id === id);
    expect(listed?.grantToken).toMatch(/^hmg_/);
  });

  it('denies with a reason through GraphQL', async () => {
    const asked = await run<{ requestAccess: { id: string } }>(drWang, REQUEST, {
      input: { residentId: 'res-dn', categories: ['PAYMENT'], purpose: 'TREAT', reason: 'Billing question.' },
    });
    const DENY = 'mutation ($id: ID!, $reason: String) { denyAccessRequest(id: $id, reason: $reason) { status residentDecision denialReason } }';
    expect((await run(resident('res-dn'), DENY, { id: asked.data!.requestAccess.id, reason: 'Not needed.' })).data).toEqual({
      denyAccessRequest: { status: 'DENIED', residentDecision: 'DENY', denialReason: 'Not needed.' },
    });
  });

  it('refuses a request with an ETREAT purpose as BAD_USER_INPUT', async () => {
    const result = await run(drWang, REQUEST, { input: { residentId: 'res-x', categories: ['CLINICAL'], purpose: 'ETREAT', reason: 'Unconscious patient.' } });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'purpose' });
  });
});

describe('the access log', () => {
  const event = (residentId: string, n: number, change: Partial<AuditEvent> = {}): AuditEvent => ({
    requestId: `req-${residentId}-${n}`,
    actorSub: 'dr-wang',
    actorRole: 'clinician',
    institutionId: 'inst-a',
    practitionerId: 'pr-wang',
    residentId,
    purpose: 'TREAT',
    grantId: `grant-${n}`,
    operationHash: 'sha256:op',
    fieldsByCategory: { RESULTS: ['LabReport.value'], DEMOGRAPHICS: ['Resident.name'] },
    deniedByCategory: {},
    rowsReturned: 1,
    outcome: 'ALLOWED',
    at: new Date(Date.UTC(2026, 2, 1, 9, n)),
    ...change,
  });
  const LOG = `query ($first: Int, $after: String) {
    myAccessLog(first: $first, after: $after) {
      edges { cursor node { id at actorRole actorInstitution { id } actorPractitioner { id } purpose categories deniedCategories outcome breakGlass breakGlassReason grantId } }
      pageInfo { hasNextPage endCursor }
    }
  }`;
  type Log = {
    myAccessLog: { edges: Array<{ cursor: string; node: { id: string; grantId: string | null; at: string } & Record<string, unknown> }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  };

  beforeAll(async () => {
    await handle.db.transaction(async (tx) => {
      const executor = tx as unknown as Executor;
      await appendAuditEntries(executor, [event('res-log', 1), event('res-log-other', 2), event('res-log', 3), event('res-log', 4)], AUDIT_SIGNER);
      await appendAuditEntries(executor, [
        event('res-log', 5, { deniedByCategory: { CLINICAL: ['Encounter.chiefComplaint'] }, outcome: 'PARTIALLY_DENIED' }),
        event('res-log', 6, { purpose: 'ETREAT', grantId: null, breakGlass: true, breakGlassReason: 'Unconscious in ER.' }),
      ], AUDIT_SIGNER);
    });
  });

  it('pages the resident’s own entries newest first with opaque cursors, and ends without a total', async () => {
    const first = (await run<Log>(resident('res-log'), LOG, { first: 2 })).data!.myAccessLog;
    expect(first.edges.map((e) => e.node.grantId)).toEqual([null, 'grant-5']);
    expect(first.edges[0]!.node).toEqual({
      id: expect.stringMatching(/^audit-/),
      at: '2026-03-01T09:06:00.000Z',
      actorRole: 'clinician',
      actorInstitution: { id: 'inst-a' },
      actorPractitioner: { id: 'pr-wang' },
      purpose: 'ETREAT',
      categories: ['DEMOGRAPHICS', 'RESULTS'],
      deniedCategories: [],
      outcome: 'ALLOWED',
      breakGlass: true,
      breakGlassReason: 'Unconscious in ER.',
      grantId: null,
    });
    expect(first.edges[1]!.node['deniedCategories']).toEqual(['CLINICAL']);
    expect(first.pageInfo).toEqual({ hasNextPage: true, endCursor: first.edges[1]!.cursor });

    const second = (await run<Log>(resident('res-log'), LOG, { first: 2, after: first.pageInfo.endCursor })).data!.myAccessLog;
    expect(second.edges.map((e) => e.node.grantId)).toEqual(['grant-4', 'grant-3']);
    expect(second.pageInfo.hasNextPage).toBe(true);
    const last = (await run<Log>(resident('res-log'), LOG, { first: 2, after: second.pageInfo.endCursor })).data!.myAccessLog;
    expect(last.edges.map((e) => e.node.grantId)).toEqual(['grant-1']);
    expect(last.pageInfo).toEqual({ hasNextPage: false, endCursor: last.edges[0]!.cursor });

    const all = (await run<Log>(resident('res-log'), LOG)).data!.myAccessLog;
    expect(all.edges).toHaveLength(5);
    expect(all.pageInfo.hasNextPage).toBe(false);
    expect((await run<Log>(resident('res-log-nobody'), LOG)).data!.myAccessLog).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('has no total or count field anywhere in the connection', () => {
    const fieldsOf = (name: string) =>
      parse(built.sdl)
        .definitions.filter((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === name)
        .flatMap((d) => d.fields!.map((f) => f.name.value));
    expect(fieldsOf('AccessLogConnection')).toEqual(['edges', 'pageInfo']);
    expect(fieldsOf('AccessLogPageInfo')).toEqual(['hasNextPage', 'endCursor']);
    expect(fieldsOf('AccessLogEdge')).toEqual(['cursor', 'node']);
  });

  it('refuses a clinician (FORBIDDEN) and a cursor it did not issue (BAD_USER_INPUT)', async () => {
    expect(refusalOf(await run(drWang, LOG))).toBe('FORBIDDEN: Only a resident has an access log.');
    expect(refusalOf(await run(resident('res-log'), LOG, { after: 'not-a-cursor' }))).toBe('BAD_USER_INPUT: after is not a cursor from this access log.');
  });

  it('gives each entry its leaf index, its bytes and an inclusion proof any RFC 9162 verifier accepts against the signed head', async () => {
    type Proved = {
      auditTreeHead: { treeSize: number; rootHash: string; timestamp: string; keyId: string; signature: string };
      myAccessLog: { edges: Array<{ cursor: string; node: { id: string; leafIndex: number; leafData: string; inclusionProof: { leafIndex: number; treeSize: number; hashes: string[] } } }> };
    };
    const result = await run<Proved>(
      resident('res-log'),
      '{ auditTreeHead { treeSize rootHash timestamp keyId signature } myAccessLog { edges { cursor node { id leafIndex leafData inclusionProof { leafIndex treeSize hashes } } } } }',
    );
    expect(result.errors).toBeUndefined();
    const head = result.data!.auditTreeHead;
    // The head verifies with the audit key over the RFC 8785 JSON of its three fields.
    const signed = Buffer.from(JSON.stringify({ rootHash: head.rootHash, timestamp: head.timestamp, treeSize: head.treeSize }));
    expect(verify(null, signed, AUDIT_KEYS.publicKey, Buffer.from(head.signature, 'base64url'))).toBe(true);
    expect(head.keyId).toBe('audit-test');
    const edges = result.data!.myAccessLog.edges;
    expect(edges).toHaveLength(5);
    for (const { node } of edges) {
      const bytes = Buffer.from(node.leafData, 'base64');
      expect(JSON.parse(bytes.toString('utf8'))[0]).toBe(node.id);
      expect(node.inclusionProof).toMatchObject({ leafIndex: node.leafIndex, treeSize: head.treeSize });
      expect(verifyInclusion(node.leafIndex, head.treeSize, leafHash(bytes), node.inclusionProof.hashes, Buffer.from(head.rootHash, 'hex'))).toBe(true);
    }
    // Against an earlier signed head too, when asked by its size.
    const oldest = edges.at(-1)!.node;
    const [earlier] = await handle.query<{ size: number; root: string }>('select tree_size::int as size, root_hash as root from consent.audit_tree_head where tree_size > $1 order by tree_size limit 1', [oldest.leafIndex]);
    const PROOF_AT = 'query($size: Int, $after: String) { myAccessLog(first: 1, after: $after) { edges { node { leafIndex leafData inclusionProof(treeSize: $size) { treeSize hashes } } } } }';
    type At = { myAccessLog: { edges: Array<{ node: { leafIndex: number; leafData: string; inclusionProof: { treeSize: number; hashes: string[] } } }> } };
    const answer = await run<At>(resident('res-log'), PROOF_AT, { size: earlier!.size, after: edges.at(-2)!.cursor });
    expect(answer.errors).toBeUndefined();
    const at = answer.data;
    const oldestAt = at?.myAccessLog.edges.find((edge) => edge.node.leafIndex === oldest.leafIndex)?.node;
    expect(oldestAt?.inclusionProof.treeSize).toBe(earlier!.size);
    expect(verifyInclusion(oldest.leafIndex, earlier!.size, leafHash(Buffer.from(oldestAt!.leafData, 'base64')), oldestAt!.inclusionProof.hashes, Buffer.from(earlier!.root, 'hex'))).toBe(true);
    // A size the entry is not in, or beyond the newest head: the caller's mistake, named.
    for (const size of [oldest.leafIndex, head.treeSize + 1, -1]) {
      const refused = await run(resident('res-log'), 'query($size: Int) { myAccessLog(first: 1) { edges { node { inclusionProof(treeSize: $size) { hashes } } } } }', { size: size === oldest.leafIndex ? edges[0]!.node.leafIndex : size });
      expect(refused.errors?.map((error) => [error.extensions['code'], error.extensions['field']])).toEqual([['BAD_USER_INPUT', 'treeSize']]);
    }
  });

  it('gives an auditor consistency proofs between any two sizes, and refuses other roles and impossible sizes', async () => {
    const heads = await handle.query<{ size: number; root: string }>('select tree_size::int as size, root_hash as root from consent.audit_tree_head order by tree_size');
    expect(heads.length).toBeGreaterThan(2);
    const [first, second] = [heads[1]!, heads.at(-1)!];
    const PROOF = 'query($first: Int!, $second: Int!) { auditConsistencyProof(first: $first, second: $second) }';
    const proof = await run<{ auditConsistencyProof: string[] }>(auditor, PROOF, { first: first.size, second: second.size });
    expect(proof.errors).toBeUndefined();
    expect(verifyConsistency(first.size, second.size, proof.data!.auditConsistencyProof, Buffer.from(first.root, 'hex'), Buffer.from(second.root, 'hex'))).toBe(true);
    expect(refusalOf(await run(steward, PROOF, { first: 1, second: 2 }))).toBe('FORBIDDEN: Only an auditor asks for consistency proofs of the audit log.');
    expect(refusalOf(await run(resident('res-log'), PROOF, { first: 1, second: 2 }))).toBe('FORBIDDEN: Only an auditor asks for consistency proofs of the audit log.');
    for (const [sizes, field] of [[{ first: 3, second: 2 }, 'first'], [{ first: 1, second: second.size + 1 }, 'second'], [{ first: -1, second: 2 }, 'first']] as const) {
      const refused = await run(auditor, PROOF, sizes);
      expect([refused.errors?.[0]?.extensions['code'], refused.errors?.[0]?.extensions['field'], refused.data]).toEqual(['BAD_USER_INPUT', field, null]);
    }
    expect(refusalOf(await run(drWang, '{ auditTreeHead { treeSize } }'))).toBe('FORBIDDEN: Only a resident, an auditor or a steward reads the audit log’s signed head.');
    expect((await run<{ auditTreeHead: { treeSize: number } }>(steward, '{ auditTreeHead { treeSize } }')).data!.auditTreeHead.treeSize).toBe(second.size);
  });

  it('verifies the audit chain for an auditor or a steward and refuses a clinician', async () => {
    const VERIFY = '{ verifyAuditChain { valid entries brokenAtSeq brokenAtPosition problem } }';
    expect(refusalOf(await run(drWang, VERIFY))).toBe('FORBIDDEN: Only an auditor or a steward can verify the audit chain.');
    expect(refusalOf(await run(resident('res-log'), VERIFY))).toBe('FORBIDDEN: Only an auditor or a steward can verify the audit chain.');
    // The six read entries written above, and one per consent-plane write this file made (each audited, signed).
    const entries = (await handle.db.select({ id: auditEntries.id }).from(auditEntries)).length;
    expect(entries).toBeGreaterThan(6);
    const expected = { verifyAuditChain: { valid: true, entries, brokenAtSeq: null, brokenAtPosition: null, problem: null } };
    expect((await run(auditor, VERIFY)).data).toEqual(expected);
    expect((await run(steward, VERIFY)).data).toEqual(expected);
  });

  it('queues break-glass accesses for stewards only, and a review is decided once', async () => {
    const [entry] = await handle.query<{ id: string; at: Date }>("select id, at from consent.audit_entry where break_glass order by seq limit 1");
    await handle.db.insert(breakGlassReviews).values({
      id: 'bgr-1',
      auditEntryId: entry!.id,
      requestId: 'req-res-log-6',
      residentId: 'res-log',
      actorSub: 'dr-wang',
      institutionId: 'inst-a',
      reason: 'Unconscious in ER.',
      at: entry!.at,
      status: 'PENDING',
    });
    const QUEUE = 'query ($status: BreakGlassReviewStatus) { breakGlassReviews(status: $status) { id residentId actorSub institution { id } practitioner { id } reason status } }';
    expect(refusalOf(await run(drWang, QUEUE))).toBe('FORBIDDEN: Only a data steward reviews break-glass accesses.');
    expect((await run(steward, QUEUE, { status: 'PENDING' })).data).toEqual({
      breakGlassReviews: [
        { id: 'bgr-1', residentId: 'res-log', actorSub: 'dr-wang', institution: { id: 'inst-a' }, practitioner: { id: 'pr-wang' }, reason: 'Unconscious in ER.', status: 'PENDING' },
      ],
    });
    const REVIEW = 'mutation ($id: ID!) { reviewBreakGlass(id: $id, decision: JUSTIFIED, comment: "Emergency confirmed.") { status reviewerSub comment } }';
    expect((await run(steward, REVIEW, { id: 'bgr-1' })).data).toEqual({
      reviewBreakGlass: { status: 'JUSTIFIED', reviewerSub: 'steward-zhao', comment: 'Emergency confirmed.' },
    });
    expect(refusalOf(await run(steward, REVIEW, { id: 'bgr-1' }))).toBe('BAD_USER_INPUT: This break-glass access has already been reviewed.');
    expect(refusalOf(await run(steward, REVIEW, { id: 'bgr-none' }))).toBe('BAD_USER_INPUT: No such break-glass review');
    expect((await run(steward, QUEUE, { status: 'PENDING' })).data).toEqual({ breakGlassReviews: [] });
  });
});

describe('a ward’s access log, read by their guardian', () => {
  const read = (residentId: string, n: number): AuditEvent => ({
    requestId: `req-ward-${residentId}-${n}`,
    actorSub: 'dr-li',
    actorRole: 'clinician',
    institutionId: 'inst-b',
    practitionerId: 'pr-li',
    residentId,
    purpose: 'TREAT',
    grantId: null,
    operationHash: 'sha256:op',
    fieldsByCategory: { CLINICAL: ['Encounter.diagnoses'] },
    deniedByCategory: {},
    rowsReturned: 1,
    outcome: 'ALLOWED',
    at: new Date(Date.UTC(2026, 3, 1, 9, n)),
  });
  const WARD_LOG = `query ($residentId: ID) {
    auditTreeHead { treeSize rootHash }
    myAccessLog(residentId: $residentId) { edges { node { id leafIndex leafData inclusionProof { leafIndex treeSize hashes } } } }
  }`;
  type WardLog = {
    auditTreeHead: { treeSize: number; rootHash: string };
    myAccessLog: { edges: Array<{ node: { id: string; leafIndex: number; leafData: string; inclusionProof: { leafIndex: number; treeSize: number; hashes: string[] } } }> };
  };
  const ids = async (actor: Actor, residentId?: string) => {
    const result = await run<WardLog>(actor, WARD_LOG, residentId === undefined ? {} : { residentId });
    expect(result.errors).toBeUndefined();
    return result.data!.myAccessLog.edges.map((edge) => JSON.parse(Buffer.from(edge.node.leafData, 'base64').toString('utf8'))[0] as string);
  };
  const wardEntries: string[] = [];

  beforeAll(async () => {
    await handle.db.insert(guardianships).values([
      { residentId: 'res-wl-kid', guardianId: 'res-wl-mum' },
      { residentId: 'res-wl-other-kid', guardianId: 'res-wl-other-dad' },
    ]);
    await handle.db.transaction(async (tx) => {
      await appendAuditEntries(tx as unknown as Executor, [read('res-wl-kid', 1), read('res-wl-mum', 2), read('res-wl-kid', 3), read('res-wl-other-kid', 4)], AUDIT_SIGNER);
    });
    const rows = await handle.query<{ id: string }>("select id from consent.audit_entry where resident_id = 'res-wl-kid' order by seq desc");
    wardEntries.push(...rows.map((row) => row.id));
  });

  it('shows the guardian the ward’s entries, with leaf data and inclusion proofs against the signed head', async () => {
    expect(wardEntries).toHaveLength(2);
    expect(await ids(resident('res-wl-mum'), 'res-wl-kid')).toEqual(wardEntries);
    const result = await run<WardLog>(resident('res-wl-mum'), WARD_LOG, { residentId: 'res-wl-kid' });
    const head = result.data!.auditTreeHead;
    expect(result.data!.myAccessLog.edges.length).toBe(2);
    for (const { node } of result.data!.myAccessLog.edges) {
      expect(node.inclusionProof).toMatchObject({ leafIndex: node.leafIndex, treeSize: head.treeSize });
      expect(verifyInclusion(node.leafIndex, head.treeSize, leafHash(Buffer.from(node.leafData, 'base64')), node.inclusionProof.hashes, Buffer.from(head.rootHash, 'hex'))).toBe(true);
    }
  });

  it('keeps the guardian’s own log without the argument, and gives the ward their own with or without it', async () => {
    const own = await ids(resident('res-wl-mum'));
    expect(own).toHaveLength(1);
    expect(own).not.toContain(wardEntries[0]);
    expect(await ids(resident('res-wl-mum'), 'res-wl-mum')).toEqual(own);
    // A ward may see their own log (WARD_SELF), as they may see their consents.
    expect(await ids(resident('res-wl-kid'))).toEqual(wardEntries);
    expect(await ids(resident('res-wl-kid'), 'res-wl-kid')).toEqual(wardEntries);
  });

  it('refuses a stranger, another guardian’s ward, the ward reading their guardian’s log and a clinician, with FORBIDDEN and the rule’s reason', async () => {
    const NOT_YOURS = 'FORBIDDEN: You can read only your own access log, or that of a resident you are the guardian of.';
    const cases: Array<[Actor, string, string]> = [
      [resident('res-wl-stranger'), 'res-wl-kid', NOT_YOURS],
      [resident('res-wl-mum'), 'res-wl-other-kid', NOT_YOURS],
      [resident('res-wl-other-dad'), 'res-wl-kid', NOT_YOURS],
      [resident('res-wl-kid'), 'res-wl-mum', NOT_YOURS],
      // No such resident: the same answer, so the refusal says nothing about who exists.
      [resident('res-wl-mum'), 'res-wl-nobody', NOT_YOURS],
      [drLi, 'res-wl-kid', 'FORBIDDEN: Only a resident has an access log.'],
    ];
    expect(cases.length).toBeGreaterThan(0);
    for (const [actor, residentId, refusal] of cases) {
      const result = await run(actor, 'query ($residentId: ID) { myAccessLog(residentId: $residentId) { edges { node { id } } } }', { residentId });
      expect(refusalOf(result), `${actor.sub} → ${residentId}`).toBe(refusal);
      expect(result.data?.myAccessLog ?? null).toBeNull();
    }
  });
});

describe('the access log: reads and feed writes in plain words', () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 3, 1, 9, minute));
  const entry = (requestId: string, minute: number, change: Partial<AuditEvent>): AuditEvent => ({
    requestId,
    actorSub: 'dr-wang',
    actorRole: 'clinician',
    institutionId: 'inst-a',
    practitionerId: 'pr-wang',
    residentId: 'res-words',
    purpose: 'TREAT',
    operationHash: 'sha256:op',
    fieldsByCategory: { CLINICAL: ['Encounter.department'], DEMOGRAPHICS: ['Resident.name'] },
    deniedByCategory: {},
    rowsReturned: 1,
    outcome: 'ALLOWED',
    at: at(minute),
    ...change,
  });
  const his = { actorSub: 'his-inst-03', actorRole: 'hospital_system', institutionId: 'inst-03', practitionerId: null, purpose: null };
  const LOG = '{ myAccessLog { edges { node { kind summary startedCare categories outcome } } } }';
  type Log = { myAccessLog: { edges: Array<{ node: { kind: string; summary: string; startedCare: boolean; categories: string[]; outcome: string } }> } };

  beforeAll(async () => {
    await handle.db.transaction(async (tx) => {
      const executor = tx as unknown as Executor;
      await appendAuditEntries(executor, [
        entry('req-read', 1, {}),
        entry('req-feed-1', 2, { ...his, fieldsByCategory: { CLINICAL: ['Mutation.recordEncounters'] }, rowsReturned: 1 }),
        entry('req-feed-2', 3, { ...his, fieldsByCategory: { CLINICAL: ['Mutation.recordEncounters'] }, rowsReturned: 3 }),
        entry('req-feed-3', 4, { ...his, fieldsByCategory: { RESULTS: ['Mutation.recordLabReports'] }, rowsReturned: 1 }),
        entry('req-refused', 5, { fieldsByCategory: {}, deniedByCategory: { CLINICAL: ['Encounter.department'], RESULTS: ['LabReport.panelName'] }, rowsReturned: 0, outcome: 'DENIED' }),
        entry('req-emergency', 6, { purpose: 'ETREAT', breakGlass: true, breakGlassReason: 'ER', deniedByCategory: { CLINICAL: ['Diagnosis.code'] }, outcome: 'PARTIALLY_DENIED' }),
      ], AUDIT_SIGNER);
      // The first feed write started inst-03's care relationship; the later ones found it there.
      await recordCareRelationships(executor, [{ residentId: 'res-words', institutionId: 'inst-03', operation: 'recordEncounters', requestId: 'req-feed-1', recordIds: ['enc-1'], since: at(2) }]);
    });
  });

  it('shows a feed write as a WRITE saying who recorded what, and whether it started care', async () => {
    const result = await run<Log>(resident('res-words'), LOG);
    expect(result.errors).toBeUndefined();
    expect(result.data!.myAccessLog.edges.map((e) => e.node)).toEqual([
      { kind: 'READ', summary: 'Emergency access: A clinician of inst-a read your clinical, demographics data and was refused your clinical data', startedCare: false, categories: ['CLINICAL', 'DEMOGRAPHICS'], outcome: 'PARTIALLY_DENIED' },
      { kind: 'READ', summary: 'A clinician of inst-a was refused your clinical, results data', startedCare: false, categories: [], outcome: 'DENIED' },
      { kind: 'WRITE', summary: 'inst-03 recorded a lab report', startedCare: false, categories: ['RESULTS'], outcome: 'ALLOWED' },
      { kind: 'WRITE', summary: 'inst-03 recorded 3 encounters', startedCare: false, categories: ['CLINICAL'], outcome: 'ALLOWED' },
      { kind: 'WRITE', summary: 'inst-03 recorded an encounter and became one of your treating institutions', startedCare: true, categories: ['CLINICAL'], outcome: 'ALLOWED' },
      { kind: 'READ', summary: 'A clinician of inst-a read your clinical, demographics data', startedCare: false, categories: ['CLINICAL', 'DEMOGRAPHICS'], outcome: 'ALLOWED' },
    ]);
  });

  it("never shows another resident's care relationship as started by a write in this log", async () => {
    await handle.db.transaction(async (tx) => {
      const executor = tx as unknown as Executor;
      await appendAuditEntries(executor, [entry('req-feed-other', 7, { ...his, residentId: 'res-words-2', fieldsByCategory: { CLINICAL: ['Mutation.recordEncounters'] } })], AUDIT_SIGNER);
      // A relationship of another resident that names the same request (it could only come from a forged row).
      await recordCareRelationships(executor, [{ residentId: 'res-words', institutionId: 'inst-04', operation: 'recordEncounters', requestId: 'req-feed-other', recordIds: ['enc-9'], since: at(7) }]);
    });
    const result = await run<Log>(resident('res-words-2'), LOG);
    expect(result.data!.myAccessLog.edges.map((e) => [e.node.summary, e.node.startedCare])).toEqual([['inst-03 recorded an encounter', false]]);
  });
});

describe('the consent subgraph schema', () => {
  it('classifies every field of every object type and keeps fields above level 2 nullable (except id)', () => {
    const { unclassified, nonNullAboveLevel2: nonNullSensitive } = classificationGaps(built.sdl);
    expect(unclassified).toEqual([]);
    expect(nonNullSensitive).toEqual([]);
  });

  it('derives grant tokens from the configured secret', async () => {
    await grant(resident('res-secret'), { autoApprove: true });
    const asked = await run<{ requestAccess: { grantToken: string } }>(
      drWang,
      'mutation ($input: AccessRequestInput!) { requestAccess(input: $input) { grantToken } }',
      { input: { residentId: 'res-secret', categories: ['CLINICAL'], purpose: 'TREAT', reason: 'Check-up.' } },
    );
    const [row] = await handle.query<{ grant_id: string }>("select grant_id from consent.access_request where resident_id = 'res-secret'");
    expect(asked.data!.requestAccess.grantToken).toBe(grantTokenFor(SECRET, row!.grant_id));
  });
});
