/**
 * `npm run bench`: measures the platform and writes a markdown table to bench/results/.
 *
 *  1. The federated resident query: straight to the subgraphs one by one vs. through the gateway.
 *  2. The same clinician query through the full enforcement pipeline vs. a plain gateway without it.
 *  3. Grants consumed + audited per second (PostgreSQL when BENCH_DATABASE_URL/TEST_DATABASE_URL is set).
 * Everything runs in this process against real HTTP servers on loopback; timings are wall-clock.
 */
import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { createFetchSigner, DEFAULT_SUBGRAPH_TIMEOUT_MS, fetchSubgraph, issueToken, type SubgraphFetchSettings } from '../gateway/index.js';
import { SignedContextDataSource } from '../gateway/data-source.js';
import type { GatewayRequestContext } from '../gateway/request-context.js';
import { consumeGrantUse, issueGrant } from '../consent/index.js';
import { benchmarkFieldCrypto } from '../gateway/keyring/bench.js';
import { commitUse } from '../gateway/stages/consume-grant.js';
import type { Actor, GatewayContextClaims } from '../schema/context.js';
import { DATA_CATEGORIES } from '../schema/classification.js';
import { loadSupergraphSdl } from '../schema/supergraph.js';
import { demoActors } from '../seed/index.js';
import { openDatabase, migrateAll, serveApollo, type DatabaseHandle } from '../subgraphs/runtime/index.js';
import { loadConfig } from '../scripts/config.js';
import { startPlatform } from '../scripts/platform.js';
import { RESIDENT_FIELDS } from './resident-record.js';

interface Measurement {
  name: string;
  requests: number;
  p50: number;
  p99: number;
  mean: number;
  rps: number;
}

const ITERATIONS = Number(process.env['BENCH_ITERATIONS'] ?? 300);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 8);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `once` sequentially for latency, then with CONCURRENCY workers for throughput. */
async function measure(name: string, once: () => Promise<void>, iterations = ITERATIONS): Promise<Measurement> {
  for (let i = 0; i < 20; i += 1) await once(); // warm-up: plans cached, connections open
  const latencies: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const start = performance.now();
    await once();
    latencies.push(performance.now() - start);
  }
  latencies.sort((a, b) => a - b);
  let remaining = iterations;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (remaining > 0) {
        remaining -= 1;
        await once();
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    name,
    requests: iterations,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    rps: iterations / elapsed,
  };
}

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (json.errors) throw new Error(`benchmark query failed: ${JSON.stringify(json.errors).slice(0, 300)}`);
  return json.data ?? {};
}


const CLINICIAN_QUERY = `query Clinician($id: ID!) { resident(id: $id) { id name sex birthDate idCardNumber phone
  encounters(first: 10) { id encounterClass department startedAt institution { name } diagnoses { code display } }
  labReports(first: 10) { panelName items { name value unit abnormalFlag } } } }`;

function table(rows: Measurement[]): string {
  const lines = ['| scenario | requests | p50 ms | p99 ms | mean ms | req/s |', '|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.name} | ${r.requests} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.mean.toFixed(2)} | ${r.rps.toFixed(0)} |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'healthmesh-bench-'));
  const zeroPorts = Object.fromEntries(['POPULATION', 'RESOURCES', 'CLINICAL', 'RESULTS', 'ARCHIVE', 'IMMUNIZATION', 'CONSENT'].map((n) => [`HEALTHMESH_${n}_PORT`, '0']));
  // The request log would interleave with the report on standard output: off unless asked for.
  const logLevel = process.env['HEALTHMESH_LOG_LEVEL'] ?? 'silent';
  const config = loadConfig({ HEALTHMESH_DATA_DIR: dataDir, PORT: '0', HEALTHMESH_RESIDENTS: process.env['BENCH_RESIDENTS'] ?? '300', HEALTHMESH_LOG_LEVEL: logLevel, ...zeroPorts });
  const stageTotals = new Map<string, number>();
  let timingEnabled = false;
  const platform = await startPlatform(config, {
    log: (line) => process.stderr.write(`${line}\n`),
    onStageTiming: (stage, ms) => {
      if (timingEnabled) stageTotals.set(stage, (stageTotals.get(stage) ?? 0) + ms);
    },
  });
  const sections: string[] = [];
  try {
    const actors = demoActors(config.seed);
    const byName = (name: string) => actors.find((a) => a.actor === name)!;
    const asActor = (name: string): Actor => {
      const demo = byName(name);
      return { sub: demo.actor, role: demo.role, ...(demo.residentId ? { residentId: demo.residentId } : {}), ...(demo.institutionId ? { institutionId: demo.institutionId } : {}), ...(demo.practitionerId ? { practitionerId: demo.practitionerId } : {}) };
    };
    const resident = asActor('resident-multi');
    const residentToken = await issueToken(platform.issuerKey, resident);
    const clinicianToken = await issueToken(platform.issuerKey, asActor('clinician-a'));
    const fetchSettings: SubgraphFetchSettings = { signFetch: createFetchSigner(platform.contextKey.privateKey, platform.contextKey.kid), timeoutMs: DEFAULT_SUBGRAPH_TIMEOUT_MS };
    const everything = Object.fromEntries(DATA_CATEGORIES.map((c) => [c, { maxLevel: 5 as const }]));
    const selfClaims: GatewayContextClaims = { requestId: 'bench', actor: resident, purpose: 'PATRQT', scope: { residents: { [resident.residentId!]: everything } } };
    const url = (name: string) => platform.subgraphs.find((s) => s.name === name)!.url;

    // 1. Straight to each subgraph, one after another (what a client would do without federation).
    const entities = (fields: string) => `query($r: [_Any!]!) { _entities(representations: $r) { ... on Resident { ${fields} } } }`;
    const representation = { r: [{ __typename: 'Resident', id: resident.residentId }] };
    const direct = async () => {
      const claims = { ...selfClaims, requestId: `bench-${Math.random()}` };
      // Signed per fetch, as the gateway does.
      const signedPost = async (name: string, body: unknown) => {
        const response = await fetchSubgraph(url(name), { subgraph: name, body: JSON.stringify(body), claims }, fetchSettings);
        const json = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
        if (json.errors) throw new Error(`benchmark query failed: ${JSON.stringify(json.errors).slice(0, 300)}`);
        return json.data ?? {};
      };
      await signedPost('population', { query: `query($id: ID!) { resident(id: $id) { id name sex birthDate idCardNumber district { code name } } }`, variables: { id: resident.residentId } });
      const clinical = await signedPost('clinical', { query: entities('encounters(first: 10) { id encounterClass department startedAt institution { id } diagnoses { code codeSystem display } }'), variables: representation });
      const results = await signedPost('results', { query: entities('labReports(first: 10) { panelName collectedAt institution { id } items { name value unit abnormalFlag } } imagingReports(first: 5) { modality bodyPart impression institution { id } }'), variables: representation });
      await signedPost('archive', { query: entities('healthArchive { archiveNumber chronicConditions { code display } }'), variables: representation });
      const immunization = await signedPost('immunization', { query: entities('immunizations(first: 10) { vaccineName doseNumber administeredOn institution { id } }'), variables: representation });
      const institutionIds = new Set<string>();
      JSON.stringify([clinical, results, immunization], (key, value: unknown) => {
        if (key === 'institution' && value && typeof value === 'object' && 'id' in value) institutionIds.add(String((value as { id: string }).id));
        return value;
      });
      await signedPost('resources', { query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Institution { id name grade } } }', variables: { r: [...institutionIds].map((id) => ({ __typename: 'Institution', id })) } });
    };
    const throughGateway = () => post(platform.gateway.url, { query: `{ myArchive { ${RESIDENT_FIELDS} } }` }, { authorization: `Bearer ${residentToken}` }).then(() => undefined);
    const federated = [await measure('resident record: six subgraphs called one by one (direct, signed context)', direct), await measure('resident record: one federated query through the gateway (full pipeline + audit)', throughGateway)];
    sections.push(`## Federated resident query\n\n${table(federated)}\n\nGateway / direct p50 ratio: ${(federated[1]!.p50 / federated[0]!.p50).toFixed(2)}`);

    // 2. Clinician query: full enforcement pipeline vs a plain gateway that only forwards a fixed signed context.
    const clinicianId = byName('resident-multi').residentId!;
    const plain = await startPlainGateway(platform.subgraphs.map((s) => ({ name: s.name, url: s.url })), fetchSettings, () => ({
      requestId: `plain-${Math.random()}`,
      actor: asActor('clinician-a'),
      purpose: 'TREAT',
      scope: { residents: { [clinicianId]: everything } },
    }));
    try {
      const headers = { authorization: `Bearer ${clinicianToken}`, 'x-purpose-of-use': 'TREAT' };
      const enforced = await measure('clinician query through the enforcement pipeline (decide, filter, mask, audit)', () => post(platform.gateway.url, { query: CLINICIAN_QUERY, variables: { id: clinicianId } }, headers).then(() => undefined).catch(() => undefined));
      const bare = await measure('same query through a plain gateway (no enforcement, no audit)', () => post(plain.url, { query: CLINICIAN_QUERY, variables: { id: clinicianId } }, {}).then(() => undefined));
      sections.push(`## Enforcement pipeline overhead\n\n${table([enforced, bare])}\n\nEnforced / plain p50 ratio: ${(enforced.p50 / bare.p50).toFixed(2)}`);
    } finally {
      await plain.stop();
    }

    // 3. A clinician response of about 100 records (10 residents × (1 + 10 encounters)) with 4 encrypted
    //    identity fields each and an encrypted chief complaint per encounter, under break-glass so all
    //    are released in clear: the share of the request spent decrypting and masking.
    const subjects = Array.from({ length: 10 }, (_, i) => `res-${String(i + 4).padStart(6, '0')}`);
    const wide = `query Wide { ${subjects.map((id, i) => `r${i}: resident(id: "${id}") { id name idCardNumber phone address encounters(first: 10) { id department chiefComplaint } }`).join(' ')} }`;
    const glass = { authorization: `Bearer ${await issueToken(platform.issuerKey, asActor('clinician-b'))}`, 'x-purpose-of-use': 'ETREAT', 'x-break-glass-reason': 'bench' };
    const sample = await post(platform.gateway.url, { query: wide }, glass);
    const records = JSON.stringify(sample).split('"id":').length - 1;
    const wideRun = await measure(`clinician response of ${records} records, break-glass (all identity decrypted)`, () => post(platform.gateway.url, { query: wide }, glass).then(() => undefined), 100);
    // Stage shares from a separate sequential run, so queueing under concurrency does not distort them.
    stageTotals.clear();
    timingEnabled = true;
    const shareRuns = 50;
    const shareStarted = performance.now();
    for (let i = 0; i < shareRuns; i += 1) await post(platform.gateway.url, { query: wide }, glass);
    const shareMean = (performance.now() - shareStarted) / shareRuns;
    timingEnabled = false;
    const perRequest = (stage: string) => (stageTotals.get(stage) ?? 0) / shareRuns;
    const decryptShare = perRequest('decrypt-and-mask') / shareMean;
    const crypto = await benchmarkFieldCrypto();
    sections.push(
      `## Field encryption\n\n| measure | value |\n|---|---:|\n` +
        `| field encrypt (AES-256-GCM, AAD resident+field, self-describing) | ${crypto.fieldEncryptPerSec.toFixed(0)} /s |\n` +
        `| field decrypt | ${crypto.fieldDecryptPerSec.toFixed(0)} /s |\n` +
        `| raw native AES-256-GCM encrypt, same size | ${crypto.rawAesGcmPerSec.toFixed(0)} /s |\n` +
        `| raw / field encrypt ratio | ${crypto.ratio.toFixed(2)} |\n` +
        `| decrypt with the data-key cache (prepare + decrypt) | ${crypto.withCacheDecryptPerSec.toFixed(0)} /s |\n` +
        `| decrypt without the cache (unwrap every time) | ${crypto.withoutCacheDecryptPerSec.toFixed(0)} /s |\n\n` +
        `${table([wideRun])}\n\nPer request (${shareRuns} sequential): ${perRequest('decrypt-and-mask').toFixed(2)} ms decrypting and masking (${(decryptShare * 100).toFixed(1)}% of ${shareMean.toFixed(2)} ms), ` +
        `${perRequest('execute').toFixed(2)} ms planning and fetching, ${perRequest('audit').toFixed(2)} ms consuming and auditing.`,
    );
  } finally {
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  // 3. Grants consumed + audited per second.
  sections.push(await grantThroughput());

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync('bench/results', { recursive: true });
  const report = `# healthmesh benchmark, ${new Date().toISOString()}\n\nNode ${process.version}; ${ITERATIONS} requests per scenario (sequential for latency), then ${CONCURRENCY} concurrent workers for req/s.\n\n${sections.join('\n\n')}\n`;
  writeFileSync(join('bench/results', `${stamp}.md`), report);
  writeFileSync(join('bench/results', 'latest.md'), report);
  process.stdout.write(report);
}

async function startPlainGateway(subgraphs: Array<{ name: string; url: string }>, settings: SubgraphFetchSettings, claims: () => GatewayContextClaims) {
  const urls = Object.fromEntries(subgraphs.map((s) => [s.name, s.url]));
  const gateway = new ApolloGateway({ supergraphSdl: loadSupergraphSdl(), buildService: ({ name, url }) => new SignedContextDataSource({ subgraph: name, url: urls[name] ?? url ?? '', ...settings }) });
  const apollo = new ApolloServer<GatewayRequestContext>({ gateway, stopOnTerminationSignals: false });
  return serveApollo(apollo, { port: 0, context: async () => ({ requestId: 'plain', actor: null, contextClaims: claims() }) });
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
