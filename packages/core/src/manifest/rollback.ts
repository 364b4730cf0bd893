/**
 * Rollback: the manifest that returns a dispatcher to the route set an earlier manifest left it with.
 * Manifests are deltas, so the route set after manifest k is the fold of the applied manifests 0..k.
 * The rollback touches only selectors a later manifest changed: it routes each back to the facet and
 * code hash it had after k (adding back removed selectors, pointing replaced ones back) and removes the
 * ones added since. Dispatcher v2 takes a new epoch per commit, so the result commits like any manifest
 * (and may even have the same root as an earlier one).
 */
import { ZeroHash } from "ethers/constants";
import { RollbackError } from "../errors.js";
import { isRemoval, type Manifest, type ManifestEntry } from "./format.js";
import { diffRouting, manifestOfDiff, type LiveRouting, type RoutingDiff } from "./diff.js";

/** Parameters of {@link rollbackManifest}. */
export interface RollbackManifestParameters {
  /** Name of the rollback manifest. */
  name: string;
  /**
   * The manifests activated on the dispatcher so far, oldest first, none missing: each was built on the
   * one before (its previousRoot is that one's root). Start at epoch 0 (previousRoot zero) unless every
   * selector changed after the target was routed by a listed manifest up to the target.
   */
  applied: readonly Manifest[];
  /** Manifest whose route set to return to: its index in `applied`, or its root (the last manifest with it). */
  to: number | string;
  /**
   * The dispatcher's live routing. When given, its active root must be the last applied manifest's, the
   * rollback is built on its active epoch and root, and a selector's current route is read from it (so
   * an emergency-disabled selector a later manifest touched is routed back too). Without it the current
   * state is the fold of `applied`, and the base epoch is assumed to be the last manifest's baseEpoch + 1
   * (true unless a commitment was cancelled or expired since: check with `verify --dispatcher`).
   */
  live?: LiveRouting;
}

/** What {@link rollbackManifest} gives. */
export interface RollbackManifestReturnType {
  /** The rollback manifest; undefined when the dispatcher already serves the target's route set. */
  manifest: Manifest | undefined;
  /** The changes, as `diffRouting` classifies them (desired = the target's routes of the touched selectors). */
  diff: RoutingDiff;
  /** Index of the target in `applied`, and its root. */
  target: { index: number; root: string };
  /** Selectors changed by a manifest after the target (the only ones a rollback may touch). */
  touched: string[];
}

/**
 * Builds the manifest that returns the dispatcher to the route set `applied[to]` left it with.
 * @throws RollbackError when `applied` is empty or out of order, the target is not in it, a selector's
 * earlier route is unknown, or the live dispatcher is not at the last applied root.
 * @example
 * const { manifest } = rollbackManifest({ name: "back-to-v1", applied: [v1, v2], to: v1.root, live });
 */
export function rollbackManifest(params: RollbackManifestParameters): RollbackManifestReturnType {
  const { applied, live } = params;
  checkChain(applied);
  const index = targetIndex(applied, params.to);
  const last = applied[applied.length - 1];
  if (live && live.activeRoot.toLowerCase() !== last.root) {
    throw new RollbackError(
      "live-mismatch",
      `the dispatcher's active root is ${live.activeRoot} (epoch ${live.activeEpoch}), but the last applied manifest "${last.name}" has root ${last.root}: list every manifest activated since the target, in order (or the dispatcher has moved on)`,
    );
  }
  const before = routesAfter(applied, index);
  const after = routesAfter(applied, applied.length - 1);
  const touched = touchedAfter(applied, index);
  const fromGenesis = applied[0].baseEpoch === 0 && applied[0].previousRoot === ZeroHash;
  const desired: ManifestEntry[] = [];
  const current = new Map<string, string>();
  const signatures = new Map<string, string>();
  for (const [selector, latest] of touched) {
    const earlier = before.get(selector);
    if (earlier === undefined && !fromGenesis) {
      throw new RollbackError(
        "unknown-earlier-route",
        `selector ${selector} (${latest.signature || "signature unknown"}) was first changed by "${latest.name}" after the target, and its route before "${applied[0].name}" is unknown: list the applied manifests from epoch 0`,
      );
    }
    if (earlier) desired.push(earlier);
    const now = live ? live.routes.get(selector) : (after.get(selector) ?? undefined)?.facet;
    if (now !== undefined) current.set(selector, now);
    if (latest.signature) signatures.set(selector, latest.signature);
  }
  const base = live ?? { activeEpoch: BigInt(last.baseEpoch + 1), activeRoot: last.root };
  const diff = diffRouting(desired, { ...base, routes: current });
  return {
    manifest: manifestOfDiff(params.name, diff, base, signatures),
    diff,
    target: { index, root: applied[index].root },
    touched: [...touched.keys()].sort(),
  };
}

/** Each manifest must have been built on the one before it. */
function checkChain(applied: readonly Manifest[]): void {
  if (applied.length === 0) throw new RollbackError("no-applied", "no applied manifests given: list the manifests activated so far, oldest first");
  for (let i = 1; i < applied.length; i++) {
    const [prev, next] = [applied[i - 1], applied[i]];
    if (next.previousRoot !== prev.root || next.baseEpoch <= prev.baseEpoch) {
      throw new RollbackError(
        "broken-chain",
        `applied[${i}] "${next.name}" was built on epoch ${next.baseEpoch}, root ${next.previousRoot}, but applied[${i - 1}] "${prev.name}" has root ${prev.root} (base epoch ${prev.baseEpoch}): list the activated manifests in order, none missing`,
      );
    }
  }
}

/** Index of the target: given, or the last manifest with the given root. */
function targetIndex(applied: readonly Manifest[], to: number | string): number {
  const index = typeof to === "number" ? to : applied.map((m) => m.root).lastIndexOf(to.toLowerCase());
  if (!Number.isInteger(index) || index < 0 || index >= applied.length) {
    throw new RollbackError("target-not-applied", `the rollback target ${typeof to === "number" ? `#${to}` : `with root ${to}`} is not among the ${applied.length} applied manifests: it must be one of them`);
  }
  return index;
}

/** selector → the entry that last set its route in applied[0..k], or null when that entry removed it. */
function routesAfter(applied: readonly Manifest[], k: number): Map<string, ManifestEntry | null> {
  const routes = new Map<string, ManifestEntry | null>();
  for (const manifest of applied.slice(0, k + 1)) {
    for (const entry of manifest.entries) routes.set(entry.selector, isRemoval(entry) ? null : entry);
  }
  return routes;
}

/** selector → its last entry (and the manifest's name) among the manifests after applied[k]. */
function touchedAfter(applied: readonly Manifest[], k: number): Map<string, ManifestEntry & { name: string }> {
  const touched = new Map<string, ManifestEntry & { name: string }>();
  for (const manifest of applied.slice(k + 1)) {
    for (const entry of manifest.entries) {
      const first = touched.get(entry.selector);
      touched.set(entry.selector, { ...entry, signature: entry.signature || first?.signature || "", name: first?.name ?? manifest.name });
    }
  }
  return touched;
}
