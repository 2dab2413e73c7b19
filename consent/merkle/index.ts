/** An append-only Merkle log hashed as RFC 9162 §2.1 (Certificate Transparency): tree, proofs, verifiers. */
export { EMPTY_ROOT, leafHash, nodeHash } from './hash.js';
export { frontierOf, subtreesOf, type LeafRange, type SubtreeRef } from './ranges.js';
export {
  appendLeaves,
  consistencyProof,
  foldSubtrees,
  inclusionProof,
  memoryReader,
  merkleTreeHash,
  rootAt,
  subtreeKey,
  type SubtreeNode,
  type SubtreeReader,
} from './tree.js';
export { verifyConsistency, verifyInclusion } from './verify.js';
