import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOMAIN_SUBGRAPHS } from './subgraphs/index.js';
import { servedSubgraphs, throwawayAuditKeys } from './scripts/subgraphs.js';

const DOMAINS = ['population', 'resources', 'clinical', 'results', 'archive', 'immunization', 'research'];

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

  it('lets a subgraph import only the policy module (consent/policy.ts) from consent/, and the policy import only schema/', () => {
    const violations: string[] = [];
    const subgraphFiles = ['runtime', ...DOMAINS].flatMap((part) => sourceFiles(join('subgraphs', part)));
    expect(subgraphFiles.length).toBeGreaterThan(0);
    for (const file of subgraphFiles) {
      for (const target of imports(file)) {
        const path = relative('.', target);
        if (path.startsWith('consent/') && path !== 'consent/policy.js') violations.push(`${file} → ${path}`);
      }
    }
    const policyFiles = ['consent/policy.ts', ...sourceFiles('consent/policy')].filter((file) => !file.endsWith('.test.ts'));
    expect(policyFiles.length).toBeGreaterThan(1);
    for (const file of policyFiles) {
      for (const target of imports(file)) {
        const path = relative('.', target);
        if (!path.startsWith('schema/') && !path.startsWith('consent/policy/')) violations.push(`${file} → ${path}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('lets the portal import only schema/, the shared HTTP edge and itself: it is a client of the API', () => {
    const files = sourceFiles('portal').filter((file) => !file.endsWith('.test.ts') && !file.startsWith(join('portal', 'web') + '/'));
    expect(files.length).toBeGreaterThan(3);
    const violations: string[] = [];
    for (const file of files) {
      for (const target of imports(file)) {
        const path = relative('.', target);
        if (!path.startsWith('schema/') && !path.startsWith('portal/') && path !== 'subgraphs/runtime/http.js') violations.push(`${file} → ${path}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('compares role names only in the policy module (consent/policy*.ts): everything else asks the policy', () => {
    const ROLE_LITERAL = /'(clinician|steward|auditor|researcher|hospital_system)'/;
    const ROLE_COMPARISON = /\b\w*[rR]ole\s*[!=]==?|[!=]==?\s*[\w?.]*\.role\b|case\s+'resident'|includes\(\s*[\w?.]*\.role\s*\)/;
    const files = ['consent', 'subgraphs', 'gateway']
      .flatMap((directory) => sourceFiles(directory))
      .filter((file) => !file.endsWith('.test.ts') && file !== join('consent', 'policy.ts') && !file.startsWith(join('consent', 'policy') + '/'));
    expect(files.length).toBeGreaterThan(50);
    const violations: string[] = [];
    for (const file of files) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (ROLE_LITERAL.test(line) || ROLE_COMPARISON.test(line)) violations.push(`${file}:${index + 1}: ${line.trim()}`);
        });
    }
    expect(violations).toEqual([]);
    // The patterns catch what they are for.
    expect(["actor?.role !== 'clinician'", "if (row.actorRole === 'x')", "case 'resident':", "ROLES.includes(actor.role)"].every((line) => ROLE_LITERAL.test(line) || ROLE_COMPARISON.test(line))).toBe(true);
  });
});
