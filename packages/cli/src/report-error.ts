/**
 * Turns any thrown value into what the user sees: a one-paragraph message (and, with --json, a
 * `{ "error": { name, message, issues? } }` object) and an exit code. No stack trace for user errors.
 */
// From @payrox/core/runs, not the full index: the bin's start-up chunk must not pull in what the lazily
// loaded commands share from the index (esbuild would then load it all before any command runs).
import { CoreError, type ManifestIssue } from "@payrox/core/runs";
import { CliError, UsageError } from "./errors.js";

/** Exit codes of `payrox`. */
export const ExitCode = {
  Ok: 0,
  /** Invalid input: bad file, validation error, drift, on-chain mismatch, unreachable network. */
  InvalidInput: 1,
  /** Usage: unknown command or flag, missing argument, malformed flag value. */
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error as reported. */
export interface ErrorReport {
  name: string;
  message: string;
  issues?: ManifestIssue[];
  exitCode: ExitCode;
  /** Set for unexpected errors only (a bug, not the user's input). */
  stack?: string;
}

/** Classifies `error` for the user. */
export function reportError(error: unknown): ErrorReport {
  if (error instanceof UsageError) return { name: error.name, message: error.message, exitCode: ExitCode.Usage };
  if (error instanceof CoreError || error instanceof CliError || isChainError(error)) {
    const issues = (error as { issues?: ManifestIssue[] }).issues;
    return { name: error.name, message: error.message, ...(issues ? { issues } : {}), exitCode: ExitCode.InvalidInput };
  }
  const ethersError = error as { code?: unknown; shortMessage?: unknown };
  if (typeof ethersError?.code === "string" && typeof ethersError.shortMessage === "string") {
    return { name: "NetworkError", message: `a network request failed (${ethersError.code}): ${ethersError.shortMessage}`, exitCode: ExitCode.InvalidInput };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: `internal error: ${e.message} (a bug in payrox; set PAYROX_DEBUG=1 for the stack trace)`, exitCode: ExitCode.InvalidInput, stack: e.stack };
}

/** @payrox/chain is loaded lazily, so its ChainError is recognised by its class chain's names. */
function isChainError(error: unknown): error is Error {
  for (let proto = Object.getPrototypeOf(error ?? {}); proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    if (proto.constructor?.name === "ChainError") return true;
  }
  return false;
}
