/**
 * Builds a manifest from compiled facets (ABI + runtime bytecode) and their addresses — deployed, or
 * predicted with CREATE2 — and an optional initializer, optionally checking each contract's code on a
 * network.
 */
import { FunctionFragment, type InterfaceAbi } from "ethers/abi";
import { getAddress, getCreate2Address } from "ethers/address";
import { ZeroAddress } from "ethers/constants";
import { keccak256 } from "ethers/crypto";
import { isHexString } from "ethers/utils";
import { FacetCodeError, ManifestConflictError, ManifestInvalidError, type ManifestConflict, type ManifestIssue } from "../errors.js";
import { parseAbi } from "./abi.js";
import { Bytes32Schema, compareEntries, LEAF_ENCODING, MANIFEST_FORMAT, manifestInitializer, ManifestInitSchema, ManifestSchema, selectorOf, type Manifest, type ManifestEntry, type ManifestInit } from "./format.js";
import { manifestRoot, removal } from "./merkle.js";
import { checkRuntimeCode } from "./facet-code.js";
import { PROTECTED_HINT, PROTECTED_SELECTORS } from "./protected.js";
import { checkEntries } from "./validate.js";

/** The canonical CREATE2 factory. */
export const CREATE2_FACTORY = "0x4e59b44847b379578588920cA78FbF26c0B4956C";

/** A compiled facet and where it lives. Exactly one of `address` and `create2` is given. */
export interface FacetInput {
  /** Contract name (the manifest's `facetName`). */
  name: string;
  abi: InterfaceAbi;
  /** Runtime bytecode from the artifact (`deployedBytecode`). */
  deployedBytecode: string;
  /** Creation bytecode from the artifact (`bytecode`): needed for `create2`. */
  bytecode?: string;
  /** A deployed facet's address. */
  address?: string;
  /** A facet to be deployed with CREATE2: its address is predicted from salt and init code. */
  create2?: {
    salt: string;
    /** @default the canonical factory 0x4e59b44847b379578588920cA78FbF26c0B4956C */
    deployer?: string;
    /** ABI-encoded constructor arguments appended to the creation bytecode. @default "0x" */
    constructorArgs?: string;
  };
  /** Functions to route, by signature (`f(uint256)`) or unique name; @default every function in the ABI. */
  functions?: string[];
  /** Functions not to route, by signature or unique name (the rest of `functions`, or of the ABI). */
  exclude?: string[];
}

/**
 * The initializer activation delegatecalls right after the switch: a compiled contract, where it lives
 * (exactly one of `address` and `create2`, as for a facet), and the call — exactly one of `call` (with
 * `args`) and `calldata`.
 */
export interface InitializerInput extends Omit<FacetInput, "functions" | "exclude"> {
  /** Function to call, by signature (`migrate(uint256)`) or unique name. */
  call?: string;
  /** Arguments of `call`, as ethers' `encodeFunctionData` takes them. @default [] */
  args?: readonly unknown[];
  /** Raw ABI-encoded calldata (0x-hex) instead of `call` + `args`. */
  calldata?: string;
}

/** Input of {@link buildManifest}. */
export interface BuildInput {
  name: string;
  /** Active epoch the manifest is built against (it commits as baseEpoch + 1). */
  baseEpoch: number;
  /** Active root at `baseEpoch` (zero hash at epoch 0). */
  previousRoot: string;
  facets: FacetInput[];
  /** Selectors to remove, by selector (0x12345678) or signature. */
  remove?: string[];
  /** Initializer run by activation (bound in the tree). */
  init?: InitializerInput;
}

/** Options of {@link buildManifest}. */
export interface BuildOptions {
  /** Reads a deployed account's runtime code (e.g. `eth_getCode`); when given, every facet is checked on it. */
  readCode?: (address: string) => Promise<string>;
}

/**
 * Builds a canonical manifest.
 * @throws ManifestInvalidError (bad input, unknown function, bad initializer call or arguments),
 * SelectorCollisionError (one selector in two facets or listed twice), ProtectedSelectorError,
 * FacetCodeError (a facet or the initializer without code, over 24,576 bytes, or with code on the network
 * differing from the artifact).
 * @example
 * const manifest = await buildManifest({ name: "v2", baseEpoch: 1, previousRoot, facets: [{ name: "CounterFacetV2", abi, deployedBytecode, address }] });
 */
export async function buildManifest(input: BuildInput, options: BuildOptions = {}): Promise<Manifest> {
  const issues: ManifestIssue[] = headerIssues(input);
  const entries: ManifestEntry[] = [];
  // Every conflict of the build is reported at once, each with the spec paths of both claims.
  const claims = new Map<string, ManifestConflict["facet"]>();
  const conflicts: ManifestIssue[] = [];
  const claim = (selector: string, here: ManifestConflict["facet"]): boolean => {
    const guard = PROTECTED_SELECTORS.get(selector);
    const first = claims.get(selector);
    if (guard) conflicts.push(protectedIssue(selector, here, guard));
    else if (first) conflicts.push(collisionIssue(selector, here, first));
    else claims.set(selector, here);
    return !guard && !first;
  };
  for (const [i, facet] of input.facets.entries()) {
    const address = facetAddress(facet, `facets[${i}]`, issues);
    if (!address) continue;
    if (address === ZeroAddress) {
      issues.push({ path: `facets[${i}].address`, message: 'the zero address is not a facet; to remove selectors, list them in "remove"' });
      continue;
    }
    const signatures = facetSignatures(facet, `facets[${i}]`, issues);
    if (signatures.length === 0) continue;
    const codehash = await facetCodehash(facet, address, options.readCode);
    for (const signature of signatures) {
      const selector = selectorOf(signature);
      if (claim(selector, { path: `facets[${i}].name`, facet: address, facetName: facet.name, signature })) entries.push({ selector, signature, facet: address, facetName: facet.name, codehash });
    }
  }
  for (const [i, item] of (input.remove ?? []).entries()) {
    const signature = /^0x[0-9a-fA-F]{8}$/.test(item) ? "" : canonicalSignature(item);
    if (signature === undefined) {
      issues.push({ path: `remove[${i}]`, message: `"${item}" is neither a selector (0x12345678) nor a function signature (name(types))` });
      continue;
    }
    const leaf = removal(signature ? selectorOf(signature) : item.toLowerCase());
    if (claim(leaf.selector, { path: `remove[${i}]`, facet: ZeroAddress, facetName: "", signature })) entries.push({ ...leaf, signature, facetName: "" });
  }
  const init = input.init ? await initializer(input.init, issues, options.readCode) : undefined;
  if (entries.length === 0 && issues.length === 0) issues.push({ path: "facets", message: "nothing to route or remove: give at least one facet function or one removal" });
  if (issues.length) throw new ManifestInvalidError([...issues, ...conflicts]);
  if (conflicts.length) throw new ManifestConflictError(conflicts);
  entries.sort(compareEntries);
  checkEntries(entries, init);
  return {
    format: MANIFEST_FORMAT,
    name: input.name,
    baseEpoch: input.baseEpoch,
    previousRoot: input.previousRoot.toLowerCase(),
    leafEncoding: [...LEAF_ENCODING],
    root: manifestRoot(entries, manifestInitializer({ init })),
    entries,
    ...(init && { init }),
  };
}

/** The manifest's `init`: address and code hash checked like a facet's, calldata encoded from the call. */
async function initializer(input: InitializerInput, issues: ManifestIssue[], readCode?: BuildOptions["readCode"]): Promise<ManifestInit | undefined> {
  const address = facetAddress({ ...input }, "init", issues);
  if (address === ZeroAddress) issues.push({ path: "init.address", message: "the zero address can't be an initializer (omit init for none)" });
  let calldata = initCalldata(input, issues);
  if (calldata !== undefined && !ManifestInitSchema.shape.calldata.safeParse(calldata).success) {
    issues.push({ path: input.calldata === undefined ? "init.args" : "init.calldata", message: `the calldata is ${(calldata.length - 2) / 2} bytes; a manifest's initializer calldata is limited to 24,576 bytes` });
    calldata = undefined;
  }
  if (!address || address === ZeroAddress || calldata === undefined) return undefined;
  const codehash = await facetCodehash({ ...input }, address, readCode);
  return { facet: address, facetName: input.name, codehash, calldata };
}

/** The initializer's calldata: `calldata` as given (lowercased), or `call` encoded with `args`. */
function initCalldata(input: InitializerInput, issues: ManifestIssue[]): string | undefined {
  if ((input.call === undefined) === (input.calldata === undefined)) {
    issues.push({ path: "init", message: "give exactly one of `call` (a function of the initializer, with `args`) and `calldata` (raw 0x-hex)" });
    return undefined;
  }
  if (input.calldata !== undefined) {
    if (input.args !== undefined) issues.push({ path: "init.args", message: "arguments go with `call`; `calldata` is already encoded" });
    else if (/^0x([0-9a-fA-F]{2})*$/.test(input.calldata)) return input.calldata.toLowerCase();
    else issues.push({ path: "init.calldata", message: "must be 0x followed by an even number of hex digits" });
    return undefined;
  }
  const [signature] = facetSignatures({ ...input, functions: [input.call!] }, "init", issues, "init.call");
  if (!signature) return undefined;
  try {
    return parseAbi(input.abi).iface.encodeFunctionData(signature, [...(input.args ?? [])]).toLowerCase();
  } catch (error) {
    issues.push({ path: "init.args", message: `can't encode ${signature} with ${JSON.stringify(input.args ?? [], (_k, v) => (typeof v === "bigint" ? v.toString() : v))}: ${shortReason(error)}` });
    return undefined;
  }
}

/** The first line of an ethers error's message, without its long "(argument=…, version=…)" suffix. */
function shortReason(error: unknown): string {
  const message = error instanceof Error ? ((error as { shortMessage?: string }).shortMessage ?? error.message) : String(error);
  return message.split("\n")[0];
}

/** The facet's address: given, or predicted with CREATE2. */
function facetAddress(facet: FacetInput, path: string, issues: ManifestIssue[]): string | undefined {
  if ((facet.address === undefined) === (facet.create2 === undefined)) {
    issues.push({ path, message: "give exactly one of `address` (deployed) and `create2` (predicted)" });
    return undefined;
  }
  if (facet.address !== undefined) {
    try {
      return getAddress(facet.address);
    } catch {
      issues.push({ path: `${path}.address`, message: `"${facet.address}" is not a valid address (wrong length or EIP-55 checksum)` });
      return undefined;
    }
  }
  const { salt, deployer = CREATE2_FACTORY, constructorArgs = "0x" } = facet.create2!;
  if (!/^0x[0-9a-fA-F]{40}$/.test(deployer)) {
    issues.push({ path: `${path}.create2.deployer`, message: `"${deployer}" is not an address` });
    return undefined;
  }
  if (!isHexString(constructorArgs)) {
    issues.push({ path: `${path}.create2.constructorArgs`, message: "must be 0x-prefixed hex (the ABI-encoded constructor arguments)" });
    return undefined;
  }
  if (!facet.bytecode || facet.bytecode === "0x") {
    issues.push({ path: `${path}.bytecode`, message: "creation bytecode is required to predict a CREATE2 address" });
    return undefined;
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(salt)) {
    issues.push({ path: `${path}.create2.salt`, message: "salt must be 0x followed by 64 hex digits" });
    return undefined;
  }
  return getCreate2Address(getAddress(deployer), salt, keccak256(facet.bytecode + constructorArgs.replace(/^0x/, "")));
}

/** EXTCODEHASH the facet will have; checked against the network's code when `readCode` is given. */
async function facetCodehash(facet: FacetInput, address: string, readCode?: BuildOptions["readCode"]): Promise<string> {
  const artifactCode = facet.deployedBytecode;
  const code = readCode ? await readCode(address) : artifactCode;
  const { codehash } = checkRuntimeCode(address, facet.name, code, readCode ? "network" : "artifact");
  if (readCode && artifactCode && artifactCode !== "0x" && keccak256(artifactCode) !== codehash) {
    throw new FacetCodeError(
      address,
      facet.name,
      "codehash-mismatch",
      `facet ${facet.name} at ${address}: the network's code hashes to ${codehash} but the artifact's runtime bytecode to ${keccak256(artifactCode)} (different build, or immutables set at deployment)`,
    );
  }
  return codehash;
}

/** The canonical signatures of the facet functions to route (`functionsPath` names the list in issues). */
function facetSignatures(facet: FacetInput, path: string, issues: ManifestIssue[], functionsPath = `${path}.functions`): string[] {
  let parsed;
  try {
    parsed = parseAbi(facet.abi);
  } catch (error) {
    issues.push({ path: `${path}.abi`, message: `${facet.name}: not a valid ABI (${(error as Error).message})` });
    return [];
  }
  for (const bad of parsed.invalid) issues.push({ path: `${path}.abi[${bad.index}]`, message: `${facet.name}: invalid ABI fragment ${bad.fragment} (${bad.reason}); fix or remove it` });
  if (parsed.invalid.length) return [];
  const all: string[] = [];
  parsed.iface.forEachFunction((fn) => all.push(fn.format("sighash")));
  const pick = (wanted: string, where: string): string | undefined => {
    const matches = all.filter((sig) => sig === wanted || sig.slice(0, sig.indexOf("(")) === wanted);
    if (matches.length === 1) return matches[0];
    issues.push({ path: where, message: matches.length ? `"${wanted}" is ambiguous (${matches.join(", ")}); give the full signature` : `${facet.name} has no function "${wanted}"` });
    return undefined;
  };
  const listed = functionsPath === `${path}.functions`;
  const chosen = facet.functions ? facet.functions.flatMap((wanted, j) => pick(wanted, listed ? `${functionsPath}[${j}]` : functionsPath) ?? []) : all;
  if (!facet.exclude) return chosen;
  const excluded = new Set(facet.exclude.flatMap((wanted, j) => pick(canonicalSignature(wanted) ?? wanted, `${path}.exclude[${j}]`) ?? []));
  return chosen.filter((sig) => !excluded.has(sig));
}

function protectedIssue(selector: string, here: ManifestConflict["facet"], protectedAs: string): ManifestIssue {
  return {
    path: here.path,
    message: `selector ${selector} (${here.signature || "?"} of ${here.facetName || "a removal"}) is the dispatcher's own ${protectedAs}; ${PROTECTED_HINT}`,
    conflict: { kind: "protected", selector, facet: here, protectedAs },
  };
}

function collisionIssue(selector: string, here: ManifestConflict["facet"], other: ManifestConflict["facet"]): ManifestIssue {
  const side = (c: ManifestConflict["facet"]) => (c.facetName ? `${c.facetName} ${c.facet} (${c.signature})` : `a removal (${c.signature || selector})`);
  return {
    path: here.path,
    message: `selector ${selector} is claimed twice: ${side(here)} and, at ${other.path}, ${side(other)}; keep it in one facet ("exclude" it from the other, or rename one function)`,
    conflict: { kind: "collision", selector, facet: here, other },
  };
}

/** The canonical form of a function signature (`f(uint)` → `f(uint256)`), or undefined if it is none. */
function canonicalSignature(value: string): string | undefined {
  if (!/^\s*[A-Za-z_$][A-Za-z0-9_$]*\s*\(.*\)\s*$/.test(value)) return undefined;
  try {
    return FunctionFragment.from(value.trim()).format("sighash");
  } catch {
    return undefined;
  }
}

/** Issues with the manifest header (name, baseEpoch, previousRoot), named as in the manifest. */
function headerIssues(input: BuildInput): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const header = ManifestSchema.pick({ name: true, baseEpoch: true });
  const parsed = header.safeParse({ name: input.name, baseEpoch: input.baseEpoch });
  if (!parsed.success) for (const issue of parsed.error.issues) issues.push({ path: issue.path.join("."), message: issue.message });
  if (!Bytes32Schema.safeParse(String(input.previousRoot).toLowerCase()).success) issues.push({ path: "previousRoot", message: "must be 0x followed by 64 hex digits" });
  return issues;
}
