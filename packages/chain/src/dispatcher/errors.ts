/**
 * Errors of the dispatcher-reading adapters. They extend @payrox/chain's root {@link ChainError}; they
 * live here (not in ../errors.ts) only while that file is being written by the KMS/tx/relay work.
 */
import { ChainError } from "../errors.js";

/** The JSON-RPC endpoint did not answer `eth_chainId` (down, wrong URL, not JSON-RPC, or too slow). */
export class RpcUnreachableError extends ChainError {
  constructor(
    readonly url: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`could not reach the JSON-RPC endpoint ${url} (${reason}); check the URL and that the node is running`, options);
  }
}

/** The address holds no ManifestDispatcher: no code, or its views revert or return garbage. */
export class DispatcherReadError extends ChainError {
  constructor(
    readonly dispatcher: string,
    readonly problem: "no-code" | "not-a-dispatcher",
    options?: { cause?: unknown },
  ) {
    super(
      problem === "no-code"
        ? `there is no contract at ${dispatcher} on this network; check --dispatcher and --rpc (right network?)`
        : `the contract at ${dispatcher} does not answer like a ManifestDispatcher (activeEpoch/activeRoot/facets/maxBatchSize failed); check --dispatcher`,
      options,
    );
  }
}

/** The address holds no EIP-2535 diamond: no code, or its loupe (facets(), facetAddresses()) does not answer. */
export class DiamondReadError extends ChainError {
  constructor(
    readonly diamond: string,
    readonly problem: "no-code" | "no-loupe",
    options?: { cause?: unknown },
  ) {
    super(
      problem === "no-code"
        ? `there is no contract at ${diamond} on this network; check --diamond and --rpc (right network?)`
        : `the contract at ${diamond} has no EIP-2535 loupe (facets() and facetAddresses() failed); check --diamond`,
      options,
    );
  }
}
