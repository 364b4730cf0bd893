/**
 * The summary `build`, `verify`, `diff` and `rollback` print: name and epochs, root, the tree's header leaf
 * (leaf count and binding), the initializer, and the routes each facet gains and the removals.
 */
import { buildManifestTree, isRemoval, manifestInitializer, type LiveRouting, type Manifest, type ManifestInit } from "@payrox/core";

/** Per-facet counts; `added`/`replaced`/`unchanged` only when compared with a live dispatcher. */
export interface FacetSummary {
  facet: string;
  facetName: string;
  codehash: string;
  routes: number;
  added?: number;
  replaced?: number;
  unchanged?: number;
}

/** A manifest in numbers. */
export interface ManifestSummary {
  name: string;
  baseEpoch: number;
  epoch: number;
  previousRoot: string;
  root: string;
  entryCount: number;
  /** The tree's header leaf `(0x00000000, 0, keccak256(abi.encode(leafCount, binding)))`, proven at commit. */
  header: { leafCount: number; binding: string };
  /** The initializer activation runs, or null. */
  init: ManifestInit | null;
  facets: FacetSummary[];
  /** Removed selectors; `from` is the facet serving it live, when compared with a dispatcher. */
  removals: { selector: string; signature: string; from?: string | null }[];
}

/** Summarizes `manifest`, classifying its routes against `live` when given. */
export function summarizeManifest(manifest: Manifest, live?: Pick<LiveRouting, "routes">): ManifestSummary {
  const facets = new Map<string, FacetSummary>();
  const removals: ManifestSummary["removals"] = [];
  for (const entry of manifest.entries) {
    const current = live?.routes.get(entry.selector);
    if (isRemoval(entry)) {
      removals.push({ selector: entry.selector, signature: entry.signature, ...(live ? { from: current ?? null } : {}) });
      continue;
    }
    let facet = facets.get(entry.facet);
    if (!facet) {
      facet = { facet: entry.facet, facetName: entry.facetName, codehash: entry.codehash, routes: 0, ...(live ? { added: 0, replaced: 0, unchanged: 0 } : {}) };
      facets.set(entry.facet, facet);
    }
    facet.routes++;
    if (live) {
      if (current === undefined) facet.added!++;
      else if (current.toLowerCase() === entry.facet.toLowerCase()) facet.unchanged!++;
      else facet.replaced!++;
    }
  }
  return {
    name: manifest.name,
    baseEpoch: manifest.baseEpoch,
    epoch: manifest.baseEpoch + 1,
    previousRoot: manifest.previousRoot,
    root: manifest.root,
    entryCount: manifest.entries.length,
    header: headerOf(manifest),
    init: manifest.init ?? null,
    facets: [...facets.values()].sort((a, b) => a.facetName.localeCompare(b.facetName) || a.facet.localeCompare(b.facet)),
    removals,
  };
}

/** The manifest's header leaf values (what `commitRoot` is given besides the root and the epoch). */
export function headerOf(manifest: Manifest): ManifestSummary["header"] {
  const tree = buildManifestTree(manifest.entries, manifestInitializer(manifest));
  return { leafCount: tree.leafCount, binding: tree.binding };
}

/** The human form of a summary. */
export function formatSummary(s: ManifestSummary): string {
  const lines = [
    `manifest "${s.name}": epoch ${s.baseEpoch} → ${s.epoch} (previous root ${s.previousRoot})`,
    `root ${s.root}, ${s.entryCount} ${s.entryCount === 1 ? "entry" : "entries"}`,
    `header leaf: leafCount ${s.header.leafCount}, binding ${s.header.binding}`,
    s.init ? `initializer: ${formatInit(s.init)}` : "initializer: none",
  ];
  for (const f of s.facets) {
    const detail = f.added === undefined ? "" : ` (${f.added} added, ${f.replaced} replaced, ${f.unchanged} unchanged)`;
    lines.push(`  ${f.facetName} ${f.facet}: +${f.routes} route${f.routes === 1 ? "" : "s"}${detail}, codehash ${f.codehash}`);
  }
  if (s.removals.length) {
    lines.push(`  removed: -${s.removals.length}`);
    for (const r of s.removals) lines.push(`    ${r.selector} ${r.signature || "(signature unknown)"}${r.from === undefined ? "" : r.from ? ` (live on ${r.from})` : " (not live)"}`);
  }
  return lines.join("\n");
}

/** One line for an initializer: contract, address, call selector and size, code hash. */
export function formatInit(init: ManifestInit): string {
  const bytes = (init.calldata.length - 2) / 2;
  const call = bytes >= 4 ? `calls ${init.calldata.slice(0, 10)} with ${bytes} bytes of calldata` : `calldata ${init.calldata} (${bytes} bytes: the fallback)`;
  return `${init.facetName} ${init.facet} ${call}, codehash ${init.codehash}`;
}
