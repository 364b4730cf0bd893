/**
 * Edge cases of the builder and verifier found while building the CLI (each was a gap once).
 */
import { readFileSync } from "node:fs";
import { getAddress, id, keccak256, toBeHex, ZeroHash } from "ethers";
import { describe, expect, it } from "vitest";
import { buildManifest, CoreError, LEAF_ENCODING, MANIFEST_FORMAT, ManifestInvalidError, manifestRoot, MAX_FACETS_PER_MANIFEST, parseManifest, type FacetInput } from "../../src/index.js";

const V1 = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const artifact = JSON.parse(readFileSync(new URL("../../../../contracts/artifacts/src/examples/CounterFacetV1.sol/CounterFacetV1.json", import.meta.url), "utf8"));
const counterV1: FacetInput = { name: "CounterFacetV1", abi: artifact.abi, bytecode: artifact.bytecode, deployedBytecode: artifact.deployedBytecode, address: V1 };

describe("buildManifest edge cases", () => {
  // CLI guard: the build spec schema validates the header, and build re-parses its output before writing.
  it("rejects an invalid name, baseEpoch or previousRoot instead of returning a manifest parseManifest rejects", async () => {
    await expect(buildManifest({ name: "bad name!", baseEpoch: -1, previousRoot: "0x12", facets: [counterV1] })).rejects.toThrow(ManifestInvalidError);
  });

  // CLI guard: the spec schema checks create2.deployer and constructorArgs.
  it("reports a bad create2.deployer as a typed error naming the field, not an ethers TypeError", async () => {
    const build = buildManifest({ name: "x", baseEpoch: 0, previousRoot: ZeroHash, facets: [{ ...counterV1, address: undefined, create2: { salt: ZeroHash, deployer: "0x123" } }] });
    await expect(build).rejects.toThrow(CoreError);
  });

  // CLI guard: the spec schema requires at least one facet or one removal.
  it("rejects an input with no facets and no removals as a ManifestInvalidError", async () => {
    await expect(buildManifest({ name: "x", baseEpoch: 0, previousRoot: ZeroHash, facets: [] })).rejects.toThrow(ManifestInvalidError);
  });

  // CLI guard: the spec's removal signatures are canonicalized (FunctionFragment) before the build.
  it("removes a loosely written signature by its canonical selector (\"greet( )\" is greet())", async () => {
    const manifest = await buildManifest({ name: "x", baseEpoch: 0, previousRoot: ZeroHash, facets: [], remove: ["greet( )"] });
    expect(manifest.entries[0].selector).toBe(id("greet()").slice(0, 10));
  });
});

describe("parseManifest edge cases", () => {
  // No CLI guard: a leaf's facet index is one byte (255 = removal), so a manifest with more distinct
  // facets can't be encoded into apply batches; it must be refused when read, with a typed error.
  it("rejects a manifest with more than 255 distinct facets as a ManifestInvalidError naming entries, and accepts 255", () => {
    // Prepare
    const entriesOf = (facets: number) =>
      Array.from({ length: facets }, (_, i) => ({
        selector: id(`f${i}()`).slice(0, 10),
        signature: `f${i}()`,
        facet: getAddress(toBeHex(0x1000 + i, 20)),
        facetName: `Facet${i}`,
        codehash: keccak256(toBeHex(i + 1, 32)),
      })).sort((a, b) => (a.selector < b.selector ? -1 : 1));
    const manifestOf = (entries: ReturnType<typeof entriesOf>, root: string) => ({ format: MANIFEST_FORMAT, name: "many", baseEpoch: 0, previousRoot: ZeroHash, leafEncoding: [...LEAF_ENCODING], root, entries });
    const fits = entriesOf(MAX_FACETS_PER_MANIFEST);

    // Act
    const tooMany = () => parseManifest(manifestOf(entriesOf(MAX_FACETS_PER_MANIFEST + 1), ZeroHash.replace(/0$/, "1")));

    // Assess
    expect(MAX_FACETS_PER_MANIFEST).toBe(255);
    expect(() => parseManifest(manifestOf(fits, manifestRoot(fits)))).not.toThrow();
    expect(tooMany).toThrow(ManifestInvalidError);
    expect(tooMany).toThrow(/entries: 256 distinct facets; a manifest lists at most 255/);
  });
});

describe("buildManifest facet code checks", () => {
  it("refuses an EIP-7702 delegated account, an empty account and oversized code read from the network", async () => {
    const designator = "0xef0100" + V1.slice(2).toLowerCase();
    const read = (code: string) => async () => code;
    const build = (code: string) => buildManifest({ name: "x", baseEpoch: 0, previousRoot: ZeroHash, facets: [counterV1] }, { readCode: read(code) });
    await expect(build(designator)).rejects.toThrow(/EIP-7702 delegated account/);
    await expect(build("0x")).rejects.toThrow(/has no code on the network/);
    await expect(build("0x" + "00".repeat(24_577))).rejects.toThrow(/24577 bytes of runtime code, over the EIP-170 limit/);
    await expect(build(artifact.deployedBytecode.slice(0, -2) + "ff")).rejects.toThrow(/the network's code hashes to .* but the artifact's runtime bytecode/);
    expect((await build(artifact.deployedBytecode)).entries).toHaveLength(4);
  });
});
