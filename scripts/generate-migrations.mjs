// Generates SQL migrations for every module with drizzle-kit (offline), one folder per module.
// Run after changing a module's tables.ts; migrations are only ever added, never regenerated from zero.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const modules = ['population', 'resources', 'clinical', 'results', 'archive', 'immunization', 'research', 'consent', 'keyring', 'security'];
/** Modules whose tables live outside `subgraphs/<module>/tables.ts`. */
const tablesOf = { consent: 'consent/tables.ts', keyring: 'gateway/keyring/tables.ts', security: 'gateway/security-log/tables.ts' };
for (const module of modules) {
  const tables = tablesOf[module] ?? `subgraphs/${module}/tables.ts`;
  if (!existsSync(tables)) continue;
  execFileSync(
    'npx',
    ['drizzle-kit', 'generate', '--dialect=postgresql', `--schema=./${tables}`, `--out=./migrations/${module}`, `--name=${process.argv[2] ?? 'change'}`],
    { stdio: 'inherit' },
  );
}
