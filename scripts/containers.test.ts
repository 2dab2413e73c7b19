/**
 * The container image and docker-compose.yml as an operator uses them (no Docker engine here, so the
 * files are checked as data, Compose validates the file offline, and the services' key handling is run
 * as the processes the image starts):
 * the image builds from a clean checkout, and every service holds only the keys its role needs.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readPublishedKey } from '../gateway/index.js';

const run = promisify(execFile);

interface ComposeService {
  command?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const DOMAIN_SUBGRAPHS = ['population', 'resources', 'clinical', 'results', 'archive', 'immunization', 'research'];

describe('the container image', () => {
  const lines = readFileSync('Dockerfile', 'utf8').split('\n').map((line) => line.trim());
  const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));

  it('installs dependencies without lifecycle scripts before the sources are copied, then builds', () => {
    const install = at(/^RUN npm ci --ignore-scripts\b/);
    const sources = at(/^COPY \. \.$/);
    // The whole build (tsc and the portal's vite build), so the image serves the portal too.
    const build = at(/^RUN npm run build\b/);
    expect(install).toBeGreaterThan(0);
    expect(at(/^COPY package\.json package-lock\.json/)).toBeLessThan(install);
    expect(sources).toBeGreaterThan(install);
    expect(build).toBeGreaterThan(sources);
  });

  it('is multi-stage on Node 22 and runs as an unprivileged user', () => {
    const stages = lines.filter((line) => line.startsWith('FROM '));
    expect(stages).toEqual(['FROM node:22-bookworm-slim AS build', 'FROM node:22-bookworm-slim']);
    const finalStage = at(/^FROM node:22-bookworm-slim$/);
    const user = at(/^USER node$/);
    expect(user).toBeGreaterThan(finalStage);
    expect(at(/^ENTRYPOINT /)).toBeGreaterThan(user);
  });
});

describe('docker-compose.yml', () => {
  const volumesOf = (name: string) => [...(compose.services[name]?.volumes ?? [])].sort();

  it('gives the gateway and its jobs the gateway keys, the consent service its own two, and a domain subgraph only the public keys', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['archive', 'clinical', 'consent', 'gateway', 'immunization', 'keys', 'migrate', 'population', 'postgres', 'research', 'resources', 'results']);
    expect(volumesOf('keys')).toEqual(['consent-keys:/consent-keys', 'gateway-keys:/data', 'public-keys:/keys']);
    expect(volumesOf('migrate')).toEqual(['gateway-keys:/data']);
    expect(volumesOf('gateway')).toEqual(['gateway-keys:/data']);
    expect(volumesOf('consent')).toEqual(['consent-keys:/consent-keys:ro', 'public-keys:/keys:ro']);
    for (const name of DOMAIN_SUBGRAPHS) {
      expect(volumesOf(name), name).toEqual(['public-keys:/keys:ro']);
      expect(compose.services[name]!.environment?.['HEALTHMESH_PUBLIC_KEYS_DIR'], name).toBe('/keys');
      expect(compose.services[name]!.environment?.['HEALTHMESH_DATA_DIR'], name).toBeUndefined();
    }
    expect(Object.keys(compose.volumes).sort()).toEqual(['consent-keys', 'gateway-keys', 'pgdata', 'public-keys']);
  });

  // Compose validates the file offline (no engine needed); .ci/run installs Debian's docker-compose.
  it.skipIf(!composeCommand())('is valid for Compose itself (`docker-compose config`), every service and volume resolved', async () => {
    const [command, ...args] = composeCommand()!;
    const { stdout } = await run(command!, [...args, '-f', 'docker-compose.yml', 'config'], { env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '' } });
    const resolved = parse(stdout) as { services: Record<string, unknown>; volumes: Record<string, unknown> };
    expect(Object.keys(resolved.services).sort()).toEqual(Object.keys(compose.services).sort());
    expect(Object.keys(resolved.volumes).sort()).toEqual(Object.keys(compose.volumes).sort());
  });
});

/** `docker-compose` (Compose v1, Debian's package) or `docker compose` (the v2 plugin), if this machine has one. */
function composeCommand(): string[] | undefined {
  for (const candidate of [['docker-compose'], ['docker', 'compose']]) {
    const probe = spawnSync(candidate[0]!, [...candidate.slice(1), 'version'], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

describe('the keys job and a subgraph service, as the image runs them', () => {
  const root = mkdtempSync(join(tmpdir(), 'healthmesh-containers-'));
  const [gatewayKeys, publicKeys, consentKeys, subgraphData] = ['gateway', 'public', 'consent', 'subgraph'].map((name) => join(root, name)) as [string, string, string, string];
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('publishes only public keys for the subgraphs and only the grant secret and audit key for the consent service', async () => {
    const env = { ...process.env, HEALTHMESH_DATA_DIR: gatewayKeys, HEALTHMESH_PUBLIC_KEYS_DIR: publicKeys, HEALTHMESH_CONSENT_KEYS_DIR: consentKeys, HEALTHMESH_LOG_LEVEL: 'silent' };
    await run(process.execPath, ['dist/scripts/serve.js', 'keys'], { env });
    expect(readdirSync(publicKeys).sort()).toEqual(['audit-signing.public.jwk.json', 'context-signing.public.jwk.json']);
    for (const file of readdirSync(publicKeys)) expect(JSON.parse(readFileSync(join(publicKeys, file), 'utf8')), file).not.toHaveProperty('d');
    expect(readdirSync(join(consentKeys, 'keys')).sort()).toEqual(['audit-signing.jwk.json', 'grant-token.secret']);
    // The gateway keeps the private keys (the key-encryption and blind-index keys join them on first use).
    expect(readdirSync(join(gatewayKeys, 'keys')).sort()).toEqual(expect.arrayContaining(['audit-signing.jwk.json', 'context-signing.jwk.json', 'grant-token.secret', 'identity-issuer.jwk.json']));
    const published = await readPublishedKey(publicKeys, 'context-signing');
    const own = JSON.parse(readFileSync(join(gatewayKeys, 'keys', 'context-signing.jwk.json'), 'utf8')) as { kid: string };
    expect(published.kid).toBe(own.kid);
  });

  it('refuses to read a private key as a published one', async () => {
    const tampered = join(root, 'tampered');
    await run(process.execPath, ['dist/scripts/serve.js', 'keys'], { env: { ...process.env, HEALTHMESH_DATA_DIR: join(root, 'other'), HEALTHMESH_PUBLIC_KEYS_DIR: tampered } });
    writeFileSync(join(tampered, 'context-signing.public.jwk.json'), readFileSync(join(root, 'other', 'keys', 'context-signing.jwk.json')));
    await expect(readPublishedKey(tampered, 'context-signing')).rejects.toThrow(/private key/);
  });

  it.runIf(process.env['TEST_DATABASE_URL'])('starts a domain subgraph from the public key alone, creating no key of its own', async () => {
    const env = { ...process.env, HEALTHMESH_DATA_DIR: subgraphData, HEALTHMESH_PUBLIC_KEYS_DIR: publicKeys, DATABASE_URL: process.env['TEST_DATABASE_URL'], HEALTHMESH_CLINICAL_PORT: '0', HEALTHMESH_LOG_LEVEL: 'silent' };
    const child = spawn(process.execPath, ['dist/scripts/serve.js', 'clinical'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening:\n${output}`)), 30_000);
      child.stdout.on('data', () => {
        const found = /listening on (http:\/\/\S+)/.exec(output)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    try {
      expect((await fetch(new URL('/health', url))).status).toBe(200);
      // Without a context signed by the gateway's key it answers nothing.
      expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).status).toBe(401);
      expect(existsSync(join(subgraphData, 'keys'))).toBe(false);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
