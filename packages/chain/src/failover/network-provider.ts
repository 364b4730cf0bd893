/** The provider of one configured network: plain ethers for one endpoint, failover for several. */
import { JsonRpcProvider, Network, type JsonRpcApiProvider } from "ethers";
import { FailoverJsonRpcProvider, type FailoverProviderOptions } from "./failover-provider.js";

/** A configured network's endpoints (a `ResolvedNetwork` of @payrox/core fits) and failover tuning. */
export interface NetworkProviderOptions extends Omit<FailoverProviderOptions, "network" | "urls" | "quorum" | "maxLagBlocks"> {
  id: string;
  rpcUrls: readonly string[];
  /** @default 1 */
  quorum?: number;
  maxLagBlocks?: number;
}

/**
 * One endpoint and no quorum: a `JsonRpcProvider` exactly as before failover existed (static network).
 * Otherwise a {@link FailoverJsonRpcProvider} over the endpoints in their configured order.
 * @throws RpcFailoverConfigError for options the failover provider refuses
 * @example networkProvider({ ...resolvedNetwork, onEvent: (e) => logger.warn(e) })
 */
export function networkProvider(options: NetworkProviderOptions): JsonRpcApiProvider {
  const { id, rpcUrls, quorum = 1, maxLagBlocks, ...rest } = options;
  if (rpcUrls.length === 1 && quorum === 1) {
    return new JsonRpcProvider(rpcUrls[0], Network.from(options.chainId), {
      staticNetwork: true,
      ...(rest.pollingInterval !== undefined && { pollingInterval: rest.pollingInterval }),
      ...(rest.cacheTimeout !== undefined && { cacheTimeout: rest.cacheTimeout }),
    });
  }
  return new FailoverJsonRpcProvider({ ...rest, network: id, urls: rpcUrls, quorum, ...(maxLagBlocks !== undefined && { maxLagBlocks }) });
}
