import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../testkit/databases.js';
import { testAuditKey } from '../../testkit/audit.js';
import { migrateAll, type DatabaseHandle } from '../../subgraphs/runtime/index.js';
import { issueGrant, verifyAuditLog } from '../../consent/index.js';
import { commitUse } from './consume-grant.js';
import { readEvent } from '../../testkit/audit.js';

// A process killed with SIGKILL in the middle of group commits; PostgreSQL only (PGlite lives and dies with its process).
const postgres = testBackends().find((backend) => backend.name === 'postgres');

describe.skipIf(!postgres)('group commit killed with SIGKILL under load', () => {
  let handle: DatabaseHandle;
  let url: string;
  let dispose: () => Promise<void>;
  const key = testAuditKey();

  beforeAll(async () => {
    ({ handle, url, dispose } = (await postgres!.open()) as { handle: DatabaseHandle; url: string; dispose: () => Promise<void> });
    await migrateAll(handle, ['consent']);
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('loses no acknowledged entry, leaves no half batch, and the log verifies and grows after the restart', async () => {
    const uses = 100_000;
    const { row } = await issueGrant(handle.db, new Uint8Array(32), {
      requestId: 'req', residentId: 'res-1', granteeSub: 'clinician-a', granteeInstitutionId: 'inst-01', categories: ['CLINICAL'],
      purpose: 'TREAT', maxLevel: 4, uses, validFrom: new Date(Date.now() - 60_000), validUntil: new Date(Date.now() + 3_600_000),
    });
    const pem = key.signer.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const child = spawn(process.execPath, ['dist/bench/audit-load.js', url, row.id], { env: { ...process.env, HEALTHMESH_TEST_AUDIT_KEY: pem }, stdio: ['ignore', 'pipe', 'pipe'] });
    const acknowledged: string[] = [];
    let buffered = '';
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.on('exit', () => reject(new Error(`the load process ended on its own: ${errors}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) if (line.startsWith('ack ')) acknowledged.push(line.slice(4));
        // Killed while batches are in flight: 32 callers always have one running.
        if (acknowledged.length >= 400 && child.exitCode === null) {
          child.removeAllListeners('exit');
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }
      });
    });
    expect(acknowledged.length).toBeGreaterThanOrEqual(400);

    const written = new Set((await handle.query<{ request_id: string }>("select request_id from consent.audit_entry where request_id like 'crash-%'")).map((r) => r.request_id));
    expect(acknowledged.filter((id) => !written.has(id))).toEqual([]);
    // Every use consumed has its entry and every entry its use: no batch committed in part.
    const [{ left }] = (await handle.query<{ left: number }>('select uses_remaining as left from consent.access_grant where id = $1', [row.id])) as [{ left: number }];
    expect(uses - left).toBe(written.size);
    expect(await verifyAuditLog(handle.db, key.verifier)).toMatchObject({ valid: true, treeSize: written.size });

    // Restarted: the next append continues the same log.
    await commitUse(handle.db, [{ ...readEvent('res-1', 1), requestId: 'after-restart', grantId: row.id }], key.signer);
    expect(await verifyAuditLog(handle.db, key.verifier)).toMatchObject({ valid: true, treeSize: written.size + 1 });
  }, 120_000);
});
