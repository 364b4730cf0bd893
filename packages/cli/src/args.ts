/**
 * Command-line parsing on node:util `parseArgs`, strict: an unknown flag, a flag without its value or
 * a stray argument is a {@link UsageError} (exit 2), as is a flag value of the wrong shape.
 */
import { createRequire } from "node:module";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { checksumAddress } from "@payrox/core";
import { UsageError } from "./errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv` for `command` with `options`, expecting between `min` and `max` positionals. */
export function parseCommandArgs<const O extends Options>(command: string, argv: string[], options: O, positionals: { min: number; max: number; names: string }) {
  let parsed;
  try {
    parsed = parseArgs({ args: attachNegativeValues(argv, options), options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(usageMessage(error as Error), command);
  }
  const count = parsed.positionals.length;
  if (count < positionals.min) throw new UsageError(`missing argument ${positionals.names}`, command);
  if (count > positionals.max) throw new UsageError(`unexpected argument "${parsed.positionals[positionals.max]}"`, command);
  return parsed;
}

export { wantsHelp } from "./help-flag.js";

/** The value of a required flag. */
export function required<T>(value: T | undefined, flag: string, command: string): T {
  if (value === undefined) throw new UsageError(`missing required flag --${flag}`, command);
  return value;
}

/**
 * `--flag -5` as `--flag=-5` for a flag that takes a value: parseArgs would read "-5" as a flag and say
 * "needs a value", where the real problem is the number's sign (said by {@link integerFlag}).
 */
function attachNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([\w-]+)$/.exec(argv[i])?.[1];
    if (name && options[name]?.type === "string" && /^-\d/.test(argv[i + 1] ?? "")) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

/** An integer flag of at least `min` (0 or 1); accepts `_` or `,` as digit separators (4_250_000, 4,250,000). */
export function integerFlag(value: string | undefined, flag: string, command: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const digits = value.replace(/[_,]/g, "");
  const n = Number(digits);
  if (!/^\d+$/.test(digits) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${flag} must be a positive integer${min === 0 ? " or 0" : min > 1 ? ` ≥ ${min}` : ""}, got "${value}"`, command);
  }
  return n;
}

/** An address flag, returned checksummed; lowercase is accepted, mixed case must be a correct EIP-55 checksum. */
export function addressFlag(value: string | undefined, flag: string, command: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    return normalizeAddress(value);
  } catch {
    throw new UsageError(`--${flag} must be an address (0x + 40 hex digits, correct EIP-55 checksum if mixed case), got "${value}"`, command);
  }
}

/**
 * What ethers' `getAddress` returns for `value`. Hex addresses are handled here, so the manifest commands
 * load no ethers address code; anything else (an ICAP address, or invalid) goes to ethers itself.
 */
function normalizeAddress(value: string): string {
  if (/^(0x)?[0-9a-fA-F]{40}$/.test(value)) {
    const address = value.startsWith("0x") ? value : "0x" + value;
    const digits = address.slice(2);
    const mixedCase = digits !== digits.toLowerCase() && digits !== digits.toUpperCase();
    if (mixedCase && checksumAddress(address) !== address) throw new TypeError(`bad address checksum: ${value}`);
    return checksumAddress(address);
  }
  const { getAddress } = createRequire(import.meta.url)("ethers") as typeof import("ethers");
  return getAddress(value);
}

/** A 32-byte hash flag, returned lowercase. */
export function bytes32Flag(value: string | undefined, flag: string, command: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new UsageError(`--${flag} must be 0x followed by 64 hex digits, got "${value}"`, command);
  return value.toLowerCase();
}

/** An http(s) JSON-RPC URL flag. */
export function rpcFlag(value: string | undefined, command: string): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--rpc must be an http(s) URL, got "${value}"`, command);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--rpc must be an http(s) URL, got "${value}"`, command);
  return value;
}

function usageMessage(error: Error): string {
  const code = (error as { code?: string }).code;
  const flag = /'(--?[\w-]+)/.exec(error.message)?.[1] ?? "";
  // parseArgs' own messages are long ("… To specify an option argument starting with a dash use …").
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown flag ${flag}`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return `unexpected argument "${/'([^']*)'/.exec(error.message)?.[1] ?? ""}"`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return /does not take an argument/.test(error.message) ? `flag ${flag} takes no value` : `flag ${flag} needs a value`;
  }
  return error.message;
}
