/**
 * `node dist/scripts/serve.js <service>`: runs one part of the platform on its own, as docker-compose
 * does (one image, the service picked by an argument):
 *   keys       create the keys in the gateway's data directory, publish the public keys to
 *              HEALTHMESH_PUBLIC_KEYS_DIR and the consent service's to HEALTHMESH_CONSENT_KEYS_DIR, then exit
 *   migrate    apply migrations and seed an empty region, then exit
 *   <subgraph> one domain subgraph (population, resources, clinical, results, archive, immunization, research)
 *   gateway    the gateway, calling the subgraphs at HEALTHMESH_<NAME>_URL
 */
import './cli-errors.js';
import 'reflect-metadata';
import {
  auditKeys,
  keyringFromConfig,
  loadOrCreateKeyPair,
  loadOrCreatePlatformCa,
  loadOrCreateReceiptSigner,
  loadOrCreateSecret,
  LOCAL_ISSUER,
  publishConsentKeys,
  publishPublicKeys,
  readKeyPair,
  readPublishedKey,
  readSecret,
  protectorFor,
  startGateway,
  subscribeToShredding,
  TOKEN_AUDIENCE,
} from '../gateway/index.js';
import { loadSupergraphSdl } from '../schema/supergraph.js';
import { isRegionSeeded, seedRegion } from '../seed/index.js';
import { servedSubgraphs, type ServedSubgraph } from './subgraphs.js';
import { DOMAIN_SUBGRAPHS } from '../subgraphs/index.js';
import type { CryptoKey } from 'jose';
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
    const contextKey = await loadOrCreateKeyPair(config.dataDir, 'context-signing');
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
      researchSecret: loadOrCreateSecret(config.dataDir, 'research-pseudonym'),
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
  const subgraph = await subgraphToServe(service);
  if (!config.databaseUrl) throw new Error('A single subgraph service needs DATABASE_URL (PostgreSQL).');
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
async function subgraphToServe(name: string | undefined): Promise<ServedSubgraph> {
  const domain = DOMAIN_SUBGRAPHS.find((s) => s.name === name);
  if (domain) return domain;
  if (name !== 'consent') throw new Error(`Unknown service "${name ?? ''}". Use keys, migrate, gateway, consent or one of ${DOMAIN_SUBGRAPHS.map((s) => s.name).join(', ')}.`);
  const keysDir = config.consentKeysDir ?? config.dataDir;
  const read = config.consentKeysDir !== undefined;
  const audit = auditKeys(read ? await readKeyPair(keysDir, 'audit-signing') : await loadOrCreateKeyPair(keysDir, 'audit-signing'));
  const grantSecret = read ? readSecret(keysDir, 'grant-token') : loadOrCreateSecret(keysDir, 'grant-token');
  return servedSubgraphs(grantSecret, audit).find((s) => s.name === 'consent')!;
}

const running = await run();
if (running) {
  log(`listening on ${running.url}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void running.stop().then(() => process.exit(0)));
}
