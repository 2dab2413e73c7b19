/**
 * Key-encryption keys (KEKs): what wraps each resident's data key (DESIGN §4). `KeyProvider` is the
 * seam a KMS or HSM implements; embedded mode keeps KEKs as files, a deployment without a KMS can
 * pass one in the environment. Data keys never leave the gateway unwrapped.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Wraps and unwraps data keys under a key-encryption key; implemented by a KMS/HSM client in production. */
export interface KeyProvider {
  /** The id of the KEK new data keys are wrapped with. */
  currentKekId(): Promise<string>;
  /** Wraps a data key with the current KEK. */
  wrap(dataKey: Uint8Array): Promise<{ kekId: string; wrapped: Uint8Array }>;
  /** Unwraps a data key wrapped by `kekId` (current or retired); throws if it cannot. */
  unwrap(kekId: string, wrapped: Uint8Array): Promise<Uint8Array>;
  /** Creates a new current KEK and returns its id; old KEKs stay available for unwrap. */
  rotate(): Promise<string>;
}

const KEK_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEK_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Refuses KEK ids that could escape the key directory or break the stored format. */
function assertKekId(kekId: string): void {
  if (!KEK_ID.test(kekId)) throw new Error(`invalid KEK id "${kekId.slice(0, 80)}": expected 1-64 of A-Z a-z 0-9 _ -`);
}

/** AES-256-GCM with the KEK id as AAD: `iv ‖ ciphertext ‖ tag`. */
export function wrapWithKek(kek: Uint8Array, kekId: string, dataKey: Uint8Array): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(kekId, 'utf8'));
  return Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
}

/** The inverse of `wrapWithKek`; throws when the KEK, its id or the wrapped bytes do not match. */
export function unwrapWithKek(kek: Uint8Array, kekId: string, wrapped: Uint8Array): Uint8Array {
  if (wrapped.length <= IV_BYTES + TAG_BYTES) throw new Error(`cannot unwrap data key with KEK ${kekId}: wrapped key too short`);
  const bytes = Buffer.from(wrapped);
  const decipher = createDecipheriv('aes-256-gcm', kek, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(kekId, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new Error(`cannot unwrap data key with KEK ${kekId}: authentication failed (wrong KEK or corrupted key)`);
  }
}

function newKekId(prefix: string): string {
  return `${prefix}-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex')}`;
}

/**
 * KEKs as files under `<dataDir>/keys/kek/` (`<id>.kek`, base64, mode 0600) with a `current` file
 * naming the KEK in use. The first KEK is created on first use; writes are create-exclusive or an
 * atomic rename, so processes sharing the directory agree on the current KEK.
 */
export class LocalFileKeyProvider implements KeyProvider {
  readonly directory: string;
  private readonly keks = new Map<string, Uint8Array>();

  constructor(dataDir: string) {
    this.directory = join(dataDir, 'keys', 'kek');
  }

  async currentKekId(): Promise<string> {
    return this.current();
  }

  async wrap(dataKey: Uint8Array): Promise<{ kekId: string; wrapped: Uint8Array }> {
    const kekId = this.current();
    return { kekId, wrapped: wrapWithKek(this.kek(kekId), kekId, dataKey) };
  }

  async unwrap(kekId: string, wrapped: Uint8Array): Promise<Uint8Array> {
    return unwrapWithKek(this.kek(kekId), kekId, wrapped);
  }

  async rotate(): Promise<string> {
    const kekId = this.createKek();
    const pointer = join(this.directory, 'current');
    const temporary = `${pointer}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(temporary, kekId, { mode: 0o600 });
    renameSync(temporary, pointer);
    return kekId;
  }

  /** Ids of every KEK in the directory (current and retired). */
  kekIds(): string[] {
    if (!existsSync(this.directory)) return [];
    return readdirSync(this.directory)
      .filter((name) => name.endsWith('.kek'))
      .map((name) => name.slice(0, -'.kek'.length))
      .sort();
  }

  private current(): string {
    const pointer = join(this.directory, 'current');
    if (!existsSync(pointer)) {
      const kekId = this.createKek();
      try {
        writeFileSync(pointer, kekId, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        // Another process created the first KEK at the same moment: use theirs.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    const kekId = readFileSync(pointer, 'utf8').trim();
    assertKekId(kekId);
    return kekId;
  }

  private createKek(): string {
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    const kekId = newKekId('local');
    writeFileSync(join(this.directory, `${kekId}.kek`), randomBytes(KEK_BYTES).toString('base64'), { mode: 0o600, flag: 'wx' });
    return kekId;
  }

  private kek(kekId: string): Uint8Array {
    assertKekId(kekId);
    const cached = this.keks.get(kekId);
    if (cached) return cached;
    const file = join(this.directory, `${kekId}.kek`);
    if (!existsSync(file)) throw new Error(`KEK ${kekId} is not in ${this.directory}`);
    const kek = decodeKey(readFileSync(file, 'utf8'), `KEK file ${file}`);
    this.keks.set(kekId, kek);
    return kek;
  }
}

function decodeKey(base64: string, what: string): Uint8Array {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== KEK_BYTES) throw new Error(`${what} must be ${KEK_BYTES} bytes of base64, got ${key.length} bytes`);
  return new Uint8Array(key);
}

/**
 * One KEK from the environment: `HEALTHMESH_KEK` (base64, 32 bytes) and `HEALTHMESH_KEK_ID` (default:
 * `env-` and a fingerprint of the key). KEKs retired in the secret store stay readable through
 * `HEALTHMESH_KEK_RETIRED` (`id:base64,id:base64`), so data keys wrapped by them can be re-wrapped.
 */
export class EnvironmentKeyProvider implements KeyProvider {
  private readonly kekId: string;
  private readonly keks = new Map<string, Uint8Array>();

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const raw = env['HEALTHMESH_KEK'];
    if (!raw) throw new Error('HEALTHMESH_KEK is not set (base64 of a 32-byte key-encryption key)');
    const kek = decodeKey(raw, 'HEALTHMESH_KEK');
    this.kekId = env['HEALTHMESH_KEK_ID']?.trim() || `env-${createHash('sha256').update(kek).digest('hex').slice(0, 12)}`;
    assertKekId(this.kekId);
    this.keks.set(this.kekId, kek);
    for (const entry of (env['HEALTHMESH_KEK_RETIRED'] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      const colon = entry.indexOf(':');
      if (colon < 1) throw new Error('HEALTHMESH_KEK_RETIRED must be a comma-separated list of id:base64');
      const id = entry.slice(0, colon);
      assertKekId(id);
      if (!this.keks.has(id)) this.keks.set(id, decodeKey(entry.slice(colon + 1), `HEALTHMESH_KEK_RETIRED entry ${id}`));
    }
  }

  async currentKekId(): Promise<string> {
    return this.kekId;
  }

  async wrap(dataKey: Uint8Array): Promise<{ kekId: string; wrapped: Uint8Array }> {
    return { kekId: this.kekId, wrapped: wrapWithKek(this.keks.get(this.kekId)!, this.kekId, dataKey) };
  }

  async unwrap(kekId: string, wrapped: Uint8Array): Promise<Uint8Array> {
    const kek = this.keks.get(kekId);
    if (!kek) throw new Error(`KEK ${kekId} is not available: set it in HEALTHMESH_KEK or HEALTHMESH_KEK_RETIRED`);
    return unwrapWithKek(kek, kekId, wrapped);
  }

  async rotate(): Promise<string> {
    throw new Error(
      'the KEK comes from the environment and cannot be rotated here: rotate it in your KMS or secret store, ' +
        'set HEALTHMESH_KEK and HEALTHMESH_KEK_ID to the new key, keep the old one in HEALTHMESH_KEK_RETIRED (id:base64), ' +
        'and run `npm run keys -- rewrap`',
    );
  }
}

/** KEKs held in memory only (tests and benchmarks): gone when the process ends. */
export class InMemoryKeyProvider implements KeyProvider {
  private readonly keks = new Map<string, Uint8Array>();
  private current = '';

  async currentKekId(): Promise<string> {
    if (!this.current) await this.rotate();
    return this.current;
  }

  async wrap(dataKey: Uint8Array): Promise<{ kekId: string; wrapped: Uint8Array }> {
    const kekId = await this.currentKekId();
    return { kekId, wrapped: wrapWithKek(this.keks.get(kekId)!, kekId, dataKey) };
  }

  async unwrap(kekId: string, wrapped: Uint8Array): Promise<Uint8Array> {
    const kek = this.keks.get(kekId);
    if (!kek) throw new Error(`KEK ${kekId} is not held by this in-memory provider`);
    return unwrapWithKek(kek, kekId, wrapped);
  }

  async rotate(): Promise<string> {
    const kekId = newKekId('memory');
    this.keks.set(kekId, new Uint8Array(randomBytes(KEK_BYTES)));
    this.current = kekId;
    return kekId;
  }
}

/** The environment's KEK when `HEALTHMESH_KEK` is set, else KEK files under `<dataDir>/keys/kek`. */
export function keyProviderFromConfig(dataDir: string, env: NodeJS.ProcessEnv = process.env): KeyProvider {
  return env['HEALTHMESH_KEK'] ? new EnvironmentKeyProvider(env) : new LocalFileKeyProvider(dataDir);
}
