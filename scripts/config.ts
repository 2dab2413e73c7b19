/** Platform configuration from the environment (every variable is optional; see README's table). */
import { resolve } from 'node:path';
import { CONSENT_PORT } from './subgraphs.js';
import { DOMAIN_SUBGRAPHS } from '../subgraphs/index.js';
import { DEFAULT_SECURITY_LOG_MAX_EVENTS } from '../gateway/security-log/security-log.js';
import { DEFAULT_SUBGRAPH_TIMEOUT_MS } from '../gateway/subgraph-fetch.js';
import { DEFAULT_REPLAY_CACHE_SIZE } from '../subgraphs/runtime/replay-cache.js';
import { CONTEXT_TTL_SECONDS } from '../schema/context.js';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../subgraphs/runtime/logging.js';

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
}

function integer(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function bounded(name: string, fallback: number, min: number, max: number, env: NodeJS.ProcessEnv): number {
  const value = integer(name, fallback, env);
  if (value < min || value > max) throw new Error(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function logLevel(env: NodeJS.ProcessEnv): LogLevel {
  const raw = env['HEALTHMESH_LOG_LEVEL'];
  if (raw === undefined || raw === '') return 'info';
  if (!isLogLevel(raw)) throw new Error(`HEALTHMESH_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  const subgraphPorts: Record<string, number> = {};
  const subgraphUrls: Record<string, string> = {};
  for (const subgraph of [...DOMAIN_SUBGRAPHS, { name: 'consent', defaultPort: CONSENT_PORT }]) {
    const key = subgraph.name.toUpperCase();
    subgraphPorts[subgraph.name] = integer(`HEALTHMESH_${key}_PORT`, subgraph.defaultPort, env);
    const url = env[`HEALTHMESH_${key}_URL`];
    if (url) subgraphUrls[subgraph.name] = url;
  }
  const config: PlatformConfig = {
    dataDir: resolve(env['HEALTHMESH_DATA_DIR'] ?? '.data'),
    gatewayHost: env['HEALTHMESH_HOST'] ?? '127.0.0.1',
    gatewayPort: integer('PORT', 4000, env),
    subgraphHost: env['HEALTHMESH_SUBGRAPH_HOST'] ?? '127.0.0.1',
    subgraphPorts,
    subgraphUrls,
    seed: env['HEALTHMESH_SEED'] ?? 'healthmesh',
    residents: integer('HEALTHMESH_RESIDENTS', 2000, env),
    ...(env['HEALTHMESH_PUBLIC_KEYS_DIR'] ? { publicKeysDir: resolve(env['HEALTHMESH_PUBLIC_KEYS_DIR']) } : {}),
    ...(env['HEALTHMESH_CONSENT_KEYS_DIR'] ? { consentKeysDir: resolve(env['HEALTHMESH_CONSENT_KEYS_DIR']) } : {}),
    introspection: env['HEALTHMESH_INTROSPECTION'] === 'true',
    enforcementMode: env['HEALTHMESH_ENFORCEMENT_MODE'] === 'reject' ? 'reject' : 'filter',
    securityLogMaxEvents: integer('HEALTHMESH_SECURITY_LOG_MAX_EVENTS', DEFAULT_SECURITY_LOG_MAX_EVENTS, env),
    // A fetch's signed context must outlive the fetch, or a slow answer would be refused by its subgraph.
    subgraphTimeoutMs: bounded('HEALTHMESH_SUBGRAPH_TIMEOUT_MS', DEFAULT_SUBGRAPH_TIMEOUT_MS, 1, CONTEXT_TTL_SECONDS * 1000, env),
    replayCacheSize: bounded('HEALTHMESH_REPLAY_CACHE_SIZE', DEFAULT_REPLAY_CACHE_SIZE, 1, Number.MAX_SAFE_INTEGER, env),
    logLevel: logLevel(env),
  };
  if (config.securityLogMaxEvents < 1) throw new Error('HEALTHMESH_SECURITY_LOG_MAX_EVENTS must be at least 1');
  const mode = env['HEALTHMESH_ENFORCEMENT_MODE'];
  if (mode !== undefined && mode !== 'filter' && mode !== 'reject') throw new Error(`HEALTHMESH_ENFORCEMENT_MODE must be filter or reject, got "${mode}"`);
  if (env['DATABASE_URL']) config.databaseUrl = env['DATABASE_URL'];
  if (env['HEALTHMESH_JWT_ISSUER']) config.jwtIssuer = env['HEALTHMESH_JWT_ISSUER'];
  if (env['HEALTHMESH_JWT_AUDIENCE']) config.jwtAudience = env['HEALTHMESH_JWT_AUDIENCE'];
  if (env['HEALTHMESH_JWKS_URL']) config.jwksUrl = env['HEALTHMESH_JWKS_URL'];
  if (env['HEALTHMESH_OIDC_ISSUER']) config.oidcIssuer = new URL(env['HEALTHMESH_OIDC_ISSUER']).toString().replace(/\/$/, '');
  if (env['HEALTHMESH_OIDC_CLIENT_ID']) config.oidcClientId = env['HEALTHMESH_OIDC_CLIENT_ID'];
  if ((config.oidcIssuer === undefined) !== (config.oidcClientId === undefined)) throw new Error('HEALTHMESH_OIDC_ISSUER and HEALTHMESH_OIDC_CLIENT_ID go together');
  return config;
}
