import fc from "fast-check";
import { getAddress, isAddress } from "ethers";
import { describe, expect, it } from "vitest";
import { isChecksummedOrSingleCaseAddress, toChecksumAddress } from "../../../src/networks/address.js";

const hexAddress = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => `0x${Buffer.from(bytes).toString("hex")}`);

describe("toChecksumAddress", () => {
  it("gives ethers' getAddress result for any address in any case", () => {
    fc.assert(
      fc.property(hexAddress, fc.boolean(), (address, upper) => {
        // Prepare
        const input = upper ? `0x${address.slice(2).toUpperCase()}` : address;

        // Act + Assess
        expect(toChecksumAddress(input)).toBe(getAddress(input));
      }),
      { numRuns: 500 },
    );
  });
});

describe("isChecksummedOrSingleCaseAddress", () => {
  it("accepts what ethers' isAddress accepts among 0x-prefixed addresses, checksummed or with one flipped letter", () => {
    fc.assert(
      fc.property(hexAddress, fc.nat(39), (address, flip) => {
        // Prepare: the checksummed form, and the same with one letter's case flipped (usually invalid)
        const checksummed = getAddress(address);
        const digits = [...checksummed.slice(2)];
        digits[flip] = digits[flip] === digits[flip]!.toUpperCase() ? digits[flip]!.toLowerCase() : digits[flip]!.toUpperCase();
        const flipped = `0x${digits.join("")}`;

        // Act + Assess
        expect(isChecksummedOrSingleCaseAddress(checksummed)).toBe(true);
        expect(isChecksummedOrSingleCaseAddress(flipped)).toBe(isAddress(flipped));
      }),
      { numRuns: 500 },
    );
  });

  it("refuses what is not 0x + 40 hex digits", () => {
    // Assess
    for (const value of ["", "0x", "0x1234", `0x${"g".repeat(40)}`, `${"a".repeat(40)}`, `0x${"a".repeat(41)}`]) expect(isChecksummedOrSingleCaseAddress(value)).toBe(false);
  });
});
