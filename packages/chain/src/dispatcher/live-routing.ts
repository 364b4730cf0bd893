/**
 * Reads what a ManifestDispatcher serves right now — active epoch and root, and the live routes from
 * its EIP-2535 loupe — all at one block, so the three reads describe one state.
 */
import { Contract, getAddress, isError, type BlockTag, type Provider } from "ethers";
import type { LiveRouting } from "@payrox/core";
import { DispatcherReadError } from "./errors.js";

/** The dispatcher views these adapters call (human-readable ABI, ethers v6). */
export const DISPATCHER_VIEW_ABI = [
  "function activeEpoch() view returns (uint64)",
  "function activeRoot() view returns (bytes32)",
  "function maxBatchSize() view returns (uint32)",
  "function facets() view returns (tuple(address facetAddress, bytes4[] functionSelectors)[])",
] as const;

/** Options of the dispatcher reads. */
export interface ReadDispatcherOptions {
  /** Block to read at. @default the latest block number, fixed before the first read */
  blockTag?: BlockTag;
}

/** {@link LiveRouting} plus the block it was read at. */
export type ReadLiveRoutingReturnType = LiveRouting & { blockTag: BlockTag };

/**
 * The dispatcher's live routing: active epoch and root, and selector (lowercase) → facet (checksummed)
 * for every live route the loupe `facets()` lists (the dispatcher's own protected selectors included).
 * @throws DispatcherReadError when the address has no code or doesn't answer like a dispatcher.
 * @example
 * const live = await readLiveRouting(provider, dispatcher);
 * const next = nextManifest("v2", desired.entries, live);
 */
export async function readLiveRouting(provider: Provider, dispatcherAddress: string, options: ReadDispatcherOptions = {}): Promise<ReadLiveRoutingReturnType> {
  const { contract, blockTag } = await dispatcherAt(provider, dispatcherAddress, options);
  const [activeEpoch, activeRoot, facets] = await callViews(dispatcherAddress, () =>
    Promise.all([contract.activeEpoch({ blockTag }), contract.activeRoot({ blockTag }), contract.facets({ blockTag })]),
  );
  const routes = new Map<string, string>();
  for (const [facetAddress, selectors] of facets as [string, string[]][]) {
    for (const selector of selectors) routes.set(selector.toLowerCase(), getAddress(facetAddress));
  }
  return { activeEpoch: BigInt(activeEpoch), activeRoot: String(activeRoot).toLowerCase(), routes, blockTag };
}

/**
 * The dispatcher's `maxBatchSize()`: the most leaves one `applyRoutes` call may carry.
 * @throws DispatcherReadError when the address has no code or doesn't answer like a dispatcher.
 */
export async function readMaxBatchSize(provider: Provider, dispatcherAddress: string, options: ReadDispatcherOptions = {}): Promise<number> {
  const { contract, blockTag } = await dispatcherAt(provider, dispatcherAddress, options);
  const [size] = await callViews(dispatcherAddress, () => Promise.all([contract.maxBatchSize({ blockTag })]));
  return Number(size);
}

async function dispatcherAt(provider: Provider, dispatcherAddress: string, options: ReadDispatcherOptions) {
  const address = getAddress(dispatcherAddress);
  const blockTag = options.blockTag ?? (await provider.getBlockNumber());
  if ((await provider.getCode(address, blockTag)) === "0x") throw new DispatcherReadError(address, "no-code");
  return { contract: new Contract(address, DISPATCHER_VIEW_ABI, provider), blockTag };
}

/** Runs the view calls; a revert or undecodable answer means "not a dispatcher", anything else propagates. */
async function callViews<T>(dispatcher: string, calls: () => Promise<T>): Promise<T> {
  try {
    return await calls();
  } catch (error) {
    if (isError(error, "CALL_EXCEPTION") || isError(error, "BAD_DATA")) throw new DispatcherReadError(getAddress(dispatcher), "not-a-dispatcher", { cause: error });
    throw error;
  }
}
