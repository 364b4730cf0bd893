/**
 * Errors of the governance adapters: a chain that could not be read for an ERC-1271 answer or for what an
 * approval binds about a network.
 */
import { ChainError } from "../errors.js";

/** A network's chain could not be read for an ERC-1271 check (distinct from the account answering no). */
export class Erc1271ReadError extends ChainError {
  constructor(
    readonly network: string,
    readonly account: string,
    options?: { cause?: unknown },
  ) {
    super(`could not read ${account}'s isValidSignature on ${network}; try again when its RPC answers`, options);
  }
}

/** A network's dispatcher facts could not be read, or its node reports another chain than expected. */
export class ApprovalTargetReadError extends ChainError {
  constructor(
    readonly network: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot bind ${network} into the approval: ${message}`, options);
  }
}
