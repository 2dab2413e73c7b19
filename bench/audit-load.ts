/**
 * A load process that commits grant uses as fast as it can until it is killed (the group-commit crash
 * test): `node dist/bench/audit-load.js <database url> <grant id>`, the audit key's PKCS#8 PEM in
 * HEALTHMESH_TEST_AUDIT_KEY. Prints `ack <request id>` once a use's batch has committed, never before.
 */
import 'reflect-metadata';
import { createPrivateKey } from 'node:crypto';
import { commitUse } from '../gateway/stages/consume-grant.js';
import { openDatabase } from '../subgraphs/runtime/index.js';
import { readEvent } from '../testkit/audit.js';

const [url, grantId] = process.argv.slice(2);
const pem = process.env['HEALTHMESH_TEST_AUDIT_KEY'];
if (!url || !grantId || !pem) throw new Error('usage: audit-load.js <database url> <grant id> (HEALTHMESH_TEST_AUDIT_KEY set)');
const signer = { keyId: 'audit-1', privateKey: createPrivateKey(pem) };
const handle = await openDatabase({ url, maxConnections: 4 });
let next = 0;
await Promise.all(
  Array.from({ length: 32 }, async () => {
    for (;;) {
      const requestId = `crash-${process.pid}-${next++}`;
      try {
        await commitUse(handle.db, [{ ...readEvent('res-1', 1), requestId, grantId }], signer);
        process.stdout.write(`ack ${requestId}\n`);
      } catch {
        process.stdout.write(`refused ${requestId}\n`);
      }
    }
  }),
);
