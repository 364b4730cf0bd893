/**
 * Gas model of `applyRoutes`, measured on a fresh dispatcher (worst case: every storage slot new) by
 * `npm run bench:gas` (section "gas model"); the planner adds a 10% margin on top.
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
  /** Once per batch that replaces or removes anything: the pending manifest's replaced-list slot. */
  replacedListSlot: number;
  /** One sibling hash of the multiproof: 32 calldata bytes, the memory copy and its hashing. */
  perProofHash: number;
}

/**
 * Measured on dispatcher v2 (bench:gas "gas model", solc 0.8.30, cancun): batchFixed 41,235, perListedFacet
 * 1,070, perFacet 4,497 (incl. its list entry), newLeaf 24,111, replaceLeaf 29,275 and removeLeaf 28,987
 * (each net of the replaced-list slot, 22,100), rounded up to the next 500; repeatPin is the same check as
 * perFacet.
 */
export const GAS_MODEL: GasModel = {
  batchFixed: 41_500,
  perListedFacet: 1_500,
  perFacet: 4_500,
  repeatPin: 4_500,
  newLeaf: 24_500,
  replaceLeaf: 29_500,
  removeLeaf: 29_500,
  replacedListSlot: 22_100,
  perProofHash: 700,
};
