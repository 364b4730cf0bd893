/** Reads compiled Hardhat artifacts from contracts/artifacts without loading Hardhat. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Where each contract's source lives under contracts/src. */
const SOURCES: Record<string, string> = {
  ManifestDispatcher: "dispatcher/ManifestDispatcher.sol",
  DispatcherAdminFacet: "dispatcher/DispatcherAdminFacet.sol",
  CounterFacetV1: "examples/CounterFacetV1.sol",
  CounterFacetV2: "examples/CounterFacetV2.sol",
  BenchFacet: "examples/BenchFacet.sol",
};

/** A compiled contract: ABI, creation and runtime bytecode. */
export interface CompiledContract {
  contractName: string;
  abi: unknown[];
  bytecode: string;
  deployedBytecode: string;
}

/** Loads the artifact of one of PayRox's contracts; tells the user to compile when it is missing. */
export function loadArtifact(name: keyof typeof SOURCES | string): CompiledContract {
  const source = SOURCES[name];
  if (!source) throw new Error(`unknown contract ${name}; known: ${Object.keys(SOURCES).join(", ")}`);
  const path = fileURLToPath(new URL(`../artifacts/src/${source}/${name}.json`, import.meta.url));
  try {
    return JSON.parse(readFileSync(path, "utf8")) as CompiledContract;
  } catch (error) {
    throw new Error(`artifact ${path} not readable: run \`npm run build\` first`, { cause: error });
  }
}
