/**
 * `npm run audit:verify`: recomputes the whole audit hash chain and reports the first altered or
 * missing entry by position. Exit code 0 when the chain is intact, 1 when it is broken.
 *
 * Signed checkpoints are checked with the gateway's public audit key, and the chain must still contain
 * the head recorded by the previous successful run (`<dataDir>/audit-anchor.json`), so a removed tail
 * is caught too. On PostgreSQL it reads the database directly. The embedded PGlite belongs to the running platform
 * (one process may hold it), so when `npm start` is running the check goes through the gateway's
 * `verifyAuditChain` query as the demo auditor; when it is not, the data directory is opened here.
 */
import './cli-errors.js';
import 'reflect-metadata';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAuditChain, type AuditAnchor, type AuditChainReport } from '../consent/index.js';
import { auditKeys, issueToken, loadOrCreateKeyPair, readKeyPair } from '../gateway/index.js';
import { migrateAll, openDatabase } from '../subgraphs/runtime/index.js';
import { CONFIG_HELP, configOrExit, parseCommandLine } from './cli.js';

parseCommandLine({
  usage: `usage: npm run audit:verify   (or node dist/scripts/audit-verify.js)

Recomputes the audit hash chain and checks its signed checkpoints; exit code 0 when intact, 1 when
broken (the first altered or missing entry is reported by position). With the embedded database and
\`npm start\` running, the check goes through the gateway; otherwise the database is opened here.

${CONFIG_HELP}`,
});
const config = configOrExit();
const anchorFile = join(config.dataDir, 'audit-anchor.json');
const anchor = existsSync(anchorFile) ? (JSON.parse(readFileSync(anchorFile, 'utf8')) as AuditAnchor) : undefined;

async function throughRunningGateway(): Promise<AuditChainReport | undefined> {
  const url = `http://127.0.0.1:${config.gatewayPort || 4000}/graphql`;
  try {
    // No issuer key means no platform ever ran here: nothing to ask, and no key is created.
    const token = await issueToken(await readKeyPair(config.dataDir, 'identity-issuer'), { sub: 'auditor', role: 'auditor' }, '5m');
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'query($n: Int, $h: String) { verifyAuditChain(knownEntries: $n, knownLastHash: $h) { valid entries brokenAtSeq brokenAtPosition problem lastHash } }',
        variables: { n: anchor?.entries ?? null, h: anchor?.lastHash ?? null },
      }),
      signal: AbortSignal.timeout(3000),
    });
    const body = (await response.json()) as { data?: { verifyAuditChain: Record<string, unknown> } };
    const report = body.data?.verifyAuditChain;
    if (!report) return undefined;
    return report['valid']
      ? { valid: true, entries: Number(report['entries']), lastHash: String(report['lastHash'] ?? '') }
      : {
          valid: false,
          entries: Number(report['entries']),
          brokenAt: { seq: Number(report['brokenAtSeq']), position: Number(report['brokenAtPosition']), problem: report['problem'] as 'ALTERED' },
        };
  } catch {
    return undefined;
  }
}

async function directly(): Promise<AuditChainReport> {
  const handle = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: `${config.dataDir}/pglite` });
  try {
    await migrateAll(handle);
    const { verifier } = auditKeys(await loadOrCreateKeyPair(config.dataDir, 'audit-signing'));
    return await verifyAuditChain(handle.db, { verifier, ...(anchor ? { anchor } : {}) });
  } finally {
    await handle.close();
  }
}

const PROBLEMS: Record<string, string> = {
  ALTERED: 'the entry was altered',
  MISSING_PREDECESSOR: 'the entry before it is missing',
  MISSING_ENTRIES: 'signed entries are missing',
  UNSIGNED_TAIL: 'the last entries were written without the audit key',
  BAD_SIGNATURE: 'a checkpoint signature does not verify',
  TRUNCATED: 'the chain is shorter than at the last verification',
};

const report = (config.databaseUrl ? undefined : await throughRunningGateway()) ?? (await directly());
if (report.valid) {
  writeFileSync(anchorFile, JSON.stringify({ entries: report.entries, lastHash: report.lastHash }));
  process.stdout.write(`audit chain intact: ${report.entries} entries, last hash ${report.lastHash} (recorded as the anchor for the next run)\n`);
  process.exit(0);
}
process.stdout.write(
  `audit chain BROKEN at position ${report.brokenAt.position} (seq ${report.brokenAt.seq}): ${PROBLEMS[report.brokenAt.problem]}; ${report.entries} entries verify before it\n`,
);
process.exit(1);
