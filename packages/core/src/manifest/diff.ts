/**
 * Diff of a desired routing against the live routing of a dispatcher (read through its loupe) → the
 * add / replace / remove entries of the next epoch's manifest. A dispatcher that is not in the state a
 * manifest expects is reported as drifted, never silently rebased.
 */
import { ZeroAddress } from "ethers/constants";
import { DriftError } from "../errors.js";
import { compareEntries, isRemoval, LEAF_ENCODING, MANIFEST_FORMAT, manifestInitializer, type Manifest, type ManifestEntry, type ManifestInit } from "./format.js";
import { manifestRoot, removal } from "./merkle.js";
import { PROTECTED_SELECTORS } from "./protected.js";
import { checkEntries } from "./validate.js";

/** What a dispatcher serves right now. */
export interface LiveRouting {
  activeEpoch: bigint;
  /** Zero hash at epoch 0. */
  activeRoot: string;
  /** selector (lowercase) → facet (checksummed), live routes only; protected selectors may be included. */
  routes: ReadonlyMap<string, string>;
}

/** How the desired routing differs from the live one. */
export interface RoutingDiff {
  add: ManifestEntry[];
  replace: { entry: ManifestEntry; from: string }[];
  remove: ManifestEntry[];
  /** Desired routes already live on the same facet. */
  unchanged: number;
}

/**
 * Compares the desired routes (every selector that should be live; removals in `desired` are ignored)
 * with the live ones. Protected selectors are never part of a diff.
 */
export function diffRouting(desired: readonly ManifestEntry[], live: LiveRouting): RoutingDiff {
  const wanted = new Map(desired.filter((e) => !isRemoval(e)).map((e) => [e.selector, e]));
  const diff: RoutingDiff = { add: [], replace: [], remove: [], unchanged: 0 };
  for (const entry of [...wanted.values()].sort(compareEntries)) {
    const current = live.routes.get(entry.selector);
    if (current === undefined) diff.add.push(entry);
    else if (current.toLowerCase() !== entry.facet.toLowerCase()) diff.replace.push({ entry, from: current });
    else diff.unchanged++;
  }
  for (const selector of [...live.routes.keys()].sort()) {
    if (wanted.has(selector) || PROTECTED_SELECTORS.has(selector)) continue;
    diff.remove.push({ ...removal(selector), signature: "", facetName: "" });
  }
  return diff;
}

/** What a manifest's own entries (adds, replaces, removals) would change on a live routing. */
export interface ManifestChanges extends RoutingDiff {
  /** Removals of selectors that have no live route: no-ops on this dispatcher. */
  removeNotLive: ManifestEntry[];
}

/**
 * The changes `entries` (a manifest's: routes and removals, on top of the live routing) make to `live`:
 * the live routing with the manifest applied is the desired routing of {@link diffRouting}. `unchanged`
 * counts the manifest's routes already live on the same facet.
 */
export function diffManifest(entries: readonly ManifestEntry[], live: LiveRouting): ManifestChanges {
  const touched = new Set(entries.map((e) => e.selector));
  const untouched: ManifestEntry[] = [...live.routes].filter(([selector]) => !touched.has(selector)).map(([selector, facet]) => ({ selector, facet, signature: "", facetName: "", codehash: "" }));
  const diff = diffRouting([...untouched, ...entries], live);
  const removeNotLive = entries.filter((e) => isRemoval(e) && !live.routes.has(e.selector));
  const removed = new Map(entries.filter(isRemoval).map((e) => [e.selector, e]));
  return { ...diff, remove: diff.remove.map((e) => removed.get(e.selector) ?? e), unchanged: diff.unchanged - untouched.length, removeNotLive };
}

/**
 * The next epoch's manifest that takes `live` to `desired`, built against the live epoch and root.
 * @param signatures names removed selectors (selector → signature) where known
 * @param init initializer the next manifest's activation runs
 * @returns undefined when there is nothing to change (an initializer alone is no change: a manifest
 * needs at least one route leaf).
 */
export function nextManifest(name: string, desired: readonly ManifestEntry[], live: LiveRouting, signatures?: ReadonlyMap<string, string>, init?: ManifestInit): Manifest | undefined {
  return manifestOfDiff(name, diffRouting(desired, live), live, signatures, init);
}

/**
 * The manifest whose entries are `diff`'s changes, built against `base` (its active epoch and root).
 * @returns undefined when the diff changes nothing.
 * @throws SelectorCollisionError, ProtectedSelectorError or ManifestInvalidError (see checkEntries).
 */
export function manifestOfDiff(name: string, diff: RoutingDiff, base: Pick<LiveRouting, "activeEpoch" | "activeRoot">, signatures?: ReadonlyMap<string, string>, init?: ManifestInit): Manifest | undefined {
  const entries = [
    ...diff.add,
    ...diff.replace.map((r) => r.entry),
    ...diff.remove.map((e) => ({ ...e, signature: signatures?.get(e.selector) ?? "" })),
  ].sort(compareEntries);
  if (entries.length === 0) return undefined;
  checkEntries(entries, init);
  return {
    format: MANIFEST_FORMAT,
    name,
    baseEpoch: Number(base.activeEpoch),
    previousRoot: base.activeRoot.toLowerCase(),
    leafEncoding: [...LEAF_ENCODING],
    root: manifestRoot(entries, manifestInitializer({ init })),
    entries,
    ...(init && { init }),
  };
}

/**
 * @throws DriftError when the dispatcher's active epoch or root differs from what the manifest was
 * built against (it would commit on top of an unknown state).
 */
export function assertNotDrifted(manifest: Pick<Manifest, "baseEpoch" | "previousRoot">, live: Pick<LiveRouting, "activeEpoch" | "activeRoot">): void {
  if (BigInt(manifest.baseEpoch) !== live.activeEpoch || manifest.previousRoot.toLowerCase() !== live.activeRoot.toLowerCase()) {
    throw new DriftError({ epoch: BigInt(manifest.baseEpoch), root: manifest.previousRoot }, { epoch: live.activeEpoch, root: live.activeRoot });
  }
}

export { ZeroAddress };
