/**
 * ABI parsing that reports every invalid fragment instead of dropping it: ethers' `Interface` skips a
 * fragment it can't parse and prints `[Warning] Invalid Fragment …` on stdout, so a facet would silently
 * lose a function (and a `--json` output would be broken).
 */
import { Fragment, Interface, type InterfaceAbi } from "ethers/abi";

/** One ABI entry that is not a valid fragment. */
export interface InvalidAbiFragment {
  /** Its index in the ABI array. */
  index: number;
  /** The entry as JSON, shortened to 200 characters. */
  fragment: string;
  /** Why ethers refused it. */
  reason: string;
}

/** What {@link parseAbi} returns: an Interface of the valid fragments, and every invalid one. */
export interface ParsedAbi {
  iface: Interface;
  invalid: InvalidAbiFragment[];
}

/**
 * Parses `abi` (an array of fragments, or its JSON text) fragment by fragment.
 * @throws TypeError when `abi` is not an array (nor JSON of one).
 * @example
 * const { iface, invalid } = parseAbi(artifact.abi);
 * if (invalid.length) throw new Error(`abi[${invalid[0].index}]: ${invalid[0].reason}`);
 */
export function parseAbi(abi: InterfaceAbi | unknown): ParsedAbi {
  const items: unknown = typeof abi === "string" ? JSON.parse(abi) : abi;
  if (!Array.isArray(items)) throw new TypeError("an ABI must be an array of fragments");
  const fragments: Fragment[] = [];
  const invalid: InvalidAbiFragment[] = [];
  items.forEach((item, index) => {
    try {
      fragments.push(Fragment.from(item as Parameters<typeof Fragment.from>[0]));
    } catch (error) {
      const text = JSON.stringify(item) ?? String(item);
      const reason = ((error as { shortMessage?: string }).shortMessage ?? (error as Error).message ?? String(error)).split("\n")[0];
      invalid.push({ index, fragment: text.length > 200 ? text.slice(0, 199) + "…" : text, reason });
    }
  });
  // A second constructor is the one thing Interface still logs about: keep only the first.
  const constructors = fragments.filter((f) => f.type === "constructor");
  const kept = constructors.length > 1 ? fragments.filter((f) => f.type !== "constructor" || f === constructors[0]) : fragments;
  return { iface: new Interface(kept), invalid };
}
