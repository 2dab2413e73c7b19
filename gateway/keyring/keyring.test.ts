import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testBackends } from '../../testkit/databases.js';
import { migrateAll, type DatabaseHandle } from '../../subgraphs/runtime/database.js';
import { computeBlindIndex, isBlindIndex, newBlindIndexKey } from './blind-index.js';
import { encryptField, isFieldCiphertext, parseFieldCiphertext } from './field-cipher.js';
import { LocalFileKeyProvider } from './key-provider.js';
import { KeyNotPreparedError, ShreddedError, openKeyring, type Keyring, type KeyringOptions } from './keyring.js';
import { LruCache } from './lru.js';
import { protectorFor } from './protector.js';
import { subscribeToShredding } from './shred-notifications.js';
import { dataKeys } from './tables.js';
import { inArray } from 'drizzle-orm';

const CIPHERTEXT = /^hm1\.a256gcm\.dk1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/;

function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The next turn of the event loop, after which only cached keys remain. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('blind indexes', () => {
  const key = newBlindIndexKey();

  it('are equal for ID-card numbers that normalise alike (lower-case x, spaces)', () => {
    const index = computeBlindIndex(key, 'idCard', '11010519491231002X');
    expect(computeBlindIndex(key, 'idCard', '11010519491231002x')).toBe(index);
    expect(computeBlindIndex(key, 'idCard', ' 110105 19491231 002x ')).toBe(index);
    expect(index).toMatch(/^bi1\.idCard\.[A-Za-z0-9_-]{43}$/);
    expect(isBlindIndex(index)).toBe(true);
  });

  it('are equal for phone numbers that normalise alike (+86, dashes, spaces)', () => {
    const index = computeBlindIndex(key, 'phone', '13800138000');
    expect(computeBlindIndex(key, 'phone', '+86 138-0013-8000')).toBe(index);
    expect(index).toMatch(/^bi1\.phone\.[A-Za-z0-9_-]{43}$/);
  });

  it('differ for different values, different kinds and different keys', () => {
    const index = computeBlindIndex(key, 'idCard', '11010519491231002X');
    expect(computeBlindIndex(key, 'idCard', '110105194912310037')).not.toBe(index);
    expect(computeBlindIndex(key, 'phone', '13800138000').split('.')[2]).not.toBe(computeBlindIndex(key, 'idCard', '13800138000').split('.')[2]);
    expect(computeBlindIndex(newBlindIndexKey(), 'idCard', '11010519491231002X')).not.toBe(index);
  });
});

describe('the data-key cache', () => {
  it('holds at most maxEntries, evicting the least recently used', () => {
    const cache = new LruCache<string, number>(2, 60_000);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('forgets an entry once its time to live has passed', () => {
    let now = 1_000;
    const cache = new LruCache<string, number>(10, 500, () => now);
    cache.set('a', 1);
    now = 1_499;
    expect(cache.get('a')).toBe(1);
    now = 1_500;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps nothing when maxEntries is 0', () => {
    const cache = new LruCache<string, number>(0, 500);
    cache.set('a', 1);
    expect(cache.size).toBe(0);
    expect(cache.get('a')).toBeUndefined();
  });
});

describe('field ciphertexts', () => {
  it('reserve sm4gcm: recognised in a ciphertext, refused for encryption in this build', () => {
    const key = randomBytes(16);
    expect(() => encryptField(key, 'dk1', { residentId: 'r1', coordinate: 'Resident.name' }, '张三', 'sm4gcm')).toThrow(
      /^field algorithm sm4gcm is reserved but not available in this build/,
    );
    expect(parseFieldCiphertext('hm1.sm4gcm.dk1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA')?.algorithm).toBe('sm4gcm');
    expect(parseFieldCiphertext('hm1.des.dk1.AAAAAAAAAAAAAAAA.AAAA')).toBeUndefined();
    expect(isFieldCiphertext('张三')).toBe(false);
  });
});

describe.each(testBackends())('the keyring on $name', (backend) => {
  let handle: DatabaseHandle;
  let url: string | undefined;
  let dispose: () => Promise<void>;
  let dataDir: string;
  const blindIndexKey = newBlindIndexKey();

  const open = (options: Partial<KeyringOptions> = {}): Keyring =>
    openKeyring(handle.db, { provider: new LocalFileKeyProvider(dataDir), blindIndexKey, ...options });

  beforeAll(async () => {
    ({ handle, url, dispose } = await backend.open());
    await migrateAll(handle, ['keyring']);
    dataDir = mkdtempSync(join(tmpdir(), 'healthmesh-keyring-'));
  });

  afterAll(async () => {
    await dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('round-trips a field value through encrypt and decrypt', async () => {
    const keyring = open();
    const resident = unique('r');
    await keyring.prepare([resident]);
    const ciphertext = keyring.encrypt(resident, 'Resident.name', '欧阳娜娜');
    expect(keyring.decrypt(resident, 'Resident.name', ciphertext)).toEqual({ ok: true, plaintext: '欧阳娜娜' });
    expect(keyring.decrypt(resident, 'Resident.name', keyring.encrypt(resident, 'Resident.name', ''))).toEqual({ ok: true, plaintext: '' });
  });

  it('writes self-describing ciphertexts (version, algorithm, key reference) that differ every time', async () => {
    const keyring = open();
    const resident = unique('r');
    await keyring.prepare([resident]);
    const first = keyring.encrypt(resident, 'Resident.idCardNumber', '11010519491231002X');
    const second = keyring.encrypt(resident, 'Resident.idCardNumber', '11010519491231002X');
    expect(first).toMatch(CIPHERTEXT);
    expect(second).toMatch(CIPHERTEXT);
    expect(first).not.toBe(second);
    expect(isFieldCiphertext(first)).toBe(true);
    const parsed = parseFieldCiphertext(first)!;
    expect([parsed.version, parsed.algorithm, parsed.keyRef, parsed.iv.length, parsed.sealed.length]).toEqual(['hm1', 'a256gcm', 'dk1', 12, 18 + 16]);
  });

  it('refuses a ciphertext moved to another field or another resident as UNREADABLE', async () => {
    const keyring = open();
    const [alice, bob] = [unique('alice'), unique('bob')];
    await keyring.prepare([alice, bob]);
    const name = keyring.encrypt(alice, 'Resident.name', '李雷');
    expect(keyring.decrypt(alice, 'Resident.address', name)).toEqual({ ok: false, reason: 'UNREADABLE' });
    expect(keyring.decrypt(bob, 'Resident.name', name)).toEqual({ ok: false, reason: 'UNREADABLE' });
    expect(keyring.decrypt(alice, 'Resident.name', name)).toEqual({ ok: true, plaintext: '李雷' });
  });

  it('refuses a tampered or malformed ciphertext as UNREADABLE and never throws', async () => {
    const keyring = open();
    const resident = unique('r');
    await keyring.prepare([resident]);
    const ciphertext = keyring.encrypt(resident, 'Resident.phone', '13800138000');
    const [version, alg, keyRef, iv, sealed] = ciphertext.split('.') as [string, string, string, string, string];
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const tampered = [
      [version, alg, keyRef, iv, flip(sealed)],
      [version, alg, keyRef, flip(iv), sealed],
      [version, alg, 'dk2', iv, sealed],
      [version, 'sm4gcm', keyRef, iv, sealed],
      ['hm2', alg, keyRef, iv, sealed],
      [version, alg, keyRef, iv, sealed.slice(0, 10)],
    ].map((parts) => parts.join('.'));
    for (const value of [...tampered, '13800138000', '', 'hm1....', 'hm1.a256gcm.dk1.!!.??']) {
      expect(keyring.decrypt(resident, 'Resident.phone', value), value).toEqual({ ok: false, reason: 'UNREADABLE' });
    }
  });

  it('creates no data key when a reader prepares a resident without one, and decrypts nothing for them', async () => {
    const keyring = open();
    const [invented, known] = [unique('invented'), unique('known')];
    await keyring.prepare([known]);
    const name = keyring.encrypt(known, 'Resident.name', '李雷');
    await keyring.prepare([invented, known], { create: false });
    // Prepared keys are pinned for this turn of the event loop only: use them before awaiting anything else.
    expect(keyring.decrypt(invented, 'Resident.name', name)).toEqual({ ok: false, reason: 'UNREADABLE' });
    expect(keyring.decrypt(known, 'Resident.name', name)).toEqual({ ok: true, plaintext: '李雷' });
    expect(() => keyring.encrypt(invented, 'Resident.name', 'x')).toThrow(KeyNotPreparedError);
    const keys = await handle.db.select({ residentId: dataKeys.residentId }).from(dataKeys).where(inArray(dataKeys.residentId, [invented, known]));
    expect(keys.map((k) => k.residentId)).toEqual([known]);
    // A writer later registering the resident gets a key: the reader's absence was not remembered.
    await keyring.prepare([invented]);
    expect(keyring.decrypt(invented, 'Resident.name', keyring.encrypt(invented, 'Resident.name', '韩梅梅'))).toEqual({ ok: true, plaintext: '韩梅梅' });
  });

  it('refuses to work with a key that was not prepared', async () => {
    const keyring = open();
    const resident = unique('r');
    expect(() => keyring.encrypt(resident, 'Resident.name', 'x')).toThrow(KeyNotPreparedError);
    expect(() => keyring.decrypt(resident, 'Resident.name', 'x')).toThrow(
      `no data key prepared for resident ${resident}: await keyring.prepare([...residentIds]) before encrypting or decrypting`,
    );
  });

  it('rotates the KEK: every data key re-wrapped under the new KEK, data untouched, readable with a cold cache', async () => {
    const residents = [unique('rot'), unique('rot'), unique('rot')];
    const keyring = open({ rotationBatchSize: 2 });
    await keyring.prepare(residents);
    await handle.query('create table if not exists public.field_sample (resident_id text primary key, name text not null)');
    for (const resident of residents) {
      await handle.query('insert into public.field_sample values ($1, $2)', [resident, keyring.encrypt(resident, 'Resident.name', `name of ${resident}`)]);
    }
    const samplesBefore = await handle.query<{ resident_id: string; name: string }>('select * from public.field_sample order by resident_id');
    const keysBefore = await handle.query<{ resident_id: string; kek_id: string; wrapped: string }>(
      'select resident_id, kek_id, wrapped from keyring.data_key where wrapped is not null order by resident_id',
    );
    const oldKek = await new LocalFileKeyProvider(dataDir).currentKekId();

    const { kekId, rewrapped } = await keyring.rotateKek();

    expect(kekId).not.toBe(oldKek);
    expect(await new LocalFileKeyProvider(dataDir).currentKekId()).toBe(kekId);
    expect(rewrapped).toBe(keysBefore.length);
    const keysAfter = await handle.query<{ resident_id: string; kek_id: string; wrapped: string; rotated_at: Date | null }>(
      'select resident_id, kek_id, wrapped, rotated_at from keyring.data_key where wrapped is not null order by resident_id',
    );
    expect(keysAfter.map((k) => k.resident_id)).toEqual(keysBefore.map((k) => k.resident_id));
    expect(new Set(keysAfter.map((k) => k.kek_id))).toEqual(new Set([kekId]));
    expect(keysAfter.every((k, i) => k.wrapped !== keysBefore[i]!.wrapped && k.rotated_at !== null)).toBe(true);
    expect(await handle.query('select * from public.field_sample order by resident_id')).toEqual(samplesBefore);
    // The old KEK stays on disk, private, for anything still wrapped by it.
    expect(statSync(join(dataDir, 'keys', 'kek', `${oldKek}.kek`)).mode & 0o777).toBe(0o600);

    const cold = open();
    await cold.prepare(residents);
    expect(cold.stats()).toEqual({ hits: 0, misses: 3, size: 3 });
    for (const { resident_id, name } of samplesBefore) {
      expect(cold.decrypt(resident_id, 'Resident.name', name)).toEqual({ ok: true, plaintext: `name of ${resident_id}` });
      expect(keyring.decrypt(resident_id, 'Resident.name', name)).toEqual({ ok: true, plaintext: `name of ${resident_id}` });
    }
    expect(await keyring.rewrap()).toEqual({ kekId, rewrapped: 0 });
  });

  it('shreds one resident: their data is SHREDDED everywhere, everyone else stays readable', async () => {
    const [gone, kept] = [unique('gone'), unique('kept')];
    const keyring = open();
    await keyring.prepare([gone, kept]);
    const goneName = keyring.encrypt(gone, 'Resident.name', '王五');
    const keptName = keyring.encrypt(kept, 'Resident.name', '赵六');

    expect(await keyring.shred(gone)).toBe(true);
    expect(await keyring.shred(gone)).toBe(false);

    expect(keyring.decrypt(gone, 'Resident.name', goneName)).toEqual({ ok: false, reason: 'SHREDDED' });
    expect(keyring.decrypt(kept, 'Resident.name', keptName)).toEqual({ ok: true, plaintext: '赵六' });
    expect(() => keyring.encrypt(gone, 'Resident.name', '王五')).toThrow(ShreddedError);
    const [row] = await handle.query<{ wrapped: string | null; shredded_at: Date | null }>('select wrapped, shredded_at from keyring.data_key where resident_id = $1', [gone]);
    expect(row!.wrapped).toBeNull();
    expect(row!.shredded_at).not.toBeNull();

    const fresh = open();
    await fresh.prepare([gone, kept]);
    expect(fresh.decrypt(gone, 'Resident.name', goneName)).toEqual({ ok: false, reason: 'SHREDDED' });
    expect(fresh.decrypt(kept, 'Resident.name', keptName)).toEqual({ ok: true, plaintext: '赵六' });
    expect(() => fresh.encrypt(gone, 'Resident.name', '王五')).toThrow(`the data key of resident ${gone} has been destroyed (crypto-shredded)`);
  });

  it('shredding a resident without a key yet destroys nothing but prevents one from ever being created', async () => {
    const resident = unique('never');
    const keyring = open();
    expect(await keyring.shred(resident)).toBe(false);
    const fresh = open();
    await fresh.prepare([resident]);
    expect(() => fresh.encrypt(resident, 'Resident.name', 'x')).toThrow(ShreddedError);
    expect(await handle.query('select kek_id, wrapped from keyring.data_key where resident_id = $1', [resident])).toEqual([{ kek_id: null, wrapped: null }]);
  });

  it('counts cache hits and misses, and with maxEntries 0 loads on every prepare yet still serves the calls that follow', async () => {
    const residents = [unique('c'), unique('c')];
    const cached = open();
    await cached.prepare(residents);
    await cached.prepare(residents);
    expect(cached.stats()).toEqual({ hits: 2, misses: 2, size: 2 });

    const uncached = open({ cache: { maxEntries: 0 } });
    await uncached.prepare(residents);
    const ciphertext = uncached.encrypt(residents[0]!, 'Resident.name', 'x');
    await uncached.prepare(residents);
    expect(uncached.decrypt(residents[0]!, 'Resident.name', ciphertext)).toEqual({ ok: true, plaintext: 'x' });
    expect(uncached.stats()).toEqual({ hits: 0, misses: 4, size: 0 });
    await nextTurn();
    expect(() => uncached.decrypt(residents[0]!, 'Resident.name', ciphertext)).toThrow(KeyNotPreparedError);
  });

  it('bounds how long another gateway’s shred goes unnoticed by the cache TTL', async () => {
    const resident = unique('ttl');
    let now = 0;
    const here = open({ cache: { maxEntries: 100, ttlMs: 1_000 }, now: () => now });
    const elsewhere = open();
    await here.prepare([resident]);
    const ciphertext = here.encrypt(resident, 'Resident.name', 'x');
    await elsewhere.shred(resident);

    now = 999;
    await here.prepare([resident]);
    expect(here.decrypt(resident, 'Resident.name', ciphertext)).toEqual({ ok: true, plaintext: 'x' });
    now = 1_000;
    await nextTurn();
    await here.prepare([resident]);
    expect(here.decrypt(resident, 'Resident.name', ciphertext)).toEqual({ ok: false, reason: 'SHREDDED' });
  });

  it('agrees on one data key per resident when two keyrings prepare the same residents at once', async () => {
    const residents = Array.from({ length: 40 }, () => unique('race'));
    const [a, b] = [open(), open()];
    for (let round = 0; round < 3; round++) {
      const batch = residents.slice(round * 10, round * 10 + 20);
      await Promise.all([a.prepare(batch), b.prepare([...batch].reverse())]);
    }
    await Promise.all([a.prepare(residents), b.prepare(residents)]);
    for (const resident of residents) {
      expect(b.decrypt(resident, 'Resident.name', a.encrypt(resident, 'Resident.name', resident))).toEqual({ ok: true, plaintext: resident });
      expect(a.decrypt(resident, 'Resident.name', b.encrypt(resident, 'Resident.name', resident))).toEqual({ ok: true, plaintext: resident });
    }
    const [{ n }] = (await handle.query<{ n: number }>('select count(*)::int as n from keyring.data_key where resident_id = any($1::text[])', [residents])) as [{ n: number }];
    expect(n).toBe(40);
  });

  it('serves the seeder as a FieldProtector after its prepare hook', async () => {
    const keyring = open();
    const { protector, prepare } = protectorFor(keyring);
    const resident = unique('seed');
    await prepare([resident]);
    const stored = protector.protect(resident, 'Resident.idCardNumber', '11010519491231002X');
    expect(stored).toMatch(CIPHERTEXT);
    expect(keyring.decrypt(resident, 'Resident.idCardNumber', stored)).toEqual({ ok: true, plaintext: '11010519491231002X' });
    expect(protector.blindIndex('idCard', '11010519491231002x')).toBe(computeBlindIndex(blindIndexKey, 'idCard', '11010519491231002X'));
  });

  it.runIf(backend.name === 'postgres')('evicts a key at once when another gateway shreds it (LISTEN/NOTIFY)', async () => {
    const resident = unique('notify');
    const here = open({ cache: { maxEntries: 100, ttlMs: 3_600_000 } });
    const subscription = await subscribeToShredding(url!, here);
    try {
      await here.prepare([resident]);
      const ciphertext = here.encrypt(resident, 'Resident.name', 'x');
      await open().shred(resident);
      await vi.waitFor(() => expect(() => here.decrypt(resident, 'Resident.name', ciphertext)).toThrow(KeyNotPreparedError), { timeout: 5_000 });
      await here.prepare([resident]);
      expect(here.decrypt(resident, 'Resident.name', ciphertext)).toEqual({ ok: false, reason: 'SHREDDED' });
    } finally {
      await subscription.close();
    }
  });
});
