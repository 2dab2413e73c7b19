/**
 * `npm run audit:verify [-- --full]`: verifies the Merkle audit log. Exit code 0 when intact, 1 when
 * broken (with the first position that is not what the audit key signed), 2 for a usage error.
 *
 * By default, O(log n): the newest signed head's signature (with the gateway's public audit key from
 * the data directory, never one the server hands out), and a consistency proof from the head the
 * previous successful run anchored (`<dataDir>/audit-anchor.json`) to it: nothing the auditor saw
 * before was rewritten or removed. `--full` recomputes every leaf from its entry, every stored
 * subtree and the root at every signed head.
 *
 * The embedded PGlite belongs to the running platform (one process may hold it), so without `--full`
 * and while `npm start` runs, the check goes through the gateway (`auditTreeHead`,
 * `auditConsistencyProof`) as the demo auditor; otherwise it opens the database itself.
 */
import './cli-errors.js';
import 'reflect-metadata';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkAuditLog, merkle, treeHeadSignatureValid, verifyAuditLog, type AuditLogReport, type AuditVerifier, type SignedTreeHead, type TreeAnchor } from '../consent/index.js';
import { auditKeys, issueToken, readKeyPair } from '../gateway/index.js';
import { migrateAll, openDatabase } from '../subgraphs/runtime/index.js';
import { CONFIG_HELP, configOrExit, parseCommandLine } from './cli.js';

const { values } = parseCommandLine({
  usage: `usage: npm run audit:verify [-- --full]   (or node dist/scripts/audit-verify.js [--full])

Verifies the audit log: the newest signed tree head's signature and its consistency with the head
recorded by the previous successful run (O(log n)). With --full, recomputes every entry's leaf,
every stored subtree and every signed head. Exit code 0 intact, 1 broken (the position is printed).
With the embedded database and \`npm start\` running, the check goes through the gateway.

${CONFIG_HELP}`,
  options: { full: { type: 'boolean', default: false } },
});

const config = configOrExit();
const anchorFile = join(config.dataDir, 'audit-anchor.json');

/** The anchor of an earlier run; one from the hash-chain era (entries, lastHash) anchors nothing in the Merkle log. */
function savedAnchor(): TreeAnchor | undefined {
  if (!existsSync(anchorFile)) return undefined;
  const saved = JSON.parse(readFileSync(anchorFile, 'utf8')) as Partial<TreeAnchor>;
  return typeof saved.treeSize === 'number' && typeof saved.rootHash === 'string' ? { treeSize: saved.treeSize, rootHash: saved.rootHash } : undefined;
}

async function throughRunningGateway(verifier: AuditVerifier, anchor: TreeAnchor | undefined): Promise<AuditLogReport | undefined> {
  const url = `http://127.0.0.1:${config.gatewayPort || 4000}/graphql`;
  // No issuer key means no platform ever ran here: nothing to ask, and no key is created.
  let token: string;
  try {
    token = await issueToken(await readKeyPair(config.dataDir, 'identity-issuer'), { sub: 'auditor', role: 'auditor' }, '5m');
  } catch {
    return undefined;
  }
  const ask = async <Data>(query: string, variables: Record<string, unknown> = {}): Promise<Data | undefined> => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(3000),
      });
      return ((await response.json()) as { data?: Data }).data;
    } catch {
      return undefined;
    }
  };
  const answer = await ask<{ auditTreeHead: Omit<SignedTreeHead, 'timestamp'> & { timestamp: string } }>('{ auditTreeHead { treeSize rootHash timestamp keyId signature } }');
  if (!answer) return undefined;
  const head: SignedTreeHead = { ...answer.auditTreeHead, timestamp: new Date(answer.auditTreeHead.timestamp) };
  const broken = (position: number, problem: 'BAD_SIGNATURE' | 'TRUNCATED'): AuditLogReport => ({ valid: false, treeSize: head.treeSize, brokenAt: { position, problem } });
  if (!treeHeadSignatureValid(head, verifier)) return broken(head.treeSize, 'BAD_SIGNATURE');
  if (anchor) {
    if (anchor.treeSize > head.treeSize) return broken(head.treeSize + 1, 'TRUNCATED');
    const proof = await ask<{ auditConsistencyProof: string[] }>('query($first: Int!, $second: Int!) { auditConsistencyProof(first: $first, second: $second) }', {
      first: anchor.treeSize,
      second: head.treeSize,
    });
    const consistent =
      proof !== undefined &&
      merkle.verifyConsistency(anchor.treeSize, head.treeSize, proof.auditConsistencyProof, Buffer.from(anchor.rootHash, 'hex'), Buffer.from(head.rootHash, 'hex'));
    if (!consistent) return broken(anchor.treeSize, 'TRUNCATED');
  }
  return { valid: true, treeSize: head.treeSize, rootHash: head.rootHash, head };
}

async function directly(verifier: AuditVerifier, anchor: TreeAnchor | undefined): Promise<AuditLogReport> {
  const handle = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: `${config.dataDir}/pglite` });
  try {
    await migrateAll(handle);
    return values.full ? await verifyAuditLog(handle.db, verifier, anchor ? { anchor } : {}) : await checkAuditLog(handle.db, verifier, anchor);
  } finally {
    await handle.close();
  }
}

const PROBLEMS: Record<string, string> = {
  ALTERED: 'the entry was altered',
  REORDERED: 'the entry and the next one are out of order',
  MISSING_ENTRIES: 'entries from here on are missing',
  NODE_ALTERED: 'a stored subtree hash ending here was altered',
  ROOT_MISMATCH: 'a signed head does not match the entries from here on (the log was rewritten)',
  BAD_SIGNATURE: 'the signed head of this size is not signed by the audit key (forged or altered)',
  UNSIGNED_TAIL: 'entries from here on were written without the audit key',
  TRUNCATED: 'the log no longer extends the head recorded at the last verification',
};

const { verifier } = auditKeys(await readKeyPair(config.dataDir, 'audit-signing'));
const anchor = savedAnchor();
const report = (config.databaseUrl || values.full ? undefined : await throughRunningGateway(verifier, anchor)) ?? (await directly(verifier, anchor));
const how = values.full ? 'every leaf, subtree and signed head recomputed' : anchor ? `signed head and consistency with the anchor of ${anchor.treeSize} entries checked` : 'signed head checked';
if (report.valid) {
  writeFileSync(anchorFile, JSON.stringify({ treeSize: report.treeSize, rootHash: report.rootHash }));
  process.stdout.write(`audit log intact: ${report.treeSize} entries, root ${report.rootHash} (${how}; recorded as the anchor for the next run)\n`);
  process.exit(0);
}
process.stdout.write(`audit log BROKEN at position ${report.brokenAt.position}: ${PROBLEMS[report.brokenAt.problem]} (${how})\n`);
process.exit(1);
