/**
 * The second part of `npm run bench` (after bench/runtimes, the gateways under load from a separate
 * process): the platform's functions measured in this process, written to bench/results/latest.md.
 *  1. Field encryption and decryption per second.
 *  2. Grants consumed + audited per second (PostgreSQL when BENCH_DATABASE_URL/TEST_DATABASE_URL is set).
 */
import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { consumeGrantUse, issueGrant } from '../consent/index.js';
import { benchmarkFieldCrypto } from '../gateway/keyring/bench.js';
import { commitUse } from '../gateway/stages/consume-grant.js';
import { openDatabase, migrateAll, type DatabaseHandle } from '../subgraphs/runtime/index.js';
import { positiveInteger, parseCommandLine } from '../scripts/cli.js';

parseCommandLine({
  usage: `usage: npm run bench   (or node dist/bench/run.js after bench/runtimes)

Measures field encryption and grant uses per second in this process and writes a markdown table to
bench/results/latest.md (npm run bench runs the gateways under load from a separate process first).
  BENCH_CONCURRENCY (8), BENCH_GRANT_USES (2000),
  BENCH_DATABASE_URL or TEST_DATABASE_URL (grant uses on PostgreSQL)`,
});
const CONCURRENCY = positiveInteger('BENCH_CONCURRENCY', process.env['BENCH_CONCURRENCY'], 8);

async function main(): Promise<void> {
  const crypto = await benchmarkFieldCrypto();
  const sections = [
    `## Field encryption\n\n| measure | value |\n|---|---:|\n` +
      `| field encrypt (AES-256-GCM, AAD resident+field, self-describing) | ${crypto.fieldEncryptPerSec.toFixed(0)} /s |\n` +
      `| field decrypt | ${crypto.fieldDecryptPerSec.toFixed(0)} /s |\n` +
      `| raw native AES-256-GCM encrypt, same size | ${crypto.rawAesGcmPerSec.toFixed(0)} /s |\n` +
      `| raw / field encrypt ratio | ${crypto.ratio.toFixed(2)} |\n` +
      `| decrypt with the data-key cache (prepare + decrypt) | ${crypto.withCacheDecryptPerSec.toFixed(0)} /s |\n` +
      `| decrypt without the cache (unwrap every time) | ${crypto.withoutCacheDecryptPerSec.toFixed(0)} /s |`,
    await grantThroughput(),
  ];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync('bench/results', { recursive: true });
  const report = `# healthmesh benchmark (functions, in process), ${new Date().toISOString()}\n\nNode ${process.version}. The gateway under HTTP load is measured by bench/runtimes (load from autocannon in a separate process).\n\n${sections.join('\n\n')}\n`;
  writeFileSync(join('bench/results', `${stamp}.md`), report);
  writeFileSync(join('bench/results', 'latest.md'), report);
  process.stdout.write(report);
}

async function grantThroughput(): Promise<string> {
  const url = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
  const rows: string[] = ['| database | grants consumed + audited | seconds | per second |', '|---|---:|---:|---:|'];
  const targets: Array<{ name: string; open: () => Promise<{ handle: DatabaseHandle; dispose: () => Promise<void> }> }> = [
    { name: 'PGlite (embedded)', open: async () => { const handle = await openDatabase(); return { handle, dispose: () => handle.close() }; } },
  ];
  if (url) targets.push({ name: 'PostgreSQL', open: () => temporaryPostgres(url) });
  for (const target of targets) {
    const { handle, dispose } = await target.open();
    try {
      await migrateAll(handle);
      const total = Number(process.env['BENCH_GRANT_USES'] ?? 2000);
      const { row } = await issueGrant(handle.db, new Uint8Array(32), {
        requestId: 'bench', residentId: 'res-bench', granteeSub: 'clinician-bench', granteeInstitutionId: 'inst-01', categories: ['CLINICAL'],
        purpose: 'TREAT', maxLevel: 4, uses: total, validFrom: new Date(Date.now() - 1000), validUntil: new Date(Date.now() + 3_600_000),
      });
      const { privateKey } = generateKeyPairSync('ed25519');
      const signer = { keyId: 'bench', privateKey };
      let remaining = total;
      const started = performance.now();
      await Promise.all(Array.from({ length: handle.kind === 'postgres' ? CONCURRENCY : 1 }, async () => {
        while (remaining > 0) {
          remaining -= 1;
          await commitUse(handle.db, [{ requestId: `bench-${remaining}`, actorSub: 'clinician-bench', actorRole: 'clinician', residentId: 'res-bench', grantId: row.id, operationHash: 'bench', fieldsByCategory: { CLINICAL: ['Encounter.id'] }, deniedByCategory: {}, rowsReturned: 1, outcome: 'ALLOWED' }], signer);
        }
      }));
      const seconds = (performance.now() - started) / 1000;
      const left = await consumeGrantUse(handle.db, row.id);
      if (left !== undefined) throw new Error(`grant should be used up, ${left} left`);
      rows.push(`| ${target.name} | ${total} | ${seconds.toFixed(2)} | ${(total / seconds).toFixed(0)} |`);
    } finally {
      await dispose();
    }
  }
  if (!url) rows.push('| PostgreSQL | not measured: set BENCH_DATABASE_URL or TEST_DATABASE_URL | | |');
  return `## Grants consumed and audited (group commit: conditional UPDATE + Merkle leaf and chain link per use, one signed head per batch)\n\n${rows.join('\n')}`;
}

async function temporaryPostgres(adminUrl: string) {
  const { default: postgres } = await import('postgres');
  const name = `healthmesh_bench_${Date.now()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const target = new URL(adminUrl);
  target.pathname = `/${name}`;
  const handle = await openDatabase({ url: target.toString(), maxConnections: CONCURRENCY + 2 });
  return {
    handle,
    dispose: async () => {
      await handle.close();
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

await main();
