import { describe, expect, it } from "vitest";
import { costOf, feeEstimate, sumCosts } from "../../../src/index.js";

describe("feeEstimate", () => {
  it("takes the next block's base fee and the median of each priority fee percentile over busy blocks", () => {
    // Prepare
    const history = { baseFeePerGas: [5n, 6n, 7n, 8n], reward: [[1n, 2n, 3n], [0n, 0n, 0n], [3n, 6n, 9n]] };
    // Act
    const fees = feeEstimate(history);
    // Assess: busy blocks [1,2,3] and [3,6,9]; the lower middle of two is taken.
    expect(fees).toEqual({ baseFeePerGas: 8n, priorityFeePerGas: { low: 1n, mid: 2n, high: 3n } });
  });

  it("gives zero priority fees when every block is empty (a quiet local chain)", () => {
    expect(feeEstimate({ baseFeePerGas: [7n, 7n], reward: [[0n, 0n, 0n]] }).priorityFeePerGas).toEqual({ low: 0n, mid: 0n, high: 0n });
  });

  it("refuses a history without base fees or with rewards for other percentiles", () => {
    expect(() => feeEstimate({ baseFeePerGas: [], reward: [] })).toThrow(RangeError);
    expect(() => feeEstimate({ baseFeePerGas: [1n], reward: [[1n, 2n]] })).toThrow(/expected 3/);
  });
});

describe("costOf", () => {
  it("prices gas at base fee plus the low, mid and high priority fee", () => {
    expect(costOf(21_000n, { baseFeePerGas: 10n, priorityFeePerGas: { low: 1n, mid: 2n, high: 5n } })).toEqual({ low: 231_000n, mid: 252_000n, high: 315_000n });
  });

  it("sums ranges", () => {
    expect(sumCosts([{ low: 1n, mid: 2n, high: 3n }, { low: 10n, mid: 20n, high: 30n }])).toEqual({ low: 11n, mid: 22n, high: 33n });
  });
});
