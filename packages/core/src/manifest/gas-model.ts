/**
 * Gas model of `applyRoutes`, measured on a fresh dispatcher (worst case: every storage slot new) by
 * `npm run bench:gas` (section "gas model"); the planner adds a 10% margin on top.
 * A test re-measures these on the in-process chain and fails if the model under-estimates a batch.
 */
export interface GasModel {
  /** Per transaction: intrinsic gas, role check, state and root reads/writes, event. */
  batchFixed: number;
  /** Per distinct facet in the batch's table, first time in the manifest: EXTCODESIZE/EXTCODEHASH and its pin (3 new slots). */
  perFacet: number;
  /** Per distinct facet already pinned by an earlier batch of the same manifest: checked, not stored. */
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
 * Measured (bench:gas "gas model", solc 0.8.30, cancun): batchFixed 36,438, perFacet 70,921, repeatPin 16,526–17,345,
 * newLeaf 24,045, replaceLeaf 27,350 and removeLeaf 29,238 (each net of the replaced-list slot,
 * 22,100), rounded up to the next 500.
 */
export const GAS_MODEL: GasModel = {
  batchFixed: 37_000,
  perFacet: 71_000,
  repeatPin: 18_000,
  newLeaf: 24_500,
  replaceLeaf: 27_500,
  removeLeaf: 29_500,
  replacedListSlot: 22_100,
  perProofHash: 700,
};
