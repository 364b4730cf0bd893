/**
 * On-network check of a manifest's facets: each routed facet must have code, at most 24,576 bytes,
 * hashing to the codehash the manifest pins (the dispatcher checks the same when applying).
 */
import { keccak256 } from "ethers";
import { FacetCodeError, isRemoval, MAX_FACET_CODE_SIZE, type Manifest } from "@payrox/core";

/** What was checked, per facet. */
export interface FacetCodeReport {
  facet: string;
  facetName: string;
  codehash: string;
  size: number;
}

/**
 * Reads every routed facet's code with `readCode` and checks it against the manifest.
 * @throws FacetCodeError (no code, too large, codehash mismatch) for the first facet that fails.
 */
export async function checkFacetCode(manifest: Pick<Manifest, "entries">, readCode: (address: string) => Promise<string>): Promise<FacetCodeReport[]> {
  const facets = new Map<string, { facetName: string; codehash: string }>();
  for (const e of manifest.entries) if (!isRemoval(e) && !facets.has(e.facet)) facets.set(e.facet, { facetName: e.facetName, codehash: e.codehash });
  const reports: FacetCodeReport[] = [];
  for (const [facet, pinned] of facets) {
    const code = await readCode(facet);
    const size = (code.length - 2) / 2;
    if (size === 0) throw new FacetCodeError(facet, pinned.facetName, "no-code", `facet ${pinned.facetName} at ${facet} has no code on the network (not deployed yet, or wrong network?)`);
    if (size > MAX_FACET_CODE_SIZE) {
      throw new FacetCodeError(facet, pinned.facetName, "too-large", `facet ${pinned.facetName} at ${facet} has ${size} bytes of code, over the EIP-170 limit of ${MAX_FACET_CODE_SIZE}`);
    }
    const codehash = keccak256(code);
    if (codehash !== pinned.codehash) {
      throw new FacetCodeError(
        facet,
        pinned.facetName,
        "codehash-mismatch",
        `facet ${pinned.facetName} at ${facet}: the network's code hashes to ${codehash} but the manifest pins ${pinned.codehash}; rebuild the manifest against the deployed code (or deploy the facet it was built for)`,
      );
    }
    reports.push({ facet, facetName: pinned.facetName, codehash, size });
  }
  return reports;
}
