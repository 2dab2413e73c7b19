/**
 * Unique identifiers without global state. An identifier is a "cell" drawn at random (say area code,
 * birth year and sex) plus a "slot" inside it (birth day and sequence). Index i gets slot P(i mod M),
 * where P is a seed-keyed permutation of [0, M), so two residents share a slot only if their indices
 * are congruent mod M; those few draw their cells from one shared stream without replacement, so they
 * never share a cell. Hence every index gets a distinct (cell, slot), at any population size.
 */
import { hash32, Random } from './random.js';

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

const permutations = new Map<string, (x: number) => number>();

/** An affine permutation x ↦ (a·x + b) mod m of [0, m), keyed by seed and tag. */
export function keyedPermutation(seed: string, tag: string, modulus: number): (x: number) => number {
  const key = `${seed}\u241f${tag}\u241f${modulus}`;
  const cached = permutations.get(key);
  if (cached) return cached;
  let a = (hash32(`${key}/a`) % (modulus - 1)) + 1;
  while (gcd(a, modulus) !== 1) a = (a % (modulus - 1)) + 1;
  const b = hash32(`${key}/b`) % modulus;
  // a·x can exceed 2^53 for large moduli: use BigInt only when it must.
  const permutation =
    modulus * modulus < Number.MAX_SAFE_INTEGER
      ? (x: number) => (a * x + b) % modulus
      : (x: number) => Number((BigInt(a) * BigInt(x) + BigInt(b)) % BigInt(modulus));
  permutations.set(key, permutation);
  return permutation;
}

export interface DistinctCellOptions<T> {
  seed: string;
  tag: string;
  index: number;
  modulus: number;
  draw(random: Random): T;
  key(cell: T): string;
  /** A fixed cell for an index below `modulus` (demo residents); later indices of its class avoid it. */
  forced?(index: number): T | undefined;
}

/** The (slot, cell) of `index`: distinct for distinct indices (see the module comment). */
export function distinctCell<T>(options: DistinctCellOptions<T>): { slot: number; cell: T } {
  const { seed, tag, index, modulus } = options;
  const residue = index % modulus;
  const round = Math.floor(index / modulus);
  const slot = keyedPermutation(seed, tag, modulus)(residue);
  const random = new Random(seed, tag, 'class', residue);
  const used = new Set<string>();
  let cell: T | undefined;
  for (let r = 0; r <= round; r++) {
    const forced = r === 0 ? options.forced?.(residue) : undefined;
    if (forced !== undefined) {
      cell = forced;
    } else {
      let attempts = 0;
      do {
        cell = options.draw(random);
        if (++attempts > 10_000) throw new Error(`cannot find a free ${tag} cell for index ${index}`);
      } while (used.has(options.key(cell)));
    }
    used.add(options.key(cell));
  }
  return { slot, cell: cell! };
}
