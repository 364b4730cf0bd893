/**
 * Test artifacts made from solc output, in the layouts the toolchains write: Foundry's
 * `out/<File>.sol/<Name>.json` (abi, bytecode.object, deployedBytecode.object, methodIdentifiers) and
 * Hardhat's `artifacts/contracts/<File>.sol/<Name>.json` (hh-sol-artifact-1). No forge or Hardhat run.
 */
import { createRequire } from "node:module";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** One compiled contract. */
export interface Compiled {
  abi: unknown[];
  bytecode: string;
  deployedBytecode: string;
  methodIdentifiers: Record<string, string>;
}

/** Compiles one Solidity source (solc 0.8.30 from npm, cancun, optimizer on) → contract name → output. */
export function compileSolidity(file: string, source: string): Record<string, Compiled> {
  const solc = createRequire(import.meta.url)("solc") as { compile(input: string): string };
  const input = {
    language: "Solidity",
    sources: { [file]: { content: source } },
    settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 200 }, outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string }; methodIdentifiers: Record<string, string> } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  return Object.fromEntries(
    Object.entries(output.contracts[file]).map(([name, c]) => [
      name,
      { abi: c.abi, bytecode: "0x" + c.evm.bytecode.object, deployedBytecode: "0x" + c.evm.deployedBytecode.object, methodIdentifiers: c.evm.methodIdentifiers },
    ]),
  );
}

/** Writes Foundry artifacts `outDir/<file>/<Name>.json` (plus a build-info file, which must be skipped). */
export async function writeFoundryArtifacts(outDir: string, file: string, contracts: Record<string, Compiled>): Promise<void> {
  await mkdir(join(outDir, file), { recursive: true });
  await mkdir(join(outDir, "build-info"), { recursive: true });
  await writeFile(join(outDir, "build-info", "0123abcd.json"), JSON.stringify({ id: "0123abcd", source_id_to_path: {} }));
  for (const [name, c] of Object.entries(contracts)) {
    const artifact = {
      abi: c.abi,
      bytecode: { object: c.bytecode, sourceMap: "", linkReferences: {} },
      deployedBytecode: { object: c.deployedBytecode, sourceMap: "", linkReferences: {}, immutableReferences: {} },
      methodIdentifiers: c.methodIdentifiers,
      rawMetadata: "{}",
      metadata: {},
      id: 0,
    };
    await writeFile(join(outDir, file, `${name}.json`), JSON.stringify(artifact, null, 2));
  }
}

/** Writes Hardhat artifacts `artifactsDir/contracts/<file>/<Name>.json` and their `.dbg.json` files. */
export async function writeHardhatArtifacts(artifactsDir: string, file: string, contracts: Record<string, Compiled>): Promise<void> {
  const dir = join(artifactsDir, "contracts", file);
  await mkdir(dir, { recursive: true });
  for (const [name, c] of Object.entries(contracts)) {
    const artifact = { _format: "hh-sol-artifact-1", contractName: name, sourceName: `contracts/${file}`, abi: c.abi, bytecode: c.bytecode, deployedBytecode: c.deployedBytecode, linkReferences: {}, deployedLinkReferences: {} };
    await writeFile(join(dir, `${name}.json`), JSON.stringify(artifact, null, 2));
    await writeFile(join(dir, `${name}.dbg.json`), JSON.stringify({ _format: "hh-sol-dbg-1", buildInfo: "../../build-info/x.json" }));
  }
}

/** Three small facets: AlphaFacet and BetaFacet share shared(); supportsInterface and owner() are dispatcher-protected. */
export const FACETS_SOL = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;
contract AlphaFacet {
  function alpha() external pure returns (uint256) { return 1; }
  function shared() external pure returns (uint256) { return 2; }
  function supportsInterface(bytes4) external pure returns (bool) { return true; }
}
contract BetaFacet {
  function beta() external pure returns (uint256) { return 3; }
  function shared() external pure returns (uint256) { return 4; }
  function owner() external pure returns (address) { return address(0); }
}
contract GammaFacet {
  function gamma(uint256 x) external pure returns (uint256) { return x; }
}
`;
