/** Field-level encryption at the gateway: envelope keys, blind indexes, rotation, crypto-shredding. */
import type { Database } from '../../subgraphs/runtime/database.js';
import { loadOrCreateBlindIndexKey } from './blind-index.js';
import { keyProviderFromConfig } from './key-provider.js';
import { openKeyring, type Keyring, type KeyringOptions } from './keyring.js';

export {
  BLIND_INDEX_KINDS,
  BLIND_INDEX_VERSION,
  computeBlindIndex,
  isBlindIndex,
  loadOrCreateBlindIndexKey,
  newBlindIndexKey,
  normaliseForIndex,
  type BlindIndexKind,
} from './blind-index.js';
export {
  DEFAULT_FIELD_ALGORITHM,
  FIELD_ALGORITHMS,
  FIELD_CIPHERTEXT_VERSION,
  decryptField,
  encryptField,
  fieldAad,
  isFieldCiphertext,
  parseFieldCiphertext,
  type FieldAlgorithm,
  type FieldAlgorithmId,
  type ParsedFieldCiphertext,
} from './field-cipher.js';
export { EnvironmentKeyProvider, InMemoryKeyProvider, LocalFileKeyProvider, keyProviderFromConfig, type KeyProvider } from './key-provider.js';
export {
  KeyNotPreparedError,
  SHRED_CHANNEL,
  ShreddedError,
  openKeyring,
  type DecryptResult,
  type Keyring,
  type KeyringCacheOptions,
  type KeyringOptions,
  type KeyringStats,
} from './keyring.js';
export { LruCache } from './lru.js';
export { protectorFor, type KeyringFieldProtector } from './protector.js';
export { subscribeToShredding, type ShredSubscription } from './shred-notifications.js';
export { dataKeys, keyringSchema, type DataKeyRow } from './tables.js';

/** Keyring options from the platform configuration: KEKs from the environment or `<dataDir>/keys/kek`. */
export function keyringOptionsFromConfig(config: { dataDir: string }, env: NodeJS.ProcessEnv = process.env): KeyringOptions {
  return { provider: keyProviderFromConfig(config.dataDir, env), blindIndexKey: loadOrCreateBlindIndexKey(config.dataDir, env) };
}

/** The keyring as configured (see `keyringOptionsFromConfig`). */
export function keyringFromConfig(db: Database, config: { dataDir: string }, env: NodeJS.ProcessEnv = process.env): Keyring {
  return openKeyring(db, keyringOptionsFromConfig(config, env));
}
