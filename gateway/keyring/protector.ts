/**
 * The keyring as the seeder's `FieldProtector` (seed/write.ts): `prepare` is awaited once per batch,
 * then `protect` and `blindIndex` run synchronously for each resident of the batch.
 */
import type { BlindIndexKind } from './blind-index.js';
import type { Keyring } from './keyring.js';

/** Structurally the seeder's `FieldProtector` (the gateway does not import the seeder). */
export interface KeyringFieldProtector {
  protect(residentId: string, coordinate: string, plaintext: string): string;
  blindIndex(kind: BlindIndexKind, value: string): string;
}

/** A protector over `keyring` and the hook that loads (or creates) a batch's data keys beforehand. */
export function protectorFor(keyring: Keyring): { protector: KeyringFieldProtector; prepare: (residentIds: readonly string[]) => Promise<void> } {
  return {
    protector: {
      protect: (residentId, coordinate, plaintext) => keyring.encrypt(residentId, coordinate, plaintext),
      blindIndex: (kind, value) => keyring.blindIndex(kind, value),
    },
    prepare: (residentIds) => keyring.prepare(residentIds),
  };
}
