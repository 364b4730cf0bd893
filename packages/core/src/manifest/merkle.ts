/**
 * The manifest's Merkle tree — OpenZeppelin StandardMerkleTree over (bytes4, address, bytes32), the
 * leaf ManifestDispatcher verifies — and the encoding of its calls: the commit's header proof, the
 * `applyRoutes` batches (facet table, packed 5-byte leaves in multiproof order, sibling hashes, flag
 * bitmap) and the activation's facet list and initializer.
 *
 * Dispatcher v2: besides one leaf per route, the tree holds one **header leaf**
 * `(0x00000000, address(0), keccak256(abi.encode(uint256 leafCount, bytes32 binding)))`, where
 * `binding = keccak256(abi.encode(keccak256(abi.encode(FacetPin[] facets)), initHash))` and
 * `initHash = keccak256(abi.encode(initFacet, initCodehash, keccak256(initData)))`. The commit proves it,
 * so the tree itself fixes how many route leaves must be applied before activation, the facet list every
 * apply batch carries whole (its leaves index into it) and activation re-verifies, and the initializer.
 */
import { ZeroAddress, ZeroHash } from "ethers/constants";
import { isChecksummed, type ManifestEntry } from "./format.js";
import { keccak256Bytes, keccak256Hex } from "./keccak.js";
import { RouteMerkleTree } from "./route-tree.js";

/** A route leaf: what the tree commits to. */
export type RouteLeaf = Pick<ManifestEntry, "selector" | "facet" | "codehash">;

/** A facet and the code hash a manifest pins for it. */
export interface FacetPin {
  facet: string;
  codehash: string;
}

/** The optional initializer activation delegatecalls right after the switch (zero facet = none). */
export interface Initializer {
  facet: string;
  codehash: string;
  /** Calldata for the delegatecall, 0x-hex. */
  data: string;
}

/** No initializer. */
export const NO_INITIALIZER: Readonly<Initializer> = Object.freeze({ facet: ZeroAddress, codehash: ZeroHash, data: "0x" });

/** The reserved selector of the header leaf (never routable). */
export const HEADER_SELECTOR = "0x00000000";

/** A manifest's tree: the route leaves (tree values 0..leafCount-1) and the header leaf (value leafCount). */
export interface ManifestTree {
  /** The tree over every leaf, header included (identical to OpenZeppelin's StandardMerkleTree). */
  readonly tree: RouteMerkleTree;
  readonly root: string;
  /** Number of route leaves (the header is not counted). */
  readonly leafCount: number;
  /** Distinct (facet, codehash) pairs of the route leaves, sorted by facet; removals excluded. */
  readonly facets: readonly FacetPin[];
  readonly init: Readonly<Initializer>;
  /** Binds the facet list and the initializer (see the module header). */
  readonly binding: string;
  /** The header leaf's proof (commitRoot's last argument). */
  readonly headerProof: readonly string[];
  /** Route leaf `index`. */
  route(index: number): RouteLeaf;
}

/** Arguments of `commitRoot(root, epoch, leafCount, binding, headerProof)` (the epoch comes from the chain). */
export interface CommitArgs {
  root: string;
  leafCount: number;
  binding: string;
  headerProof: string[];
}

/** Arguments of `activateCommittedRoot(facets, init)`. */
export interface ActivateArgs {
  facets: FacetPin[];
  init: Initializer;
}

/** Arguments of one `applyRoutes(facets, initHash, leaves, proof, proofFlags)` call. */
export interface ApplyBatch {
  /** The manifest's whole facet list (the commit bound it). */
  facets: FacetPin[];
  /** The manifest's initializer hash (the other half of the binding). */
  initHash: string;
  /** `selector ‖ uint8 index into facets` per leaf (255 = removal), in the multiproof's leaf order. */
  leaves: string;
  proof: string[];
  /** Flag i in bit i % 8 of byte i / 8. */
  proofFlags: string;
  /** The routes of this batch, in the multiproof's order. */
  routes: RouteLeaf[];
}

const ZERO_ADDRESS = /^0x0{40}$/i;

/** The distinct (facet, codehash) pairs of `routes`, sorted by facet (then codehash); removals excluded. */
export function facetPinsOf(routes: readonly RouteLeaf[]): FacetPin[] {
  const pins = new Map<string, FacetPin>();
  for (const r of routes) {
    if (ZERO_ADDRESS.test(r.facet)) continue;
    const key = `${r.facet.toLowerCase()}:${r.codehash.toLowerCase()}`;
    if (!pins.has(key)) pins.set(key, { facet: r.facet, codehash: r.codehash });
  }
  return [...pins.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, pin]) => pin);
}

/** Leaf facet index of a removal (facet and code hash zero). */
export const REMOVAL_INDEX = 255;
/** Most distinct facets one manifest may list (a leaf's facet index is one byte). */
export const MAX_FACETS_PER_MANIFEST = 255;

/** `keccak256(abi.encode(init.facet, init.codehash, keccak256(init.data)))`. */
export function initializerHash(init: Readonly<Initializer> = NO_INITIALIZER): string {
  return keccak256Hex(abiWords([addressWord(init.facet), bytes32Word(init.codehash), keccak256Bytes(hexBytes(init.data, "initializer calldata"))]));
}

/** `keccak256(abi.encode(keccak256(abi.encode(facets)), initializerHash(init)))`, facets as `tuple(address,bytes32)[]`. */
export function manifestBinding(facets: readonly FacetPin[], init: Readonly<Initializer> = NO_INITIALIZER): string {
  const facetWords = facets.flatMap((f) => [addressWord(f.facet), bytes32Word(f.codehash)]);
  const facetsHash = keccak256Bytes(abiWords([uintWord(32), uintWord(facets.length), ...facetWords])); // offset, length, elements
  return keccak256Hex(abiWords([facetsHash, bytes32Word(initializerHash(init))]));
}

/** The header leaf's value: `[0x00000000, address(0), keccak256(abi.encode(uint256 leafCount, bytes32 binding))]`. */
export function headerLeaf(leafCount: number, binding: string): [string, string, string] {
  return [HEADER_SELECTOR, ZeroAddress, keccak256Hex(abiWords([uintWord(leafCount), bytes32Word(binding)]))];
}

// ABI encoding of the few static words the binding and the header hash (what AbiCoder.encode gives for
// them; tests compare): by hand, because ethers' coder costs ~15 ms to warm up in every CLI command.
const abiWords = (words: readonly Uint8Array[]): Uint8Array => Buffer.concat(words);

function hexBytes(value: string, what: string): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(value)) throw new TypeError(`${what} must be 0x-prefixed hex, got "${value.slice(0, 20)}"`);
  return Buffer.from(value.slice(2), "hex");
}

function bytes32Word(value: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new TypeError(`not a bytes32 value: "${value}"`);
  return Buffer.from(value.slice(2), "hex");
}

function addressWord(value: string): Uint8Array {
  // Like ethers' coder: any case of 40 hex digits, but a mixed-case address must be EIP-55 checksummed.
  const mixedCase = /[a-f]/.test(value.slice(2)) && /[A-F]/.test(value.slice(2));
  if (!/^0x[0-9a-fA-F]{40}$/.test(value) || (mixedCase && !isChecksummed(value))) throw new TypeError(`not an address (or a bad EIP-55 checksum): "${value}"`);
  const word = new Uint8Array(32);
  word.set(Buffer.from(value.slice(2), "hex"), 12);
  return word;
}

function uintWord(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a uint256 value: ${value}`);
  return Buffer.from(value.toString(16).padStart(64, "0"), "hex");
}

/** Builds the tree of `routes` (their order does not matter: the tree sorts leaf hashes) and its header. */
export function buildManifestTree(routes: readonly RouteLeaf[], init: Readonly<Initializer> = NO_INITIALIZER): ManifestTree {
  if (routes.length === 0) throw new RangeError("a manifest tree needs at least one route leaf");
  const facets = facetPinsOf(routes);
  if (facets.length > MAX_FACETS_PER_MANIFEST) throw new RangeError(`a manifest can list at most ${MAX_FACETS_PER_MANIFEST} distinct facets, got ${facets.length}`);
  const binding = manifestBinding(facets, init);
  const values = routes.map((r) => [r.selector, r.facet, r.codehash] as [string, string, string]);
  values.push(headerLeaf(routes.length, binding));
  const tree = RouteMerkleTree.of(values);
  const leafCount = routes.length;
  return {
    tree,
    root: tree.root,
    leafCount,
    facets,
    init: { facet: init.facet, codehash: init.codehash, data: init.data },
    binding,
    headerProof: tree.getProof(leafCount),
    route(index: number): RouteLeaf {
      if (!Number.isInteger(index) || index < 0 || index >= leafCount) throw new RangeError(`route index ${index} is outside 0..${leafCount - 1}`);
      const [selector, facet, codehash] = tree.at(index)!;
      return { selector, facet, codehash };
    },
  };
}

/** The Merkle root of `routes` (with their header). */
export function manifestRoot(routes: readonly RouteLeaf[], init: Readonly<Initializer> = NO_INITIALIZER): string {
  return buildManifestTree(routes, init).root;
}

/** The commit's arguments (all but the epoch, which the dispatcher's `nextEpoch()` gives). */
export function commitArgs(tree: ManifestTree): CommitArgs {
  return { root: tree.root, leafCount: tree.leafCount, binding: tree.binding, headerProof: [...tree.headerProof] };
}

/** The activation's arguments. */
export function activateArgs(tree: ManifestTree): ActivateArgs {
  return { facets: tree.facets.map((f) => ({ ...f })), init: { ...tree.init } };
}

/** A removal leaf for `selector` (facet and codehash zero). */
export function removal(selector: string): RouteLeaf {
  return { selector, facet: ZeroAddress, codehash: ZeroHash };
}

/** Route indices ordered by leaf position, so consecutive indices share proof nodes. */
export function indicesInTreeOrder(tree: ManifestTree): number[] {
  return tree.tree.leafOrder().filter((index) => index < tree.leafCount);
}

/** Encodes the route leaves at `indices` as one `applyRoutes` batch (a multiproof). */
export function encodeBatch(tree: ManifestTree, indices: readonly number[]): ApplyBatch {
  for (const i of indices) tree.route(i); // range check: the header is never applied
  const multi = tree.tree.getMultiProof([...indices]);
  const facets = tree.facets.map((f) => ({ ...f }));
  const facetIndex = new Map(facets.map((f, i) => [`${f.facet.toLowerCase()}:${f.codehash.toLowerCase()}`, i]));
  let packed = "";
  const routes: RouteLeaf[] = [];
  for (const [selector, facet, codehash] of multi.leaves) {
    const index = ZERO_ADDRESS.test(facet) ? REMOVAL_INDEX : facetIndex.get(`${facet.toLowerCase()}:${codehash.toLowerCase()}`);
    if (index === undefined) throw new RangeError(`leaf ${selector} names a facet missing from the manifest's facet list`);
    packed += selector.slice(2).toLowerCase() + index.toString(16).padStart(2, "0");
    routes.push({ selector, facet, codehash });
  }
  const flags = new Uint8Array(Math.ceil(multi.proofFlags.length / 8));
  multi.proofFlags.forEach((flag, i) => {
    if (flag) flags[i >> 3] |= 1 << (i & 7);
  });
  return {
    facets,
    initHash: initializerHash(tree.init),
    leaves: "0x" + packed,
    proof: multi.proof,
    proofFlags: "0x" + Buffer.from(flags).toString("hex"),
    routes,
  };
}

/** Splits the route leaves into consecutive (tree-order) batches of at most `size` leaves. */
export function encodeBatches(tree: ManifestTree, size: number): ApplyBatch[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`);
  const order = indicesInTreeOrder(tree);
  const batches: ApplyBatch[] = [];
  for (let start = 0; start < order.length; start += size) batches.push(encodeBatch(tree, order.slice(start, start + size)));
  return batches;
}
