/**
 * `node dist/scripts/serve.js <service>`: runs one part of the platform on its own, as docker-compose
 * does (one image, the service picked by an argument):
 *   keys       create the signing keys in the shared data directory, then exit
 *   migrate    apply migrations and seed an empty region, then exit
 *   <subgraph> one domain subgraph (population, resources, clinical, results, archive, immunization)
 *   gateway    the gateway, calling the subgraphs at HEALTHMESH_<NAME>_URL
 */
import 'reflect-metadata';
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
} from '../gateway/index.js';
import { loadSupergraphSdl } from '../schema/supergraph.js';
import { isRegionSeeded, seedRegion } from '../seed/index.js';
import { servedSubgraphs } from './subgraphs.js';
import { migrateAll, openDatabase, startSubgraph, type RunningHttpService } from '../subgraphs/runtime/index.js';
import { createLogger } from '../subgraphs/runtime/logging.js';
import { loadConfig } from './config.js';

const service = process.argv[2];
const config = loadConfig();
const log = (line: string) => process.stdout.write(`[${service}] ${line}\n`);
const logger = createLogger({ level: config.logLevel });

async function run(): Promise<RunningHttpService | undefined> {
  if (service === 'keys') {
    await loadOrCreateKeyPair(config.dataDir, 'identity-issuer');
    await loadOrCreateKeyPair(config.dataDir, 'context-signing');
    await loadOrCreateKeyPair(config.dataDir, 'audit-signing');
    loadOrCreateSecret(config.dataDir, 'grant-token');
    loadOrCreateReceiptSigner(loadOrCreatePlatformCa(config.dataDir));
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
  const contextKey = await loadOrCreateKeyPair(config.dataDir, 'context-signing');
  if (service === 'gateway') {
    if (!config.databaseUrl) throw new Error('The gateway service needs DATABASE_URL (PostgreSQL) for consents, grants and audit.');
    const issuerKey = await loadOrCreateKeyPair(config.dataDir, 'identity-issuer');
    const database = await openDatabase({ url: config.databaseUrl, maxConnections: 10 });
    const keyring = keyringFromConfig(database.db, config);
    await subscribeToShredding(config.databaseUrl, keyring);
    const ca = loadOrCreatePlatformCa(config.dataDir);
    return startGateway({
      supergraphSdl: loadSupergraphSdl(),
      subgraphUrls: config.subgraphUrls,
      authentication: {
        issuer: config.jwtIssuer ?? LOCAL_ISSUER,
        audience: config.jwtAudience ?? TOKEN_AUDIENCE,
        keys: config.jwksUrl ? new URL(config.jwksUrl) : issuerKey.publicKey,
      },
      contextSigningKey: contextKey,
      auditSigningKey: await loadOrCreateKeyPair(config.dataDir, 'audit-signing'),
      keyring,
      pki: { ca, receiptSigner: loadOrCreateReceiptSigner(ca) },
      database: database.db,
      securityLogMaxEvents: config.securityLogMaxEvents,
      mode: config.enforcementMode,
      subgraphTimeoutMs: config.subgraphTimeoutMs,
      port: config.gatewayPort,
      host: config.gatewayHost,
      introspection: config.introspection,
      logger,
    });
  }
  // The consent service audits its own writes, so it signs with the audit key too.
  const audit = auditKeys(await loadOrCreateKeyPair(config.dataDir, 'audit-signing'));
  const subgraphs = servedSubgraphs(loadOrCreateSecret(config.dataDir, 'grant-token'), audit);
  const subgraph = subgraphs.find((s) => s.name === service);
  if (!subgraph) throw new Error(`Unknown service "${service}". Use keys, migrate, gateway or one of ${subgraphs.map((s) => s.name).join(', ')}.`);
  if (!config.databaseUrl) throw new Error('A single subgraph service needs DATABASE_URL (PostgreSQL).');
  const database = await openDatabase({ url: config.databaseUrl, maxConnections: 10 });
  return startSubgraph(subgraph.definition, {
    database: database.db,
    contextPublicKey: contextKey.publicKey,
    replayCacheSize: config.replayCacheSize,
    port: config.subgraphPorts[subgraph.name] ?? subgraph.defaultPort,
    host: config.subgraphHost,
    logger,
  });
}

const running = await run();
if (running) {
  log(`listening on ${running.url}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void running.stop().then(() => process.exit(0)));
}
