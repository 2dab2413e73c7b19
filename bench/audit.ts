/**
 * `npm run bench:audit`: the verifiable access log's figures (issue 12), on PGlite and, with
 * BENCH_DATABASE_URL or TEST_DATABASE_URL, on PostgreSQL:
 *
 *  1. grant uses + audit entries per second from many concurrent callers: group commit (what
 *     `commitUse` does) against one transaction and one audit lock per request (`commitUseAlone`);
 *  2. full verification (every leaf, subtree and signed head recomputed), entries per second;
 *  3. a consistency proof at 1,000,000 entries (a synthetic RFC 9162 tree built in SQL): fetched from
 *     the stored subtrees and checked, milliseconds.
 *
 * The callers of (1) are in this process and call the commit functions directly (no HTTP): it measures
 * the database work the gateway's audit stage does. Writes bench/results/audit-<date>-<database>.md.
 */
import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { appendAuditEntries, auditConsistencyProof, auditRootAt, issueGrant, merkle, verifyAuditLog, type AuditEvent, type AuditSigner } from '../consent/index.js';
import { commitUse, commitUseAlone } from '../gateway/stages/consume-grant.js';
import { migrateAll, type DatabaseHandle } from '../subgraphs/runtime/index.js';
import { testBackends } from '../testkit/databases.js';

const USES = Number(process.env['BENCH_AUDIT_USES'] ?? 2000);
const CALLERS = Number(process.env['BENCH_AUDIT_CALLERS'] ?? 64);
const ENTRIES = Number(process.env['BENCH_AUDIT_ENTRIES'] ?? 100_000);
const TREE_SIZE = Number(process.env['BENCH_AUDIT_TREE_SIZE'] ?? 1_000_000);

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer: AuditSigner = { keyId: 'bench', privateKey };
const verifier = new Map([['bench', publicKey]]);

function use(requestId: string, grantId: string): AuditEvent {
  return {
    requestId,
    actorSub: 'clinician-bench',
    actorRole: 'clinician',
    institutionId: 'inst-01',
    residentId: `res-${requestId.length % 7}`,
    purpose: 'TREAT',
    grantId,
    operationHash: 'bench',
    fieldsByCategory: { CLINICAL: ['Encounter.id', 'Encounter.department'], RESULTS: ['LabReport.panelName'] },
    deniedByCategory: {},
    rowsReturned: 3,
    outcome: 'ALLOWED',
  };
}

async function grantFor(handle: DatabaseHandle, uses: number): Promise<string> {
  const { row } = await issueGrant(handle.db, new Uint8Array(32), {
    requestId: 'bench', residentId: 'res-bench', granteeSub: 'clinician-bench', granteeInstitutionId: 'inst-01', categories: ['CLINICAL'],
    purpose: 'TREAT', maxLevel: 4, uses, validFrom: new Date(Date.now() - 1000), validUntil: new Date(Date.now() + 3_600_000),
  });
  return row.id;
}

/** Uses per second with `callers` concurrent callers; the grant must end used up exactly. */
async function throughput(handle: DatabaseHandle, commit: typeof commitUse, label: string): Promise<number> {
  const grantId = await grantFor(handle, USES);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < USES) await commit(handle.db, [use(`${label}-${next++}`, grantId)], signer);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const [left] = await handle.query<{ n: number }>('select uses_remaining as n from consent.access_grant where id = $1', [grantId]);
  if (left!.n !== 0) throw new Error(`${label}: ${left!.n} uses left, expected 0`);
  return USES / seconds;
}

async function fullVerification(handle: DatabaseHandle): Promise<{ entries: number; perSecond: number; perCpuSecond: number }> {
  const grantId = 'grant-none';
  for (let written = 0; written < ENTRIES; written += 200) {
    const events = Array.from({ length: Math.min(200, ENTRIES - written) }, (_, i) => use(`verify-${written + i}`, grantId));
    await handle.db.transaction((tx) => appendAuditEntries(tx, events, signer).then(() => undefined));
  }
  const started = performance.now();
  const cpu = process.cpuUsage();
  const report = await verifyAuditLog(handle.db, verifier);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (!report.valid) throw new Error(`full verification failed: ${JSON.stringify(report)}`);
  // Per CPU-second of the verifying process too: on a shared machine wall time mostly measures the neighbours.
  return { entries: report.treeSize, perSecond: report.treeSize / seconds, perCpuSecond: report.treeSize / ((used.user + used.system) / 1e6) };
}

/** A synthetic 1,000,000-leaf log: leaf i = SHA-256(0x00 ‖ i as 8 bytes), every complete subtree hashed in SQL. */
async function syntheticTree(handle: DatabaseHandle, size: number): Promise<void> {
  await handle.query('truncate consent.audit_tree_node');
  await handle.db.execute(sql`insert into consent.audit_tree_node (level, idx, hash)
    select 0, g, encode(sha256('\\x00'::bytea || int8send(g)), 'hex') from generate_series(0::bigint, ${size - 1}::bigint) as g`);
  for (let level = 0; 2 ** (level + 1) <= size; level += 1) {
    await handle.db.execute(sql`insert into consent.audit_tree_node (level, idx, hash)
      select ${level + 1}, l.idx / 2, encode(sha256('\\x01'::bytea || decode(l.hash, 'hex') || decode(r.hash, 'hex')), 'hex')
      from consent.audit_tree_node l join consent.audit_tree_node r on r.level = l.level and r.idx = l.idx + 1
      where l.level = ${level} and l.idx % 2 = 0`);
  }
  await handle.query('analyze consent.audit_tree_node');
}

async function consistencyAtScale(handle: DatabaseHandle): Promise<{ fetchAndCheckMs: number; worstMs: number; checkOnlyMs: number }> {
  await syntheticTree(handle, TREE_SIZE);
  // The reference check: the definition's root of the same leaves, in memory.
  const leaves = Array.from({ length: 1000 }, (_, i) => merkle.leafHash(Buffer.from(new BigUint64Array([BigInt(i)]).buffer).reverse()));
  if ((await auditRootAt(handle.db, 1000)) !== merkle.merkleTreeHash(leaves).toString('hex')) throw new Error('the synthetic tree is not an RFC 9162 tree');
  const second = TREE_SIZE;
  const secondRoot = Buffer.from(await auditRootAt(handle.db, second), 'hex');
  const timings: number[] = [];
  const checks: number[] = [];
  for (const first of [1, 4095, Math.floor(second * 0.123457), second / 2, Math.floor(second * 0.765431), second - 1]) {
    // The auditor holds both roots (signed heads); the proof is fetched from the stored subtrees.
    const firstRoot = Buffer.from(await auditRootAt(handle.db, first), 'hex');
    const started = performance.now();
    const proof = await auditConsistencyProof(handle.db, first, second);
    const checkStarted = performance.now();
    const ok = merkle.verifyConsistency(first, second, proof, firstRoot, secondRoot);
    const done = performance.now();
    if (!ok) throw new Error(`consistency ${first}→${second} did not verify`);
    timings.push(done - started);
    checks.push(done - checkStarted);
  }
  timings.sort((a, b) => a - b);
  return { fetchAndCheckMs: timings[Math.floor(timings.length / 2)]!, worstMs: timings.at(-1)!, checkOnlyMs: Math.max(...checks) };
}

async function main(): Promise<void> {
  const benchUrl = process.env['BENCH_DATABASE_URL'];
  if (benchUrl) process.env['TEST_DATABASE_URL'] ??= benchUrl;
  const lines = [
    `# Audit log benchmark, ${new Date().toISOString()} (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, ${cpus().length} CPUs)`,
    '',
    `Grant uses: ${USES} uses of one grant by ${CALLERS} concurrent callers (each use: a conditional UPDATE of the grant and one audit entry). Full verification: ${ENTRIES} entries. Consistency: a ${TREE_SIZE.toLocaleString('en')}-entry synthetic tree.`,
    '',
    '| database | uses/s, group commit | uses/s, one lock per request | ratio | full verification, entries/s (per CPU-second of the verifier) | consistency proof at 1M, fetch + check (median / worst) | check alone |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const names: string[] = [];
  for (const backend of testBackends()) {
    const { handle, dispose } = await backend.open();
    try {
      await migrateAll(handle, ['consent']);
      const alone = await throughput(handle, commitUseAlone, 'alone');
      const grouped = await throughput(handle, commitUse, 'grouped');
      const verification = await fullVerification(handle);
      const consistency = await consistencyAtScale(handle);
      lines.push(
        `| ${backend.name} | ${grouped.toFixed(0)} | ${alone.toFixed(0)} | ${(grouped / alone).toFixed(1)}× | ${verification.perSecond.toFixed(0)} (${verification.perCpuSecond.toFixed(0)}) over ${verification.entries} entries | ${consistency.fetchAndCheckMs.toFixed(1)} ms / ${consistency.worstMs.toFixed(1)} ms | ${consistency.checkOnlyMs.toFixed(2)} ms |`,
      );
      names.push(backend.name);
      process.stdout.write(`${lines.at(-1)}\n`);
    } finally {
      await dispose();
    }
  }
  const table = `${lines.join('\n')}\n`;
  process.stdout.write(`\n${table}`);
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/audit-${new Date().toISOString().slice(0, 10)}-${names.join('-')}.md`;
  writeFileSync(file, table);
  process.stdout.write(`written to ${file}\n`);
}

await main();
