/**
 * The devnet's upgrade: a manifest routing the example facets `CounterFacetV1` and `BenchFacet` (68
 * selectors), built on top of the root and epoch every network's dispatcher has live — which must agree,
 * since one manifest root is committed everywhere.
 */
import { loadArtifact } from "@payrox/contracts/lib/artifacts";
import { buildManifest, type Manifest } from "@payrox/core";
import { Contract, JsonRpcProvider, ZeroHash } from "ethers";
import { DevnetDriftError } from "../errors.js";
import type { DevnetState } from "./state.js";

/** Facets the example manifest routes. */
export const EXAMPLE_MANIFEST_FACETS = ["CounterFacetV1", "BenchFacet"] as const;

const VIEWS = ["function activeEpoch() view returns (uint64)", "function activeRoot() view returns (bytes32)"];

/** Selectors of the example manifest without padding: CounterFacetV1's 4 and BenchFacet's 64. */
export const EXAMPLE_SELECTORS = 68;

/** Options of {@link exampleManifest}. */
export interface ExampleManifestOptions {
  /** Networks whose dispatchers it must fit. @default every network of the state */
  networks?: readonly string[];
  /**
   * Selectors in all (≥ {@link EXAMPLE_SELECTORS}), for load tests: the ones beyond the example's are
   * synthetic functions `wide<i>()` routed to BenchFacet, which does not implement them (a call reverts),
   * but they are committed, proven, staged and activated like any other. @default EXAMPLE_SELECTORS
   */
  selectors?: number;
}

/**
 * Builds the example manifest.
 * @throws DevnetDriftError when the dispatchers' live epoch/root differ
 */
export async function exampleManifest(state: DevnetState, name: string, { networks = state.networks.map((n) => n.id), selectors = EXAMPLE_SELECTORS }: ExampleManifestOptions = {}): Promise<Manifest> {
  const targets = state.networks.filter((n) => networks.includes(n.id));
  const live = await Promise.all(
    targets.map(async (n) => {
      const provider = new JsonRpcProvider(n.rpcUrl, n.chainId, { staticNetwork: true });
      try {
        const views = new Contract(n.dispatcher, VIEWS, provider);
        const [epoch, root] = (await Promise.all([views.getFunction("activeEpoch")(), views.getFunction("activeRoot")()])) as [bigint, string];
        return { epoch: Number(epoch), root: epoch === 0n ? ZeroHash : root, provider };
      } catch (error) {
        provider.destroy();
        throw error;
      }
    }),
  );
  try {
    const first = live[0]!;
    if (live.some((l) => l.epoch !== first.epoch || l.root !== first.root)) {
      throw new DevnetDriftError(Object.fromEntries(targets.map((n, i) => [n.id, `epoch ${live[i]!.epoch} root ${live[i]!.root.slice(0, 10)}…`])));
    }
    const padding = Array.from({ length: Math.max(0, selectors - EXAMPLE_SELECTORS) }, (_, i) => `function wide${i}() view returns (uint256)`);
    const facets = EXAMPLE_MANIFEST_FACETS.map((facet) => {
      const artifact = loadArtifact(facet);
      const abi = facet === "BenchFacet" ? [...(artifact.abi as unknown[]), ...padding] : artifact.abi;
      return { name: facet, abi: abi as never, deployedBytecode: artifact.deployedBytecode, address: targets[0]!.facets[facet]! };
    });
    return await buildManifest({ name, baseEpoch: first.epoch, previousRoot: first.root, facets }, { readCode: (address) => first.provider.getCode(address) });
  } finally {
    for (const l of live) l.provider.destroy();
  }
}
