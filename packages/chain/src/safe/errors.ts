/** Errors of the Safe admin adapters. */
import { ChainError } from "../errors.js";

/** An admin action that can't be encoded (unknown role, not an address) or calldata that is not one. */
export class AdminActionError extends ChainError {}

/** The account that must act is not a Safe this code can read (no code, or not a Safe 1.x). */
export class SafeReadError extends ChainError {
  /** The account read. */
  readonly account: string;

  constructor(account: string, message: string, options?: { cause?: unknown }) {
    super(`${account}: ${message}`, options);
    this.account = account;
  }
}
