import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { IllFormedAuditTextError } from '../../consent/index.js';
import { loadConfig } from '../../scripts/config.js';
import { migrateAll, type DatabaseHandle } from '../../subgraphs/runtime/index.js';
import { testBackends } from '../../testkit/databases.js';
import { DEFAULT_SECURITY_LOG_MAX_EVENTS, openSecurityLog, recentSecurityEvents, type SecurityEvent } from './index.js';

function probe(n: number, change: Partial<SecurityEvent> = {}): SecurityEvent {
  return {
    requestId: `req-${n}`,
    actorSub: 'anonymous',
    actorRole: 'anonymous',
    kind: 'ANONYMOUS_PROBE',
    code: 'UNAUTHENTICATED',
    operationHash: 'f'.repeat(64),
    residentsNamed: 1,
    ...change,
  };
}

describe('the security log’s bound', () => {
  it('comes from HEALTHMESH_SECURITY_LOG_MAX_EVENTS, is 100,000 by default and at least 1', () => {
    expect(DEFAULT_SECURITY_LOG_MAX_EVENTS).toBe(100_000);
    expect(loadConfig({}).securityLogMaxEvents).toBe(100_000);
    expect(loadConfig({ HEALTHMESH_SECURITY_LOG_MAX_EVENTS: '250' }).securityLogMaxEvents).toBe(250);
    expect(() => loadConfig({ HEALTHMESH_SECURITY_LOG_MAX_EVENTS: '0' })).toThrow(/at least 1/);
    expect(() => loadConfig({ HEALTHMESH_SECURITY_LOG_MAX_EVENTS: 'many' })).toThrow(/non-negative integer/);
    expect(() => openSecurityLog({ maxEvents: 0 })).toThrow(RangeError);
    expect(openSecurityLog().maxEvents).toBe(100_000);
  });
});

describe.each(testBackends())('the security log on $name', (backend) => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    if (dispose) await dispose();
    ({ handle, dispose } = await backend.open());
    await migrateAll(handle, ['security']);
  });
  afterAll(async () => {
    await dispose?.();
  });

  const rows = async () => Number((await handle.query<{ n: string }>('select count(*)::text as n from security.security_event'))[0]!.n);
  const record = (log: ReturnType<typeof openSecurityLog>, events: SecurityEvent[]) =>
    handle.db.transaction(async (tx) => {
      for (const event of events) await log.record(tx, event);
    });

  it('keeps at most its bound of events, the newest ones, newest first', async () => {
    const log = openSecurityLog({ maxEvents: 5 });
    await record(log, Array.from({ length: 12 }, (_, i) => probe(i + 1)));
    expect(await rows()).toBe(5);
    const recent = await recentSecurityEvents(handle.db, { limit: 100 });
    expect(recent.map((event) => event.requestId)).toEqual(['req-12', 'req-11', 'req-10', 'req-9', 'req-8']);
    expect(recent[0]).toEqual({
      seq: 12,
      at: expect.any(Date),
      requestId: 'req-12',
      actorSub: 'anonymous',
      actorRole: 'anonymous',
      kind: 'ANONYMOUS_PROBE',
      code: 'UNAUTHENTICATED',
      operationHash: 'f'.repeat(64),
      residentsNamed: 1,
    });
    expect((await recentSecurityEvents(handle.db, { limit: 2 })).map((event) => event.requestId)).toEqual(['req-12', 'req-11']);
  });

  it('stays within its bound under concurrent writers', async () => {
    const log = openSecurityLog({ maxEvents: 7 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => record(log, [probe(i + 1)])));
    expect(await rows()).toBe(7);
    const seqs = (await recentSecurityEvents(handle.db, { limit: 100 })).map((event) => event.seq);
    expect(seqs).toEqual([40, 39, 38, 37, 36, 35, 34]);
  });

  it('drops the slots beyond a lowered bound on the next write', async () => {
    await record(openSecurityLog({ maxEvents: 10 }), Array.from({ length: 10 }, (_, i) => probe(i + 1)));
    expect(await rows()).toBe(10);
    await record(openSecurityLog({ maxEvents: 3 }), [probe(11)]);
    expect(await rows()).toBe(3);
    expect((await recentSecurityEvents(handle.db, { limit: 1 }))[0]!.requestId).toBe('req-11');
  });

  it('has no column for resident ids or any other identifier', async () => {
    const columns = (await handle.query<{ column_name: string }>(`select column_name from information_schema.columns where table_schema = 'security' and table_name = 'security_event' order by ordinal_position`)).map(
      (c) => c.column_name,
    );
    expect(columns).toEqual(['slot', 'seq', 'at', 'request_id', 'actor_sub', 'actor_role', 'kind', 'code', 'operation_hash', 'residents_named']);
  });

  it('refuses an event whose text cannot be stored as it is, and writes nothing', async () => {
    const log = openSecurityLog({ maxEvents: 5 });
    const cases: Array<Partial<SecurityEvent>> = [{ actorSub: 'clinician-\ud800' }, { code: 'GRANT_REQUIRED\u0000' }, { requestId: '\udfff' }];
    expect(cases.length).toBeGreaterThan(0);
    for (const change of cases) await expect(record(log, [probe(1, change)])).rejects.toBeInstanceOf(IllFormedAuditTextError);
    expect(await rows()).toBe(0);
  });
});
