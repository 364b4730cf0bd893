/**
 * What the dispatcher demands of a facet's runtime code — present, at most 24,576 bytes (EIP-170), not
 * an EIP-7702 delegation — checked off-chain before a manifest is committed. Used by the builder (code
 * from the artifact or the network) and by verify (code from the network against the manifest's pins).
 */
import { FacetCodeError } from "../errors.js";
import { isRemoval, type Manifest } from "./format.js";
import { keccak256Hex } from "./keccak.js";
import { MAX_FACET_CODE_SIZE } from "./protected.js";

/** What was checked, per facet. */
export interface FacetCodeReport {
  facet: string;
  facetName: string;
  codehash: string;
  size: number;
}

/**
 * Checks one facet's runtime code and returns its EXTCODEHASH.
 * @param source where `code` came from, for the message
 * @throws FacetCodeError (no-code, too-large, delegated)
 */
export function checkRuntimeCode(facet: string, facetName: string, code: string, source: "network" | "artifact"): FacetCodeReport {
  const size = (code.length - 2) / 2;
  if (size <= 0) {
    const hint = source === "network" ? " on the network (not deployed yet?)" : " in its artifact (an interface or abstract contract?)";
    throw new FacetCodeError(facet, facetName, "no-code", `facet ${facetName} at ${facet} has no code${hint}`);
  }
  if (size > MAX_FACET_CODE_SIZE) {
    throw new FacetCodeError(facet, facetName, "too-large", `facet ${facetName} at ${facet} has ${size} bytes of runtime code, over the EIP-170 limit of ${MAX_FACET_CODE_SIZE}; split it`);
  }
  if (size === 23 && code.toLowerCase().startsWith("0xef0100")) {
    throw new FacetCodeError(facet, facetName, "delegated", `facet ${facetName} at ${facet} is an EIP-7702 delegated account; its code can change at any time, so the dispatcher refuses it`);
  }
  return { facet, facetName, codehash: keccak256Hex(hexBytes(code)), size };
}

/** The bytes of 0x-hex `code` (native decoding: runtime codes are large). */
function hexBytes(code: string): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(code)) throw new TypeError(`runtime code must be 0x-prefixed hex with an even number of digits, got "${code.slice(0, 20)}…"`);
  return Buffer.from(code.slice(2), "hex");
}

/**
 * Reads every routed facet's code and the initializer's with `readCode` and checks it against the
 * manifest's pins.
 * @throws FacetCodeError for the first facet (or initializer) that fails
 */
export async function checkFacetCode(manifest: Pick<Manifest, "entries" | "init">, readCode: (address: string) => Promise<string>): Promise<FacetCodeReport[]> {
  const facets = new Map<string, { facetName: string; codehash: string }>();
  for (const e of manifest.entries) if (!isRemoval(e) && !facets.has(e.facet)) facets.set(e.facet, { facetName: e.facetName, codehash: e.codehash });
  if (manifest.init && !facets.has(manifest.init.facet)) facets.set(manifest.init.facet, { facetName: manifest.init.facetName, codehash: manifest.init.codehash });
  const reports: FacetCodeReport[] = [];
  for (const [facet, pinned] of facets) {
    const report = checkRuntimeCode(facet, pinned.facetName, await readCode(facet), "network");
    if (report.codehash !== pinned.codehash) {
      throw new FacetCodeError(
        facet,
        pinned.facetName,
        "codehash-mismatch",
        `facet ${pinned.facetName} at ${facet}: the network's code hashes to ${report.codehash} but the manifest pins ${pinned.codehash}; rebuild the manifest against the deployed code (or deploy the facet it was built for)`,
      );
    }
    reports.push(report);
  }
  return reports;
}
