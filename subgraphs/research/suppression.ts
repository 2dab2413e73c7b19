/**
 * Output protection of an aggregate answer (DESIGN §7): cells of 1 to k-1 residents are suppressed
 * (primary suppression), then complementary suppression: along every dimension, each slice of the
 * table (the cells that share the values of all other dimensions, whose sum is a row, column or grand
 * total someone may know) either hides nothing or hides at least two cells together worth at least k
 * residents, so no hidden cell follows from the slice's total and its visible cells. Zero cells do not
 * occur (GROUP BY yields none) and so reveal nothing to hide.
 */

export interface CountedCell {
  group: readonly string[];
  /** Residents behind the cell. */
  residents: number;
}

/** Which cells to suppress: indexes into `cells`. */
export function suppressedCells(cells: readonly CountedCell[], k: number): Set<number> {
  const hidden = new Set<number>();
  cells.forEach((cell, index) => {
    if (cell.residents > 0 && cell.residents < k) hidden.add(index);
  });
  if (hidden.size === 0) return hidden;
  const dimensions = cells[0]?.group.length ?? 0;
  if (dimensions === 0) return hidden;
  // Slices along each dimension: cells keyed by the values of every other dimension.
  const slices: number[][] = [];
  for (let along = 0; along < dimensions; along += 1) {
    const byRest = new Map<string, number[]>();
    cells.forEach((cell, index) => {
      const rest = JSON.stringify(cell.group.filter((_, d) => d !== along));
      const slice = byRest.get(rest) ?? [];
      slice.push(index);
      byRest.set(rest, slice);
    });
    slices.push(...byRest.values());
  }
  // Each added suppression can break another slice: repeat until every slice is safe (at most all cells).
  for (let changed = true; changed; ) {
    changed = false;
    for (const slice of slices) {
      const hiddenInSlice = slice.filter((index) => hidden.has(index));
      if (hiddenInSlice.length === 0) continue;
      const hiddenSum = hiddenInSlice.reduce((sum, index) => sum + cells[index]!.residents, 0);
      if (hiddenInSlice.length >= 2 && hiddenSum >= k) continue;
      const candidates = slice.filter((index) => !hidden.has(index) && cells[index]!.residents > 0);
      if (candidates.length === 0) continue;
      // The smallest visible cell: the least information given up.
      const smallest = candidates.reduce((best, index) => (cells[index]!.residents < cells[best]!.residents ? index : best));
      hidden.add(smallest);
      changed = true;
    }
  }
  return hidden;
}
