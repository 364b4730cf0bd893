/**
 * Hardhat artifacts by contract name: a directory is searched recursively for `<Name>.json`, skipping
 * debug files (`*.dbg.json`) and `build-info`. A name found twice or not at all is an issue naming it.
 */
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { Interface, type InterfaceAbi } from "ethers/abi";
import * as z from "zod";
import type { ManifestIssue } from "@payrox/core";
import { readTextFile } from "./files.js";

/** What the builder needs from an artifact. */
export interface FacetArtifact {
  contractName: string;
  abi: InterfaceAbi;
  bytecode: string;
  deployedBytecode: string;
  path: string;
}

const Bytecode = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "bytecode must be 0x-prefixed hex (unlinked library placeholders are not supported: link them first)");
const ArtifactSchema = z.object({ abi: z.array(z.unknown()), bytecode: Bytecode, deployedBytecode: Bytecode });

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

  /**
   * Loads the artifact of contract `name`; on failure pushes an issue at `path` and returns undefined.
   */
  async load(name: string, path: string, issues: ManifestIssue[]): Promise<FacetArtifact | undefined> {
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
    let parsed;
    try {
      parsed = ArtifactSchema.safeParse(JSON.parse(await readTextFile(files[0])));
    } catch (error) {
      issues.push({ path, message: `artifact ${files[0]} is not valid JSON (${(error as Error).message})` });
      return undefined;
    }
    if (!parsed.success) {
      issues.push({ path, message: `artifact ${files[0]} is not a Hardhat artifact: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` });
      return undefined;
    }
    return { contractName: name, abi: parsed.data.abi as InterfaceAbi, bytecode: parsed.data.bytecode, deployedBytecode: parsed.data.deployedBytecode, path: files[0] };
  }

  /**
   * selector → canonical signature over every function of every artifact, for naming removed selectors.
   * A selector two different signatures share is left out (it can't be named with certainty).
   */
  async signatures(): Promise<Map<string, string>> {
    const found = new Map<string, string | null>();
    for (const [name] of this.byName) {
      const artifact = await this.load(name, name, []);
      if (!artifact) continue;
      let iface: Interface;
      try {
        iface = new Interface(artifact.abi);
      } catch {
        continue;
      }
      iface.forEachFunction((fn) => {
        const seen = found.get(fn.selector);
        found.set(fn.selector, seen === undefined || seen === fn.format("sighash") ? fn.format("sighash") : null);
      });
    }
    return new Map([...found].filter((e): e is [string, string] => e[1] !== null));
  }
}
