/**
 * The composition root: opens the database, migrates, seeds an empty region, loads keys, starts the
 * domain subgraphs and the gateway. `npm start`, the tests' testkit and the benchmark all start the
 * platform through here, so there is one way to do it.
 */
import { join } from 'node:path';
import {
  auditKeys,
  keyringFromConfig,
  loadOrCreateKeyPair,
  loadOrCreatePlatformCa,
  loadOrCreateReceiptSigner,
  loadOrCreateSecret,
  LOCAL_ISSUER,
  protectorFor,
  startGateway,
  subscribeToShredding,
  TOKEN_AUDIENCE,
  type GatewayOptions,
  type Keyring,
  type RunningGateway,
  type SigningKeyPair,
} from '../gateway/index.js';
import { crlRoute, type PlatformCa } from '../gateway/pki/index.js';
import { adoptLegacyAuditEntries } from '../consent/index.js';
import { loadSupergraphSdl } from '../schema/supergraph.js';
import { isRegionSeeded, seedRegion } from '../seed/index.js';
import {
  configureCors,
  databaseCheck,
  healthCheck,
  migrateAll,
  openDatabase,
  readinessRoute,
  startSubgraph,
  type Database,
  type DatabaseHandle,
  type ExtraRoute,
  type RunningSubgraph,
} from '../subgraphs/runtime/index.js';
import { createLogger, type DestinationStream, type Logger } from '../subgraphs/runtime/logging.js';
import { startTracing, type RunningTracing } from '../subgraphs/runtime/tracing.js';
import type { PlatformConfig } from './config.js';
import { startGatewayCluster } from './gateway-cluster.js';
import { portalRoutesFor } from './portal.js';
import { servedSubgraphs } from './subgraphs.js';

export interface RunningPlatform {
  readonly gateway: RunningGateway;
  readonly subgraphs: readonly RunningSubgraph[];
  readonly database: DatabaseHandle;
  readonly issuerKey: SigningKeyPair;
  readonly contextKey: SigningKeyPair;
  readonly auditKey: SigningKeyPair;
  /** The research pseudonym secret (a second gateway needs the same). */
  readonly researchSecret: Uint8Array;
  readonly keyring: Keyring;
  /** Seeded this start (false when the data was already there). */
  readonly seeded: boolean;
  /** Set when tracing is configured (OTEL_EXPORTER_OTLP_*); stopped with the platform. */
  readonly tracing?: RunningTracing;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Reuse an open database (tests) instead of opening one from the config. */
  database?: DatabaseHandle;
  log?: (line: string) => void;
  /** Where the JSON request and error log goes (standard output when absent; tests capture it). */
  logDestination?: DestinationStream;
}

/** What the gateway is started with besides the configuration: its keys, database and where the subgraphs are. */
export interface GatewayParts {
  issuerKey: SigningKeyPair;
  contextKey: SigningKeyPair;
  auditKey: SigningKeyPair;
  /** Keys each scenario's pseudonyms (HMAC per scenario). */
  researchSecret: Uint8Array;
  keyring: Keyring;
  ca: PlatformCa;
  receiptSigner: ReturnType<typeof loadOrCreateReceiptSigner>;
  database: Database;
  subgraphUrls: Readonly<Record<string, string>>;
  logger: Logger;
}

/** The gateway's options from the configuration: one definition for `npm start`, the tests and the docker service. */
export function gatewayOptionsFrom(config: PlatformConfig, parts: GatewayParts): GatewayOptions {
  return {
    supergraphSdl: loadSupergraphSdl(),
    subgraphUrls: parts.subgraphUrls,
    authentication: {
      issuer: config.jwtIssuer ?? LOCAL_ISSUER,
      audience: config.jwtAudience ?? TOKEN_AUDIENCE,
      keys: config.jwksUrl ? new URL(config.jwksUrl) : parts.issuerKey.publicKey,
    },
    contextSigningKey: parts.contextKey,
    auditSigningKey: parts.auditKey,
    researchSecret: parts.researchSecret,
    keyring: parts.keyring,
    pki: { ca: parts.ca, receiptSigner: parts.receiptSigner },
    database: parts.database,
    securityLogMaxEvents: config.securityLogMaxEvents,
    mode: config.enforcementMode,
    subgraphTimeoutMs: config.subgraphTimeoutMs,
    port: config.gatewayPort,
    host: config.gatewayHost,
    introspection: config.introspection,
    logger: parts.logger,
    routes: [...gatewayOperationalRoutes(parts.database, parts.subgraphUrls, parts.ca), ...portalRoutesFor(config, parts.issuerKey)],
  };
}

/** The gateway's `/ready` (its database, and every subgraph's `/health`) and the CA's CRL at `/pki/crl`. */
export function gatewayOperationalRoutes(db: DatabaseHandle['db'], subgraphUrls: Readonly<Record<string, string>>, ca: PlatformCa): ExtraRoute[] {
  return [readinessRoute([databaseCheck(db), ...Object.entries(subgraphUrls).map(([name, url]) => healthCheck(name, url))]), crlRoute(ca)];
}

/** `HEALTHMESH_<NAME>_URL` for each subgraph: how a gateway in another process finds them. */
function subgraphUrlVariables(urls: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(urls).map(([name, url]) => [`HEALTHMESH_${name.toUpperCase()}_URL`, url]));
}

export async function startPlatform(config: PlatformConfig, options: StartOptions = {}): Promise<RunningPlatform> {
  const log = options.log ?? (() => {});
  configureCors(config.corsOrigins);
  const logger = createLogger({ level: config.logLevel, ...(options.logDestination ? { destination: options.logDestination } : {}) });
  const database =
    options.database ??
    (await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: join(config.dataDir, 'pglite') }));
  const started: RunningSubgraph[] = [];
  // Before any server starts, so every request is traced; the SDK is not even loaded otherwise.
  const tracing = config.tracing ? await startTracing({ tracesUrl: config.tracing.tracesUrl, serviceName: config.tracing.serviceName ?? 'healthmesh' }) : undefined;
  try {
    await migrateAll(database);
    // Field keys live with the gateway only; seeding encrypts before anything reaches a subgraph table.
    const keyring = keyringFromConfig(database.db, config);
    let seeded = false;
    if (!(await isRegionSeeded(database.db))) {
      log(`Seeding a synthetic region of ${config.residents} residents (seed "${config.seed}")…`);
      const { protector, prepare } = protectorFor(keyring);
      const summary = await seedRegion(database.db, { seed: config.seed, residents: config.residents, protector, prepare });
      log(`Seeded ${summary.rows} rows in ${(summary.elapsedMs / 1000).toFixed(1)} s.`);
      seeded = true;
    }
    const issuerKey = await loadOrCreateKeyPair(config.dataDir, 'identity-issuer');
    const contextKey = await loadOrCreateKeyPair(config.dataDir, 'context-signing');
    const grantSecret = loadOrCreateSecret(config.dataDir, 'grant-token');
    const researchSecret = loadOrCreateSecret(config.dataDir, 'research-pseudonym');
    const auditKey = await loadOrCreateKeyPair(config.dataDir, 'audit-signing');
    // Entries from before the Merkle log become its leaves now, so no request pays for it.
    await adoptLegacyAuditEntries(database.db, auditKeys(auditKey).signer);
    const ca = loadOrCreatePlatformCa(config.dataDir);
    const receiptSigner = loadOrCreateReceiptSigner(ca);
    // Other gateways' shredding evicts keys here at once on PostgreSQL (PGlite is one process).
    const shredSubscription = config.databaseUrl ? await subscribeToShredding(config.databaseUrl, keyring) : undefined;

    for (const subgraph of servedSubgraphs(grantSecret, auditKeys(auditKey))) {
      started.push(
        await startSubgraph(subgraph.definition, {
          database: database.db,
          contextPublicKey: contextKey.publicKey,
          replayCacheSize: config.replayCacheSize,
          port: config.subgraphPorts[subgraph.name] ?? subgraph.defaultPort,
          host: config.subgraphHost,
          logger,
        }),
      );
    }
    const subgraphUrls: Record<string, string> = { ...config.subgraphUrls };
    for (const running of started) subgraphUrls[running.name] = running.url;

    // Several gateways (PostgreSQL only): processes of their own behind the one port, calling these subgraphs.
    const gateway =
      config.gateways > 1
        ? await startGatewayCluster(config, subgraphUrlVariables(subgraphUrls), log)
        : await startGateway(
            gatewayOptionsFrom(config, { issuerKey, contextKey, auditKey, researchSecret, keyring, ca, receiptSigner, database: database.db, subgraphUrls, logger }),
          );

    let stopping: Promise<void> | undefined;
    return {
      gateway,
      subgraphs: started,
      database,
      issuerKey,
      contextKey,
      auditKey,
      researchSecret,
      keyring,
      seeded,
      ...(tracing ? { tracing } : {}),
      stop: () => {
        stopping ??= (async () => {
          await gateway.stop();
          await Promise.all(started.map((s) => s.stop()));
          await shredSubscription?.close();
          if (!options.database) await database.close();
          await tracing?.shutdown();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
    if (!options.database) await database.close();
    await tracing?.shutdown();
    throw error;
  }
}
