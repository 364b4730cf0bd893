import fc from "fast-check";
import { getAddress, hexlify, keccak256 } from "ethers";
import { describe, expect, it } from "vitest";
import { checksumAddress, isChecksummed } from "../../src/index.js";
import { keccak256Bytes, keccak256Hex } from "../../src/manifest/keccak.js";

describe("keccak256Hex", () => {
  it("equals ethers' keccak256 on random inputs of every length around the 136-byte block", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (data) => {
        // Act / Assess
        expect(keccak256Hex(data)).toBe(keccak256(data));
      }),
      { numRuns: 500 },
    );
    for (let n = 0; n <= 3 * 136 + 1; n++) {
      const data = new Uint8Array(n).map((_, i) => (i * 151 + n) & 0xff);
      expect(keccak256Hex(data)).toBe(keccak256(data));
    }
  });

  it("hashes a 24,576-byte runtime code like ethers and returns fresh 32-byte arrays", () => {
    // Prepare
    const code = new Uint8Array(24_576).map((_, i) => (i * 7) & 0xff);

    // Act
    const a = keccak256Bytes(code);
    const b = keccak256Bytes(new Uint8Array(0));

    // Assess
    expect(keccak256Hex(code)).toBe(keccak256(code));
    expect(a).toHaveLength(32);
    expect("0x" + Buffer.from(a).toString("hex")).toBe(keccak256(code)); // not overwritten by the second call
    expect("0x" + Buffer.from(b).toString("hex")).toBe("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  });
});

describe("checksumAddress / isChecksummed", () => {
  it("spells random addresses as ethers' getAddress does, and accepts exactly that spelling", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (bytes, upper) => {
        // Prepare
        const lower = hexlify(bytes);
        const mangled = "0x" + [...lower.slice(2)].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join("");

        // Act / Assess
        expect(checksumAddress(lower)).toBe(getAddress(lower));
        expect(isChecksummed(getAddress(lower))).toBe(true);
        expect(isChecksummed(mangled)).toBe(mangled === getAddress(lower));
      }),
      { numRuns: 300 },
    );
    expect(isChecksummed("0x" + "0".repeat(40))).toBe(true);
    expect(isChecksummed("0x123")).toBe(false);
    expect(isChecksummed(getAddress("0x" + "ab".repeat(20)).slice(2))).toBe(false);
  });
});
