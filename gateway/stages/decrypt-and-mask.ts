/**
 * Stage 7b, decrypt and mask: fields the decision allows only masked are replaced by their mask in
 * one step, so the clear value is never kept or logged.
 */
import { mask } from '../masking.js';
import type { MaskedSelection } from './filter-operation.js';
import { forEachAtPath } from './shape-result.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function maskSelections(data: Record<string, unknown>, masked: readonly MaskedSelection[]): void {
  for (const selection of masked) {
    forEachAtPath(data as Record<string, Json>, selection.path, (parent, key) => {
      const value = parent[key];
      if (typeof value === 'string') parent[key] = mask(selection.mask, value);
    });
  }
}
