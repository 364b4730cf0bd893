/**
 * The chain watcher's pure scan planning: which block range a sweep reads next (from its cursor, up to the
 * last block with the network's confirmations, stepping back when the cursor's block was reorged out),
 * and how a range the provider refused is split. What the events mean is in out-of-band.ts.
 */
import { AlertRuleInputError } from "../errors.js";
import type { BlockRef, ChainCursor } from "./ports.js";

/** Tunables of the chain watcher; every field but `confirmations` has a default. */
export interface ChainWatchOptions {
  /**
   * Most blocks one `getLogs` call asks for. A provider that refuses a range (block-range or result-count
   * caps) gets it again in halves, down to one block. @default 1_000
   */
  maxBlockRange?: number;
  /** Most blocks one sweep reads per network; the rest waits for the next sweep. @default 10_000 */
  maxBlocksPerSweep?: number;
  /** Without a cursor, how far behind the head the first sweep starts. @default 1_000 */
  initialLookbackBlocks?: number;
  /** How far a sweep steps back when the cursor's block is no longer canonical (a reorg deeper than the confirmations). @default 64 */
  reorgDepth?: number;
  /**
   * Blocks an event must have (its own included) before the watcher reads it, on every network: 1 reads up
   * to the head. @default each network's `confirmations` from the registry, else 1
   */
  confirmations?: number;
}

/** Defaults of {@link ChainWatchOptions}. */
export const CHAIN_WATCH_DEFAULTS = {
  maxBlockRange: 1_000,
  maxBlocksPerSweep: 10_000,
  initialLookbackBlocks: 1_000,
  reorgDepth: 64,
} as const satisfies Required<Omit<ChainWatchOptions, "confirmations">>;

/** {@link ChainWatchOptions} with defaults applied. */
export type ResolvedChainWatchOptions = Required<Omit<ChainWatchOptions, "confirmations">> & Pick<ChainWatchOptions, "confirmations">;

/** What a sweep reads next: `[from, to]` (empty when `from > to`), and whether it stepped back. */
export interface ScanPlan {
  from: number;
  to: number;
  reorged: boolean;
}

/**
 * The next range to read. Without a cursor: from `head - initialLookbackBlocks`. With one whose block is
 * still canonical: from the block after it. Reorged (the canonical hash differs, or the block is gone):
 * from `reorgDepth` blocks before it (re-reading is safe: alerts are deduped by incident). Never past the
 * last block with `confirmations` (so an event of a block a shallow reorg removes is never read), never
 * more than `maxBlocksPerSweep` blocks.
 * @throws AlertRuleInputError on a non-positive option
 */
export function planScan(cursor: ChainCursor | undefined, canonicalHashAtCursor: string | undefined, head: BlockRef, options: ChainWatchOptions = {}, confirmations = 1): ScanPlan {
  const o = resolveWatchOptions(options);
  const required = o.confirmations ?? confirmations;
  if (!Number.isSafeInteger(required) || required < 1) throw new AlertRuleInputError("confirmations", `must be a positive integer, got ${required}`);
  const confirmedHead = head.number - (required - 1);
  let from: number;
  let reorged = false;
  if (!cursor) from = Math.max(0, confirmedHead - o.initialLookbackBlocks + 1);
  else if (canonicalHashAtCursor !== undefined && canonicalHashAtCursor.toLowerCase() === cursor.blockHash.toLowerCase()) from = cursor.blockNumber + 1;
  else {
    reorged = true;
    from = Math.max(0, cursor.blockNumber - o.reorgDepth + 1);
  }
  return { from, to: Math.min(confirmedHead, from + o.maxBlocksPerSweep - 1), reorged };
}

/**
 * The span to try after the provider refused `[from, to]`: half of it (rounded down, at least 1), or
 * undefined when it was one block and can't be split.
 */
export function narrowedSpan(from: number, to: number): number | undefined {
  const span = to - from + 1;
  return span > 1 ? Math.floor(span / 2) : undefined;
}

/** Options with their defaults, validated. @throws AlertRuleInputError on a non-positive option */
export function resolveWatchOptions(options: ChainWatchOptions): ResolvedChainWatchOptions {
  const resolved: ResolvedChainWatchOptions = { ...CHAIN_WATCH_DEFAULTS, ...options };
  for (const [field, value] of Object.entries(resolved)) {
    if (value === undefined && field === "confirmations") continue;
    if (!Number.isSafeInteger(value) || (value as number) < 1) throw new AlertRuleInputError(field, `must be a positive integer, got ${value}`);
  }
  return resolved;
}
