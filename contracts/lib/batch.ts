/**
 * Manifest tree and `applyRoutes` batch encoding for the contract tests, demo and benches. The
 * implementation lives in @payrox/core (the manifest toolkit); this module keeps the contract side's
 * imports short.
 */
export {
  activateArgs,
  buildManifestTree,
  commitArgs,
  NO_INITIALIZER,
  encodeBatch,
  encodeBatches,
  LEAF_ENCODING,
  removal,
  type ApplyBatch,
  type Initializer,
  type ManifestTree,
  type RouteLeaf,
} from "@payrox/core";
