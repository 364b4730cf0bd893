/**
 * EIP-712 hashing in the browser: the console computes the digest it asks the wallet to sign from the
 * typed data itself, so what it shows is what the signature covers — it never signs a hash it was handed.
 * Covers the types PayRox's approvals use (string, bytes, bytesN, uintN/intN, address, bool, structs, arrays).
 */
import { keccak_256 } from "@noble/hashes/sha3";

/** One field of an EIP-712 struct type. */
export interface TypedDataField {
  name: string;
  type: string;
}

/** Typed data as `eth_signTypedData_v4` takes it (`types` may omit `EIP712Domain`). */
export interface TypedData {
  domain: Record<string, unknown>;
  types: Record<string, TypedDataField[]>;
  primaryType: string;
  message: Record<string, unknown>;
}

/** What a review shows next to the wallet's prompt. */
export interface TypedDataHashes {
  domainSeparator: string;
  structHash: string;
  digest: string;
}

const DOMAIN_FIELDS: TypedDataField[] = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
  { name: "salt", type: "bytes32" },
];

/** The `EIP712Domain` fields `domain` has, in the standard's order. */
export function domainType(domain: Record<string, unknown>): TypedDataField[] {
  return DOMAIN_FIELDS.filter((f) => domain[f.name] !== undefined);
}

/** Domain separator, struct hash and digest (`keccak256(0x1901 ‖ domainSeparator ‖ structHash)`). */
export function hashTypedData(data: TypedData): TypedDataHashes {
  const { EIP712Domain: _ignored, ...types } = data.types;
  const domainSeparator = hashStruct("EIP712Domain", { ...types, EIP712Domain: domainType(data.domain) }, data.domain);
  const structHash = hashStruct(data.primaryType, types, data.message);
  const digest = keccak(concat([new Uint8Array([0x19, 0x01]), domainSeparator, structHash]));
  return { domainSeparator: hex(domainSeparator), structHash: hex(structHash), digest: hex(digest) };
}

/** The typed data as the wallet gets it: `EIP712Domain` declared. */
export function forWallet(data: TypedData): TypedData {
  return { ...data, types: { EIP712Domain: domainType(data.domain), ...data.types } };
}

function hashStruct(type: string, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Uint8Array {
  const fields = types[type];
  if (!fields) throw new Error(`EIP-712: unknown type ${type}`);
  const parts = [typeHash(type, types), ...fields.map((f) => encodeValue(f.type, types, value[f.name], `${type}.${f.name}`))];
  return keccak(concat(parts));
}

function typeHash(type: string, types: Record<string, TypedDataField[]>): Uint8Array {
  const deps = [...dependencies(type, types, new Set())].filter((t) => t !== type).sort();
  const encoded = [type, ...deps].map((t) => `${t}(${types[t]!.map((f) => `${f.type} ${f.name}`).join(",")})`).join("");
  return keccak(new TextEncoder().encode(encoded));
}

function dependencies(type: string, types: Record<string, TypedDataField[]>, found: Set<string>): Set<string> {
  const base = type.replace(/(\[\d*\])+$/, "");
  if (found.has(base) || !types[base]) return found;
  found.add(base);
  for (const f of types[base]!) dependencies(f.type, types, found);
  return found;
}

function encodeValue(type: string, types: Record<string, TypedDataField[]>, value: unknown, where: string): Uint8Array {
  if (value === undefined || value === null) throw new Error(`EIP-712: ${where} is missing`);
  const array = /^(.*)\[(\d*)\]$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) throw new Error(`EIP-712: ${where} must be an array`);
    return keccak(concat(value.map((v, i) => encodeValue(array[1]!, types, v, `${where}[${i}]`))));
  }
  if (types[type]) return hashStruct(type, types, value as Record<string, unknown>);
  if (type === "string") return keccak(new TextEncoder().encode(String(value)));
  if (type === "bytes") return keccak(bytes(String(value)));
  if (type === "bool") return word(value === true || value === "true" ? 1n : 0n);
  if (type === "address") return word(BigInt(String(value)));
  if (/^bytes\d+$/.test(type)) {
    const raw = bytes(String(value));
    const out = new Uint8Array(32);
    out.set(raw);
    return out;
  }
  const int = /^(u?)int(\d*)$/.exec(type);
  if (int) {
    const v = BigInt(value as string | number | bigint);
    if (int[1] === "u" && v < 0n) throw new Error(`EIP-712: ${where} is negative`);
    return word(v < 0n ? (1n << 256n) + v : v);
  }
  throw new Error(`EIP-712: unsupported type ${type} at ${where}`);
}

function word(v: bigint): Uint8Array {
  return bytes("0x" + v.toString(16).padStart(64, "0"));
}

function keccak(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

/** `0x…` hex to bytes. */
export function bytes(value: string): Uint8Array {
  const clean = value.startsWith("0x") ? value.slice(2) : value;
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`EIP-712: ${value.slice(0, 20)} is not hex`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function hex(data: Uint8Array): string {
  return "0x" + Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
}
