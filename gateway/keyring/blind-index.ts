/**
 * Blind indexes (DESIGN §4): exact lookups on encrypted identifiers without plaintext in the subgraph.
 * A keyed HMAC-SHA-256 over the normalised value, computed at the gateway with a key of its own (never
 * a KEK), so the same ID-card number typed as `…002x` or with spaces finds the same resident.
 *
 *   bi1.<kind>.<base64url(HMAC-SHA-256(key, kind ‖ "\n" ‖ normalised value))>
 */
import { createHmac, randomBytes } from 'node:crypto';
import { normaliseIdCardNumber } from '../../schema/id-card.js';
import { normaliseHealthCardNumber } from '../../schema/health-card.js';
import { normalisePhone } from '../../schema/phone.js';
import { loadOrCreateSecret } from '../keys.js';

export const BLIND_INDEX_VERSION = 'bi1';
export const BLIND_INDEX_KINDS = ['idCard', 'healthCard', 'phone'] as const;
export type BlindIndexKind = (typeof BLIND_INDEX_KINDS)[number];

const MIN_KEY_BYTES = 32;

/** The canonical form a kind is indexed by. ID-card numbers lose inner spaces too (`1101 0519 …`). */
export function normaliseForIndex(kind: BlindIndexKind, value: string): string {
  switch (kind) {
    case 'idCard':
      return normaliseIdCardNumber(value.replace(/\s+/g, ''));
    case 'healthCard':
      return normaliseHealthCardNumber(value);
    case 'phone':
      return normalisePhone(value);
  }
}

/** The blind index of `value`; the kind is part of the MAC input, so an id and a phone never collide. */
export function computeBlindIndex(key: Uint8Array, kind: BlindIndexKind, value: string): string {
  if (!(BLIND_INDEX_KINDS as readonly string[]).includes(kind)) throw new Error(`unknown blind index kind "${String(kind)}"`);
  const mac = createHmac('sha256', key).update(`${kind}\n${normaliseForIndex(kind, value)}`, 'utf8').digest('base64url');
  return `${BLIND_INDEX_VERSION}.${kind}.${mac}`;
}

/** Whether a stored value has the shape of a blind index. */
export function isBlindIndex(value: unknown): value is string {
  return typeof value === 'string' && /^bi1\.(idCard|healthCard|phone)\.[A-Za-z0-9_-]{43}$/.test(value);
}

function decode(base64: string, what: string): Uint8Array {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length < MIN_KEY_BYTES) throw new Error(`${what} must be at least ${MIN_KEY_BYTES} bytes of base64, got ${key.length} bytes`);
  return new Uint8Array(key);
}

/**
 * The blind-index key: `HEALTHMESH_BLIND_INDEX_KEY` (base64) when set, else `<dataDir>/keys/blind-index.key`
 * (created on first use, mode 0600). Changing it orphans every stored index, so it is never rotated in place.
 */
export function loadOrCreateBlindIndexKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Uint8Array {
  const fromEnv = env['HEALTHMESH_BLIND_INDEX_KEY'];
  if (fromEnv) return decode(fromEnv, 'HEALTHMESH_BLIND_INDEX_KEY');
  return loadOrCreateSecret(dataDir, 'blind-index');
}

/** A fresh random blind-index key (tests, tools). */
export function newBlindIndexKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}
