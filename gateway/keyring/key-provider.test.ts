import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateBlindIndexKey } from './blind-index.js';
import { EnvironmentKeyProvider, LocalFileKeyProvider, keyProviderFromConfig } from './key-provider.js';

const directories: string[] = [];
function temporaryDataDir(): string {
  const directory = mkdtempSync(join(tmpdir(), 'healthmesh-kek-'));
  directories.push(directory);
  return directory;
}
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('LocalFileKeyProvider', () => {
  it('creates one KEK on first use as a private file named by the current pointer', async () => {
    const dataDir = temporaryDataDir();
    const provider = new LocalFileKeyProvider(dataDir);
    const kekId = await provider.currentKekId();
    expect(kekId).toMatch(/^local-\d{8}-[0-9a-f]{8}$/);
    expect(await new LocalFileKeyProvider(dataDir).currentKekId()).toBe(kekId);
    expect(readFileSync(join(dataDir, 'keys', 'kek', 'current'), 'utf8')).toBe(kekId);
    expect(statSync(join(dataDir, 'keys', 'kek', `${kekId}.kek`)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(join(dataDir, 'keys', 'kek', `${kekId}.kek`), 'utf8'), 'base64')).toHaveLength(32);
  });

  it('wraps under the current KEK and still unwraps under a retired one after rotation', async () => {
    const provider = new LocalFileKeyProvider(temporaryDataDir());
    const dataKey = randomBytes(32);
    const before = await provider.wrap(dataKey);
    const rotated = await provider.rotate();
    const after = await provider.wrap(dataKey);
    expect(after.kekId).toBe(rotated);
    expect(before.kekId).not.toBe(rotated);
    expect(Buffer.from(await provider.unwrap(before.kekId, before.wrapped))).toEqual(dataKey);
    expect(Buffer.from(await provider.unwrap(after.kekId, after.wrapped))).toEqual(dataKey);
    expect(provider.kekIds()).toEqual([before.kekId, rotated].sort());
  });

  it('refuses to unwrap under the wrong KEK id, an unknown KEK or a path-like id', async () => {
    const provider = new LocalFileKeyProvider(temporaryDataDir());
    const { kekId, wrapped } = await provider.wrap(randomBytes(32));
    const other = await provider.rotate();
    await expect(provider.unwrap(other, wrapped)).rejects.toThrow(`cannot unwrap data key with KEK ${other}: authentication failed (wrong KEK or corrupted key)`);
    await expect(provider.unwrap('local-20200101-00000000', wrapped)).rejects.toThrow(/^KEK local-20200101-00000000 is not in /);
    await expect(provider.unwrap('../../etc/passwd', wrapped)).rejects.toThrow('invalid KEK id "../../etc/passwd"');
    expect(kekId).not.toBe(other);
  });
});

describe('EnvironmentKeyProvider', () => {
  const kek = randomBytes(32).toString('base64');

  it('wraps with HEALTHMESH_KEK under HEALTHMESH_KEK_ID and unwraps retired KEKs', async () => {
    const old = new EnvironmentKeyProvider({ HEALTHMESH_KEK: kek, HEALTHMESH_KEK_ID: 'kms-2025' });
    const dataKey = randomBytes(32);
    const wrappedByOld = await old.wrap(dataKey);
    expect(wrappedByOld.kekId).toBe('kms-2025');
    const current = new EnvironmentKeyProvider({
      HEALTHMESH_KEK: randomBytes(32).toString('base64'),
      HEALTHMESH_KEK_ID: 'kms-2026',
      HEALTHMESH_KEK_RETIRED: `kms-2025:${kek}`,
    });
    expect(await current.currentKekId()).toBe('kms-2026');
    expect(Buffer.from(await current.unwrap('kms-2025', wrappedByOld.wrapped))).toEqual(dataKey);
  });

  it('names an unnamed KEK by its fingerprint', async () => {
    expect(await new EnvironmentKeyProvider({ HEALTHMESH_KEK: kek }).currentKekId()).toMatch(/^env-[0-9a-f]{12}$/);
  });

  it('refuses a KEK of the wrong length and says rotation belongs to the KMS', async () => {
    expect(() => new EnvironmentKeyProvider({ HEALTHMESH_KEK: randomBytes(16).toString('base64') })).toThrow(
      'HEALTHMESH_KEK must be 32 bytes of base64, got 16 bytes',
    );
    await expect(new EnvironmentKeyProvider({ HEALTHMESH_KEK: kek }).rotate()).rejects.toThrow(/^the KEK comes from the environment and cannot be rotated here: rotate it in your KMS/);
  });

  it('is chosen by keyProviderFromConfig when HEALTHMESH_KEK is set, files otherwise', () => {
    const dataDir = temporaryDataDir();
    expect(keyProviderFromConfig(dataDir, { HEALTHMESH_KEK: kek })).toBeInstanceOf(EnvironmentKeyProvider);
    expect(keyProviderFromConfig(dataDir, {})).toBeInstanceOf(LocalFileKeyProvider);
  });
});

describe('the blind index key', () => {
  it('is created once under <dataDir>/keys, private, or taken from HEALTHMESH_BLIND_INDEX_KEY', () => {
    const dataDir = temporaryDataDir();
    const key = loadOrCreateBlindIndexKey(dataDir, {});
    expect(key).toHaveLength(32);
    expect(loadOrCreateBlindIndexKey(dataDir, {})).toEqual(key);
    expect(statSync(join(dataDir, 'keys', 'blind-index.key')).mode & 0o777).toBe(0o600);
    const fromEnv = randomBytes(32);
    expect(Buffer.from(loadOrCreateBlindIndexKey(dataDir, { HEALTHMESH_BLIND_INDEX_KEY: fromEnv.toString('base64') }))).toEqual(fromEnv);
  });
});
