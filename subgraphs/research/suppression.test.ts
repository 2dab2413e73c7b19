import { describe, expect, it } from 'vitest';
import { suppressedCells, type CountedCell } from './suppression.js';

const K = 11;
const table = (rows: Record<string, Record<string, number>>): CountedCell[] =>
  Object.entries(rows).flatMap(([row, columns]) => Object.entries(columns).map(([column, residents]) => ({ group: [row, column], residents })));

/** Every hidden cell the attacker can recover: a slice (row or column) whose total they know and that hides exactly one cell. */
function recoverable(cells: readonly CountedCell[], hidden: ReadonlySet<number>): number[] {
  const found = new Set<number>();
  for (const along of [0, 1]) {
    const slices = new Map<string, number[]>();
    cells.forEach((cell, index) => slices.set(cell.group[1 - along]!, [...(slices.get(cell.group[1 - along]!) ?? []), index]));
    for (const slice of slices.values()) {
      const hiddenHere = slice.filter((index) => hidden.has(index));
      if (hiddenHere.length === 1) found.add(hiddenHere[0]!);
    }
  }
  return [...found];
}

describe('suppression', () => {
  it('hides cells of 1 to k-1, never zero or k and above', () => {
    const cells = [{ group: ['a'], residents: 0 }, { group: ['b'], residents: 1 }, { group: ['c'], residents: 10 }, { group: ['d'], residents: 11 }, { group: ['e'], residents: 40 }];
    expect([...suppressedCells(cells, K)].sort()).toEqual([1, 2]);
  });

  it('hides a second cell when one alone would follow from the grand total (total minus visible cells)', () => {
    const cells = [{ group: ['1'], residents: 3 }, { group: ['2'], residents: 40 }, { group: ['9'], residents: 25 }];
    const hidden = suppressedCells(cells, K);
    expect(hidden.has(0)).toBe(true);
    // 25 is the smallest visible cell: hidden with the 3, so 68 − 40 gives only their sum.
    expect([...hidden].sort()).toEqual([0, 2]);
  });

  it('leaves no hidden cell of a two-way table recoverable from row and column totals', () => {
    const cells = table({
      '40-44': { '1': 30, '2': 4 },
      '45-49': { '1': 25, '2': 22 },
      '50-54': { '1': 2, '2': 17 },
      '55-59': { '1': 19, '2': 28 },
    });
    const hidden = suppressedCells(cells, K);
    expect(hidden.size).toBeGreaterThanOrEqual(4);
    expect(recoverable(cells, hidden)).toEqual([]);
    for (const index of hidden) expect(cells[index]!.residents).toBeGreaterThan(0);
  });

  it('keeps the hidden cells of a slice worth at least k together, so their sum bounds nothing below k', () => {
    const cells = [{ group: ['a'], residents: 2 }, { group: ['b'], residents: 3 }, { group: ['c'], residents: 12 }, { group: ['d'], residents: 50 }];
    const hidden = suppressedCells(cells, K);
    expect([...hidden].reduce((sum, i) => sum + cells[i]!.residents, 0)).toBeGreaterThanOrEqual(K);
  });

  it('hides a lone small total', () => {
    expect([...suppressedCells([{ group: [], residents: 4 }], K)]).toEqual([0]);
    expect([...suppressedCells([{ group: [], residents: 12 }], K)]).toEqual([]);
  });
});
