import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  appendLeaves,
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  memoryReader,
  merkleTreeHash,
  rootAt,
  subtreeKey,
  verifyConsistency,
  verifyInclusion,
  type SubtreeNode,
} from './index.js';

// The RFC 6962 reference tree used by Certificate Transparency implementations
// (transparency-dev/merkle, proof/verify_test.go; the same in google/trillian): eight leaves, the
// root of every prefix, and known inclusion and consistency proofs. Written out here as data.
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((hex) => Buffer.from(hex, 'hex'));
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
/** [leaf index (0-based), tree size, path] */
const INCLUSION: Array<[number, number, string[]]> = [
  [0, 1, []],
  [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];
/** [first size, second size, proof] */
const CONSISTENCY: Array<[number, number, string[]]> = [
  [1, 1, []],
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
];
const root = (size: number) => Buffer.from(ROOTS[size - 1]!, 'hex');
const SOME_HASH = 'abacaba000000000000000000000000000000000000000000060061e00123456';

/** Every complete subtree of a tree of these leaves, built by appending them in uneven batches. */
function storeOf(leaves: readonly Buffer[]): Map<string, Buffer> {
  const nodes = new Map<string, Buffer>();
  let state: { size: number; frontier: SubtreeNode[] } = { size: 0, frontier: [] };
  for (let i = 0; i < leaves.length; i += 3) {
    const next = appendLeaves(state.size, state.frontier, leaves.slice(i, i + 3).map(leafHash));
    for (const node of next.created) nodes.set(subtreeKey(node), node.hash);
    state = next;
  }
  return nodes;
}
const store = memoryReader(storeOf(LEAVES));

/** The corruptions CT's verifier tests try on a good proof (each must fail). */
function flipped(path: readonly string[], i: number): string[] {
  const copy = [...path];
  const bytes = Buffer.from(copy[i]!, 'hex');
  bytes[0] ^= 8;
  copy[i] = bytes.toString('hex');
  return copy;
}

describe('the Merkle tree (RFC 9162 §2.1) against the RFC 6962 reference vectors', () => {
  it('hashes the empty tree as SHA-256 of nothing', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(merkleTreeHash([]).equals(EMPTY_ROOT)).toBe(true);
  });

  it('computes the published root of every prefix, by definition and from stored subtrees', async () => {
    expect(ROOTS).toHaveLength(8);
    for (let size = 1; size <= 8; size += 1) {
      expect(merkleTreeHash(LEAVES.slice(0, size).map(leafHash)).toString('hex')).toBe(ROOTS[size - 1]);
      const prefixStore = memoryReader(storeOf(LEAVES.slice(0, size)));
      expect((await rootAt(prefixStore, size)).toString('hex')).toBe(ROOTS[size - 1]);
      // The full tree's subtrees answer for every earlier size too.
      expect((await rootAt(store, size)).toString('hex')).toBe(ROOTS[size - 1]);
    }
  });

  it('produces the published inclusion proofs, and the verifier accepts them', async () => {
    expect(INCLUSION.length).toBeGreaterThan(0);
    for (const [index, size, path] of INCLUSION) {
      expect(await inclusionProof(store, index, size)).toEqual(path);
      expect(verifyInclusion(index, size, leafHash(LEAVES[index]!), path, root(size))).toBe(true);
    }
  });

  it('produces the published consistency proofs, and the verifier accepts them', async () => {
    expect(CONSISTENCY.length).toBeGreaterThan(0);
    for (const [first, second, path] of CONSISTENCY) {
      expect(await consistencyProof(store, first, second)).toEqual(path);
      expect(verifyConsistency(first, second, path, root(first), root(second))).toBe(true);
    }
  });

  it('refuses every corruption of a good inclusion proof that CT verifiers test', () => {
    const nontrivial = INCLUSION.filter(([, , path]) => path.length > 0);
    expect(nontrivial.length).toBeGreaterThan(0);
    for (const [index, size, path] of nontrivial) {
      const leaf = leafHash(LEAVES[index]!);
      const probes: Array<[number, number, Uint8Array, string[], Uint8Array]> = [
        [index - 1, size, leaf, path, root(size)],
        [index + 1, size, leaf, path, root(size)],
        [index ^ 2, size, leaf, path, root(size)],
        [index, size * 2, leaf, path, root(size)],
        [index, Math.floor(size / 2), leaf, path, root(size)],
        [index, size, Buffer.from('WrongLeaf'), path, root(size)],
        [index, size, leaf, path, EMPTY_ROOT],
        [index, size, leaf, path, Buffer.from(SOME_HASH, 'hex')],
        [index, size, leaf, [...path, ROOTS[size - 1]!], root(size)],
        [index, size, leaf, [ROOTS[size - 1]!, ...path], root(size)],
        [index, size, leaf, [...path, ''], root(size)],
        [index, size, leaf, path.slice(0, -1), root(size)],
        ...path.map((_, i): [number, number, Uint8Array, string[], Uint8Array] => [index, size, leaf, flipped(path, i), root(size)]),
      ];
      if (path.length > 1) probes.push([index, size, leaf, [path[0]!, SOME_HASH, ...path.slice(1)], root(size)]);
      for (const probe of probes) expect(verifyInclusion(...probe), JSON.stringify(probe.slice(0, 2))).toBe(false);
    }
  });

  it('refuses every corruption of a good consistency proof that CT verifiers test', () => {
    const nontrivial = CONSISTENCY.filter(([, , path]) => path.length > 0);
    expect(nontrivial.length).toBeGreaterThan(0);
    for (const [first, second, path] of nontrivial) {
      const [r1, r2] = [root(first), root(second)];
      const probes: Array<[number, number, string[], Uint8Array, Uint8Array]> = [
        [first - 1, second, path, r1, r2],
        [first + 1, second, path, r1, r2],
        [first ^ 2, second, path, r1, r2],
        [first, second * 2, path, r1, r2],
        [first, Math.floor(second / 2), path, r1, r2],
        [first, second, path, Buffer.from('WrongRoot'), r2],
        [first, second, path, r1, Buffer.from('WrongRoot')],
        [first, second, path, r2, r1],
        [first, second, [], r1, r2],
        [first, second, [...path, ROOTS[first - 1]!], r1, r2],
        [first, second, [...path, ROOTS[second - 1]!], r1, r2],
        [first, second, [ROOTS[first - 1]!, ...path], r1, r2],
        [first, second, [path[0]!, ...path], r1, r2],
        [first, second, path.slice(0, -1), r1, r2],
        ...path.map((_, i): [number, number, string[], Uint8Array, Uint8Array] => [first, second, flipped(path, i), r1, r2]),
      ];
      for (const probe of probes) expect(verifyConsistency(...probe), JSON.stringify(probe.slice(0, 2))).toBe(false);
    }
  });

  it('treats the edge cases of consistency as CT verifiers do', () => {
    expect(verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)).toBe(true);
    expect(verifyConsistency(0, 5, [], EMPTY_ROOT, root(5))).toBe(true);
    expect(verifyConsistency(3, 3, [], root(3), root(3))).toBe(true);
    expect(verifyConsistency(3, 3, [], root(3), root(4))).toBe(false);
    expect(verifyConsistency(3, 3, [ROOTS[2]!], root(3), root(3))).toBe(false);
    expect(verifyConsistency(4, 3, [], root(4), root(3))).toBe(false);
    expect(verifyInclusion(0, 0, leafHash(LEAVES[0]!), [], EMPTY_ROOT)).toBe(false);
  });

  it('builds, for random trees, proofs the verifiers accept and roots equal to the definition', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), async (size, a, b) => {
        const leaves = Array.from({ length: size }, (_, i) => Buffer.from(`leaf ${i}`));
        const reader = memoryReader(storeOf(leaves));
        const hashes = leaves.map(leafHash);
        const index = a % size;
        const first = b % (size + 1);
        const rootN = merkleTreeHash(hashes);
        const path = await inclusionProof(reader, index, size);
        expect(verifyInclusion(index, size, hashes[index]!, path, rootN)).toBe(true);
        expect(path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
        const proof = await consistencyProof(reader, first, size);
        expect(verifyConsistency(first, size, proof, merkleTreeHash(hashes.slice(0, first)), rootN)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
