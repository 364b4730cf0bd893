/** Flags shared by `devnet up` and `devnet services`: how many networks, and the dispatchers' activation delay. */
import { DEVNET_COUNT } from "@payrox/core";
import { integerFlag } from "../args.js";
import { UsageError } from "../errors.js";

/** Longest activation delay the devnet accepts, in seconds. */
const MAX_DELAY_SECONDS = 3600;

/** `--networks` (1..21, default 3) and `--delay` (1..3600 s, default 30), validated; `defaults` replace 3 and 30 (kept data's size). */
export function devnetSizeFlags(values: { networks?: string; delay?: string }, command: string, defaults = { networks: 3, delaySeconds: 30 }): { networks: number; delaySeconds: number } {
  const networks = integerFlag(values.networks, "networks", command, 1) ?? defaults.networks;
  if (networks > DEVNET_COUNT) throw new UsageError(`--networks must be at most ${DEVNET_COUNT} (the registry's devnets), got ${networks}`, command);
  const delaySeconds = integerFlag(values.delay, "delay", command, 1) ?? defaults.delaySeconds;
  if (delaySeconds > MAX_DELAY_SECONDS) throw new UsageError(`--delay must be at most ${MAX_DELAY_SECONDS} seconds, got ${delaySeconds}`, command);
  return { networks, delaySeconds };
}
