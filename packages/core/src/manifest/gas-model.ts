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
 * Measured on dispatcher v2 (bench:gas "gas model", solc 0.8.30, cancun): batchFixed 41,240, perListedFacet
 * 1,119, perFacet 4,503 (incl. its list entry), newLeaf 23,988, replaceLeaf 29,152 and removeLeaf 28,865
 * (each net of the replaced-list slot, 22,100), rounded up to the next 500; repeatPin is the same check as
 * perFacet.
 */
export const GAS_MODEL: GasModel = {
  batchFixed: 41_500,
  perListedFacet: 1_500,
  perFacet: 5_000,
  repeatPin: 5_000,
  newLeaf: 24_500,
  replaceLeaf: 29_500,
  removeLeaf: 29_500,
  replacedListSlot: 22_100,
  perProofHash: 700,
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
