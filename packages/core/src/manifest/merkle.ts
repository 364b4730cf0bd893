/**
 * The manifest's Merkle tree — OpenZeppelin StandardMerkleTree over (bytes4, address, bytes32), the
 * leaf ManifestDispatcher verifies — and the encoding of `applyRoutes` batches (facet table, packed
 * 5-byte leaves in multiproof order, sibling hashes, flag bitmap).
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { concat, toBeHex } from "ethers";
import { LEAF_ENCODING, type ManifestEntry } from "./format.js";

/** A route leaf: what the tree commits to. */
export type RouteLeaf = Pick<ManifestEntry, "selector" | "facet" | "codehash">;
/** The manifest tree. */
export type ManifestTree = StandardMerkleTree<[string, string, string]>;

/** Arguments of one `applyRoutes(facets, leaves, proof, proofFlags)` call. */
export interface ApplyBatch {
  facets: { facet: string; codehash: string }[];
  /** `selector ‖ uint8 facet index` per leaf, in the multiproof's leaf order. */
  leaves: string;
  proof: string[];
  /** Flag i in bit i % 8 of byte i / 8. */
  proofFlags: string;
  /** The routes of this batch, in the multiproof's order. */
  routes: RouteLeaf[];
}

/** Builds the tree of `routes`; their order does not matter (the tree sorts leaf hashes). */
export function buildManifestTree(routes: readonly RouteLeaf[]): ManifestTree {
  return StandardMerkleTree.of(
    routes.map((r) => [r.selector, r.facet, r.codehash] as [string, string, string]),
    [...LEAF_ENCODING],
  );
}

/** The Merkle root of `routes`. */
export function manifestRoot(routes: readonly RouteLeaf[]): string {
  return buildManifestTree(routes).root;
}

/** A removal leaf for `selector` (facet and codehash zero). */
export function removal(selector: string): RouteLeaf {
  return { selector, facet: "0x0000000000000000000000000000000000000000", codehash: "0x" + "00".repeat(32) };
}

/** Tree value indices ordered by leaf position, so consecutive indices share proof nodes. */
export function indicesInTreeOrder(tree: ManifestTree): number[] {
  const positions = tree.dump().values.map((v, index) => ({ index, treeIndex: v.treeIndex }));
  return positions.sort((a, b) => b.treeIndex - a.treeIndex).map((p) => p.index);
}

/** Encodes the leaves at tree value `indices` as one `applyRoutes` batch (a multiproof). */
export function encodeBatch(tree: ManifestTree, indices: readonly number[]): ApplyBatch {
  const multi = tree.getMultiProof([...indices]);
  const facets: ApplyBatch["facets"] = [];
  const facetIndex = new Map<string, number>();
  const packed: string[] = [];
  const routes: RouteLeaf[] = [];
  for (const [selector, facet, codehash] of multi.leaves) {
    const key = `${facet.toLowerCase()}:${codehash.toLowerCase()}`;
    let index = facetIndex.get(key);
    if (index === undefined) {
      index = facets.length;
      if (index > 255) throw new RangeError("a batch can reference at most 256 (facet, codehash) pairs");
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
  return {
    facets,
    leaves: packed.length ? concat(packed) : "0x",
    proof: multi.proof,
    proofFlags: "0x" + Buffer.from(flags).toString("hex"),
    routes,
  };
}

/** Splits the tree into consecutive (tree-order) batches of at most `size` leaves. */
export function encodeBatches(tree: ManifestTree, size: number): ApplyBatch[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`);
  const order = indicesInTreeOrder(tree);
  const batches: ApplyBatch[] = [];
  for (let start = 0; start < order.length; start += size) batches.push(encodeBatch(tree, order.slice(start, start + size)));
  return batches;
}
