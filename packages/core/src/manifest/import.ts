/**
 * The manifest of what a diamond (EIP-2535) or a ManifestDispatcher serves right now: every live route
 * with its facet's code hash, named from the ABIs the caller knows. The starting point of a migration
 * (its routes become a dispatcher's first manifest) and of every `diff --desired`.
 */
import { ZeroHash } from "ethers/constants";
import { ManifestInvalidError, type ManifestIssue } from "../errors.js";
import { compareEntries, LEAF_ENCODING, MANIFEST_FORMAT, selectorOf, type Manifest, type ManifestEntry } from "./format.js";
import { manifestRoot } from "./merkle.js";
import { PROTECTED_SELECTORS } from "./protected.js";
import { checkEntries } from "./validate.js";

/**
 * Selectors that manage an EIP-2535 diamond itself. Imported like any route, but a dispatcher never needs
 * them (its lifecycle and roles replace them): a migration drops them.
 */
export const DIAMOND_MANAGEMENT_SELECTORS: ReadonlyMap<string, string> = new Map([
  ["0x1f931c1c", "diamondCut((address,uint8,bytes4[])[],address,bytes)"],
  ["0xf2fde38b", "transferOwnership(address)"],
]);

/** One facet as a loupe lists it, with the code hash of its runtime code (zero hash: no code). */
export interface LiveFacet {
  facet: string;
  selectors: readonly string[];
  codehash: string;
}

/** Parameters of {@link importLiveRouting}. */
export interface ImportLiveRoutingParameters {
  name: string;
  /** The dispatcher's active epoch (0 for a diamond: the manifest is a new dispatcher's first). */
  baseEpoch: number;
  /** The dispatcher's active root (zero hash for a diamond). */
  previousRoot: string;
  facets: readonly LiveFacet[];
  /** selector → canonical signature, from the ABIs the caller has. */
  signatures: ReadonlyMap<string, string>;
  /** codehash → contract name: a facet whose code is a known contract's gets its name. */
  facetNames?: ReadonlyMap<string, string>;
  /**
   * selector → the contracts whose ABI has it: a facet not named by its code is named after the one
   * contract whose ABI has all of its selectors; others are called `facet@<address>`.
   */
  contractsBySelector?: ReadonlyMap<string, readonly string[]>;
}

/** What {@link importLiveRouting} returns. */
export interface ImportLiveRoutingReturnType {
  manifest: Manifest;
  /** Live selectors the dispatcher serves itself (loupe, ERC-165, ownership, …): left out of the manifest. */
  protectedLeftOut: { selector: string; facet: string; protectedAs: string }[];
  /** Imported routes that manage the old diamond (diamondCut, transferOwnership): a migration drops them. */
  diamondManagement: { selector: string; signature: string; facet: string }[];
}

/**
 * Builds the manifest of the live routing.
 * @throws ManifestInvalidError naming every selector no known ABI names and every facet without code.
 * @example
 * const { manifest } = importLiveRouting({ name: "live", baseEpoch: 0, previousRoot: ZeroHash, facets, signatures });
 */
export function importLiveRouting(params: ImportLiveRoutingParameters): ImportLiveRoutingReturnType {
  const issues: ManifestIssue[] = [];
  const entries: ManifestEntry[] = [];
  const protectedLeftOut: ImportLiveRoutingReturnType["protectedLeftOut"] = [];
  for (const { facet, selectors, codehash } of params.facets) {
    const routed = selectors.map((s) => s.toLowerCase()).filter((selector) => {
      const guard = PROTECTED_SELECTORS.get(selector);
      if (guard) protectedLeftOut.push({ selector, facet, protectedAs: guard });
      return !guard;
    });
    if (routed.length === 0) continue;
    if (codehash === ZeroHash) {
      issues.push({ path: `facets.${facet}`, message: `facet ${facet} routes ${routed.length} selector(s) but has no code: the diamond is broken there; remove its routes first` });
      continue;
    }
    const facetName = params.facetNames?.get(codehash) ?? nameByAbi(routed, params.contractsBySelector) ?? `facet@${facet}`;
    for (const selector of routed) {
      const signature = params.signatures.get(selector);
      if (signature === undefined || selectorOf(signature) !== selector) {
        issues.push({ path: `facets.${facet}.${selector}`, message: `selector ${selector} of facet ${facet} is not in any ABI given; give the ABI or artifact that has it` });
        continue;
      }
      entries.push({ selector, signature, facet, facetName, codehash });
    }
  }
  if (entries.length === 0 && issues.length === 0) issues.push({ path: "facets", message: "the contract serves no routes besides the dispatcher's own: there is nothing to import" });
  if (issues.length) throw new ManifestInvalidError(issues);
  entries.sort(compareEntries);
  const diamondManagement = entries.filter((e) => DIAMOND_MANAGEMENT_SELECTORS.has(e.selector)).map(({ selector, signature, facet }) => ({ selector, signature, facet }));
  checkEntries(entries);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name: params.name,
    baseEpoch: params.baseEpoch,
    previousRoot: params.previousRoot.toLowerCase(),
    leafEncoding: [...LEAF_ENCODING],
    root: manifestRoot(entries),
    entries,
  };
  return { manifest, protectedLeftOut, diamondManagement };
}

/** The one contract whose ABI has every one of `selectors`, if exactly one does. */
function nameByAbi(selectors: readonly string[], contractsBySelector?: ReadonlyMap<string, readonly string[]>): string | undefined {
  if (!contractsBySelector) return undefined;
  let candidates: Set<string> | undefined;
  for (const selector of selectors) {
    const having = new Set(contractsBySelector.get(selector) ?? []);
    candidates = candidates ? new Set([...candidates].filter((c) => having.has(c))) : having;
  }
  return candidates?.size === 1 ? [...candidates][0] : undefined;
}
