/** EIP-1559 fees from `eth_feeHistory`, and the fee bump of a replacement transaction. */
import type { JsonRpcApiProvider } from "ethers";
import { FeeCapExceededError } from "../errors.js";

/** Options of {@link suggestFees} (per network). */
export interface FeeOptions {
  /** Recent blocks read with `eth_feeHistory`. @default 10 */
  historyBlocks?: number;
  /** Percentile of each block's priority fees paid. @default 50 */
  rewardPercentile?: number;
  /** Buffer added to the next base fee and the priority fee, in percent. @default 10 */
  bufferPercent?: number;
  /** Floor of the priority fee (empty blocks report 0), in wei. @default 1_000_000n (0.001 gwei) */
  minPriorityFeePerGas?: bigint;
  /** Highest maxFeePerGas this network may pay, in wei. @default no cap */
  maxFeePerGasCap?: bigint;
  /** Highest maxPriorityFeePerGas this network may pay, in wei. @default no cap */
  maxPriorityFeePerGasCap?: bigint;
}

/** The two EIP-1559 fee fields of a transaction. */
export interface Eip1559Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** Fees suggested from the fee history, with the inputs they came from. */
export interface FeeSuggestion extends Eip1559Fees {
  /** The base fee of the next block, as the node reports it. */
  nextBaseFeePerGas: bigint;
  /** The priority fee before the buffer (median over non-empty blocks of the chosen percentile). */
  priorityFeePerGas: bigint;
}

interface FeeHistory {
  baseFeePerGas: string[];
  gasUsedRatio: number[];
  reward?: string[][];
}

/**
 * Suggests fees for the next block: `maxPriorityFeePerGas = priority × (1 + buffer)` and
 * `maxFeePerGas = (nextBaseFee + priority) × (1 + buffer)`, where priority is the median, over the recent
 * non-empty blocks, of the `rewardPercentile`-th priority fee (at least `minPriorityFeePerGas`).
 */
export async function suggestFees(provider: JsonRpcApiProvider, options: FeeOptions = {}): Promise<FeeSuggestion> {
  const blocks = options.historyBlocks ?? 10;
  const percentile = options.rewardPercentile ?? 50;
  const buffer = BigInt(100 + (options.bufferPercent ?? 10));
  const history = (await provider.send("eth_feeHistory", [`0x${blocks.toString(16)}`, "latest", [percentile]])) as FeeHistory;
  const nextBase = BigInt(history.baseFeePerGas[history.baseFeePerGas.length - 1] ?? "0x0");
  // Empty blocks pay no priority fee; counting them would drag the median to zero.
  const paid = (history.reward ?? [])
    .filter((_, i) => (history.gasUsedRatio[i] ?? 0) > 0)
    .map((r) => BigInt(r[0] ?? "0x0"))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const median = paid.length > 0 ? paid[Math.floor(paid.length / 2)]! : 0n;
  const floor = options.minPriorityFeePerGas ?? 1_000_000n;
  const priority = median > floor ? median : floor;
  return {
    nextBaseFeePerGas: nextBase,
    priorityFeePerGas: priority,
    maxPriorityFeePerGas: ceilPercent(priority, buffer),
    maxFeePerGas: ceilPercent(nextBase + priority, buffer),
  };
}

/** Throws {@link FeeCapExceededError} when the suggested maxFeePerGas exceeds the network's cap; clamps the priority fee to its cap. */
export function capInitialFees(network: string, fees: Eip1559Fees, options: FeeOptions): Eip1559Fees {
  if (options.maxFeePerGasCap !== undefined && fees.maxFeePerGas > options.maxFeePerGasCap) {
    throw new FeeCapExceededError(network, fees.maxFeePerGas, options.maxFeePerGasCap);
  }
  let priority = fees.maxPriorityFeePerGas;
  if (options.maxPriorityFeePerGasCap !== undefined && priority > options.maxPriorityFeePerGasCap) priority = options.maxPriorityFeePerGasCap;
  return { maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: priority > fees.maxFeePerGas ? fees.maxFeePerGas : priority };
}

/**
 * Fees of a replacement for a transaction paying `previous`: at least `bumpPercent` more on BOTH fields
 * (nodes reject a same-nonce replacement below +10%), and at least what the market asks now, within the
 * caps. Returns undefined when the caps leave no valid replacement.
 */
export function bumpFees(previous: Eip1559Fees, market: Eip1559Fees, options: FeeOptions & { bumpPercent?: number } = {}): Eip1559Fees | undefined {
  const bump = options.bumpPercent ?? 10;
  if (bump < 10) throw new RangeError(`bumpPercent must be at least 10 (nodes reject smaller replacements), got ${bump}`);
  const factor = BigInt(100 + bump);
  const minPriority = ceilPercent(previous.maxPriorityFeePerGas, factor);
  const minMax = ceilPercent(previous.maxFeePerGas, factor);
  let priority = max(minPriority, market.maxPriorityFeePerGas);
  let maxFee = max(max(minMax, market.maxFeePerGas), priority);
  if (options.maxPriorityFeePerGasCap !== undefined && priority > options.maxPriorityFeePerGasCap) priority = options.maxPriorityFeePerGasCap;
  if (options.maxFeePerGasCap !== undefined && maxFee > options.maxFeePerGasCap) maxFee = options.maxFeePerGasCap;
  if (priority > maxFee) priority = maxFee;
  if (priority < minPriority || maxFee < minMax) return undefined;
  return { maxFeePerGas: maxFee, maxPriorityFeePerGas: priority };
}

/** ⌈value × percent / 100⌉ */
function ceilPercent(value: bigint, percent: bigint): bigint {
  return (value * percent + 99n) / 100n;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
