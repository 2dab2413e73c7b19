/** Every consent-plane write about a resident is audited in its transaction and shows in their access log as a WRITE. */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, type ExecutionResult } from 'graphql';
import type { Actor } from '../../schema/context.js';
import { migrateAll, openDatabase, type DatabaseHandle } from '../../subgraphs/runtime/database.js';
import { buildSubgraph, subgraphContext, type BuiltSubgraph } from '../../subgraphs/runtime/index.js';
import { verifyAuditChain } from '../audit.js';
import { breakGlassReviews } from '../tables.js';
import { consentSubgraph } from './index.js';

const KEYS = generateKeyPairSync('ed25519');
const SIGNER = { keyId: 'audit-write-test', privateKey: KEYS.privateKey };
const VERIFIER = new Map([['audit-write-test', KEYS.publicKey]]);
const liu: Actor = { sub: 'sub-res-liu', role: 'resident', residentId: 'res-liu' };
const drWang: Actor = { sub: 'dr-wang', role: 'clinician', institutionId: 'inst-a', practitionerId: 'pr-wang' };
const steward: Actor = { sub: 'steward-zhao', role: 'steward' };

let built: BuiltSubgraph;
let handle: DatabaseHandle;
let requestNumber = 0;

beforeAll(async () => {
  handle = await openDatabase();
  await migrateAll(handle);
  built = await buildSubgraph(consentSubgraph({ grantSecret: new Uint8Array(32).fill(3), auditVerifier: VERIFIER, auditSigner: SIGNER }));
});

afterAll(async () => {
  await handle.close();
});

async function run<Data>(actor: Actor, source: string, variableValues?: Record<string, unknown>): Promise<Data> {
  requestNumber += 1;
  const context = subgraphContext(handle.db, { requestId: `req-write-${requestNumber}`, actor });
  const result = (await graphql({ schema: built.schema, source, variableValues, contextValue: context })) as ExecutionResult<Data>;
  expect(result.errors).toBeUndefined();
  return result.data!;
}

const ASK = 'mutation ($input: AccessRequestInput!) { requestAccess(input: $input) { id } }';
const ask = { residentId: 'res-liu', categories: ['CLINICAL'], purpose: 'TREAT', reason: 'Follow-up visit.' };

describe('consent-plane writes in the access log', () => {
  it('audits a consent given and withdrawn, a request asked for, approved and denied, and a break-glass review, each as a WRITE with a plain summary', async () => {
    const { grantConsent } = await run<{ grantConsent: { id: string } }>(liu, 'mutation ($input: ConsentInput!) { grantConsent(input: $input) { id } }', {
      input: { categories: ['RESULTS'], recipient: { kind: 'ANYONE' }, purposes: ['TREAT'], provision: 'DENY', noticeVersion: '2026-01' },
    });
    await run(liu, 'mutation ($id: ID!) { revokeConsent(id: $id) { status } }', { id: grantConsent.id });
    const first = await run<{ requestAccess: { id: string } }>(drWang, ASK, { input: ask });
    await run(liu, 'mutation ($id: ID!) { approveAccessRequest(id: $id) { status } }', { id: first.requestAccess.id });
    const second = await run<{ requestAccess: { id: string } }>(drWang, ASK, { input: ask });
    await run(liu, 'mutation ($id: ID!) { denyAccessRequest(id: $id) { status } }', { id: second.requestAccess.id });
    const [consentEntry] = await handle.query<{ id: string }>("select id from consent.audit_entry where operation_name = 'grantConsent'");
    await handle.db.insert(breakGlassReviews).values({
      id: 'bgr-write',
      auditEntryId: consentEntry!.id,
      requestId: 'req-bg',
      residentId: 'res-liu',
      actorSub: 'dr-wang',
      institutionId: 'inst-a',
      reason: 'Unconscious in ER.',
      at: new Date(),
      status: 'PENDING',
    });
    await run(steward, 'mutation { reviewBreakGlass(id: "bgr-write", decision: JUSTIFIED) { status } }');

    const log = await run<{ myAccessLog: { edges: Array<{ node: { kind: string; summary: string; actorRole: string; categories: string[] } }> } }>(
      liu,
      '{ myAccessLog { edges { node { kind summary actorRole categories } } } }',
    );
    expect(log.myAccessLog.edges.map((edge) => edge.node)).toEqual([
      { kind: 'WRITE', summary: 'A steward reviewed an emergency access to your data', actorRole: 'steward', categories: [] },
      { kind: 'WRITE', summary: 'You denied an access request', actorRole: 'resident', categories: [] },
      { kind: 'WRITE', summary: 'A clinician of inst-a asked for access to your data', actorRole: 'clinician', categories: [] },
      { kind: 'WRITE', summary: 'You approved an access request', actorRole: 'resident', categories: [] },
      { kind: 'WRITE', summary: 'A clinician of inst-a asked for access to your data', actorRole: 'clinician', categories: [] },
      { kind: 'WRITE', summary: 'You withdrew a consent', actorRole: 'resident', categories: [] },
      { kind: 'WRITE', summary: 'You gave a consent', actorRole: 'resident', categories: [] },
    ]);
    // Signed with the audit key in the write's own transaction: the chain verifies with its checkpoints.
    expect(await verifyAuditChain(handle.db, { verifier: VERIFIER })).toMatchObject({ valid: true, entries: 7 });
  });

  it('writes no entry when the write is refused', async () => {
    const before = (await handle.query<{ n: number }>('select count(*)::int as n from consent.audit_entry'))[0]!.n;
    const refused = (await graphql({
      schema: built.schema,
      source: 'mutation { reviewBreakGlass(id: "bgr-write", decision: UNJUSTIFIED) { status } }',
      contextValue: subgraphContext(handle.db, { requestId: 'req-again', actor: steward }),
    })) as ExecutionResult;
    expect(refused.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect((await handle.query<{ n: number }>('select count(*)::int as n from consent.audit_entry'))[0]!.n).toBe(before);
  });
});
