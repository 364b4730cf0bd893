/**
 * Format v2: the tree's header leaf, the initializer (built, bound in the root, validated) and the
 * refusal of v1 files.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { AbiCoder, getCreate2Address, Interface, keccak256, ZeroAddress, ZeroHash } from "ethers";
import { describe, expect, it } from "vitest";
import {
  buildManifest,
  buildManifestTree,
  CREATE2_FACTORY,
  FacetCodeError,
  HEADER_SELECTOR,
  LEAF_ENCODING,
  ManifestFormatVersionError,
  manifestInitializer,
  ManifestInvalidError,
  nextManifest,
  parseManifest,
  serializeManifest,
  type BuildInput,
  type InitializerInput,
  type Manifest,
} from "../../src/index.js";
import { exampleArtifact, exampleFacet } from "./artifacts.js";

const V1 = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const INIT = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const bench = exampleArtifact("BenchFacet");

/** The BenchFacet at INIT as initializer, calling `store(value)`. */
function storeInit(value: number, extra: Partial<InitializerInput> = {}): InitializerInput {
  return { name: "BenchFacet", abi: bench.abi as never, deployedBytecode: bench.deployedBytecode, address: INIT, call: "store", args: [value], ...extra };
}

function input(init?: InitializerInput): BuildInput {
  return { name: "with-init", baseEpoch: 0, previousRoot: ZeroHash, facets: [exampleFacet("CounterFacetV1", V1)], init };
}

/** The issues of a ManifestInvalidError thrown by `run` (fails the test if it throws anything else). */
async function issuesOf(run: () => unknown): Promise<{ path: string; message: string }[]> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestInvalidError);
    return (error as ManifestInvalidError).issues;
  }
  throw new Error("expected a ManifestInvalidError, nothing was thrown");
}

describe("buildManifestTree", () => {
  it("holds exactly one header leaf, proven by headerProof, that commits leafCount and binding", async () => {
    // Prepare
    const manifest = await buildManifest(input(storeInit(1)));

    // Act
    const tree = buildManifestTree(manifest.entries, manifestInitializer(manifest));

    // Assess
    const values = Array.from({ length: tree.tree.length }, (_, i) => tree.tree.at(i) as string[]);
    const headers = values.filter((v) => v[0] === HEADER_SELECTOR);
    expect(values).toHaveLength(manifest.entries.length + 1);
    expect(tree.leafCount).toBe(manifest.entries.length);
    expect(headers).toEqual([[HEADER_SELECTOR, ZeroAddress, keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "bytes32"], [tree.leafCount, tree.binding]))]]);
    expect(StandardMerkleTree.verify(tree.root, [...LEAF_ENCODING], headers[0], [...tree.headerProof])).toBe(true);
    expect(StandardMerkleTree.verify(tree.root, [...LEAF_ENCODING], [HEADER_SELECTOR, ZeroAddress, keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "bytes32"], [tree.leafCount - 1, tree.binding]))], [...tree.headerProof])).toBe(false);
    expect(tree.root).toBe(manifest.root);
  });

  it("binds the initializer: a different calldata, facet or no initializer gives a different root", async () => {
    // Prepare / Act
    const [one, two, none, raw] = await Promise.all([
      buildManifest(input(storeInit(1))),
      buildManifest(input(storeInit(2))),
      buildManifest(input()),
      buildManifest(input(storeInit(0, { call: undefined, args: undefined, calldata: new Interface(bench.abi as never).encodeFunctionData("store", [1]) }))),
    ]);

    // Assess
    expect(one.entries).toEqual(two.entries);
    expect(new Set([one.root, two.root, none.root]).size).toBe(3);
    expect(raw.root).toBe(one.root);
    expect(buildManifestTree(one.entries, manifestInitializer(one)).binding).not.toBe(buildManifestTree(two.entries, manifestInitializer(two)).binding);
  });
});

describe("buildManifest with an initializer", () => {
  it("encodes call + args and pins the initializer's code hash when its code is read from the network", async () => {
    // Prepare
    const readCode = async (address: string) => (address === INIT ? bench.deployedBytecode : exampleArtifact("CounterFacetV1").deployedBytecode);

    // Act
    const manifest = await buildManifest(input(storeInit(7)), { readCode });

    // Assess
    expect(manifest.init).toEqual({ facet: INIT, facetName: "BenchFacet", codehash: keccak256(bench.deployedBytecode), calldata: new Interface(bench.abi as never).encodeFunctionData("store", [7]) });
    expect(serializeManifest(parseManifest(serializeManifest(manifest)))).toBe(serializeManifest(manifest));
    expect(serializeManifest(manifest)).toMatch(/"entries": \[[\s\S]*\],\n {2}"init": \{\n {4}"facet": /);
  });

  it("predicts a CREATE2 initializer's address like a facet's", async () => {
    // Prepare
    const salt = "0x" + "22".repeat(32);
    const init = storeInit(1, { address: undefined, bytecode: bench.bytecode, create2: { salt } });

    // Act
    const manifest = await buildManifest(input(init));

    // Assess
    expect(manifest.init!.facet).toBe(getCreate2Address(CREATE2_FACTORY, salt, keccak256(bench.bytecode)));
    expect(manifest.init!.codehash).toBe(keccak256(bench.deployedBytecode));
  });

  it("rejects bad initializer input with a ManifestInvalidError naming each field", async () => {
    // Prepare
    const cases: [InitializerInput, string, RegExp][] = [
      [storeInit(1, { calldata: "0x12" }), "init", /exactly one of `call`/],
      [storeInit(1, { call: undefined, args: undefined }), "init", /exactly one of `call`/],
      [storeInit(1, { call: "migrate" }), "init.call", /BenchFacet has no function "migrate"/],
      [storeInit(1, { args: ["not a number"] }), "init.args", /can't encode store\(uint256\)/],
      [storeInit(1, { args: [1, 2] }), "init.args", /can't encode store\(uint256\)/],
      [storeInit(1, { call: undefined, args: undefined, calldata: "0x123" }), "init.calldata", /even number of hex digits/],
      [storeInit(1, { call: undefined, args: [1], calldata: "0x12" }), "init.args", /arguments go with `call`/],
      [storeInit(1, { address: ZeroAddress }), "init.address", /zero address can't be an initializer/],
      [storeInit(1, { address: INIT.toLowerCase().replace("e", "E") }), "init.address", /not a valid address/],
      [storeInit(1, { call: undefined, args: undefined, calldata: "0x" + "ab".repeat(24_577) }), "init.calldata", /limited to 24,576 bytes/],
    ];

    for (const [init, path, message] of cases) {
      // Act
      const issues = await issuesOf(() => buildManifest(input(init)));

      // Assess
      expect(issues.find((i) => i.path === path)?.message, `${path}: ${JSON.stringify(issues)}`).toMatch(message);
    }
  });

  it("refuses an initializer with no code, too much code or code other than its artifact's (FacetCodeError)", async () => {
    // Prepare
    const counter = exampleArtifact("CounterFacetV1").deployedBytecode;
    const reading = (initCode: string) => async (address: string) => (address === INIT ? initCode : counter);
    const build = (initCode: string) => buildManifest(input(storeInit(1)), { readCode: reading(initCode) });

    // Act / Assess
    await expect(build("0x")).rejects.toThrow(FacetCodeError);
    await expect(build("0x")).rejects.toThrow(/BenchFacet at 0x9fE4.* has no code on the network/);
    await expect(build("0x" + "00".repeat(24_577))).rejects.toThrow(/over the EIP-170 limit/);
    await expect(build(counter)).rejects.toMatchObject({ name: "FacetCodeError", problem: "codehash-mismatch", facet: INIT });
    await expect(buildManifest(input(storeInit(1, { deployedBytecode: "0x" })))).rejects.toThrow(/has no code in its artifact/);
  });
});

describe("parseManifest (format v2)", () => {
  async function withInit(): Promise<Manifest> {
    return JSON.parse(serializeManifest(await buildManifest(input(storeInit(3)))));
  }

  it("rejects a v1 manifest with ManifestFormatVersionError that says to rebuild it as v2", async () => {
    // Prepare
    const v1 = { ...(await withInit()), format: "payrox-manifest/v1", init: undefined };

    // Act
    const parse = () => parseManifest(JSON.stringify(v1));

    // Assess
    expect(parse).toThrow(ManifestFormatVersionError);
    expect(parse).toThrow(/format: "payrox-manifest\/v1" is not supported: .*rebuild it as v2 with "payrox manifest build"/);
    expect(() => parseManifest({ ...v1, format: "payrox-manifest/v3" })).toThrow(/format: Invalid input: expected "payrox-manifest\/v2"/);
  });

  it("names the init field of a zero facet, a zero codehash, bad calldata and an unknown key", async () => {
    // Prepare
    const m = await withInit();
    const cases: [object, string, RegExp][] = [
      [{ ...m.init, facet: ZeroAddress }, "init.facet", /non-zero facet address/],
      [{ ...m.init, codehash: ZeroHash }, "init.codehash", /non-zero code hash/],
      [{ ...m.init, calldata: "0xABCD" }, "init.calldata", /lowercase hex/],
      [{ ...m.init, calldata: "0x123" }, "init.calldata", /even number/],
      [{ ...m.init, facetName: "" }, "init.facetName", /1 character/],
      [{ ...m.init, gas: 1 }, "init", /gas/],
    ];

    for (const [init, path, message] of cases) {
      // Act
      const issues = await issuesOf(() => parseManifest({ ...m, init }));

      // Assess
      expect(issues.find((i) => i.path === path)?.message, `${path}: ${JSON.stringify(issues)}`).toMatch(message);
    }
  });

  it("rejects an initializer changed after the build (root) and one whose facet has another codehash in the entries", async () => {
    // Prepare
    const m = await withInit();
    const routed = m.entries[0];

    // Act
    const changed = await issuesOf(() => parseManifest({ ...m, init: { ...m.init, calldata: m.init!.calldata.slice(0, -2) + "04" } }));
    const clash = await issuesOf(() => parseManifest({ ...m, init: { ...m.init, facet: routed.facet } }));

    // Assess
    expect(changed).toEqual([{ path: "root", message: expect.stringMatching(/does not match the entries and the initializer/) }]);
    expect(clash.find((i) => i.path === "init.codehash")?.message).toMatch(/one facet has one code hash/);
    expect(clash.find((i) => i.path === "init.facetName")?.message).toMatch(/is named "CounterFacetV1"/);
  });
});

describe("nextManifest (initializer)", () => {
  it("carries the initializer into the next manifest, bound in its root, and none when not given", async () => {
    // Prepare
    const desired = await buildManifest(input(storeInit(5)));
    const live = { activeEpoch: 2n, activeRoot: "0x" + "12".repeat(32), routes: new Map<string, string>() };

    // Act
    const withInit = nextManifest("next", desired.entries, live, undefined, desired.init)!;
    const without = nextManifest("next", desired.entries, live)!;

    // Assess
    expect(withInit.init).toEqual(desired.init);
    expect(withInit.root).toBe(desired.root); // same entries (all adds on an empty dispatcher) and initializer
    expect(without.init).toBeUndefined();
    expect(without.root).not.toBe(withInit.root);
    expect(parseManifest(serializeManifest(withInit))).toEqual(withInit);
  });
});
