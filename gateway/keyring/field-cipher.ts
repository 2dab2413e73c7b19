/**
 * Field ciphertexts: self-describing strings, so a stored value says how it was made and new
 * algorithms (SM4 for 密评) can be added beside old ones without rewriting stored data.
 *
 *   hm1.<alg>.<keyRef>.<base64url(iv)>.<base64url(ciphertext ‖ tag)>
 *
 * The AAD is `${residentId}\n${coordinate}`: a ciphertext copied to another field or another
 * resident fails authentication. Node's built-in crypto only (AES-NI).
 */
import { createCipheriv, createDecipheriv, getCiphers, randomBytes } from 'node:crypto';

export const FIELD_CIPHERTEXT_VERSION = 'hm1';

/** A field algorithm: how to seal and open one value with a resident's data key. */
export interface FieldAlgorithm {
  readonly id: string;
  /** Whether this build can use it (a reserved algorithm is recognised but not yet usable). */
  readonly available: boolean;
  readonly keyBytes: number;
  readonly ivBytes: number;
  seal(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer;
  /** The plaintext, or undefined when authentication fails. */
  open(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer | undefined;
}

const GCM_TAG_BYTES = 16;

function gcm(id: string, cipherName: 'aes-256-gcm', keyBytes: number): FieldAlgorithm {
  return {
    id,
    available: true,
    keyBytes,
    ivBytes: 12,
    seal(key, iv, aad, plaintext) {
      const cipher = createCipheriv(cipherName, key, iv, { authTagLength: GCM_TAG_BYTES });
      cipher.setAAD(aad);
      return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    },
    open(key, iv, aad, sealed) {
      if (sealed.length < GCM_TAG_BYTES) return undefined;
      try {
        const decipher = createDecipheriv(cipherName, key, iv, { authTagLength: GCM_TAG_BYTES });
        decipher.setAAD(aad);
        decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
        return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES)), decipher.final()]);
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * SM4-GCM (GB/T 32907, 商用密码) is reserved: its id is taken so it can be added when the platform's
 * OpenSSL offers `sm4-gcm` (Node's bundled OpenSSL has SM4 only in CBC/CTR/ECB modes) or through a
 * certified module, with a 16-byte subkey derived from the data key.
 */
const sm4gcmReserved: FieldAlgorithm = {
  id: 'sm4gcm',
  available: false,
  keyBytes: 16,
  ivBytes: 12,
  seal() {
    throw new Error(`field algorithm sm4gcm is reserved but not available in this build (OpenSSL sm4-gcm: ${getCiphers().includes('sm4-gcm') ? 'present' : 'absent'})`);
  },
  open: () => undefined,
};

/** Every algorithm id a ciphertext may carry. */
export const FIELD_ALGORITHMS = {
  a256gcm: gcm('a256gcm', 'aes-256-gcm', 32),
  sm4gcm: sm4gcmReserved,
} as const satisfies Record<string, FieldAlgorithm>;

export type FieldAlgorithmId = keyof typeof FIELD_ALGORITHMS;
export const DEFAULT_FIELD_ALGORITHM: FieldAlgorithmId = 'a256gcm';

/** A ciphertext split into its parts (nothing decrypted). */
export interface ParsedFieldCiphertext {
  version: typeof FIELD_CIPHERTEXT_VERSION;
  algorithm: FieldAlgorithmId;
  keyRef: string;
  iv: Buffer;
  sealed: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const KEY_REF = /^[A-Za-z0-9_-]{1,64}$/;
const COORDINATE = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;

/** The AAD binding a ciphertext to one resident's one field. */
export function fieldAad(residentId: string, coordinate: string): Buffer {
  return Buffer.from(`${residentId}\n${coordinate}`, 'utf8');
}

/** Encrypts one field value; `keyRef` names the data key (e.g. `dk1`). Throws on misuse only. */
export function encryptField(
  key: Uint8Array,
  keyRef: string,
  binding: { residentId: string; coordinate: string },
  plaintext: string,
  algorithmId: FieldAlgorithmId = DEFAULT_FIELD_ALGORITHM,
): string {
  if (!KEY_REF.test(keyRef)) throw new Error(`invalid key reference "${keyRef.slice(0, 80)}"`);
  if (!COORDINATE.test(binding.coordinate)) throw new Error(`invalid field coordinate "${binding.coordinate.slice(0, 80)}": expected Type.field`);
  const algorithm = FIELD_ALGORITHMS[algorithmId];
  if (key.length !== algorithm.keyBytes) throw new Error(`${algorithmId} needs a ${algorithm.keyBytes}-byte key`);
  const iv = randomBytes(algorithm.ivBytes);
  const sealed = algorithm.seal(key, iv, fieldAad(binding.residentId, binding.coordinate), Buffer.from(plaintext, 'utf8'));
  return `${FIELD_CIPHERTEXT_VERSION}.${algorithmId}.${keyRef}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
}

/** Splits a ciphertext into its parts, or undefined if it is not one this code understands. */
export function parseFieldCiphertext(value: string): ParsedFieldCiphertext | undefined {
  const parts = value.split('.');
  if (parts.length !== 5) return undefined;
  const [version, algorithmId, keyRef, iv, sealed] = parts as [string, string, string, string, string];
  if (version !== FIELD_CIPHERTEXT_VERSION || !Object.hasOwn(FIELD_ALGORITHMS, algorithmId)) return undefined;
  if (!KEY_REF.test(keyRef) || !B64URL.test(iv) || !B64URL.test(sealed)) return undefined;
  const algorithm = FIELD_ALGORITHMS[algorithmId as FieldAlgorithmId];
  const ivBytes = Buffer.from(iv, 'base64url');
  if (ivBytes.length !== algorithm.ivBytes) return undefined;
  return { version, algorithm: algorithmId as FieldAlgorithmId, keyRef, iv: ivBytes, sealed: Buffer.from(sealed, 'base64url') };
}

/** Decrypts a parsed ciphertext; undefined when the key, binding or bytes do not authenticate. */
export function decryptField(key: Uint8Array, parsed: ParsedFieldCiphertext, binding: { residentId: string; coordinate: string }): string | undefined {
  const algorithm = FIELD_ALGORITHMS[parsed.algorithm];
  if (!algorithm.available || key.length !== algorithm.keyBytes) return undefined;
  const plaintext = algorithm.open(key, parsed.iv, fieldAad(binding.residentId, binding.coordinate), parsed.sealed);
  return plaintext?.toString('utf8');
}

/** Whether a stored value is a field ciphertext (by its shape; says nothing about whether it decrypts). */
export function isFieldCiphertext(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(`${FIELD_CIPHERTEXT_VERSION}.`) && parseFieldCiphertext(value) !== undefined;
}
