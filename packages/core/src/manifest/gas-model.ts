/**
 * Gas model of `applyRoutes`, measured on a fresh dispatcher (worst case: every storage slot new) by
 * `npm run bench:gas` (section "gas model") and fitted on anvil (below); the planner adds a 2% margin on top.
 * A test re-measures these on the in-process chain and fails if the model under-estimates a batch.
 */
export interface GasModel {
  /** Per transaction: intrinsic gas, role check, state, root and binding reads/writes, event. */
  batchFixed: number;
  /**
   * Per entry of the manifest's facet list, in every batch (v2: each batch carries the whole bound list):
   * its 64 calldata bytes and their hashing.
   */
  perListedFacet: number;
  /**
   * Per distinct facet in the batch's table: its 64 calldata bytes, EXTCODESIZE (cold) and EXTCODEHASH.
   * Dispatcher v2 stores no pin (activation re-verifies the facet list the commit bound).
   */
  perFacet: number;
  /** Per distinct facet already used by an earlier batch of the same manifest (v2: the same check). */
  repeatPin: number;
  /** A selector with no route yet: one new slot, plus its calldata, leaf hash and multiproof step. */
  newLeaf: number;
  /** Staging over an existing route: the route rewritten and a new `previous` slot, plus the same per-leaf work. */
  replaceLeaf: number;
  /** A removal over an existing route (like a replacement, without a facet). */
  removeLeaf: number;
  /** The manifest's first batch that replaces or removes anything: the pending manifest's replaced-list slot, new. */
  replacedListSlot: number;
  /** Each later batch that replaces or removes anything: the same slot, updated. */
  replacedListUpdate: number;
  /** One sibling hash of the multiproof: 32 calldata bytes, the memory copy and its hashing. */
  perProofHash: number;
}

/**
 * Fitted (least squares, relative error) to 83 applyRoutes transactions on anvil (dispatcher v2, solc
 * 0.8.30, cancun; Dec 2026): batches of 1–200 leaves of new selectors, replacements and removals over
 * 1–30 listed facets (packages/cli/scripts/measure-apply-gas.ts gives 56 of them; the other 27 were
 * batches of 7–200 leaves over 10–20 listed facets). Fit: batchFixed 37,296, perListedFacet 883, perFacet 3,357, newLeaf 23,991,
 * replaceLeaf 29,088, removeLeaf 28,376, perProofHash 2,080; the replaced-list slot costs ~22,100 in the
 * manifest's first replacing batch (a new slot; ~17,000 more than in later ones). Rounded up here: with
 * the planner's 2% margin every measured estimate was 2.5–4.9% above the gas used for new selectors and
 * 2.5–11% for replacements and removals (up to 26% for a one-leaf first replacing batch); never below.
 * packages/cli/tests/manifest-toolkit.chain.test.ts holds a 300-selector, 30-facet manifest to
 * [used, used + 10%]. Cheaper than modelled, so over-estimated: re-adding a selector removed in an earlier
 * epoch (its slot is not new: up to ~19,000 gas less per leaf). Dearer: a disabled selector, which the
 * loupe hides, is costed as new but staged as a replacement (~5,300 gas more per leaf): plan against a
 * dispatcher with disabled selectors with a larger `margin`.
 */
export const GAS_MODEL: GasModel = {
  batchFixed: 40_000,
  perListedFacet: 1_100,
  perFacet: 3_500,
  repeatPin: 3_500,
  newLeaf: 24_100,
  replaceLeaf: 29_300,
  removeLeaf: 29_300,
  replacedListSlot: 22_100,
  replacedListUpdate: 5_500,
  perProofHash: 1_700,
};

/**
 * Gas of the lifecycle calls besides apply, for checking they fit a network's per-transaction limit and
 * sizing cancel chunks. Planned upper bounds (the contract's notes and bench:gas "commit + activate"
 * 96,171 for one facet), not a fit: a call over a network's limit can never be sent there.
 */
export interface LifecycleGasModel {
  /** commitRoot: intrinsic gas, role check, state writes, event. */
  commitFixed: number;
  /** Per sibling hash of the header proof (32 calldata bytes + one hash). */
  commitPerProofHash: number;
  /** activateCommittedRoot: intrinsic gas, role check, state switch, event. */
  activateFixed: number;
  /** Per facet of the manifest's list: EXTCODEHASH re-verification plus its 64 calldata bytes. */
  activatePerFacet: number;
  /** Per byte of initializer calldata (16 gas a non-zero calldata byte, then copied for the delegatecall). */
  activatePerInitByte: number;
  /** An initializer's pin check and delegatecall, before whatever it runs. */
  activateInitFixed: number;
  /** One cancel chunk: role check, target check, state write, events. */
  cancelFixed: number;
  /** Per route a cancel chunk unstages (worst case: a replaced route restored, ~11,000). */
  cancelPerRoute: number;
}

/** The planned lifecycle gas (see {@link LifecycleGasModel}). */
export const LIFECYCLE_GAS_MODEL: LifecycleGasModel = {
  commitFixed: 80_000,
  commitPerProofHash: 700,
  activateFixed: 60_000,
  activatePerFacet: 4_000 + 64 * 16,
  activatePerInitByte: 20,
  activateInitFixed: 30_000,
  cancelFixed: 60_000,
  cancelPerRoute: 12_000,
};

/** Most routes one cancel chunk may unstage under `maxTxGas` (at least 1; at most a uint32). */
export function cancelChunkSize(maxTxGas: number, model: LifecycleGasModel = LIFECYCLE_GAS_MODEL): number {
  const routes = Math.floor((maxTxGas - model.cancelFixed) / model.cancelPerRoute);
  return Math.min(0xffff_ffff, Math.max(1, routes));
}
