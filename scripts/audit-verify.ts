/**
 * `npm run audit:verify`: recomputes the whole audit hash chain and reports the first altered or
 * missing entry by position. Exit code 0 when the chain is intact, 1 when it is broken.
 *
 * On PostgreSQL it reads the database directly. The embedded PGlite belongs to the running platform
 * (one process may hold it), so when `npm start` is running the check goes through the gateway's
 * `verifyAuditChain` query as the demo auditor; when it is not, the data directory is opened here.
 */
import 'reflect-metadata';
import { verifyAuditChain, type AuditChainReport } from '../consent/index.js';
import { issueToken, loadOrCreateKeyPair } from '../gateway/index.js';
import { migrateAll, openDatabase } from '../subgraphs/runtime/index.js';
import { loadConfig } from './config.js';

const config = loadConfig();

async function throughRunningGateway(): Promise<AuditChainReport | undefined> {
  const url = `http://127.0.0.1:${config.gatewayPort || 4000}/graphql`;
  try {
    const token = await issueToken(await loadOrCreateKeyPair(config.dataDir, 'identity-issuer'), { sub: 'auditor', role: 'auditor' }, '5m');
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ verifyAuditChain { valid entries brokenAtSeq brokenAtPosition problem lastHash } }' }),
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
    return await verifyAuditChain(handle.db);
  } finally {
    await handle.close();
  }
}

const report = (config.databaseUrl ? undefined : await throughRunningGateway()) ?? (await directly());
if (report.valid) {
  process.stdout.write(`audit chain intact: ${report.entries} entries, last hash ${report.lastHash}\n`);
  process.exit(0);
}
process.stdout.write(
  `audit chain BROKEN at position ${report.brokenAt.position} (seq ${report.brokenAt.seq}): ${report.brokenAt.problem === 'ALTERED' ? 'the entry was altered' : 'the entry before it is missing'}; ${report.entries} entries verify before it\n`,
);
process.exit(1);
