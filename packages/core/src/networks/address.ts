/**
 * EVM address checks without ethers: the network configuration is loaded at every Lambda's start, and
 * the API's start-up carries no ethers (its chain code loads on first use).
 */
import { keccak256Bytes } from "../manifest/keccak.js";

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** The EIP-55 mixed-case checksum form of a 0x-prefixed 20-byte hex address (as ethers' `getAddress`). */
export function toChecksumAddress(address: string): string {
  const lower = address.slice(2).toLowerCase();
  const hash = keccak256Bytes(new TextEncoder().encode(lower));
  let out = "0x";
  for (let i = 0; i < lower.length; i++) {
    // The i-th hex digit is upper-cased when the i-th nibble of the hash is 8 or more.
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  }
  return out;
}

/** Whether `value` is 0x + 40 hex digits, all one case or with a valid EIP-55 checksum. */
export function isChecksummedOrSingleCaseAddress(value: string): boolean {
  if (!HEX_ADDRESS.test(value)) return false;
  const digits = value.slice(2);
  return digits === digits.toLowerCase() || digits === digits.toUpperCase() || toChecksumAddress(value) === value;
}
