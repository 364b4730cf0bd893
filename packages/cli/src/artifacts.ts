/**
 * Compiled contracts by name, from a Hardhat artifacts directory or a Foundry `out/` directory: the tree
 * is searched recursively for `<Name>.json`, skipping debug files (`*.dbg.json`) and `build-info`. Each
 * file is read as what it is — a Hardhat artifact (`bytecode` strings), a Foundry artifact (`bytecode.object`,
 * `deployedBytecode.object`, `methodIdentifiers`) or a bare ABI array (its code must come from the chain) —
 * and every problem is an issue naming the spec field and the file.
 */
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import type { InterfaceAbi } from "ethers/abi";
import * as z from "zod";
import { keccak256 } from "ethers/crypto";
import { parseAbi, type ManifestIssue } from "@payrox/core";
import { readTextFile } from "./files.js";

/** Which toolchain wrote an artifact. */
export const ArtifactKind = { hardhat: "Hardhat", foundry: "Foundry", abi: "bare ABI" } as const;
export type ArtifactKind = keyof typeof ArtifactKind;

/** What the builder needs from an artifact, and where it came from. */
export interface FacetArtifact {
  contractName: string;
  kind: ArtifactKind;
  abi: InterfaceAbi;
  /** Creation bytecode; "0x" for a bare ABI. */
  bytecode: string;
  /** Runtime bytecode; "0x" for a bare ABI (the code then comes from the chain). */
  deployedBytecode: string;
  path: string;
}

const Bytecode = z
  .string()
  .regex(/^(0x)?([0-9a-fA-F]{2})*$/, "bytecode must be hex (unlinked library placeholders are not supported: link them first)")
  .transform((s) => (s.startsWith("0x") ? s : "0x" + s));
const Abi = z.array(z.unknown());
const HardhatSchema = z.object({ abi: Abi, bytecode: Bytecode, deployedBytecode: Bytecode });
const FoundrySchema = z.object({ abi: Abi, bytecode: z.object({ object: Bytecode }), deployedBytecode: z.object({ object: Bytecode }) });

/** Options of {@link ArtifactIndex.load}. */
export interface LoadArtifactOptions {
  /** The contract's code will be read from the chain (`--rpc`): a bare ABI is then enough. @default false */
  codeFromChain?: boolean;
}

/** The artifacts of one directory tree, indexed by contract name. */
export class ArtifactIndex {
  private constructor(
    readonly root: string,
    private readonly byName: ReadonlyMap<string, string[]>,
  ) {}

  /** Indexes `root`; undefined when it is not a readable directory. */
  static async scan(root: string): Promise<ArtifactIndex | undefined> {
    const byName = new Map<string, string[]>();
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== "build-info") await walk(path);
        } else if (entry.name.endsWith(".json") && !entry.name.endsWith(".dbg.json")) {
          const name = entry.name.slice(0, -".json".length);
          byName.set(name, [...(byName.get(name) ?? []), path].sort());
        }
      }
    };
    try {
      await walk(root);
    } catch {
      return undefined;
    }
    return new ArtifactIndex(root, byName);
  }

  /** Every contract name in the tree. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /**
   * Loads the artifact of contract `name`; on failure pushes an issue at `path` and returns undefined.
   */
  async load(name: string, path: string, issues: ManifestIssue[], options: LoadArtifactOptions = {}): Promise<FacetArtifact | undefined> {
    const files = this.byName.get(name) ?? [];
    if (files.length !== 1) {
      issues.push({
        path,
        message: files.length
          ? `artifact "${name}" is ambiguous: ${files.map((f) => relative(this.root, f)).join(", ")}; rename one contract`
          : `no artifact "${name}.json" under ${this.root} (compile first, or check the name and the "artifacts" directory)`,
      });
      return undefined;
    }
    const file = files[0];
    let value: unknown;
    try {
      value = JSON.parse(await readTextFile(file));
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      issues.push({ path, message: `artifact ${file} is not valid JSON (${error.message})` });
      return undefined;
    }
    const artifact = readArtifact(name, file, value, path, issues);
    if (!artifact) return undefined;
    const { invalid } = parseAbi(artifact.abi);
    for (const bad of invalid) issues.push({ path, message: `artifact ${file} (${ArtifactKind[artifact.kind]}): abi[${bad.index}] is not a valid ABI fragment: ${bad.fragment} (${bad.reason}); fix or remove it` });
    if (invalid.length) return undefined;
    if (artifact.kind === "abi" && !options.codeFromChain) {
      issues.push({ path, message: `artifact ${file} is a bare ABI (no bytecode): the facet's code must come from the chain; give --rpc <url> (its deployed code is read and pinned)` });
      return undefined;
    }
    return artifact;
  }

  /**
   * selector → canonical signature over every function of every artifact, for naming removed selectors.
   * A selector two different signatures share is left out (it can't be named with certainty).
   */
  async signatures(): Promise<Map<string, string>> {
    return (await catalogArtifacts(this)).signatures;
  }
}

/** What a tree of artifacts knows about deployed code: see {@link catalogArtifacts}. */
export interface ArtifactCatalog {
  /** selector → canonical signature (a selector two signatures share is left out). */
  signatures: Map<string, string>;
  /** selector → every contract whose ABI has it. */
  contractsBySelector: Map<string, string[]>;
  /** runtime code hash → contract name (a hash two contracts share is left out). */
  namesByCodehash: Map<string, string>;
}

/** Reads every artifact of `index` once (unreadable or invalid ones are skipped) into an {@link ArtifactCatalog}. */
export async function catalogArtifacts(index: ArtifactIndex): Promise<ArtifactCatalog> {
  const signatures = new Map<string, string | null>();
  const contractsBySelector = new Map<string, string[]>();
  const names = new Map<string, string | null>();
  for (const name of index.names()) {
    const artifact = await index.load(name, name, [], { codeFromChain: true }).catch(() => undefined);
    if (!artifact) continue;
    parseAbi(artifact.abi).iface.forEachFunction((fn) => {
      const signature = fn.format("sighash");
      const seen = signatures.get(fn.selector);
      signatures.set(fn.selector, seen === undefined || seen === signature ? signature : null);
      contractsBySelector.set(fn.selector, [...(contractsBySelector.get(fn.selector) ?? []), name]);
    });
    if (artifact.deployedBytecode === "0x") continue;
    const codehash = keccak256(artifact.deployedBytecode);
    names.set(codehash, names.has(codehash) && names.get(codehash) !== name ? null : name);
  }
  const known = <V>(m: Map<string, V | null>) => new Map([...m].filter((e): e is [string, V] => e[1] !== null));
  return { signatures: known(signatures), contractsBySelector, namesByCodehash: known(names) };
}

/** The artifact `value` read from `file`, as the kind it is; an issue at `path` when it is none. */
function readArtifact(name: string, file: string, value: unknown, path: string, issues: ManifestIssue[]): FacetArtifact | undefined {
  const base = { contractName: name, path: file };
  if (Array.isArray(value)) return { ...base, kind: "abi", abi: value as InterfaceAbi, bytecode: "0x", deployedBytecode: "0x" };
  const isFoundry = typeof (value as { bytecode?: unknown })?.bytecode === "object" && (value as { bytecode?: unknown }).bytecode !== null;
  if (isFoundry) {
    const parsed = FoundrySchema.safeParse(value);
    if (parsed.success) return { ...base, kind: "foundry", abi: parsed.data.abi as InterfaceAbi, bytecode: parsed.data.bytecode.object, deployedBytecode: parsed.data.deployedBytecode.object };
    issues.push({ path, message: `artifact ${file} looks like a Foundry artifact but ${describe(parsed.error)}` });
    return undefined;
  }
  const parsed = HardhatSchema.safeParse(value);
  if (parsed.success) return { ...base, kind: "hardhat", abi: parsed.data.abi as InterfaceAbi, bytecode: parsed.data.bytecode, deployedBytecode: parsed.data.deployedBytecode };
  issues.push({
    path,
    message: `artifact ${file} is neither a Hardhat artifact (abi, bytecode, deployedBytecode), a Foundry one (abi, bytecode.object, deployedBytecode.object) nor an ABI array: ${describe(parsed.error)}`,
  });
  return undefined;
}

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`).join("; ");
}
