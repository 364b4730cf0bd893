/**
 * The initializer flags of `manifest build` (`--init <Artifact> --init-address 0x… --init-call 'migrate(uint256)'
 * --init-args '[1]'` or `--init-calldata 0x…`): the same initializer a build spec's `init` describes.
 */
import { InitSpecSchema, type InitSpec } from "../build-spec.js";
import { UsageError } from "../errors.js";

/** parseArgs options of the initializer flags. */
export const INIT_FLAG_OPTIONS = {
  init: { type: "string" },
  "init-address": { type: "string" },
  "init-call": { type: "string" },
  "init-args": { type: "string" },
  "init-calldata": { type: "string" },
} as const;

/** Help lines of the initializer flags. */
export const INIT_FLAGS_HELP = `  --init <Artifact>       initializer activation delegatecalls right after the switch (instead of the
                          spec's "init"); its code is checked like a facet's (with --rpc: on the network)
  --init-address <addr>   the initializer's deployed address
  --init-call <fn>        function to call, by signature (migrate(uint256)) or unique name, with
  --init-args <json>      its arguments as a JSON array (default []; big numbers as decimal strings)
  --init-calldata <hex>   or raw ABI-encoded calldata instead of --init-call/--init-args`;

type InitFlagValues = { [K in keyof typeof INIT_FLAG_OPTIONS]?: string };

/**
 * The initializer the flags describe, or undefined when none is given.
 * @throws UsageError when an --init-* flag comes without --init, --init-args is not a JSON array, or the
 * flags don't describe one initializer (address, and exactly one of call and calldata).
 */
export function initFromFlags(values: InitFlagValues, command: string): InitSpec | undefined {
  const { init: artifact, "init-address": address, "init-call": call, "init-args": argsText, "init-calldata": calldata } = values;
  if (artifact === undefined) {
    const stray = (["init-address", "init-call", "init-args", "init-calldata"] as const).find((f) => values[f] !== undefined);
    if (stray) throw new UsageError(`--${stray} needs --init <Artifact>`, command);
    return undefined;
  }
  let args: unknown;
  if (argsText !== undefined) {
    try {
      args = JSON.parse(argsText);
    } catch {
      args = undefined;
    }
    if (!Array.isArray(args)) throw new UsageError(`--init-args must be a JSON array, e.g. '[1, "0xabc…"]', got ${JSON.stringify(argsText)}`, command);
  }
  const parsed = InitSpecSchema.safeParse({ artifact, address, call, args, calldata });
  if (!parsed.success) {
    const flag = (path: PropertyKey | undefined) => ({ artifact: "--init", address: "--init-address", call: "--init-call", args: "--init-args", calldata: "--init-calldata" })[String(path)] ?? "--init";
    const problems = parsed.error.issues.map((i) => `${flag(i.path[0])}: ${i.path[0] === "address" && address === undefined ? "the initializer's address is required (--init-address)" : i.message.replace("`address` (deployed) and `create2` (predicted)", "--init-address").replace("`call` (with `args`) and `calldata`", "--init-call (with --init-args) and --init-calldata")}`);
    throw new UsageError(problems.join("; "), command);
  }
  return parsed.data;
}
