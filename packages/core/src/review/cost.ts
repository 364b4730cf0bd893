/**
 * The cost of a plan in a network's native token, from `eth_feeHistory`: the next block's base fee plus a
 * priority fee at a low / mid / high percentile of what recent blocks paid. Pure integer (wei) math.
 */
import type { FeeHistory } from "../run/gateway.js";

/** Priority fee percentiles a review asks `eth_feeHistory` for: low, mid, high. */
export const FEE_PERCENTILES = [25, 50, 75] as const;

/** Blocks of fee history a review reads. */
export const FEE_HISTORY_BLOCKS = 20;

/** Gas prices (wei) a cost is computed with. */
export interface FeeEstimate {
  /** Base fee of the block after the newest one read. */
  baseFeePerGas: bigint;
  /** Priority fee at the 25th, 50th and 75th percentile: the median over the blocks read of each. */
  priorityFeePerGas: { low: bigint; mid: bigint; high: bigint };
}

/** A cost in wei at low / mid / high priority fees. */
export interface CostRange {
  low: bigint;
  mid: bigint;
  high: bigint;
}

/**
 * The fee estimate of a fee history read with {@link FEE_PERCENTILES}. Each percentile's priority fee is
 * the median over the blocks (not the mean: one block with a huge tip should not move it); blocks with no
 * transactions (all rewards zero) are left out unless every block is empty.
 * @throws RangeError when the history has no base fee or a block's rewards don't match the percentiles
 */
export function feeEstimate(history: Pick<FeeHistory, "baseFeePerGas" | "reward">): FeeEstimate {
  const baseFeePerGas = history.baseFeePerGas.at(-1);
  if (baseFeePerGas === undefined) throw new RangeError("fee history has no base fee");
  for (const rewards of history.reward) {
    if (rewards.length !== FEE_PERCENTILES.length) throw new RangeError(`fee history block has ${rewards.length} rewards, expected ${FEE_PERCENTILES.length}`);
  }
  const busy = history.reward.filter((rewards) => rewards.some((r) => r > 0n));
  const blocks = busy.length > 0 ? busy : history.reward;
  const at = (i: number) => median(blocks.map((rewards) => rewards[i]!));
  return { baseFeePerGas, priorityFeePerGas: { low: at(0), mid: at(1), high: at(2) } };
}

/** `gas` × (base fee + priority fee) at each of the estimate's priority fees. */
export function costOf(gas: bigint, fees: FeeEstimate): CostRange {
  const { baseFeePerGas: base, priorityFeePerGas: tip } = fees;
  return { low: gas * (base + tip.low), mid: gas * (base + tip.mid), high: gas * (base + tip.high) };
}

/** Sum of cost ranges. */
export function sumCosts(costs: readonly CostRange[]): CostRange {
  return costs.reduce((sum, c) => ({ low: sum.low + c.low, mid: sum.mid + c.mid, high: sum.high + c.high }), { low: 0n, mid: 0n, high: 0n });
}

/** The median of integers (the lower middle of an even count; 0 for none): a fee never rounds up. */
function median(values: readonly bigint[]): bigint {
  if (values.length === 0) return 0n;
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[(sorted.length - 1) >> 1]!;
}
