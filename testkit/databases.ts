/**
 * Test databases: always an in-memory PGlite; also a real PostgreSQL when TEST_DATABASE_URL is set.
 * Each PostgreSQL test database gets a random name and is dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle, type DatabaseOptions } from '../subgraphs/runtime/index.js';

export interface TestBackend {
  name: 'pglite' | 'postgres';
  /** Opens a fresh, empty database; `dispose` closes (and for PostgreSQL drops) it. */
  open(options?: Pick<DatabaseOptions, 'onQuery'>): Promise<{ handle: DatabaseHandle; url?: string; dispose(): Promise<void> }>;
}

const pglite: TestBackend = {
  name: 'pglite',
  async open(options = {}) {
    const handle = await openDatabase(options);
    return { handle, dispose: () => handle.close() };
  },
};

function postgresBackend(adminUrl: string): TestBackend {
  return {
    name: 'postgres',
    async open(options = {}) {
      const name = `healthmesh_test_${randomBytes(6).toString('hex')}`;
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`CREATE DATABASE ${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const handle = await openDatabase({ ...options, url: url.toString(), maxConnections: 10 });
      return {
        handle,
        url: url.toString(),
        async dispose() {
          await handle.close();
          await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await admin.end({ timeout: 5 });
        },
      };
    },
  };
}

/** The backends integration tests run on: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export function testBackends(): TestBackend[] {
  const url = process.env['TEST_DATABASE_URL'];
  return url ? [pglite, postgresBackend(url)] : [pglite];
}
