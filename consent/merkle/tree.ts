/**
 * The Merkle tree hash (RFC 9162 §2.1.1) from complete subtrees, and appending leaves: each new
 * leaf completes the subtrees it closes (a binary counter's carries), so a log keeps every complete
 * subtree's hash and never recomputes one.
 */
import { EMPTY_ROOT, nodeHash, splitPoint } from './hash.js';
import { consistencyRanges, frontierOf, inclusionRanges, subtreesOf, type LeafRange, type SubtreeRef } from './ranges.js';

/** A complete subtree with its hash. */
export interface SubtreeNode extends SubtreeRef {
  hash: Buffer;
}

/** Where a store finds complete subtrees' hashes; returns one per ref, in the refs' order. */
export type SubtreeReader = (refs: readonly SubtreeRef[]) => Promise<readonly Buffer[]>;

export function subtreeKey(ref: SubtreeRef): string {
  return `${ref.level}:${ref.index}`;
}

/** MTH of adjacent complete subtrees, leftmost (largest) first: folded from the right (RFC 9162 §2.1.1). */
export function foldSubtrees(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  let root = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i -= 1) root = nodeHash(hashes[i]!, root);
  return root;
}

/** MTH(D[n]) straight from the definition (RFC 9162 §2.1.1), for leaf hashes held in memory. */
export function merkleTreeHash(leafHashes: readonly Buffer[]): Buffer {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  if (leafHashes.length === 1) return leafHashes[0]!;
  const k = splitPoint(leafHashes.length);
  return nodeHash(merkleTreeHash(leafHashes.slice(0, k)), merkleTreeHash(leafHashes.slice(k)));
}

/**
 * Adds leaves to a tree of `size` leaves whose frontier (`frontierOf(size)`, with hashes) is given.
 * Returns every complete subtree the new leaves create (leaves included) and the new frontier.
 */
export function appendLeaves(size: number, frontier: readonly SubtreeNode[], leafHashes: readonly Buffer[]): { size: number; frontier: SubtreeNode[]; created: SubtreeNode[] } {
  const expected = frontierOf(size);
  if (expected.length !== frontier.length || expected.some((ref, i) => ref.level !== frontier[i]!.level || ref.index !== frontier[i]!.index)) {
    throw new Error(`the frontier given is not the frontier of a tree of ${size} leaves`);
  }
  // The frontier as a stack: the rightmost (smallest) subtree on top, exactly the nodes a new leaf may merge with.
  const stack = [...frontier];
  const created: SubtreeNode[] = [];
  let next = size;
  for (const hash of leafHashes) {
    let node: SubtreeNode = { level: 0, index: next, hash };
    created.push(node);
    while (node.index % 2 === 1) {
      const left = stack.pop()!;
      node = { level: node.level + 1, index: (node.index - 1) / 2, hash: nodeHash(left.hash, node.hash) };
      created.push(node);
    }
    stack.push(node);
    next += 1;
  }
  return { size: next, frontier: stack, created };
}

async function rangeHashes(read: SubtreeReader, ranges: readonly LeafRange[]): Promise<string[]> {
  const perRange = ranges.map(subtreesOf);
  const hashes = await read(perRange.flat());
  let offset = 0;
  return perRange.map((refs) => {
    const slice = hashes.slice(offset, offset + refs.length);
    offset += refs.length;
    return foldSubtrees(slice).toString('hex');
  });
}

/** MTH(D[0:treeSize]) from the stored subtrees: at most log2(n) reads. */
export async function rootAt(read: SubtreeReader, treeSize: number): Promise<Buffer> {
  return foldSubtrees(await read(frontierOf(treeSize)));
}

/** The inclusion proof (audit path) of one leaf in the tree of `treeSize` leaves, as lowercase hex. */
export async function inclusionProof(read: SubtreeReader, leafIndex: number, treeSize: number): Promise<string[]> {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) {
    throw new RangeError('leaf index outside the tree');
  }
  return rangeHashes(read, inclusionRanges(leafIndex, treeSize));
}

/** The consistency proof between the trees of `first` and `second` leaves, as lowercase hex. */
export async function consistencyProof(read: SubtreeReader, first: number, second: number): Promise<string[]> {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) {
    throw new RangeError('sizes must satisfy 0 <= first <= second');
  }
  return rangeHashes(read, consistencyRanges(first, second));
}

/** A reader over subtrees held in memory (tests, full verification). */
export function memoryReader(nodes: ReadonlyMap<string, Buffer>): SubtreeReader {
  return async (refs) =>
    refs.map((ref) => {
      const hash = nodes.get(subtreeKey(ref));
      if (!hash) throw new Error(`subtree ${subtreeKey(ref)} is missing`);
      return hash;
    });
}
