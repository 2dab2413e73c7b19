/**
 * Signing keys of embedded mode, kept as JWK files under the data directory: the local identity
 * issuer (demo tokens) and the gateway's context-signing key. Production supplies an issuer JWKS URL
 * and the context key from the environment or a secret store instead.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { KeyObject, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { AuditSigner, AuditVerifier } from '../consent/index.js';

export interface SigningKeyPair {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

export type KeyPurpose = 'identity-issuer' | 'context-signing' | 'audit-signing';

/** Loads the Ed25519 key pair for `purpose` from `<dataDir>/keys`, creating it on first use. */
export async function loadOrCreateKeyPair(dataDir: string, purpose: KeyPurpose): Promise<SigningKeyPair> {
  const directory = join(dataDir, 'keys');
  const file = join(directory, `${purpose}.jwk.json`);
  if (!existsSync(file)) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = await exportJWK(privateKey);
    jwk.kid = `${purpose}-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;
    jwk.alg = 'EdDSA';
    // wx: two processes starting at once never overwrite each other's key.
    try {
      writeFileSync(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return keyPairFromJwk(JSON.parse(readFileSync(file, 'utf8')) as JWK);
}

/** Builds a key pair from a private Ed25519 JWK (e.g. supplied through the environment). */
export async function keyPairFromJwk(privateJwk: JWK): Promise<SigningKeyPair> {
  const { d: _private, ...publicJwk } = privateJwk;
  void _private;
  const privateKey = (await importJWK({ ...privateJwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey;
  const publicKey = (await importJWK({ ...publicJwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey;
  return { kid: privateJwk.kid ?? 'unnamed', privateKey, publicKey, publicJwk };
}

/**
 * A 32-byte secret under `<dataDir>/keys` (grant-token derivation, blind indexes), created on first
 * use with mode 0600; two processes starting at once agree on one.
 */
export function loadOrCreateSecret(dataDir: string, name: 'grant-token' | 'blind-index' | 'research-pseudonym'): Uint8Array {
  const directory = join(dataDir, 'keys');
  const file = join(directory, name === 'blind-index' ? 'blind-index.key' : `${name}.secret`);
  if (!existsSync(file)) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return new Uint8Array(Buffer.from(readFileSync(file, 'utf8'), 'base64'));
}

/** The audit key pair as the audit chain uses it: signs checkpoints (gateway) and verifies them (anyone). */
export function auditKeys(pair: SigningKeyPair): { signer: AuditSigner; verifier: AuditVerifier } {
  return {
    signer: { keyId: pair.kid, privateKey: KeyObject.from(pair.privateKey) },
    verifier: new Map([[pair.kid, KeyObject.from(pair.publicKey)]]),
  };
}

/** The public halves a subgraph may hold: the context key it verifies fetches with, the audit key it verifies the chain with. */
export const PUBLISHED_KEYS = ['context-signing', 'audit-signing'] as const satisfies readonly KeyPurpose[];
export type PublishedKey = (typeof PUBLISHED_KEYS)[number];

function publishedKeyFile(directory: string, purpose: PublishedKey): string {
  return join(directory, `${purpose}.public.jwk.json`);
}

/**
 * Writes the public JWKs of the published keys into `directory` (the only keys a subgraph container
 * mounts: DESIGN §4 keeps every private key and secret with the gateway).
 */
export async function publishPublicKeys(dataDir: string, directory: string): Promise<void> {
  mkdirSync(directory, { recursive: true });
  for (const purpose of PUBLISHED_KEYS) {
    const { publicJwk } = await loadOrCreateKeyPair(dataDir, purpose);
    writeFileSync(publishedKeyFile(directory, purpose), JSON.stringify(publicJwk), { mode: 0o644 });
  }
}

/** Reads a published public key; never creates one (a subgraph without it must not start). */
export async function readPublishedKey(directory: string, purpose: PublishedKey): Promise<{ kid: string; publicKey: CryptoKey }> {
  const file = publishedKeyFile(directory, purpose);
  if (!existsSync(file)) throw new Error(`no published ${purpose} key at ${file}: run the keys service first`);
  const jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  if (jwk.d !== undefined) throw new Error(`${file} holds a private key; only public keys are published`);
  return { kid: jwk.kid ?? 'unnamed', publicKey: (await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey };
}

/**
 * Copies what the consent service holds (the trust core's own subgraph: it issues grant tokens and
 * audits its writes) into `<directory>/keys`: the grant-token secret and the audit signing key, nothing
 * else (no KEK, blind-index key, issuer or context-signing key).
 */
export async function publishConsentKeys(dataDir: string, directory: string): Promise<void> {
  const target = join(directory, 'keys');
  mkdirSync(target, { recursive: true, mode: 0o700 });
  await loadOrCreateKeyPair(dataDir, 'audit-signing');
  loadOrCreateSecret(dataDir, 'grant-token');
  for (const file of ['audit-signing.jwk.json', 'grant-token.secret']) {
    writeFileSync(join(target, file), readFileSync(join(dataDir, 'keys', file)), { mode: 0o600 });
  }
}

/** Reads a key pair from `<dataDir>/keys` that another process created; never creates one. */
export async function readKeyPair(dataDir: string, purpose: KeyPurpose): Promise<SigningKeyPair> {
  const file = join(dataDir, 'keys', `${purpose}.jwk.json`);
  if (!existsSync(file)) throw new Error(`no ${purpose} key at ${file}: run the keys service first`);
  return keyPairFromJwk(JSON.parse(readFileSync(file, 'utf8')) as JWK);
}

/** Reads a secret from `<dataDir>/keys` that another process created; never creates one. */
export function readSecret(dataDir: string, name: 'grant-token'): Uint8Array {
  const file = join(dataDir, 'keys', `${name}.secret`);
  if (!existsSync(file)) throw new Error(`no ${name} secret at ${file}: run the keys service first`);
  return new Uint8Array(Buffer.from(readFileSync(file, 'utf8'), 'base64'));
}
