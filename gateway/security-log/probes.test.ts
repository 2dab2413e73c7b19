/**
 * Refused probes through the real gateway: anonymous callers and ids the platform does not know go to
 * the bounded security log, never into the audit chain or a resident's access log; a signed-in
 * caller refused a real resident is still audited, so the resident sees who tried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../consent/index.js';
import { startTestPlatform, testBackends, type TestPlatform } from '../../testkit/index.js';

const BOUND = 25;
const TREAT = { 'x-purpose-of-use': 'TREAT' };
const READ = 'query($v: ID!) { resident(id: $v) { sex } }';
const READ_MORE = 'query($v: ID!) { resident(id: $v) { sex name encounters(first: 1) { id } } }';

describe.each(testBackends())('refused probes through the gateway on $name', (backend) => {
  let stack: TestPlatform;

  beforeAll(async () => {
    stack = await startTestPlatform(backend, { env: { HEALTHMESH_SECURITY_LOG_MAX_EVENTS: String(BOUND) } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const count = async (table: string) => Number((await stack.platform.database.query<{ n: string }>(`select count(*)::text as n from ${table}`))[0]!.n);
  const lastSecuritySeq = async () => Number((await stack.platform.database.query<{ n: string | null }>('select max(seq)::text as n from security.security_event'))[0]!.n ?? 0);
  const securityEventsAfter = (seq: number) =>
    stack.platform.database.query<{ actor_sub: string; actor_role: string; kind: string; code: string; residents_named: number; operation_hash: string }>(
      'select actor_sub, actor_role, kind, code, residents_named, operation_hash from security.security_event where seq > $1 order by seq',
      [seq],
    );
  const auditRowsAfter = (seq: number) =>
    stack.platform.database.query<{ id: string; actor_sub: string; resident_id: string; outcome: string; denied_by_category: Record<string, string[]> }>(
      'select id, actor_sub, resident_id, outcome, denied_by_category from consent.audit_entry where seq > $1 order by seq',
      [seq],
    );
  const lastAuditSeq = async () => Number((await stack.platform.database.query<{ n: string | null }>('select max(seq)::text as n from consent.audit_entry'))[0]!.n ?? 0);
  const chain = () => verifyAuditChain(stack.platform.database.db);

  it('keeps the audit chain valid after the anonymous lone-surrogate request, which writes no audit entry and at most one security event', async () => {
    const [audited, logged] = [await lastAuditSeq(), await lastSecuritySeq()];
    // The reproduction of issue 7, byte for byte: a JSON escape of a lone high surrogate.
    const response = await fetch(stack.platform.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"query($v: ID!){ resident(id:$v){ sex } }","variables":{"v":"\\ud800"}}',
    });
    const body = (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    expect(response.status).toBeLessThan(500);
    expect(await auditRowsAfter(audited)).toEqual([]);
    expect(await chain()).toMatchObject({ valid: true });
    // An anonymous probe never reaches the audit chain, so the chain never has to refuse its text.
    expect(body.errors?.[0]?.message).not.toMatch(/cannot be audited/);
    // The edge (subgraphs/runtime/http.ts) may refuse ill-formed text before the pipeline runs; then nothing is recorded at all.
    const refusedAtEdge = response.status === 400 && body.errors?.[0]?.extensions?.code === 'BAD_USER_INPUT';
    const events = await securityEventsAfter(logged);
    if (refusedAtEdge) expect(events).toEqual([]);
    else {
      expect(body).toMatchObject({ data: { resident: null }, errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
      expect(events).toEqual([{ actor_sub: 'anonymous', actor_role: 'anonymous', kind: 'ANONYMOUS_PROBE', code: 'UNAUTHENTICATED', residents_named: 1, operation_hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    }
  });

  it('refuses a lone surrogate in the document text before anything runs, and records nothing', async () => {
    const [audited, logged] = [await lastAuditSeq(), await lastSecuritySeq()];
    const response = await fetch(stack.platform.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ resident(id: \\"\\ud800\\") { sex } }"}',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(await auditRowsAfter(audited)).toEqual([]);
    expect(await securityEventsAfter(logged)).toEqual([]);
  });

  it('adds no audit entry for 200 anonymous probes with invented ids, and keeps the security log within its bound', async () => {
    const [audited, logged] = [await lastAuditSeq(), await lastSecuritySeq()];
    const ids = Array.from({ length: 200 }, (_, i) => `res-invented-${i}`);
    expect(ids).toHaveLength(200);
    for (let i = 0; i < ids.length; i += 10) {
      const answers = await Promise.all(ids.slice(i, i + 10).map((id) => stack.query(null, READ, { v: id })));
      for (const answer of answers) expect(answer.body).toMatchObject({ data: { resident: null }, errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    }
    expect(await auditRowsAfter(audited)).toEqual([]);
    expect(await count('security.security_event')).toBe(BOUND);
    expect(await lastSecuritySeq()).toBe(logged + 200);
    expect(await chain()).toMatchObject({ valid: true });
  });

  it('answers a clinician the same for an unknown id as for a resident not theirs, and audits only the real resident', async () => {
    const real = stack.actor('resident-multi').residentId!;
    const [audited, logged] = [await lastAuditSeq(), await lastSecuritySeq()];
    const unknown = await stack.query('clinician-c', READ_MORE, { v: 'res-nonexistent' }, TREAT);
    const notTheirs = await stack.query('clinician-c', READ_MORE, { v: real }, TREAT);
    expect(notTheirs.body).toMatchObject({ data: { resident: null }, errors: [{ extensions: { code: 'GRANT_REQUIRED' } }] });
    expect(unknown).toEqual(notTheirs);

    const entries = await auditRowsAfter(audited);
    expect(entries.map(({ actor_sub, resident_id, outcome }) => ({ actor_sub, resident_id, outcome }))).toEqual([{ actor_sub: 'clinician-c', resident_id: real, outcome: 'DENIED' }]);
    expect(await securityEventsAfter(logged)).toEqual([
      { actor_sub: 'clinician-c', actor_role: 'clinician', kind: 'UNKNOWN_RESIDENT', code: 'GRANT_REQUIRED', residents_named: 1, operation_hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    // The resident sees who tried.
    const log = await stack.query<{ myAccessLog: { edges: Array<{ node: { id: string; actorRole: string; outcome: string } }> } }>(
      'resident-multi',
      '{ myAccessLog(first: 5) { edges { node { id actorRole outcome } } } }',
    );
    expect(log.body.data!.myAccessLog.edges[0]!.node).toEqual({ id: entries[0]!.id, actorRole: 'clinician', outcome: 'DENIED' });
  });

  it('still audits a clinician’s refused read of a real resident as DENIED, and logs the same refusal of an unknown id as a probe', async () => {
    const real = stack.actor('resident-research').residentId!;
    const [audited, logged] = [await lastAuditSeq(), await lastSecuritySeq()];
    const refusedReal = await stack.query('clinician-a', READ, { v: real });
    const refusedUnknown = await stack.query('clinician-a', READ, { v: 'res-nonexistent' });
    expect(refusedReal.body.errors?.[0]?.extensions?.['code']).toBe('PURPOSE_REQUIRED');
    expect(refusedUnknown).toEqual(refusedReal);
    expect((await auditRowsAfter(audited)).map(({ actor_sub, resident_id, outcome, denied_by_category }) => ({ actor_sub, resident_id, outcome, denied_by_category }))).toEqual([
      { actor_sub: 'clinician-a', resident_id: real, outcome: 'DENIED', denied_by_category: { REFUSED: ['PURPOSE_REQUIRED'] } },
    ]);
    expect(await securityEventsAfter(logged)).toMatchObject([{ actor_sub: 'clinician-a', kind: 'UNKNOWN_RESIDENT', code: 'PURPOSE_REQUIRED', residents_named: 1 }]);
    expect(await chain()).toMatchObject({ valid: true });
  });

  it('splits one request naming a real resident and invented ones: an audit entry for the real one, one security event counting the others', async () => {
    const real = stack.actor('resident-multi').residentId!;
    const [audited, logged] = [await lastAuditSeq(), await lastSecuritySeq()];
    const query = 'query($a: ID!, $b: ID!, $c: ID!) { a: resident(id: $a) { sex } b: resident(id: $b) { sex } c: resident(id: $c) { sex } }';
    const { body } = await stack.query('clinician-c', query, { a: real, b: 'res-invented-x', c: 'res-invented-y' }, TREAT);
    expect(body.data).toEqual({ a: null, b: null, c: null });
    expect((await auditRowsAfter(audited)).map((row) => row.resident_id)).toEqual([real]);
    expect(await securityEventsAfter(logged)).toMatchObject([{ kind: 'UNKNOWN_RESIDENT', residents_named: 2 }]);
  });

  it('refuses a break-glass read whose reason carries a NUL as BAD_USER_INPUT, releasing nothing and keeping the chain valid', async () => {
    const real = stack.actor('resident-multi').residentId!;
    const audited = await lastAuditSeq();
    const response = await stack.query('clinician-c', READ, { v: real }, { 'x-purpose-of-use': 'ETREAT', 'x-break-glass-reason': 'emergency%00' });
    expect(response.status).toBe(400);
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(await auditRowsAfter(audited)).toEqual([]);
    expect(await chain()).toMatchObject({ valid: true });
  });

  it('logs a clinician naming an id with a lone surrogate as a probe without touching the audit chain', async () => {
    const [audited, logged] = [await lastAuditSeq(), await lastSecuritySeq()];
    const response = await stack.query('clinician-c', READ, { v: 'res-\ud800' }, TREAT);
    expect(response.status).toBeLessThan(500);
    expect(await auditRowsAfter(audited)).toEqual([]);
    // No stored id can equal it, so it is a probe: the chain never has to refuse its text.
    expect(response.body.errors?.[0]?.message).not.toMatch(/cannot be audited/);
    const events = await securityEventsAfter(logged);
    // Unless the edge refused the text first (then nothing is recorded), it is one probe.
    const refusedAtEdge = response.status === 400 && response.body.errors?.[0]?.extensions?.['code'] === 'BAD_USER_INPUT';
    expect(events).toMatchObject(refusedAtEdge ? [] : [{ actor_sub: 'clinician-c', kind: 'UNKNOWN_RESIDENT', code: 'GRANT_REQUIRED', residents_named: 1 }]);
    expect(await chain()).toMatchObject({ valid: true });
  });
  it('creates no data key and no audit entry when break-glass names an invented id and selects identifying fields', async () => {
    const [audited, logged] = [await lastAuditSeq(), await lastSecuritySeq()];
    const invented = 'res-invented-break-glass';
    const { body } = await stack.query('clinician-b', 'query($v: ID!) { resident(id: $v) { name idCardNumber phone sex } }', { v: invented }, { 'x-purpose-of-use': 'ETREAT', 'x-break-glass-reason': 'emergency' });
    expect(body.data).toEqual({ resident: null });
    const keys = await stack.platform.database.query<{ n: string }>('select count(*)::text as n from keyring.data_key where resident_id = $1', [invented]);
    expect(keys[0]!.n).toBe('0');
    expect(await auditRowsAfter(audited)).toEqual([]);
    expect(await securityEventsAfter(logged)).toMatchObject([{ actor_sub: 'clinician-b', kind: 'UNKNOWN_RESIDENT', residents_named: 1 }]);
  });
});
