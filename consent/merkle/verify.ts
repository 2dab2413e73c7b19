/**
 * The RFC 9162 verifiers, step by step as §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) write
 * them. Pure functions of hashes and sizes: what an auditor or a resident runs, trusting nothing of
 * ours but the signed tree head. Sizes are integers up to 2^53; shifts are halvings for that reason.
 */
import { nodeHash } from './hash.js';

const half = (n: number) => Math.floor(n / 2);
const odd = (n: number) => n % 2 === 1;

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

function decoded(path: readonly string[]): Buffer[] | undefined {
  if (!path.every((hex) => /^[0-9a-f]{64}$/.test(hex))) return undefined;
  return path.map((hex): Buffer => Buffer.from(hex, 'hex'));
}

/** True when `path` proves the leaf with hash `leafHash` at `leafIndex` in the tree of `treeSize` leaves with root `rootHash`. */
export function verifyInclusion(leafIndex: number, treeSize: number, leafHash: Uint8Array, path: readonly string[], rootHash: Uint8Array): boolean {
  const hashes = decoded(path);
  if (!hashes || !Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0) return false;
  // 1. leaf_index must be inside the tree.
  if (leafIndex >= treeSize) return false;
  // 2–3.
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leafHash);
  // 4.
  for (const p of hashes) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 5.
  return sn === 0 && r.equals(rootHash);
}

/**
 * True when `path` proves the tree of `second` leaves (root `secondHash`) extends the tree of `first`
 * leaves (root `firstHash`). Equal sizes need equal roots and an empty proof; every tree extends the
 * empty one (as CT verifiers treat the cases §2.1.4.2 leaves out).
 */
export function verifyConsistency(first: number, second: number, path: readonly string[], firstHash: Uint8Array, secondHash: Uint8Array): boolean {
  const proof = decoded(path);
  if (!proof || !Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false;
  if (first === second) return proof.length === 0 && Buffer.from(firstHash).equals(secondHash);
  if (first === 0) return proof.length === 0;
  // 1. An empty path fails.
  if (proof.length === 0) return false;
  // 2. first an exact power of two: its root is the first node of the path.
  if (isPowerOfTwo(first)) proof.unshift(Buffer.from(firstHash));
  // 3.
  let fn = first - 1;
  let sn = second - 1;
  // 4.
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5.
  let fr: Buffer = proof[0]!;
  let sr: Buffer = proof[0]!;
  // 6.
  for (const c of proof.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 7.
  return fr.equals(firstHash) && sr.equals(secondHash) && sn === 0;
}
