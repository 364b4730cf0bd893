import { describe, expect, it } from "vitest";
import { retryOnCollision } from "../../src/dynamo/collision-retry.js";

describe("retryOnCollision", () => {
  it("retries a collided attempt until it is done", async () => {
    // Prepare
    const tries: number[] = [];

    // Act
    const result = await retryOnCollision({ baseDelayMs: 0 }, async (n) => {
      tries.push(n);
      return n < 3 ? { done: false } : { done: true, value: "written" };
    });

    // Assess
    expect(result).toEqual({ value: "written" });
    expect(tries).toEqual([1, 2, 3]);
  });

  it("gives up after maxAttempts and says how many", async () => {
    // Act
    let calls = 0;
    const result = await retryOnCollision({ maxAttempts: 4, baseDelayMs: 0 }, async () => {
      calls++;
      return { done: false };
    });

    // Assess
    expect(result).toEqual({ exhausted: 4 });
    expect(calls).toBe(4);
  });

  it("does not swallow an error thrown by an attempt", async () => {
    await expect(
      retryOnCollision(undefined, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
  });
});
