/**
 * The gateway's reference lookups (`@inaccessible` queries a subgraph answers for the gateway's check of
 * a hospital feed's references): one lookup per kind per batch, so each takes many ids, within a bound.
 */
import { InvalidInputError } from '../../schema/errors.js';

/** Most distinct ids one lookup takes: well above the largest feed batch (500 records). */
export const MAX_REFERENCE_LOOKUP = 1000;

/** The distinct ids of a lookup; refuses more than the bound. */
export function lookupIds(ids: readonly string[]): string[] {
  const distinct = [...new Set(ids)];
  if (distinct.length > MAX_REFERENCE_LOOKUP) throw new InvalidInputError(`At most ${MAX_REFERENCE_LOOKUP} ids per lookup.`, { field: 'ids' });
  return distinct;
}
