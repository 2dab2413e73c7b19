/**
 * The command-line conventions every command shares: `--help`/`-h` prints the usage and exits 0 before
 * anything is opened; a bad option, argument or configuration value ends the command with one line on
 * stderr and exit code 2.
 */
import { basename } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type PlatformConfig } from './config.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** A mistake on the command line the user can fix; reported as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const program = basename(process.argv[1] ?? 'healthmesh', '.js');

/** Writes `<program>: <message>` (one line) to stderr and exits with `code`. */
export function exitWith(message: string, code = 2): never {
  process.stderr.write(`${program}: ${message.split('\n')[0]}\n`);
  process.exit(code);
}

export interface CommandLineSpec<Options extends OptionsConfig> {
  /** Printed for --help; its first line is the synopsis. */
  usage: string;
  options?: Options;
  /** How many positional arguments the command takes (fewer or more is a usage error). */
  positionals?: { min: number; max: number };
  argv?: string[];
}

/** Parses the command line with node:util parseArgs; handles --help and usage errors itself. */
export function parseCommandLine<const Options extends OptionsConfig>(spec: CommandLineSpec<Options>) {
  const { min, max } = spec.positionals ?? { min: 0, max: 0 };
  const args = spec.argv ?? process.argv.slice(2);
  // Help first, so a bad option next to --help still shows the usage.
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(spec.usage.endsWith('\n') ? spec.usage : `${spec.usage}\n`);
    process.exit(0);
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options: spec.options ?? ({} as Options), allowPositionals: max > 0, strict: true });
  } catch (error) {
    // parseArgs appends a hint about `--` that only confuses a typo.
    exitWith(`${(error as Error).message.split('. To specify')[0]} (see --help)`);
  }
  const count = parsed.positionals.length;
  if (count < min) exitWith(`missing argument; usage: ${spec.usage.split('\n')[0]!.replace(/^usage:\s*/, '')}`);
  if (count > max) exitWith(`unexpected argument "${parsed.positionals[max]}" (see --help)`);
  return parsed;
}

/** The platform configuration, or one line naming the bad variable and exit code 2. */
export function configOrExit(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) exitWith(error.message);
    throw error;
  }
}

/** A positive integer option value, or a usage error naming the option. */
export function positiveInteger(option: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) exitWith(`${option} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

/** Environment-variable help shared by the commands that read the platform configuration. */
export const CONFIG_HELP = `Configuration comes from environment variables (README, "Configuration"): HEALTHMESH_DATA_DIR
(default ./.data), DATABASE_URL (PostgreSQL instead of the embedded PGlite), PORT, HEALTHMESH_LOG_LEVEL, ...`;
