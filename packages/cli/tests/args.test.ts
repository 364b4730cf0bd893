/** addressFlag: its own EIP-55 handling must accept and spell addresses exactly as ethers' getAddress does. */
import fc from "fast-check";
import { getAddress, getIcapAddress, hexlify } from "ethers";
import { describe, expect, it } from "vitest";
import { addressFlag } from "../src/args.js";
import { UsageError } from "../src/errors.js";

/** What addressFlag should give: getAddress's answer, or a UsageError where getAddress throws. */
function expected(value: string): string | typeof UsageError {
  try {
    return getAddress(value);
  } catch {
    return UsageError;
  }
}

function actual(value: string): string | typeof UsageError {
  try {
    return addressFlag(value, "dispatcher", "manifest verify")!;
  } catch (error) {
    if (error instanceof UsageError) return UsageError;
    throw error;
  }
}

describe("addressFlag", () => {
  it("agrees with ethers' getAddress on random spellings: lower, upper, checksummed, mangled case, no 0x", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), fc.boolean(), (bytes, upper, prefix) => {
        // Prepare
        const lower = hexlify(bytes).slice(2);
        const spellings = [lower, lower.toUpperCase(), getAddress("0x" + lower).slice(2), [...lower].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join("")];

        // Act / Assess
        for (const digits of spellings) {
          const value = (prefix ? "0x" : "") + digits;
          expect(actual(value)).toBe(expected(value));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("leaves ICAP and malformed values to ethers' verdict", () => {
    // Prepare
    const icap = getIcapAddress("0x" + "ab".repeat(20));

    // Act / Assess
    for (const value of [icap, "0x123", "0X" + "ab".repeat(20), "", "0x" + "g".repeat(40)]) expect(actual(value)).toBe(expected(value));
    expect(actual(icap)).toBe(getAddress("0x" + "ab".repeat(20)));
  });
});
