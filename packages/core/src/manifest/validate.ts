/**
 * Parsing and verification of manifest files: schema (zod), then the rules a schema can't express —
 * canonical order, selector = keccak(signature), one facet per selector, one code hash and name per
 * facet (the initializer included), removals well-formed, no dispatcher-protected selector, at most
 * 255 distinct facets (a leaf's facet index is one byte), and the root matching the entries and the
 * initializer (header leaf included).
 */
import { ZeroAddress, ZeroHash } from "ethers/constants";
import type { ZodError } from "zod";
import { ManifestFormatVersionError, ManifestInvalidError, ProtectedSelectorError, SelectorCollisionError, type ManifestIssue } from "../errors.js";
import { compareEntries, isRemoval, manifestInitializer, ManifestSchema, selectorOf, SUPERSEDED_MANIFEST_FORMATS, type Manifest, type ManifestEntry, type ManifestInit } from "./format.js";
import { MAX_FACETS_PER_MANIFEST, manifestRoot } from "./merkle.js";
import { PROTECTED_SELECTORS } from "./protected.js";

/**
 * Parses and fully checks a manifest (JSON text or an already-parsed value).
 * @throws ManifestInvalidError naming each bad field; SelectorCollisionError; ProtectedSelectorError.
 */
export function parseManifest(input: string | unknown): Manifest {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new ManifestInvalidError([{ path: "", message: `not valid JSON (${(error as Error).message})` }], { cause: error });
    }
  }
  const format = (value as { format?: unknown } | null)?.format;
  if (typeof format === "string" && SUPERSEDED_MANIFEST_FORMATS.includes(format)) throw new ManifestFormatVersionError(format);
  const parsed = ManifestSchema.safeParse(value);
  if (!parsed.success) throw new ManifestInvalidError(zodIssues(parsed.error), { cause: parsed.error });
  const manifest = parsed.data;
  checkEntries(manifest.entries, manifest.init);
  const computed = manifestRoot(manifest.entries, manifestInitializer(manifest));
  if (computed !== manifest.root) {
    const what = manifest.init ? "the entries and the initializer" : "the entries";
    throw new ManifestInvalidError([
      { path: "root", message: `${manifest.root} does not match ${what} (their root is ${computed}): an entry or the initializer was changed, or the root is wrong` },
    ]);
  }
  return manifest;
}

/**
 * Checks entry-level rules, and the initializer against the entries when given. Entries must be in
 * canonical (selector) order.
 * @throws SelectorCollisionError, ProtectedSelectorError or ManifestInvalidError.
 */
export function checkEntries(entries: readonly ManifestEntry[], init?: ManifestInit): void {
  checkCollisions(entries);
  const issues: ManifestIssue[] = [];
  const facets = new Map<string, { codehash: string; facetName: string; index: number }>();
  entries.forEach((entry, i) => {
    const path = `entries[${i}]`;
    if (i > 0 && compareEntries(entries[i - 1], entry) > 0) issues.push({ path, message: `entries must be sorted by selector (${entry.selector} comes after ${entries[i - 1].selector})` });
    const guard = PROTECTED_SELECTORS.get(entry.selector);
    if (guard) throw new ProtectedSelectorError(entry.selector, entry.signature, entry.facetName, guard);
    if (entry.signature && selectorOf(entry.signature) !== entry.selector) {
      issues.push({ path: `${path}.selector`, message: `${entry.selector} is not the selector of "${entry.signature}" (${selectorOf(entry.signature)})` });
    }
    if (isRemoval(entry)) {
      if (entry.codehash !== ZeroHash) issues.push({ path: `${path}.codehash`, message: "a removal (facet zero) must have a zero codehash" });
      if (entry.facetName !== "") issues.push({ path: `${path}.facetName`, message: "a removal (facet zero) must have an empty facetName" });
      return;
    }
    if (!entry.signature) issues.push({ path: `${path}.signature`, message: "required for a route (only a removal may omit it)" });
    if (!entry.facetName) issues.push({ path: `${path}.facetName`, message: "required for a route" });
    if (entry.codehash === ZeroHash) issues.push({ path: `${path}.codehash`, message: "a route needs its facet's non-zero code hash" });
    const seen = facets.get(entry.facet);
    if (!seen) facets.set(entry.facet, { codehash: entry.codehash, facetName: entry.facetName, index: i });
    else {
      if (seen.codehash !== entry.codehash) issues.push({ path: `${path}.codehash`, message: `facet ${entry.facet} has codehash ${seen.codehash} in entries[${seen.index}]; one facet has one code hash` });
      if (seen.facetName !== entry.facetName) issues.push({ path: `${path}.facetName`, message: `facet ${entry.facet} is named "${seen.facetName}" in entries[${seen.index}]` });
    }
  });
  if (facets.size > MAX_FACETS_PER_MANIFEST) {
    issues.push({ path: "entries", message: `${facets.size} distinct facets; a manifest lists at most ${MAX_FACETS_PER_MANIFEST} (a leaf's facet index is one byte): split the upgrade into several epochs` });
  }
  if (init) issues.push(...initIssues(init, facets));
  if (issues.length) throw new ManifestInvalidError(issues);
}

/** The initializer's rules beyond its schema: one code hash and one name per facet, shared with the entries. */
function initIssues(init: ManifestInit, facets: ReadonlyMap<string, { codehash: string; facetName: string; index: number }>): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  if (init.facet === ZeroAddress) issues.push({ path: "init.facet", message: "an initializer needs a facet (omit init for none)" });
  if (init.codehash === ZeroHash) issues.push({ path: "init.codehash", message: "an initializer needs its facet's non-zero code hash" });
  const routed = facets.get(init.facet);
  if (routed && routed.codehash !== init.codehash) issues.push({ path: "init.codehash", message: `facet ${init.facet} has codehash ${routed.codehash} in entries[${routed.index}]; one facet has one code hash` });
  if (routed && routed.facetName !== init.facetName) issues.push({ path: "init.facetName", message: `facet ${init.facet} is named "${routed.facetName}" in entries[${routed.index}]` });
  return issues;
}

/** Throws SelectorCollisionError for the first selector listed twice. */
export function checkCollisions(entries: readonly Pick<ManifestEntry, "selector" | "facet" | "facetName" | "signature">[]): void {
  const bySelector = new Map<string, (typeof entries)[number]>();
  for (const entry of entries) {
    const first = bySelector.get(entry.selector);
    if (first) throw new SelectorCollisionError(entry.selector, first, entry);
    bySelector.set(entry.selector, entry);
  }
}

/** zod issues as `{ path: "entries[3].facet", message }`. */
export function zodIssues(error: ZodError): ManifestIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join(""),
    message: issue.message,
  }));
}

export { ZeroAddress };
