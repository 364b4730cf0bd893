/**
 * Errors of the dispatcher gateway. They extend @payrox/chain's root {@link ChainError}; they live here
 * so the gateway can be added without touching ../errors.ts.
 */
import { ChainError } from "../errors.js";

/** The gateway was asked about a network it was not configured with. */
export class UnknownNetworkError extends ChainError {
  constructor(
    readonly network: string,
    readonly knownNetworks: readonly string[],
  ) {
    const known = knownNetworks.length ? knownNetworks.join(", ") : "none";
    super(`network "${network}" has no dispatcher configured (configured: ${known}): add it to the gateway's networks or fix the run's network name`);
  }
}

/** A `getLogs` range is empty or negative (a caller's bug; a too wide one is core's `LogRangeRefusedError`). */
export class LogRangeError extends ChainError {
  constructor(
    readonly network: string,
    readonly fromBlock: number,
    readonly toBlock: number,
    readonly maxBlockRange: number,
  ) {
    super(`cannot read logs of blocks ${fromBlock}..${toBlock} on ${network}: a range must be non-empty and start at block 0 or later (and span at most ${maxBlockRange} blocks)`);
  }
}
