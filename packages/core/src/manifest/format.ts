/**
 * Manifest format v2: the unit PayRox moves around. A manifest lists every route an epoch changes —
 * `{ selector, signature, facet, facetName, codehash }`, facet zero = remove — and optionally one
 * initializer `{ facet, facetName, codehash, calldata }` activation runs, with the Merkle root the
 * dispatcher verifies (route leaves plus the header leaf that binds leaf count, facets and initializer;
 * see merkle.ts). Canonical form: entries sorted by selector, lowercase hex, EIP-55 addresses, fixed key
 * order, two-space JSON and a trailing newline, nothing time- or machine-dependent. So the same inputs
 * give byte-identical files and the same root on every machine.
 */
import { ZeroAddress, ZeroHash } from "ethers/constants";
import * as z from "zod";
import { keccak256Hex } from "./keccak.js";

/** Value of the `format` field. */
export const MANIFEST_FORMAT = "payrox-manifest/v2";
/** Earlier formats a parser recognises only to say "rebuild it" (their roots can't be committed on v2). */
export const SUPERSEDED_MANIFEST_FORMATS: readonly string[] = ["payrox-manifest/v1"];
/** The leaf the dispatcher verifies: OpenZeppelin StandardMerkleTree over these types. */
export const LEAF_ENCODING = ["bytes4", "address", "bytes32"] as const;

const lowerHex = (bytes: number, what: string) =>
  z.string().regex(new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`), `${what} must be 0x followed by ${bytes * 2} lowercase hex digits`);

/** 32-byte hash, lowercase hex. */
export const Bytes32Schema = lowerHex(32, "a 32-byte hash");
/** 4-byte function selector, lowercase hex. */
export const SelectorSchema = lowerHex(4, "a selector");
/** EIP-55 checksummed address (the zero address is all zeros). */
export const AddressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "an address must be 0x followed by 40 hex digits")
  .refine(isChecksummed, { message: "address checksum (EIP-55) is wrong; write it as ethers.getAddress() prints it" });

/**
 * Characters no name or signature may hold: control characters (NUL, newlines, escape sequences), format
 * characters (bidirectional overrides, zero-width marks), lone surrogates and U+FFFD (what invalid UTF-8
 * decodes to). A terminal or a reviewer would otherwise see something other than what is pinned.
 */
export const UNSAFE_TEXT = /[\p{Cc}\p{Cf}\p{Cs}\uFFFD]/u;

/** A printable text field of at most `max` characters. */
export const SafeTextSchema = (max: number, what: string) =>
  z
    .string()
    .max(max)
    .refine((s) => !UNSAFE_TEXT.test(s), { message: `${what} must not contain control or format characters, lone surrogates or U+FFFD (invalid UTF-8)` });

/** One route of a manifest. */
export const ManifestEntrySchema = z
  .object({
    selector: SelectorSchema.describe("bytes4 function selector"),
    signature: SafeTextSchema(1024, "a signature").describe("canonical function signature, e.g. transfer(address,uint256); may be empty only for a removal"),
    facet: AddressSchema.describe("facet contract; the zero address removes the selector"),
    facetName: SafeTextSchema(256, "a facet name").describe("contract name of the facet (empty for a removal)"),
    codehash: Bytes32Schema.describe("EXTCODEHASH of the facet's runtime code (zero for a removal)"),
  })
  .strict();

/** The optional initializer: activation delegatecalls `facet` with `calldata` right after the switch. */
export const ManifestInitSchema = z
  .object({
    facet: AddressSchema.regex(/^(?!0x0{40}$)/, "an initializer needs a non-zero facet address (omit init for none)").describe("contract activation delegatecalls (not the zero address)"),
    facetName: SafeTextSchema(256, "a facet name").pipe(z.string().min(1)).describe("contract name of the initializer"),
    codehash: Bytes32Schema.regex(/^(?!0x0{64}$)/, "an initializer needs its facet's non-zero code hash").describe("EXTCODEHASH of the initializer's runtime code (not zero)"),
    calldata: z
      .string()
      .regex(/^0x([0-9a-f]{2})*$/, "calldata must be 0x followed by an even number of lowercase hex digits")
      .max(2 + 2 * 24_576, "initializer calldata is limited to 24,576 bytes")
      .describe("ABI-encoded calldata activation delegatecalls the initializer with"),
  })
  .strict();

/** A manifest file, v2 (v1 + the tree's header leaf and an optional initializer). */
export const ManifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT).describe("format version"),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "name must be 1–100 characters of letters, digits, '.', '_' or '-'")
      .describe("human name of the upgrade"),
    baseEpoch: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .describe("active epoch the manifest is built against; it commits at the dispatcher's nextEpoch() (baseEpoch + 1 unless a commitment was cancelled or expired since)"),
    previousRoot: Bytes32Schema.describe("active root of baseEpoch (zero for epoch 0): a network elsewhere is drifted"),
    leafEncoding: z.tuple([z.literal("bytes4"), z.literal("address"), z.literal("bytes32")]).describe("Merkle leaf types"),
    root: Bytes32Schema.describe("OpenZeppelin StandardMerkleTree root of the entries and the header leaf (leaf count and binding of facets and initializer)"),
    entries: z.array(ManifestEntrySchema).min(1, "a manifest needs at least one entry").max(1_000_000),
    init: ManifestInitSchema.optional().describe("initializer run by activation, bound in the tree"),
  })
  .strict();

export type ManifestEntry = z.infer<typeof ManifestEntrySchema>;
export type ManifestInit = z.infer<typeof ManifestInitSchema>;
export type Manifest = z.infer<typeof ManifestSchema>;

/** Answers of {@link isChecksummed}: a manifest names few facets, each in many entries. */
const checksummed = new Map<string, boolean>();

/** Whether `value` is a correctly checksummed (EIP-55) address (what `getAddress(value) === value` says). */
export function isChecksummed(value: string): boolean {
  let ok = checksummed.get(value);
  if (ok === undefined) {
    ok = /^0x[0-9a-fA-F]{40}$/.test(value) && checksumAddress(value) === value;
    if (checksummed.size >= 4096) checksummed.clear();
    checksummed.set(value, ok);
  }
  return ok;
}

/** The EIP-55 spelling of a 0x-prefixed 40-hex-digit address: a letter is upper case where the keccak of the lower-case hex has a nibble ≥ 8. */
export function checksumAddress(address: string): string {
  const lower = address.slice(2).toLowerCase();
  const hash = keccak256Hex(new TextEncoder().encode(lower));
  let out = "0x";
  for (let i = 0; i < 40; i++) out += parseInt(hash[2 + i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  return out;
}

/** Selectors already computed: building a manifest computes each one, then checks it. */
const selectors = new Map<string, string>();

/** The selector of a canonical function signature. */
export function selectorOf(signature: string): string {
  let selector = selectors.get(signature);
  if (selector === undefined) {
    selector = keccak256Hex(Buffer.from(signature, "utf8")).slice(0, 10);
    if (selectors.size >= 100_000) selectors.clear();
    selectors.set(signature, selector);
  }
  return selector;
}

/** The manifest's initializer as the tree and activation take it (none: zero facet and codehash, empty calldata). */
export function manifestInitializer(manifest: Pick<Manifest, "init">): { facet: string; codehash: string; data: string } {
  return manifest.init
    ? { facet: manifest.init.facet, codehash: manifest.init.codehash, data: manifest.init.calldata }
    : { facet: ZeroAddress, codehash: ZeroHash, data: "0x" };
}

/** Whether the entry removes its selector. */
export function isRemoval(entry: Pick<ManifestEntry, "facet">): boolean {
  return entry.facet === ZeroAddress;
}

/** Canonical entry order: by selector. */
export function compareEntries(a: Pick<ManifestEntry, "selector">, b: Pick<ManifestEntry, "selector">): number {
  return a.selector < b.selector ? -1 : a.selector > b.selector ? 1 : 0;
}

/** The canonical bytes of a manifest: fixed key order, sorted entries, 2-space JSON, trailing newline. */
export function serializeManifest(manifest: Manifest): string {
  const canonical = {
    format: manifest.format,
    name: manifest.name,
    baseEpoch: manifest.baseEpoch,
    previousRoot: manifest.previousRoot,
    leafEncoding: [...manifest.leafEncoding],
    root: manifest.root,
    entries: [...manifest.entries].sort(compareEntries).map((e) => ({
      selector: e.selector,
      signature: e.signature,
      facet: e.facet,
      facetName: e.facetName,
      codehash: e.codehash,
    })),
    ...(manifest.init && {
      init: { facet: manifest.init.facet, facetName: manifest.init.facetName, codehash: manifest.init.codehash, calldata: manifest.init.calldata },
    }),
  };
  return JSON.stringify(canonical, null, 2) + "\n";
}

/** The JSON Schema (draft 2020-12) of the manifest format, generated from the zod schema. */
export function manifestJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://payrox.dev/schemas/manifest-v2.schema.json",
    title: "PayRox manifest v2",
    ...(z.toJSONSchema(ManifestSchema, { target: "draft-2020-12", unrepresentable: "any" }) as Record<string, unknown>),
  };
}

export { ZeroAddress, ZeroHash };
