/**
 * Batch planner: splits a manifest into `applyRoutes` batches by a gas model under a per-transaction
 * gas cap and the dispatcher's batch size limit. Deterministic: leaves are taken in tree order (which
 * keeps multiproofs small) and packed greedily.
 */
import { PlanError } from "../errors.js";
import { manifestInitializer, type Manifest } from "./format.js";
import { GAS_MODEL, LIFECYCLE_GAS_MODEL, type GasModel, type LifecycleGasModel } from "./gas-model.js";
import { buildManifestTree, encodeBatch, indicesInTreeOrder, type ApplyBatch, type ManifestTree } from "./merkle.js";

/** Options of {@link planBatches}. */
export interface PlanOptions {
  /** Gas cap of one apply transaction. @default 4_250_000 */
  gasCap?: number;
  /** The dispatcher's `maxBatchSize()`. @default 300 */
  maxBatchSize?: number;
  /** Safety margin on the model's estimate. @default 0.02 (the model is a fit; see GAS_MODEL) */
  margin?: number;
  /**
   * Selectors that already have a route on the target dispatcher (its live routes, from the loupe):
   * staging over one costs more than a new selector. When omitted every leaf is costed as a
   * replacement (upper bound). A disabled selector is not visible in the loupe and is then costed as
   * new: ~5,300 gas per leaf (+17,500 once per batch) under — give a larger `margin` for such a dispatcher.
   */
  existingSelectors?: ReadonlySet<string>;
  /** @default GAS_MODEL (measured by `npm run bench:gas`) */
  model?: GasModel;
  /**
   * The target network's per-transaction gas limit (the registry's `maxTxGas`): batches are planned under
   * `min(gasCap, maxTxGas)`. @default no network limit
   */
  maxTxGas?: number;
}

/** One planned batch: the call arguments and what the model expects it to cost. */
export interface PlannedBatch extends ApplyBatch {
  index: number;
  /** Gas the model estimates, margin included. */
  estimatedGas: number;
}

/** A manifest split into batches. */
export interface Plan {
  root: string;
  leafCount: number;
  gasCap: number;
  maxBatchSize: number;
  batches: PlannedBatch[];
  totalEstimatedGas: number;
}

export const DEFAULT_GAS_CAP = 4_250_000;
const ZERO_ADDRESS = /^0x0{40}$/;
export const DEFAULT_MAX_BATCH_SIZE = 300;
/** Default safety margin on the gas model's estimate. */
export const DEFAULT_PLAN_MARGIN = 0.02;

/**
 * Plans the apply batches of `manifest`.
 * @throws PlanError when the limits are invalid or a single leaf can't fit under the cap.
 */
export function planBatches(manifest: Pick<Manifest, "entries" | "root" | "init">, options: PlanOptions = {}): Plan {
  if (options.maxTxGas !== undefined && !(Number.isInteger(options.maxTxGas) && options.maxTxGas > 0)) throw new PlanError(`the network's gas limit must be a positive integer, got ${options.maxTxGas}`);
  const gasCap = Math.min(options.gasCap ?? DEFAULT_GAS_CAP, options.maxTxGas ?? Infinity);
  const maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
  const margin = options.margin ?? DEFAULT_PLAN_MARGIN;
  const model = options.model ?? GAS_MODEL;
  if (!Number.isInteger(gasCap) || gasCap <= 0) throw new PlanError(`gas cap must be a positive integer, got ${gasCap}`);
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) throw new PlanError(`max batch size must be a positive integer, got ${maxBatchSize}`);
  if (!(margin >= 0 && margin < 10)) throw new PlanError(`margin must be in [0, 10), got ${margin}`);

  const tree = buildManifestTree(manifest.entries, manifestInitializer(manifest));
  if (tree.root !== manifest.root) throw new PlanError(`manifest root ${manifest.root} does not match its entries (${tree.root}); verify it first`);
  // A run of consecutive leaves needs at most two sibling hashes per tree level.
  const proofBound = 2 * (Math.ceil(Math.log2(Math.max(2, tree.leafCount + 1))) + 1);
  const isNew = (selector: string) => options.existingSelectors !== undefined && !options.existingSelectors.has(selector);
  const costOf = (selector: string, facet: string): number =>
    isNew(selector) ? model.newLeaf : ZERO_ADDRESS.test(facet) ? model.removeLeaf : model.replaceLeaf;

  const batches: PlannedBatch[] = [];
  let current: number[] = [];
  let leafGas = 0;
  let replaces = false;
  let facetGas = 0;
  const facetKeys = new Set<string>();
  // Every batch carries the manifest's whole facet list (the commit bound it); a used facet's check is on top.
  const listGas = tree.facets.length * model.perListedFacet;
  // The replaced-list slot is new in the manifest's first batch that replaces or removes, updated in later ones.
  let replacedBefore = false;
  const estimate = (facetGas: number, leafSum: number, replaces: boolean, proofHashes: number) =>
    Math.ceil((model.batchFixed + listGas + facetGas + leafSum + (replaces ? (replacedBefore ? model.replacedListUpdate : model.replacedListSlot) : 0) + proofHashes * model.perProofHash) * (1 + margin));
  // Facets pinned by an earlier batch cost only a check in later ones.
  const pinnedBefore = new Set<string>();
  const facetCost = (key: string) => (pinnedBefore.has(key) ? model.repeatPin : model.perFacet);
  const flush = () => {
    if (current.length === 0) return;
    const batch = encodeBatch(tree, current);
    const estimatedGas = estimate(facetGas, leafGas, replaces, batch.proof.length);
    if (batch.proof.length > proofBound || estimatedGas > gasCap) throw new PlanError(`internal: batch ${batches.length} breaks the proof bound or the cap`);
    batches.push({ ...batch, index: batches.length, estimatedGas });
    replacedBefore ||= replaces;
    current = [];
    leafGas = 0;
    facetGas = 0;
    replaces = false;
    for (const key of facetKeys) pinnedBefore.add(key);
    facetKeys.clear();
  };
  for (const index of indicesInTreeOrder(tree)) {
    const { selector, facet, codehash } = tree.route(index);
    const key = `${facet}:${codehash}`;
    const addsFacet = !ZERO_ADDRESS.test(facet) && !facetKeys.has(key);
    const cost = costOf(selector, facet);
    const replacing = !isNew(selector);
    const next = estimate(facetGas + (addsFacet ? facetCost(key) : 0), leafGas + cost, replaces || replacing, proofBound);
    if (current.length > 0 && (current.length >= maxBatchSize || next > gasCap)) flush();
    const pin = ZERO_ADDRESS.test(facet) || facetKeys.has(key) ? 0 : facetCost(key);
    if (current.length === 0 && estimate(pin, cost, replacing, proofBound) > gasCap) {
      throw new PlanError(`a single leaf needs ~${estimate(pin, cost, replacing, proofBound)} gas, above the cap of ${gasCap}`);
    }
    current.push(index);
    leafGas += cost;
    facetGas += pin;
    replaces ||= replacing;
    if (!ZERO_ADDRESS.test(facet)) facetKeys.add(key);
  }
  flush();
  return {
    root: tree.root,
    leafCount: tree.leafCount,
    gasCap,
    maxBatchSize,
    batches,
    totalEstimatedGas: batches.reduce((sum, b) => sum + b.estimatedGas, 0),
  };
}

/** The planned gas of a manifest's commit and activation (see {@link LifecycleGasModel}). */
export interface LifecycleGas {
  commit: number;
  activate: number;
}

/** Estimates the commit and activation gas of `tree` (header proof, facet re-verification, initializer calldata). */
export function lifecycleGas(tree: Pick<ManifestTree, "headerProof" | "facets" | "init">, model: LifecycleGasModel = LIFECYCLE_GAS_MODEL): LifecycleGas {
  const initBytes = (tree.init.data.length - 2) / 2;
  const hasInit = !ZERO_ADDRESS.test(tree.init.facet);
  return {
    commit: model.commitFixed + tree.headerProof.length * model.commitPerProofHash,
    activate: model.activateFixed + tree.facets.length * model.activatePerFacet + (hasInit ? model.activateInitFixed + initBytes * model.activatePerInitByte : 0),
  };
}

export type { ManifestTree };
