/**
 * A micro-benchmark of field crypto (called from bench/run.ts): what the self-describing format and
 * AAD cost over a bare AES-256-GCM call on the same ~20-byte value, and what the data-key cache saves
 * per request (`prepare` + `decrypt` with the cache, against loading and unwrapping every time).
 * In-process, on an in-memory PGlite for the key table.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { migrateAll, openDatabase } from '../../subgraphs/runtime/database.js';
import { newBlindIndexKey } from './blind-index.js';
import { InMemoryKeyProvider } from './key-provider.js';
import { openKeyring, type Keyring } from './keyring.js';

export interface FieldCryptoBenchmark {
  /** `keyring.encrypt` of a 20-byte value (AES-256-GCM, random IV, AAD, encoding). */
  fieldEncryptPerSec: number;
  /** `keyring.decrypt` of the same (parse, authenticate, decode). */
  fieldDecryptPerSec: number;
  /** Bare `createCipheriv('aes-256-gcm')` + final + tag on 20 bytes with a random IV. */
  rawAesGcmPerSec: number;
  /** rawAesGcmPerSec / fieldEncryptPerSec: how many times a bare cipher call the field format costs. */
  ratio: number;
  /** `await prepare([resident])` then `decrypt`, keys cached (the steady state of a gateway). */
  withCacheDecryptPerSec: number;
  /** The same with `cache: { maxEntries: 0 }`: every prepare reads the table and unwraps. */
  withoutCacheDecryptPerSec: number;
}

/** '李四 138-0013-8000': 20 bytes of UTF-8. */
const PLAINTEXT = '李四 138-0013-8000';
const RESIDENTS = 100;

function perSecond(operations: number, startedAt: bigint): number {
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  return Math.round(operations / seconds);
}

/** Runs `operation` in chunks until `durationMs` has passed; returns operations per second. */
function measure(durationMs: number, operation: (i: number) => void): number {
  for (let i = 0; i < 1_000; i++) operation(i);
  const startedAt = process.hrtime.bigint();
  const deadline = startedAt + BigInt(durationMs) * 1_000_000n;
  let operations = 0;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 256; i++) operation(operations++);
  }
  return perSecond(operations, startedAt);
}

async function measureAsync(durationMs: number, operation: (i: number) => Promise<void>): Promise<number> {
  for (let i = 0; i < 50; i++) await operation(i);
  const startedAt = process.hrtime.bigint();
  const deadline = startedAt + BigInt(durationMs) * 1_000_000n;
  let operations = 0;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 16; i++) await operation(operations++);
  }
  return perSecond(operations, startedAt);
}

/** Measures field encryption against raw AES-GCM, and decryption with and without the key cache. */
export async function benchmarkFieldCrypto(options: { durationMs?: number } = {}): Promise<FieldCryptoBenchmark> {
  const durationMs = options.durationMs ?? 500;
  const handle = await openDatabase();
  try {
    await migrateAll(handle, ['keyring']);
    const provider = new InMemoryKeyProvider();
    const blindIndexKey = newBlindIndexKey();
    const residents = Array.from({ length: RESIDENTS }, (_, i) => `bench-${i}`);
    const cached: Keyring = openKeyring(handle.db, { provider, blindIndexKey });
    const uncached: Keyring = openKeyring(handle.db, { provider, blindIndexKey, cache: { maxEntries: 0 } });
    await cached.prepare(residents);
    const ciphertexts = residents.map((resident) => cached.encrypt(resident, 'Resident.name', PLAINTEXT));

    const key = randomBytes(32);
    const plaintext = Buffer.from(PLAINTEXT, 'utf8');
    const rawAesGcmPerSec = measure(durationMs, () => {
      const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
      cipher.update(plaintext);
      cipher.final();
      cipher.getAuthTag();
    });
    // Keys are pinned only until the next turn of the event loop: re-prepare right before each sync run.
    await cached.prepare(residents);
    const fieldEncryptPerSec = measure(durationMs, (i) => {
      cached.encrypt(residents[i % RESIDENTS]!, 'Resident.name', PLAINTEXT);
    });
    await cached.prepare(residents);
    const fieldDecryptPerSec = measure(durationMs, (i) => {
      const result = cached.decrypt(residents[i % RESIDENTS]!, 'Resident.name', ciphertexts[i % RESIDENTS]!);
      if (!result.ok) throw new Error(`benchmark decrypt failed: ${result.reason}`);
    });
    const decryptAfterPrepare = (keyring: Keyring) => async (i: number) => {
      const resident = residents[i % RESIDENTS]!;
      await keyring.prepare([resident]);
      const result = keyring.decrypt(resident, 'Resident.name', ciphertexts[i % RESIDENTS]!);
      if (!result.ok) throw new Error(`benchmark decrypt failed: ${result.reason}`);
    };
    const withCacheDecryptPerSec = await measureAsync(durationMs, decryptAfterPrepare(cached));
    const withoutCacheDecryptPerSec = await measureAsync(durationMs, decryptAfterPrepare(uncached));
    return {
      fieldEncryptPerSec,
      fieldDecryptPerSec,
      rawAesGcmPerSec,
      ratio: Math.round((rawAesGcmPerSec / fieldEncryptPerSec) * 100) / 100,
      withCacheDecryptPerSec,
      withoutCacheDecryptPerSec,
    };
  } finally {
    await handle.close();
  }
}
