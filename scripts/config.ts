/** Platform configuration from the environment (every variable is optional; see README's table). */
import { resolve } from 'node:path';
import { z } from 'zod';
import { CONSENT_PORT } from './subgraphs.js';
import { DOMAIN_SUBGRAPHS } from '../subgraphs/index.js';
import { DEFAULT_SECURITY_LOG_MAX_EVENTS } from '../gateway/security-log/security-log.js';
import { DEFAULT_SUBGRAPH_TIMEOUT_MS } from '../gateway/subgraph-fetch.js';
import { DEFAULT_REPLAY_CACHE_SIZE } from '../subgraphs/runtime/replay-cache.js';
import { CONTEXT_TTL_SECONDS } from '../schema/context.js';
import { LOG_LEVELS, type LogLevel } from '../subgraphs/runtime/logging.js';

export interface PlatformConfig {
  /** Embedded database, keys and demo state live here. */
  dataDir: string;
  /** Separate services: where the keys service publishes, and subgraphs read, the public keys only. */
  publicKeysDir?: string;
  /** Separate services: the consent service's keys (grant-token secret, audit signing key) and nothing else. */
  consentKeysDir?: string;
  /** A postgres:// URL; absent means embedded PGlite under dataDir. */
  databaseUrl?: string;
  gatewayHost: string;
  gatewayPort: number;
  subgraphHost: string;
  /** Subgraph name → port when this process runs it. */
  subgraphPorts: Record<string, number>;
  /** Subgraph name → URL the gateway calls (set when subgraphs run elsewhere). */
  subgraphUrls: Record<string, string>;
  seed: string;
  residents: number;
  introspection: boolean;
  /** `filter` nulls denied fields with an error each; `reject` refuses the whole operation. */
  enforcementMode: 'filter' | 'reject';
  /** Milliseconds one gateway → subgraph fetch may take; then that part of the answer is an error. */
  subgraphTimeoutMs: number;
  /** Signed-context ids each subgraph remembers to refuse replays (one context lifetime of fetches). */
  replayCacheSize: number;
  /** Issuer, audience and JWKS URL of the identity provider; absent JWKS means the local issuer. */
  jwtIssuer?: string;
  jwtAudience?: string;
  jwksUrl?: string;
  /** The portal's OpenID Connect sign-in (authorisation code + PKCE): issuer URL and the portal's client id. */
  oidcIssuer?: string;
  oidcClientId?: string;
  /** The most refused probes the security log keeps (oldest overwritten). */
  securityLogMaxEvents: number;
  /** Request and error logging (pino levels; `silent` turns it off). */
  logLevel: LogLevel;
  /** Browser origins allowed to call the HTTP services cross-origin (none by default). */
  corsOrigins: string[];
  /** OpenTelemetry tracing from the standard OTEL_* variables; absent means tracing is off. */
  tracing?: TracingConfig;
  /** The gateway's address as clients reach it (the CRL distribution point of issued certificates). */
  publicUrl: string;
  /** Gateway processes behind the one port (node:cluster); above 1 only on PostgreSQL. */
  gateways: number;
}

/** Where traces are exported (OTLP/HTTP with JSON) and the service name they carry, when set. */
export interface TracingConfig {
  tracesUrl: string;
  serviceName?: string;
}

/** A configuration variable with a value it cannot take; the message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };

const boolean = z
  .string()
  .transform((raw, context) => {
    const value = BOOLEANS[raw.trim().toLowerCase()];
    if (value === undefined) {
      context.addIssue({ code: 'custom', message: 'must be true, false, 1, 0, yes or no' });
      return z.NEVER;
    }
    return value;
  });

function integer(min = 0, max = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
  return z
    .string()
    .regex(/^\s*\d+\s*$/, 'must be a non-negative integer')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be ${range}`).max(max, `must be ${range}`));
}

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const originList = z.string().transform((raw, context) => {
  const origins = raw.split(',').map((o) => o.trim()).filter((o) => o.length > 0);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin) {
      context.addIssue({ code: 'custom', message: `must be comma-separated origins like https://app.example.org ("${origin}" is not one)` });
      return z.NEVER;
    }
  }
  return origins;
});

/** Reads one variable through `schema`; an empty value counts as unset. */
function read<T>(env: NodeJS.ProcessEnv, name: string, schema: z.ZodType<T, string>, fallback: T): T;
function read<T>(env: NodeJS.ProcessEnv, name: string, schema: z.ZodType<T, string>): T | undefined;
function read<T>(env: NodeJS.ProcessEnv, name: string, schema: z.ZodType<T, string>, fallback?: T): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(`${name} ${parsed.error.issues[0]?.message ?? 'is not valid'}, got "${raw}"`);
}

/** Gateway processes at most: each holds its own pool of database connections. */
const MAX_GATEWAYS = 32;

/** Every subgraph the platform runs, with its port's default. */
const PLATFORM_SUBGRAPHS = [...DOMAIN_SUBGRAPHS, { name: 'consent', defaultPort: CONSENT_PORT }] as const;

/** `HEALTHMESH_<SUBGRAPH>_PORT=0` for every subgraph: a platform that takes free ports (tests, benchmarks). */
export function anyFreeSubgraphPorts(): Record<string, string> {
  return Object.fromEntries(PLATFORM_SUBGRAPHS.map((subgraph) => [`HEALTHMESH_${subgraph.name.toUpperCase()}_PORT`, '0']));
}

/**
 * Tracing is on when an OTLP endpoint is configured the standard way (the SDK's own variables, as
 * operators expect): `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (`/v1/traces` appended), unless `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. The exporter
 * speaks OTLP/HTTP with JSON only, so another protocol is refused rather than ignored.
 */
function tracingConfig(env: NodeJS.ProcessEnv): TracingConfig | undefined {
  const disabled = read(env, 'OTEL_SDK_DISABLED', boolean, false);
  const exporter = read(env, 'OTEL_TRACES_EXPORTER', z.enum(['otlp', 'none'], 'must be otlp or none (the only exporter here is OTLP/HTTP)'), 'otlp');
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) read(env, name, z.enum(['http/json'], 'must be http/json (the exporter sends OTLP/HTTP with JSON)'));
  const tracesEndpoint = read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', url);
  const baseEndpoint = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', url);
  const serviceName = read(env, 'OTEL_SERVICE_NAME', z.string());
  const tracesUrl = tracesEndpoint ?? (baseEndpoint === undefined ? undefined : `${baseEndpoint.replace(/\/+$/, '')}/v1/traces`);
  if (disabled || exporter === 'none' || tracesUrl === undefined) return undefined;
  return { tracesUrl, ...(serviceName === undefined ? {} : { serviceName }) };
}

/** The configuration from `env`; throws a `ConfigError` naming the first variable with a bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  const subgraphPorts: Record<string, number> = {};
  const subgraphUrls: Record<string, string> = {};
  for (const subgraph of PLATFORM_SUBGRAPHS) {
    const key = subgraph.name.toUpperCase();
    subgraphPorts[subgraph.name] = read(env, `HEALTHMESH_${key}_PORT`, integer(0, 65_535), subgraph.defaultPort);
    const subgraphUrl = read(env, `HEALTHMESH_${key}_URL`, url);
    if (subgraphUrl) subgraphUrls[subgraph.name] = subgraphUrl;
  }
  const text = z.string();
  const optional = {
    publicKeysDir: read(env, 'HEALTHMESH_PUBLIC_KEYS_DIR', text.transform((d) => resolve(d))),
    consentKeysDir: read(env, 'HEALTHMESH_CONSENT_KEYS_DIR', text.transform((d) => resolve(d))),
    databaseUrl: read(env, 'DATABASE_URL', z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')),
    jwtIssuer: read(env, 'HEALTHMESH_JWT_ISSUER', text),
    jwtAudience: read(env, 'HEALTHMESH_JWT_AUDIENCE', text),
    jwksUrl: read(env, 'HEALTHMESH_JWKS_URL', url),
    tracing: tracingConfig(env),
    oidcIssuer: read(env, 'HEALTHMESH_OIDC_ISSUER', url.transform((issuer) => issuer.replace(/\/$/, ''))),
    oidcClientId: read(env, 'HEALTHMESH_OIDC_CLIENT_ID', text),
  };
  const config: PlatformConfig = {
    dataDir: resolve(env['HEALTHMESH_DATA_DIR'] || '.data'),
    gatewayHost: read(env, 'HEALTHMESH_HOST', text, '127.0.0.1'),
    gatewayPort: read(env, 'PORT', integer(0, 65_535), 4000),
    subgraphHost: read(env, 'HEALTHMESH_SUBGRAPH_HOST', text, '127.0.0.1'),
    subgraphPorts,
    subgraphUrls,
    seed: read(env, 'HEALTHMESH_SEED', text, 'healthmesh'),
    residents: read(env, 'HEALTHMESH_RESIDENTS', integer(), 2000),
    introspection: read(env, 'HEALTHMESH_INTROSPECTION', boolean, false),
    enforcementMode: read(env, 'HEALTHMESH_ENFORCEMENT_MODE', z.enum(['filter', 'reject'], 'must be filter or reject'), 'filter'),
    securityLogMaxEvents: read(env, 'HEALTHMESH_SECURITY_LOG_MAX_EVENTS', integer(1), DEFAULT_SECURITY_LOG_MAX_EVENTS),
    // A fetch's signed context must outlive the fetch, or a slow answer would be refused by its subgraph.
    subgraphTimeoutMs: read(env, 'HEALTHMESH_SUBGRAPH_TIMEOUT_MS', integer(1, CONTEXT_TTL_SECONDS * 1000), DEFAULT_SUBGRAPH_TIMEOUT_MS),
    replayCacheSize: read(env, 'HEALTHMESH_REPLAY_CACHE_SIZE', integer(1), DEFAULT_REPLAY_CACHE_SIZE),
    logLevel: read(env, 'HEALTHMESH_LOG_LEVEL', z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`), 'info'),
    corsOrigins: read(env, 'HEALTHMESH_CORS_ORIGINS', originList, []),
    publicUrl: '',
    gateways: read(env, 'HEALTHMESH_GATEWAYS', integer(1, MAX_GATEWAYS), 1),
  };
  config.publicUrl = read(env, 'HEALTHMESH_PUBLIC_URL', url, `http://localhost:${config.gatewayPort}`).replace(/\/+$/, '');
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(config, { [key]: value });
  if ((config.oidcIssuer === undefined) !== (config.oidcClientId === undefined)) throw new Error('HEALTHMESH_OIDC_ISSUER and HEALTHMESH_OIDC_CLIENT_ID go together');
  // The embedded PGlite is one process's own (a second one on its directory is refused): one gateway.
  if (config.gateways > 1 && !config.databaseUrl) throw new ConfigError(`HEALTHMESH_GATEWAYS=${config.gateways} needs DATABASE_URL (PostgreSQL): the embedded PGlite serves one process, so it runs one gateway`);
  return config;
}
