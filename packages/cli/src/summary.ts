/** The summary `build` and `verify` print: header, root, and the routes each facet gains and the removals. */
import { isRemoval, type LiveRouting, type Manifest } from "@payrox/core";

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
    facets: [...facets.values()].sort((a, b) => a.facetName.localeCompare(b.facetName) || a.facet.localeCompare(b.facet)),
    removals,
  };
}

/** The human form of a summary. */
export function formatSummary(s: ManifestSummary): string {
  const lines = [
    `manifest "${s.name}": epoch ${s.baseEpoch} → ${s.epoch} (previous root ${s.previousRoot})`,
    `root ${s.root}, ${s.entryCount} ${s.entryCount === 1 ? "entry" : "entries"}`,
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
