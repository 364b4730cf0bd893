/**
 * Encoding of ManifestDispatcher manifests and `applyRoutes` batches (the on-chain side's wire format).
 * The full manifest toolkit (format, builder, diff, gas planner) is packages/core's job; this module is
 * the minimum the contract tests, the demo and the gas bench share.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { concat, getAddress, toBeHex, ZeroAddress, ZeroHash } from "ethers";

/** Leaf encoding the dispatcher verifies: OpenZeppelin StandardMerkleTree over these types. */
export const LEAF_ENCODING = ["bytes4", "address", "bytes32"] as const;

/** One route of a manifest: `facet` zero (with codehash zero) removes the selector. */
export interface RouteLeaf {
  selector: string;
  facet: string;
  codehash: string;
}

/** Arguments of one `applyRoutes` call, in ABI order. */
export interface ApplyBatch {
  facets: { facet: string; codehash: string }[];
  leaves: string;
  proof: string[];
  proofFlags: string;
  /** The leaves of this batch, in the multiproof's order. */
  routes: RouteLeaf[];
}

/** Builds the manifest tree (leaf order does not matter: the tree sorts leaf hashes). */
export function buildManifestTree(routes: RouteLeaf[]): StandardMerkleTree<[string, string, string]> {
  return StandardMerkleTree.of(
    routes.map((r) => [r.selector, r.facet === ZeroAddress ? ZeroAddress : getAddress(r.facet), r.codehash]),
    [...LEAF_ENCODING],
  );
}

/** A removal leaf for `selector`. */
export function removal(selector: string): RouteLeaf {
  return { selector, facet: ZeroAddress, codehash: ZeroHash };
}

/**
 * Encodes the leaves at `indices` (tree value indices) as one `applyRoutes` batch: facet table, packed
 * 5-byte leaves (selector ‖ facet index) in multiproof order, sibling hashes, and the flag bitmap.
 */
export function encodeBatch(tree: StandardMerkleTree<[string, string, string]>, indices: number[]): ApplyBatch {
  const multi = tree.getMultiProof(indices);
  const facets: { facet: string; codehash: string }[] = [];
  const facetIndex = new Map<string, number>();
  const packed: string[] = [];
  const routes: RouteLeaf[] = [];
  for (const [selector, facet, codehash] of multi.leaves) {
    const key = `${facet.toLowerCase()}:${codehash.toLowerCase()}`;
    let index = facetIndex.get(key);
    if (index === undefined) {
      index = facets.length;
      if (index > 255) throw new RangeError("a batch can reference at most 256 facet entries");
      facets.push({ facet, codehash });
      facetIndex.set(key, index);
    }
    packed.push(selector, toBeHex(index, 1));
    routes.push({ selector, facet, codehash });
  }
  const flags = new Uint8Array(Math.ceil(multi.proofFlags.length / 8));
  multi.proofFlags.forEach((flag, i) => {
    if (flag) flags[i >> 3] |= 1 << (i & 7);
  });
  return { facets, leaves: concat(packed.length ? packed : ["0x"]), proof: multi.proof, proofFlags: toHex(flags), routes };
}

/** Splits the tree's leaves into consecutive batches of at most `size` leaves. */
export function encodeBatches(tree: StandardMerkleTree<[string, string, string]>, size: number): ApplyBatch[] {
  const batches: ApplyBatch[] = [];
  for (let start = 0; start < tree.length; start += size) {
    const indices = Array.from({ length: Math.min(size, tree.length - start) }, (_, i) => start + i);
    batches.push(encodeBatch(tree, indices));
  }
  return batches;
}

function toHex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes).toString("hex");
}
