/**
 * The keyring: each resident's data key, wrapped by the provider's KEK in `keyring.data_key`, unwrapped
 * only in this process (DESIGN §4).
 *
 * Field crypto is synchronous so a response can be decrypted in one pass: `prepare(residentIds)` does
 * the I/O first (load, create missing keys, unwrap); `encrypt`/`decrypt` then only look keys up. Keys
 * a `prepare` made ready stay available at least until the event loop's next turn even when the cache
 * is disabled or full, so `await keyring.prepare(ids)` followed by synchronous calls always works.
 *
 * Unwrapped keys are cached (LRU + TTL). The TTL bounds how long another gateway's shredding can go
 * unnoticed here; with PostgreSQL, `subscribeToShredding` evicts at once through LISTEN/NOTIFY.
 */
import { randomBytes } from 'node:crypto';
import { and, eq, inArray, isNotNull, isNull, ne, or, sql } from 'drizzle-orm';
import type { Database } from '../../subgraphs/runtime/database.js';
import { computeBlindIndex, type BlindIndexKind } from './blind-index.js';
import { decryptField, encryptField, parseFieldCiphertext } from './field-cipher.js';
import type { KeyProvider } from './key-provider.js';
import { LruCache } from './lru.js';
import { dataKeys } from './tables.js';

/** The PostgreSQL channel a shred is announced on (payload: the resident id). */
export const SHRED_CHANNEL = 'healthmesh_keyring';

const DATA_KEY_BYTES = 32;
/** Residents per SELECT / INSERT when preparing (keeps the bind-parameter count far below 65535). */
const PREPARE_CHUNK = 5_000;

export interface KeyringCacheOptions {
  /** Unwrapped data keys kept; 0 disables the cache (every `prepare` reads the table and unwraps). */
  maxEntries: number;
  /** How long an unwrapped key is reused before the table is read again (default 60 s). */
  ttlMs?: number;
}

export interface KeyringOptions {
  provider: KeyProvider;
  /** The blind-index HMAC key (never a KEK). */
  blindIndexKey: Uint8Array;
  /** Default: 10,000 keys for 60 s. */
  cache?: KeyringCacheOptions;
  /** Data keys re-wrapped per transaction during KEK rotation (default 500). */
  rotationBatchSize?: number;
  /** Clock for the cache (tests). */
  now?: () => number;
}

export type DecryptResult = { ok: true; plaintext: string } | { ok: false; reason: 'SHREDDED' | 'UNREADABLE' };

export interface KeyringStats {
  /** Residents `prepare` found in the cache. */
  hits: number;
  /** Residents `prepare` had to load from the table (and unwrap). */
  misses: number;
  /** Unwrapped keys (and shredded markers) in the cache. */
  size: number;
}

export interface Keyring {
  /**
   * Loads the residents' data keys so encrypt/decrypt can run synchronously. Writers create missing
   * keys; readers (`{ create: false }`) never do, so naming an invented resident id in a read leaves
   * no trace in the keyring (an absent key decrypts nothing).
   */
  prepare(residentIds: readonly string[], options?: { create?: boolean }): Promise<void>;
  /** Encrypts one field value; throws `KeyNotPreparedError` or `ShreddedError`. */
  encrypt(residentId: string, coordinate: string, plaintext: string): string;
  /** Decrypts one field value; never throws on bad data (only when the key was not prepared). */
  decrypt(residentId: string, coordinate: string, ciphertext: string): DecryptResult;
  /** The blind index of an identifier (over its normalised form). */
  blindIndex(kind: BlindIndexKind, value: string): string;
  /** Creates a new KEK and re-wraps every data key under it, batch by batch; no data is touched. */
  rotateKek(): Promise<{ kekId: string; rewrapped: number }>;
  /** Re-wraps every data key not yet under the provider's current KEK (after a rotation done in a KMS). */
  rewrap(): Promise<{ kekId: string; rewrapped: number }>;
  /** Destroys the resident's data key (crypto-shredding); true if a key was destroyed. */
  shred(residentId: string): Promise<boolean>;
  /** Drops a resident's key from this process (e.g. on another gateway's shred notification). */
  forget(residentId: string): void;
  /** Drops every key from this process. */
  forgetAll(): void;
  stats(): KeyringStats;
}

/** The resident's data key has been destroyed: nothing can be encrypted or decrypted for them. */
export class ShreddedError extends Error {
  constructor(readonly residentId: string) {
    super(`the data key of resident ${residentId} has been destroyed (crypto-shredded)`);
    this.name = 'ShreddedError';
  }
}

/** A programming error: encrypt/decrypt was called for a resident `prepare` did not load. */
export class KeyNotPreparedError extends Error {
  constructor(readonly residentId: string) {
    super(`no data key prepared for resident ${residentId}: await keyring.prepare([...residentIds]) before encrypting or decrypting`);
    this.name = 'KeyNotPreparedError';
  }
}

type KeyEntry = { readonly state: 'key'; readonly key: Buffer; readonly keyRef: string } | { readonly state: 'shredded' } | { readonly state: 'absent' };
const SHREDDED: KeyEntry = { state: 'shredded' };
/** A resident without a data key, seen by a reader: pinned for this turn only, never cached (a registration may create it). */
const ABSENT: KeyEntry = { state: 'absent' };

function keyRefFor(keyVersion: number): string {
  return `dk${keyVersion}`;
}

/** A Postgres array literal sent as one text parameter (works the same on PGlite and postgres.js). */
function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

class DatabaseKeyring implements Keyring {
  private readonly cache: LruCache<string, KeyEntry>;
  /** Keys the latest prepares made ready, held until the next turn of the event loop. */
  private readonly pinned = new Map<string, KeyEntry>();
  private unpinScheduled = false;
  private hits = 0;
  private misses = 0;
  private readonly provider: KeyProvider;
  private readonly blindIndexKey: Uint8Array;
  private readonly rotationBatchSize: number;

  constructor(
    private readonly db: Database,
    options: KeyringOptions,
  ) {
    if (options.blindIndexKey.length < 32) throw new Error('the blind index key must be at least 32 bytes');
    this.provider = options.provider;
    this.blindIndexKey = options.blindIndexKey;
    this.rotationBatchSize = options.rotationBatchSize ?? 500;
    this.cache = new LruCache(options.cache?.maxEntries ?? 10_000, options.cache?.ttlMs ?? 60_000, options.now);
  }

  async prepare(residentIds: readonly string[], options: { create?: boolean } = {}): Promise<void> {
    const create = options.create ?? true;
    const missing: string[] = [];
    for (const residentId of new Set(residentIds)) {
      if (typeof residentId !== 'string' || residentId.length === 0) throw new Error('a resident id is a non-empty string');
      const entry = this.cache.get(residentId);
      if (entry) {
        this.hits++;
        this.pin(residentId, entry);
      } else {
        this.misses++;
        missing.push(residentId);
      }
    }
    for (let i = 0; i < missing.length; i += PREPARE_CHUNK) {
      const chunk = missing.slice(i, i + PREPARE_CHUNK);
      const loaded = await this.load(chunk, create);
      for (const [residentId, entry] of loaded) {
        this.cache.set(residentId, entry);
        this.pin(residentId, entry);
      }
      for (const residentId of chunk) if (!loaded.has(residentId)) this.pin(residentId, ABSENT);
    }
  }

  encrypt(residentId: string, coordinate: string, plaintext: string): string {
    const entry = this.entry(residentId);
    if (entry.state === 'shredded') throw new ShreddedError(residentId);
    // Only a reader's prepare leaves a key absent; encrypting after it is a programming error.
    if (entry.state === 'absent') throw new KeyNotPreparedError(residentId);
    return encryptField(entry.key, entry.keyRef, { residentId, coordinate }, plaintext);
  }

  decrypt(residentId: string, coordinate: string, ciphertext: string): DecryptResult {
    const entry = this.entry(residentId);
    if (entry.state === 'shredded') return { ok: false, reason: 'SHREDDED' };
    if (entry.state === 'absent') return { ok: false, reason: 'UNREADABLE' };
    const parsed = typeof ciphertext === 'string' ? parseFieldCiphertext(ciphertext) : undefined;
    if (!parsed || parsed.keyRef !== entry.keyRef) return { ok: false, reason: 'UNREADABLE' };
    const plaintext = decryptField(entry.key, parsed, { residentId, coordinate });
    return plaintext === undefined ? { ok: false, reason: 'UNREADABLE' } : { ok: true, plaintext };
  }

  blindIndex(kind: BlindIndexKind, value: string): string {
    return computeBlindIndex(this.blindIndexKey, kind, value);
  }

  async rotateKek(): Promise<{ kekId: string; rewrapped: number }> {
    await this.provider.rotate();
    return this.rewrap();
  }

  async rewrap(): Promise<{ kekId: string; rewrapped: number }> {
    let rewrapped = 0;
    for (;;) {
      // Re-read each batch: a rotation elsewhere during this one moves the target, and the loop follows.
      const target = await this.provider.currentKekId();
      const count = await this.db.transaction(async (tx) => {
        const rows = await tx
          .select({ residentId: dataKeys.residentId, kekId: dataKeys.kekId, wrapped: dataKeys.wrapped })
          .from(dataKeys)
          .where(and(isNotNull(dataKeys.wrapped), or(isNull(dataKeys.kekId), ne(dataKeys.kekId, target))))
          .orderBy(dataKeys.residentId)
          .limit(this.rotationBatchSize)
          .for('update');
        if (rows.length === 0) return 0;
        const rewrappedRows = await Promise.all(
          rows.map(async (row) => {
            if (!row.kekId) throw new Error(`data key of resident ${row.residentId} names no KEK`);
            const key = await this.provider.unwrap(row.kekId, Buffer.from(row.wrapped!, 'base64'));
            try {
              const { kekId, wrapped } = await this.provider.wrap(key);
              return { residentId: row.residentId, kekId, wrapped: Buffer.from(wrapped).toString('base64') };
            } finally {
              key.fill(0);
            }
          }),
        );
        await tx.execute(sql`
          update ${dataKeys} as d set kek_id = v.kek_id, wrapped = v.wrapped, rotated_at = now()
          from unnest(${textArray(rewrappedRows.map((r) => r.residentId))}::text[],
                      ${textArray(rewrappedRows.map((r) => r.kekId))}::text[],
                      ${textArray(rewrappedRows.map((r) => r.wrapped))}::text[]) as v(resident_id, kek_id, wrapped)
          where d.resident_id = v.resident_id and d.wrapped is not null`);
        return rows.length;
      });
      if (count === 0) return { kekId: target, rewrapped };
      rewrapped += count;
    }
  }

  async shred(residentId: string): Promise<boolean> {
    const destroyed = await this.db.transaction(async (tx) => {
      const updated = await tx
        .update(dataKeys)
        .set({ wrapped: null, shreddedAt: sql`now()` })
        .where(and(eq(dataKeys.residentId, residentId), isNull(dataKeys.shreddedAt)))
        .returning({ residentId: dataKeys.residentId });
      // No key yet: a tombstone, so none is ever created for this resident afterwards.
      if (updated.length === 0) await tx.insert(dataKeys).values({ residentId, kekId: null, wrapped: null, shreddedAt: sql`now()` }).onConflictDoNothing();
      // Delivered to every listening gateway when the transaction commits.
      await tx.execute(sql`select pg_notify(${SHRED_CHANNEL}, ${residentId})`);
      return updated.length > 0;
    });
    this.cache.set(residentId, SHREDDED);
    this.pin(residentId, SHREDDED);
    return destroyed;
  }

  forget(residentId: string): void {
    this.cache.delete(residentId);
    this.pinned.delete(residentId);
  }

  forgetAll(): void {
    this.cache.clear();
    this.pinned.clear();
  }

  stats(): KeyringStats {
    return { hits: this.hits, misses: this.misses, size: this.cache.size };
  }

  private entry(residentId: string): KeyEntry {
    const entry = this.pinned.get(residentId) ?? this.cache.get(residentId);
    if (!entry) throw new KeyNotPreparedError(residentId);
    return entry;
  }

  private pin(residentId: string, entry: KeyEntry): void {
    this.pinned.set(residentId, entry);
    if (this.unpinScheduled) return;
    this.unpinScheduled = true;
    setImmediate(() => {
      this.pinned.clear();
      this.unpinScheduled = false;
    }).unref();
  }

  /** Reads (and, when `create`, makes for residents without one) data keys; concurrent gateways agree on one key each. */
  private async load(residentIds: readonly string[], create: boolean): Promise<Map<string, KeyEntry>> {
    const select = (ids: readonly string[]) =>
      this.db
        .select({ residentId: dataKeys.residentId, keyVersion: dataKeys.keyVersion, kekId: dataKeys.kekId, wrapped: dataKeys.wrapped })
        .from(dataKeys)
        .where(inArray(dataKeys.residentId, [...ids]));
    const rows = await select(residentIds);
    const found = new Set(rows.map((row) => row.residentId));
    const absent = residentIds.filter((id) => !found.has(id));
    const created = new Map<string, { key: Buffer; wrapped: string }>();
    if (create && absent.length > 0) {
      const fresh = await Promise.all(
        absent.map(async (residentId) => {
          const key = randomBytes(DATA_KEY_BYTES);
          const { kekId, wrapped } = await this.provider.wrap(key);
          return { residentId, key, kekId, wrapped: Buffer.from(wrapped).toString('base64') };
        }),
      );
      // Sorted by resident: two gateways inserting overlapping sets take row locks in the same order,
      // so they wait for each other instead of deadlocking.
      fresh.sort((a, b) => (a.residentId < b.residentId ? -1 : a.residentId > b.residentId ? 1 : 0));
      await this.db
        .insert(dataKeys)
        .values(fresh.map(({ residentId, kekId, wrapped }) => ({ residentId, keyVersion: 1, kekId, wrapped })))
        .onConflictDoNothing({ target: dataKeys.residentId });
      for (const { residentId, key, wrapped } of fresh) created.set(residentId, { key, wrapped });
      // Another gateway may have won the insert for some: what the table holds now is the key.
      rows.push(...(await select(absent)));
    }
    const entries = await Promise.all(
      rows.map(async (row): Promise<[string, KeyEntry]> => {
        if (row.wrapped === null) return [row.residentId, SHREDDED];
        const ours = created.get(row.residentId);
        const key =
          ours && ours.wrapped === row.wrapped ? ours.key : Buffer.from(await this.provider.unwrap(row.kekId ?? '', Buffer.from(row.wrapped, 'base64')));
        if (key.length !== DATA_KEY_BYTES) throw new Error(`data key of resident ${row.residentId} has ${key.length} bytes, expected ${DATA_KEY_BYTES}`);
        return [row.residentId, { state: 'key', key, keyRef: keyRefFor(row.keyVersion) }];
      }),
    );
    return new Map(entries);
  }
}

/** Opens the keyring over `keyring.data_key` (migrated with the `keyring` module). */
export function openKeyring(db: Database, options: KeyringOptions): Keyring {
  return new DatabaseKeyring(db, options);
}
