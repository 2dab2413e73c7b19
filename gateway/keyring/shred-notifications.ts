/**
 * Shredding reaches every gateway replica: `shred` runs `pg_notify('healthmesh_keyring', residentId)`
 * in its transaction, and each gateway listening here evicts that resident's key at once.
 *
 * LISTEN needs a connection of its own, and `DatabaseHandle` does not expose its postgres.js client,
 * so this opens one from the database URL. Without it (PGlite, or a notification lost while the
 * connection was down) the cache TTL bounds how long a shredded key can still be used here; after a
 * reconnect every cached key is dropped, since notifications may have been missed.
 */
import postgres from 'postgres';
import type { Keyring } from './keyring.js';
import { SHRED_CHANNEL } from './keyring.js';

export interface ShredSubscription {
  close(): Promise<void>;
}

/** Listens for shreds on the PostgreSQL at `databaseUrl` and evicts them from `keyring`'s cache. */
export async function subscribeToShredding(databaseUrl: string, keyring: Pick<Keyring, 'forget' | 'forgetAll'>): Promise<ShredSubscription> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  let listens = 0;
  try {
    const { unlisten } = await sql.listen(
      SHRED_CHANNEL,
      (residentId) => keyring.forget(residentId),
      () => {
        if (listens++ > 0) keyring.forgetAll();
      },
    );
    return {
      async close() {
        await unlisten();
        await sql.end({ timeout: 5 });
      },
    };
  } catch (error) {
    await sql.end({ timeout: 1 });
    throw error;
  }
}
