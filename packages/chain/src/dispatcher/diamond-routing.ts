/**
 * Reads the live routing of any EIP-2535 diamond through its loupe — or of a ManifestDispatcher, which is
 * one — with each facet's runtime code hash, all at one block.
 */
import { Contract, getAddress, isError, keccak256, ZeroHash, type BlockTag, type Provider } from "ethers";
import type { LiveFacet } from "@payrox/core";
import { DiamondReadError } from "./errors.js";
import { DISPATCHER_VIEW_ABI, type ReadDispatcherOptions } from "./live-routing.js";

const LOUPE_ABI = [...DISPATCHER_VIEW_ABI, "function facetAddresses() view returns (address[])", "function facetFunctionSelectors(address) view returns (bytes4[])"] as const;

/** What {@link readDiamondRouting} returns. */
export interface ReadDiamondRoutingReturnType {
  /** A ManifestDispatcher answers activeEpoch()/activeRoot(); any other diamond does not. */
  kind: "manifest-dispatcher" | "diamond";
  /** The dispatcher's active epoch and root; undefined for another diamond. */
  active?: { epoch: bigint; root: string };
  facets: LiveFacet[];
  blockTag: BlockTag;
}

/**
 * The loupe's facets (`facets()`, or `facetAddresses()` + `facetFunctionSelectors()` when that fails) and
 * the code hash of each facet's runtime code (zero hash when it has none).
 * @throws DiamondReadError when the address has no code or its loupe does not answer.
 * @example
 * const { kind, facets } = await readDiamondRouting(provider, "0x…");
 */
export async function readDiamondRouting(provider: Provider, address: string, options: ReadDispatcherOptions = {}): Promise<ReadDiamondRoutingReturnType> {
  const diamond = getAddress(address);
  const blockTag = options.blockTag ?? (await provider.getBlockNumber());
  if ((await provider.getCode(diamond, blockTag)) === "0x") throw new DiamondReadError(diamond, "no-code");
  const loupe = new Contract(diamond, LOUPE_ABI, provider);
  const listed = await readFacets(loupe, diamond, blockTag);
  const active = await Promise.all([loupe.activeEpoch({ blockTag }), loupe.activeRoot({ blockTag })]).then(
    ([epoch, root]) => ({ epoch: BigInt(epoch), root: String(root).toLowerCase() }),
    (error: unknown) => {
      if (isError(error, "CALL_EXCEPTION") || isError(error, "BAD_DATA")) return undefined;
      throw error;
    },
  );
  const facets: LiveFacet[] = [];
  for (const [facet, selectors] of listed) {
    const code = await provider.getCode(facet, blockTag);
    facets.push({ facet, selectors, codehash: code === "0x" ? ZeroHash : keccak256(code) });
  }
  return { kind: active ? "manifest-dispatcher" : "diamond", ...(active && { active }), facets, blockTag };
}

async function readFacets(loupe: Contract, diamond: string, blockTag: BlockTag): Promise<[string, string[]][]> {
  const shaped = (rows: [string, string[]][]) => rows.filter(([, s]) => s.length > 0).map(([f, s]) => [getAddress(f), s.map((x) => x.toLowerCase())] as [string, string[]]);
  try {
    return shaped((await loupe.facets({ blockTag })) as [string, string[]][]);
  } catch (error) {
    if (!isError(error, "CALL_EXCEPTION") && !isError(error, "BAD_DATA")) throw error;
  }
  try {
    const addresses = (await loupe.facetAddresses({ blockTag })) as string[];
    const rows: [string, string[]][] = [];
    for (const facet of addresses) rows.push([facet, (await loupe.facetFunctionSelectors(facet, { blockTag })) as string[]]);
    return shaped(rows);
  } catch (error) {
    if (isError(error, "CALL_EXCEPTION") || isError(error, "BAD_DATA")) throw new DiamondReadError(diamond, "no-loupe", { cause: error });
    throw error;
  }
}
