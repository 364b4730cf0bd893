/** Test helper: compiled example facets from contracts/artifacts (run `npm run build` first). */
import { readFileSync } from "node:fs";
import type { FacetInput } from "../../src/index.js";

const ARTIFACTS = new URL("../../../../contracts/artifacts/src/", import.meta.url);

/** The artifact of one of the example facets. */
export function exampleArtifact(name: "CounterFacetV1" | "CounterFacetV2" | "BenchFacet"): { abi: unknown[]; bytecode: string; deployedBytecode: string } {
  return JSON.parse(readFileSync(new URL(`examples/${name}.sol/${name}.json`, ARTIFACTS), "utf8"));
}

/** A FacetInput for an example facet at `address`. */
export function exampleFacet(name: "CounterFacetV1" | "CounterFacetV2" | "BenchFacet", address: string, functions?: string[]): FacetInput {
  const a = exampleArtifact(name);
  return { name, abi: a.abi as never, deployedBytecode: a.deployedBytecode, bytecode: a.bytecode, address, functions };
}
