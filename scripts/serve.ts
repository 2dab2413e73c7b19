/**
 * `node dist/scripts/serve.js <service>`: runs one part of the platform on its own, as docker-compose
 * does (one image, the service picked by an argument):
 *   keys       create the keys in the gateway's data directory, publish the public keys to
 *              HEALTHMESH_PUBLIC_KEYS_DIR and the consent service's to HEALTHMESH_CONSENT_KEYS_DIR, then exit
 *   migrate    apply migrations and seed an empty region, then exit
 *   <subgraph> one domain subgraph (population, resources, clinical, results, archive, immunization, research)
 *   gateway    the gateway, calling the subgraphs at HEALTHMESH_<NAME>_URL (HEALTHMESH_GATEWAYS of them on one port)
 */
import './cli-errors.js';
import 'reflect-metadata';
import cluster from 'node:cluster';
import {
  auditKeys,
  keyringFromConfig,
  loadOrCreateKeyPair,
  loadOrCreatePlatformCa,
  loadOrCreateReceiptSigner,
  loadOrCreateSecret,
  publishConsentKeys,
  publishPublicKeys,
  readKeyPair,
  readPublishedKey,
  readSecret,
  protectorFor,
  startGateway,
  subscribeToShredding,
} from '../gateway/index.js';
import { isRegionSeeded, seedRegion } from '../seed/index.js';
import { servedSubgraphs, type ServedSubgraph } from './subgraphs.js';
import { DOMAIN_SUBGRAPHS } from '../subgraphs/index.js';
import type { CryptoKey } from 'jose';
import { configureCors, migrateAll, openDatabase, startSubgraph, type RunningHttpService } from '../subgraphs/runtime/index.js';
import { createLogger } from '../subgraphs/runtime/logging.js';
import { startTracing } from '../subgraphs/runtime/tracing.js';
import { gatewayOptionsFrom } from './platform.js';
import { exposeGatewayClusterMetrics, GATEWAY_PROCESS_HEADER, gatewayWorkerNumber, startGatewayCluster } from './gateway-cluster.js';
import { CONFIG_HELP, configOrExit, exitWith, parseCommandLine, UsageError } from './cli.js';

const SERVICES = ['keys', 'migrate', 'gateway', 'consent', ...DOMAIN_SUBGRAPHS.map((s) => s.name)];
const { positionals } = parseCommandLine({
  usage: `usage: node dist/scripts/serve.js <service>

Runs one part of the platform on its own, as docker-compose does:
  keys        create the gateway's keys in $HEALTHMESH_DATA_DIR/keys, publish the public keys to
              HEALTHMESH_PUBLIC_KEYS_DIR and the consent service's to HEALTHMESH_CONSENT_KEYS_DIR, then exit
  migrate     apply migrations and seed an empty region, then exit
  gateway     the gateway, calling the subgraphs at HEALTHMESH_<NAME>_URL (needs DATABASE_URL);
              HEALTHMESH_GATEWAYS=N runs N gateway processes behind the one port (node:cluster)
  consent     the consent subgraph (needs DATABASE_URL)
  ${DOMAIN_SUBGRAPHS.map((s) => s.name).join(', ')}
              one domain subgraph (needs DATABASE_URL)

${CONFIG_HELP}`,
  positionals: { min: 1, max: 1 },
});
const service = positionals[0]!;
if (!SERVICES.includes(service)) exitWith(`unknown service "${service}"; use one of ${SERVICES.join(', ')}`);
const config = configOrExit();
const log = (line: string) => process.stdout.write(`[${service}${cluster.isWorker ? ` ${gatewayWorkerNumber()}` : ''}] ${line}\n`);
const logger = createLogger({ level: config.logLevel });

async function run(): Promise<RunningHttpService | undefined> {
  if (service === 'keys') {
    await loadOrCreateKeyPair(config.dataDir, 'identity-issuer');
    await loadOrCreateKeyPair(config.dataDir, 'context-signing');
    await loadOrCreateKeyPair(config.dataDir, 'audit-signing');
    loadOrCreateSecret(config.dataDir, 'grant-token');
    loadOrCreateReceiptSigner(loadOrCreatePlatformCa(config.dataDir));
    if (config.publicKeysDir) await publishPublicKeys(config.dataDir, config.publicKeysDir);
    if (config.consentKeysDir) await publishConsentKeys(config.dataDir, config.consentKeysDir);
    log(`keys ready in ${config.dataDir}/keys`);
    return undefined;
  }
  if (service === 'migrate') {
    const database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: `${config.dataDir}/pglite` });
    await migrateAll(database);
    if (!(await isRegionSeeded(database.db))) {
      const { protector, prepare } = protectorFor(keyringFromConfig(database.db, config));
      const summary = await seedRegion(database.db, { seed: config.seed, residents: config.residents, protector, prepare });
      log(`seeded ${summary.residents} residents, ${summary.rows} rows`);
    }
    await database.close();
    log('migrated');
    return undefined;
  }
  if (service === 'gateway') {
    if (!config.databaseUrl) throw new UsageError('the gateway service needs DATABASE_URL (PostgreSQL) for consents, grants and audit');
    // HEALTHMESH_GATEWAYS > 1: this process forks that many gateways (this command again) on the one port.
    if (cluster.isPrimary && config.gateways > 1) return startGatewayCluster(config, {}, log);
    const gatewayNumber = gatewayWorkerNumber();
    if (gatewayNumber !== undefined) exposeGatewayClusterMetrics();
    const contextKey = await loadOrCreateKeyPair(config.dataDir, 'context-signing');
    const issuerKey = await loadOrCreateKeyPair(config.dataDir, 'identity-issuer');
    const database = await openDatabase({ url: config.databaseUrl, maxConnections: 10 });
    const keyring = keyringFromConfig(database.db, config);
    await subscribeToShredding(config.databaseUrl, keyring);
    const ca = loadOrCreatePlatformCa(config.dataDir);
    configureCors(config.corsOrigins);
    return startGateway({
      ...gatewayOptionsFrom(config, {
        issuerKey,
        contextKey,
        auditKey: await loadOrCreateKeyPair(config.dataDir, 'audit-signing'),
        researchSecret: loadOrCreateSecret(config.dataDir, 'research-pseudonym'),
        keyring,
        ca,
        receiptSigner: loadOrCreateReceiptSigner(ca),
        database: database.db,
        subgraphUrls: config.subgraphUrls,
        logger: gatewayNumber === undefined ? logger : logger.child({ gateway: gatewayNumber }),
      }),
      ...(gatewayNumber === undefined ? {} : { responseHeaders: { [GATEWAY_PROCESS_HEADER]: String(gatewayNumber) } }),
    });
  }
  // The consent service audits its own writes, so it signs with the audit key too.
  if (!config.databaseUrl) throw new UsageError('a single subgraph service needs DATABASE_URL (PostgreSQL)');
  const subgraph = await subgraphToServe(service);
  const database = await openDatabase({ url: config.databaseUrl, maxConnections: 10 });
  return startSubgraph(subgraph.definition, {
    database: database.db,
    contextPublicKey: await contextPublicKey(),
    replayCacheSize: config.replayCacheSize,
    port: config.subgraphPorts[subgraph.name] ?? subgraph.defaultPort,
    host: config.subgraphHost,
    logger,
  });
}

/**
 * The context key a subgraph verifies fetches with: with separate services only the published public
 * key (DESIGN §4: keys live with the gateway); on one machine, the gateway's own key file.
 */
async function contextPublicKey(): Promise<CryptoKey> {
  if (config.publicKeysDir) return (await readPublishedKey(config.publicKeysDir, 'context-signing')).publicKey;
  return (await loadOrCreateKeyPair(config.dataDir, 'context-signing')).publicKey;
}

/** The subgraph named `name`; only the consent subgraph reads keys beyond the context key, and only its own. */
async function subgraphToServe(name: string): Promise<ServedSubgraph> {
  const domain = DOMAIN_SUBGRAPHS.find((s) => s.name === name);
  if (domain) return domain;
  const keysDir = config.consentKeysDir ?? config.dataDir;
  const read = config.consentKeysDir !== undefined;
  const audit = auditKeys(read ? await readKeyPair(keysDir, 'audit-signing') : await loadOrCreateKeyPair(keysDir, 'audit-signing'));
  const grantSecret = read ? readSecret(keysDir, 'grant-token') : loadOrCreateSecret(keysDir, 'grant-token');
  return servedSubgraphs(grantSecret, audit).find((s) => s.name === 'consent')!;
}

// Only for a service that answers requests; the SDK is not loaded unless an OTLP endpoint is configured.
const tracing = config.tracing && !['keys', 'migrate'].includes(service) ? await startTracing({ tracesUrl: config.tracing.tracesUrl, serviceName: config.tracing.serviceName ?? `healthmesh-${service}` }) : undefined;
const running = await run();
if (running) {
  log(`listening on ${running.url}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void running.stop().then(() => tracing?.shutdown()).then(() => process.exit(0)));
} else await tracing?.shutdown();
