/**
 * Stage 7b, decrypt and mask: encrypted fields arrive from the subgraphs as ciphertext. Only fields the
 * decision released are here at all (denied ones were never fetched, so never decrypted); a field
 * released masked is decrypted and masked in one step, so its clear value is never kept. A field whose
 * key was shredded is reported as erased, never as garbage.
 */
import { GraphQLError } from 'graphql';
import type { ClassificationMap } from '../../schema/classification.js';
import type { Keyring } from '../keyring/index.js';
import { mask } from '../masking.js';
import type { ReleasedSelection } from './filter-operation.js';
import { forEachAtPath } from './shape-result.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Code of a field whose resident's data key was destroyed (PIPL art. 47 erasure by crypto-shredding). */
export const DATA_ERASED = 'DATA_ERASED';
/** Code of a field whose ciphertext does not decrypt (tampered, moved, or a key the gateway lacks). */
export const DATA_UNREADABLE = 'DATA_UNREADABLE';

export interface DecryptAndMaskInput {
  data: Record<string, unknown>;
  released: readonly ReleasedSelection[];
  /** The resident each subject root's data belongs to. */
  residentOfRoot: ReadonlyMap<string, string>;
  classifications: ClassificationMap;
  keyring: Keyring;
}

/** Decrypts and masks in place; returns an error for each value that could not be released. */
export async function decryptAndMask({ data, released, residentOfRoot, classifications, keyring }: DecryptAndMaskInput): Promise<GraphQLError[]> {
  const encrypted = released.filter((selection) => classifications.get(selection.coordinate)?.encrypted);
  const residents = [...new Set(encrypted.flatMap((selection) => residentOfRoot.get(selection.rootKey) ?? []))];
  // A read never creates a key: an invented resident id leaves no trace in the keyring.
  if (residents.length > 0) await keyring.prepare(residents, { create: false });
  const errors: GraphQLError[] = [];
  for (const selection of released) {
    const isEncrypted = classifications.get(selection.coordinate)?.encrypted === true;
    if (!isEncrypted && selection.effect !== 'masked') continue;
    const residentId = residentOfRoot.get(selection.rootKey);
    forEachAtPath(data as Record<string, Json>, selection.path, (parent, key, concretePath) => {
      const value = parent[key];
      if (typeof value !== 'string') return;
      let clear = value;
      if (isEncrypted) {
        // Encrypted data outside a resident's root has no resident to decrypt for: never released.
        const result = residentId ? keyring.decrypt(residentId, selection.coordinate, value) : ({ ok: false, reason: 'UNREADABLE' } as const);
        if (!result.ok) {
          parent[key] = null;
          errors.push(
            new GraphQLError(result.reason === 'SHREDDED' ? "This resident's identifying data was erased at their request." : 'This value cannot be decrypted.', {
              path: concretePath,
              extensions: { code: result.reason === 'SHREDDED' ? DATA_ERASED : DATA_UNREADABLE },
            }),
          );
          return;
        }
        clear = result.plaintext;
      }
      parent[key] = selection.effect === 'masked' && selection.mask ? mask(selection.mask, clear) : clear;
    });
  }
  return errors;
}
