/**
 * Every command of package.json `scripts`, run as a built child process: `--help`/`-h` print the usage
 * and exit 0 without touching anything; a bad option, argument or configuration value exits non-zero
 * with one line on stderr. Needs the build (`npm test` builds first).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

const parent = mkdtempSync(join(tmpdir(), 'healthmesh-cli-conventions-'));
/** A data directory that must never come into existence. */
const dataDir = join(parent, 'data');
afterAll(() => rmSync(parent, { recursive: true, force: true }));

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const { DATABASE_URL: _ignored, ...rest } = process.env;
  void _ignored;
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env: { ...rest, HEALTHMESH_DATA_DIR: dataDir, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** One line, no stack trace. */
function expectOneLine(stderr: string): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).not.toMatch(/^\s+at |Error:/);
}

const COMMANDS: Array<[string, string]> = [
  ['start', 'dist/scripts/start.js'],
  ['serve', 'dist/scripts/serve.js'],
  ['token', 'dist/scripts/token.js'],
  ['keys', 'dist/scripts/keys.js'],
  ['audit:verify', 'dist/scripts/audit-verify.js'],
  ['import', 'dist/scripts/import.js'],
  ['seed', 'dist/scripts/seed.js'],
  ['compose', 'dist/scripts/compose.js'],
  ['bench', 'dist/bench/run.js'],
];

describe('every command line', () => {
  it('lists each package.json script it covers', async () => {
    const scripts = (await import('../package.json', { with: { type: 'json' } })).default.scripts as Record<string, string>;
    expect(COMMANDS.length).toBe(9);
    for (const [name, file] of COMMANDS) expect(scripts[name], name).toContain(file);
  });

  it.each(COMMANDS)('%s answers --help and -h with its usage, exit 0, and creates no data directory', async (_name, script) => {
    for (const flag of ['--help', '-h']) {
      const outcome = await run(script, [flag]);
      expect(outcome.code, `${script} ${flag}: ${outcome.stderr}`).toBe(0);
      expect(outcome.stdout).toMatch(/^usage: /);
      expect(outcome.stderr).toBe('');
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it.each(COMMANDS)('%s refuses an unknown option with one line and exit 2', async (_name, script) => {
    const outcome = await run(script, ['--no-such-option']);
    expect(outcome.code).toBe(2);
    expectOneLine(outcome.stderr);
    expect(outcome.stderr).toContain("Unknown option '--no-such-option'");
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses bad arguments with one line naming what is wrong', async () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['dist/scripts/serve.js', ['nonsense'], /unknown service "nonsense"/],
      ['dist/scripts/serve.js', [], /missing argument/],
      ['dist/scripts/keys.js', ['launch'], /unknown command "launch"/],
      ['dist/scripts/keys.js', ['shred'], /shred needs an argument/],
      ['dist/scripts/keys.js', ['rotate', 'now'], /rotate takes no argument/],
      ['dist/scripts/token.js', ['nobody'], /unknown actor "nobody"/],
      ['dist/scripts/token.js', ['list', 'extra'], /unexpected argument "extra"/],
      ['dist/scripts/seed.js', ['--residents', 'lots'], /--residents must be a positive integer, got "lots"/],
      ['dist/scripts/seed.js', ['--as-of', '1999-01-01'], /--as-of must be/],
      ['dist/scripts/compose.js', ['extra'], /Unexpected argument 'extra'|unexpected argument/],
    ];
    expect(cases.length).toBeGreaterThan(0);
    for (const [script, args, message] of cases) {
      const outcome = await run(script, args);
      expect(outcome.code, `${script} ${args.join(' ')}`).toBe(2);
      expectOneLine(outcome.stderr);
      expect(outcome.stderr).toMatch(message);
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a bad configuration value with one line naming the variable', async () => {
    const cases: Array<[string, NodeJS.ProcessEnv, string]> = [
      ['dist/scripts/start.js', { HEALTHMESH_INTROSPECTION: 'maybe' }, 'HEALTHMESH_INTROSPECTION'],
      ['dist/scripts/start.js', { PORT: '80a' }, 'PORT'],
      ['dist/scripts/serve.js', { HEALTHMESH_SUBGRAPH_TIMEOUT_MS: '-5' }, 'HEALTHMESH_SUBGRAPH_TIMEOUT_MS'],
      ['dist/scripts/keys.js', { HEALTHMESH_LOG_LEVEL: 'loud' }, 'HEALTHMESH_LOG_LEVEL'],
      ['dist/scripts/audit-verify.js', { HEALTHMESH_ENFORCEMENT_MODE: 'strict' }, 'HEALTHMESH_ENFORCEMENT_MODE'],
      ['dist/scripts/seed.js', { HEALTHMESH_RESIDENTS: 'many' }, 'HEALTHMESH_RESIDENTS'],
      ['dist/scripts/token.js', { HEALTHMESH_CORS_ORIGINS: 'not an origin' }, 'HEALTHMESH_CORS_ORIGINS'],
    ];
    const args: Record<string, string[]> = { 'dist/scripts/serve.js': ['gateway'], 'dist/scripts/keys.js': ['ca'], 'dist/scripts/token.js': ['list'] };
    for (const [script, env, variable] of cases) {
      const outcome = await run(script, args[script] ?? [], env);
      expect(outcome.code, `${script} ${variable}`).toBe(2);
      expectOneLine(outcome.stderr);
      expect(outcome.stderr).toContain(variable);
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it('token without a started platform stops with one line and creates no issuer key', async () => {
    const outcome = await run('dist/scripts/token.js', ['clinician-a']);
    expect(outcome.code).toBe(1);
    expectOneLine(outcome.stderr);
    expect(outcome.stderr).toContain('start the platform first');
    expect(outcome.stdout).toBe('');
    expect(existsSync(dataDir)).toBe(false);
    const listed = await run('dist/scripts/token.js', ['list']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ actor: string }>).map((a) => a.actor)).toContain('clinician-a');
  });
});
