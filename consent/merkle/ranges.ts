/**
 * Which subtrees an RFC 9162 proof is made of, as leaf ranges, so a store can fetch exactly those
 * hashes. Every range the recursive definitions of PATH (§2.1.3.1) and PROOF (§2.1.4.1) produce
 * starts at a multiple of a power of two at least its size, so it splits into at most log2(n)
 * complete, aligned subtrees ("perfect" subtrees: `level` 2^level leaves starting at index·2^level);
 * a store that keeps every complete subtree's hash answers any proof in O(log n) reads.
 */
import { splitPoint } from './hash.js';

/** Leaves [start, end) of the log. */
export interface LeafRange {
  start: number;
  end: number;
}

/** A complete subtree: 2^level leaves starting at leaf index·2^level. */
export interface SubtreeRef {
  level: number;
  index: number;
}

/** The complete subtrees a range is the Merkle tree hash of, largest (leftmost) first. */
export function subtreesOf(range: LeafRange): SubtreeRef[] {
  const refs: SubtreeRef[] = [];
  let start = range.start;
  while (start < range.end) {
    let size = 1;
    while (start % (size * 2) === 0 && start + size * 2 <= range.end) size *= 2;
    refs.push({ level: Math.log2(size), index: start / size });
    start += size;
  }
  return refs;
}

/** The complete subtrees of a tree of `size` leaves: its right edge, from which the next leaves are added. */
export function frontierOf(size: number): SubtreeRef[] {
  return subtreesOf({ start: 0, end: size });
}

/** PATH(m, D[start:end]) as ranges, leaf to root (RFC 9162 §2.1.3.1). */
export function inclusionRanges(leafIndex: number, treeSize: number): LeafRange[] {
  const path: LeafRange[] = [];
  const walk = (m: number, start: number, end: number) => {
    const n = end - start;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, start + k);
      path.push({ start: start + k, end });
    } else {
      walk(m - k, start + k, end);
      path.push({ start, end: start + k });
    }
  };
  walk(leafIndex, 0, treeSize);
  return path;
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as ranges (RFC 9162 §2.1.4.1). */
export function consistencyRanges(first: number, second: number): LeafRange[] {
  const proof: LeafRange[] = [];
  const walk = (m: number, start: number, end: number, whole: boolean) => {
    const n = end - start;
    if (m === n) {
      if (!whole) proof.push({ start, end });
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      walk(m, start, start + k, whole);
      proof.push({ start: start + k, end });
    } else {
      walk(m - k, start + k, end, false);
      proof.push({ start, end: start + k });
    }
  };
  if (first > 0 && first < second) walk(first, 0, second, true);
  return proof;
}
