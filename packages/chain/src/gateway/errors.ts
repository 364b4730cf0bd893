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
