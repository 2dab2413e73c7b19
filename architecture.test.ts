import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOMAIN_SUBGRAPHS } from './subgraphs/index.js';
import { servedSubgraphs, throwawayAuditKeys } from './scripts/subgraphs.js';

const DOMAINS = ['population', 'resources', 'clinical', 'results', 'archive', 'immunization'];

function sourceFiles(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (path.endsWith('.ts')) files.push(path);
  }
  return files;
}

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/from\s+'(\.[^']+)'/g)].map((m) => join(file, '..', m[1]!));
}

describe('the layout of DESIGN §2', () => {
  it('has every top-level part and a migrations folder per domain', () => {
    for (const path of ['schema', 'subgraphs/runtime', 'consent', 'gateway', 'migrations', 'package.json', 'tsconfig.json', 'docker-compose.yml', 'README.md', 'ARCHITECTURE.md', '.ci/run']) {
      expect(existsSync(path), path).toBe(true);
    }
    for (const domain of DOMAINS) {
      expect(existsSync(join('subgraphs', domain, 'index.ts')), domain).toBe(true);
      expect(existsSync(join('migrations', domain, 'meta', '_journal.json')), domain).toBe(true);
    }
    expect(DOMAIN_SUBGRAPHS.map((s) => s.name)).toEqual(DOMAINS);
  });

  it('never lets a subgraph import another subgraph', () => {
    const violations: string[] = [];
    for (const domain of DOMAINS) {
      for (const file of sourceFiles(join('subgraphs', domain))) {
        for (const target of imports(file)) {
          const path = relative('subgraphs', target);
          const other = DOMAINS.find((d) => d !== domain && path.startsWith(`${d}/`));
          if (other) violations.push(`${file} → ${target}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('never lets the gateway or consent import a domain subgraph', () => {
    const violations: string[] = [];
    for (const file of [...sourceFiles('gateway'), ...(existsSync('consent') ? sourceFiles('consent') : [])]) {
      for (const target of imports(file)) {
        const path = relative('subgraphs', target);
        if (DOMAINS.some((d) => path.startsWith(`${d}/`) || path === d)) violations.push(`${file} → ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('runs every subgraph as a docker-compose service, and nothing else as one', () => {
    const compose = readFileSync('docker-compose.yml', 'utf8');
    const servicesBlock = compose.slice(compose.indexOf('\nservices:'), compose.indexOf('\nvolumes:'));
    const services = [...servicesBlock.matchAll(/^ {2}([a-z][a-z0-9-]*):\s*$/gm)].map((m) => m[1]!);
    const subgraphServices = services.filter((s) => !['postgres', 'gateway', 'keys', 'migrate'].includes(s));
    expect(subgraphServices.sort()).toEqual(servedSubgraphs(new Uint8Array(32), throwawayAuditKeys()).map((s) => s.name).sort());
    expect(services).toContain('gateway');
    expect(services).toContain('postgres');
  });
});
