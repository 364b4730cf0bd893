/** parseAbi (every invalid fragment reported, nothing printed), importLiveRouting, and the planner's replaced-list slot. */
import { getAddress, id, keccak256, toBeHex, ZeroHash } from "ethers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { GAS_MODEL, importLiveRouting, LEAF_ENCODING, MANIFEST_FORMAT, ManifestInvalidError, manifestRoot, parseAbi, parseManifest, planBatches, PROTECTED_SELECTORS, type ManifestEntry } from "../../src/index.js";

const FACET = getAddress(toBeHex(0x1001, 20));
const CODEHASH = keccak256(toBeHex(1, 32));
const sel = (signature: string) => id(signature).slice(0, 10);

afterEach(() => vi.restoreAllMocks());

describe("parseAbi", () => {
  it("reports every invalid fragment with its index and prints nothing", () => {
    const log = vi.spyOn(console, "log");
    const abi = [
      { type: "function", name: "ok", inputs: [], outputs: [], stateMutability: "view" },
      { type: "function", name: "bad", inputs: [{ name: "x", type: "uint257" }], outputs: [] },
      { type: "nonsense" },
    ];

    const { iface, invalid } = parseAbi(abi);

    expect(invalid.map((i) => [i.index, i.reason])).toEqual([[1, expect.stringMatching(/invalid numeric width/)], [2, expect.stringMatching(/unsupported type/)]]);
    expect(invalid[0].fragment).toMatch(/"name":"bad"/);
    expect(iface.getFunction("ok()")).not.toBeNull();
    expect(log).not.toHaveBeenCalled();
  });

  it("keeps one constructor without printing ethers' duplicate warning", () => {
    const log = vi.spyOn(console, "log");
    const ctor = { type: "constructor", inputs: [], stateMutability: "nonpayable" };

    const { invalid } = parseAbi([ctor, ctor]);

    expect(invalid).toEqual([]);
    expect(log).not.toHaveBeenCalled();
  });
});

describe("importLiveRouting", () => {
  const signatures = new Map([["a()", sel("a()")], ["b(uint256)", sel("b(uint256)")]].map(([s, k]) => [k, s]));

  it("writes a verifiable manifest of the live routes, leaving protected selectors out and naming facets by code hash", () => {
    const live = [{ facet: FACET, selectors: [sel("a()"), sel("b(uint256)"), "0x7a0ed627"], codehash: CODEHASH }];

    const { manifest, protectedLeftOut } = importLiveRouting({ name: "live", baseEpoch: 3, previousRoot: "0x" + "ab".repeat(32), facets: live, signatures, facetNames: new Map([[CODEHASH, "AbFacet"]]) });

    expect(parseManifest(JSON.parse(JSON.stringify(manifest)))).toEqual(manifest);
    expect(manifest.entries.map((e) => [e.signature, e.facetName])).toEqual(
      [["a()", "AbFacet"], ["b(uint256)", "AbFacet"]].sort((x, y) => (sel(x[0]) < sel(y[0]) ? -1 : 1)),
    );
    expect(protectedLeftOut).toEqual([{ selector: "0x7a0ed627", facet: FACET, protectedAs: PROTECTED_SELECTORS.get("0x7a0ed627") }]);
  });

  it("names a facet whose code is unknown after the one contract whose ABI has all its selectors, else facet@<address>", () => {
    const live = [{ facet: FACET, selectors: [sel("a()"), sel("b(uint256)")], codehash: CODEHASH }];
    const named = (contractsBySelector: Map<string, string[]>) =>
      importLiveRouting({ name: "live", baseEpoch: 0, previousRoot: ZeroHash, facets: live, signatures, contractsBySelector }).manifest.entries.map((e) => e.facetName);

    expect(named(new Map([[sel("a()"), ["AbFacet", "AOnly"]], [sel("b(uint256)"), ["AbFacet"]]]))).toEqual(["AbFacet", "AbFacet"]);
    expect(named(new Map([[sel("a()"), ["X", "Y"]], [sel("b(uint256)"), ["X", "Y"]]]))).toEqual([`facet@${FACET}`, `facet@${FACET}`]);
  });

  it("keeps the routes that manage the old diamond (transferOwnership) and lists them", () => {
    const names = new Map([...signatures, [sel("transferOwnership(address)"), "transferOwnership(address)"]]);
    const live = [{ facet: FACET, selectors: [sel("a()"), sel("transferOwnership(address)")], codehash: CODEHASH }];

    const { manifest, diamondManagement } = importLiveRouting({ name: "live", baseEpoch: 0, previousRoot: ZeroHash, facets: live, signatures: names });

    expect(manifest.entries).toHaveLength(2);
    expect(diamondManagement).toEqual([{ selector: "0xf2fde38b", signature: "transferOwnership(address)", facet: FACET }]);
  });

  it("names every selector no ABI knows and every routed facet without code", () => {
    const live = [
      { facet: FACET, selectors: [sel("a()"), "0xdeadbeef", "0x12345678"], codehash: CODEHASH },
      { facet: getAddress(toBeHex(0x1002, 20)), selectors: [sel("b(uint256)")], codehash: ZeroHash },
    ];

    const run = () => importLiveRouting({ name: "live", baseEpoch: 0, previousRoot: ZeroHash, facets: live, signatures });

    expect(run).toThrow(ManifestInvalidError);
    expect(() => run()).toThrow(/facets\.0x0000000000000000000000000000000000001001\.0xdeadbeef: .*not in any ABI.*0x12345678.*facet 0x0000000000000000000000000000000000001002 routes 1 selector\(s\) but has no code/s);
  });
});

describe("planBatches (replaced-list slot)", () => {
  it("charges the new replaced-list slot to the first replacing batch only, the update to later ones", () => {
    const entries: ManifestEntry[] = Array.from({ length: 4 }, (_, i) => ({ selector: sel(`r${i}()`), signature: `r${i}()`, facet: FACET, facetName: "F", codehash: CODEHASH })).sort((a, b) => (a.selector < b.selector ? -1 : 1));
    const manifest = { format: MANIFEST_FORMAT, name: "r", baseEpoch: 0, previousRoot: ZeroHash, leafEncoding: [...LEAF_ENCODING], root: manifestRoot(entries), entries };

    const plan = planBatches(manifest, { maxBatchSize: 2, margin: 0 });

    // same leaf count and facet in both batches: they differ by the slot, the facet's repeat check and the proof size
    const [first, second] = plan.batches;
    const proofGas = (first.proof.length - second.proof.length) * GAS_MODEL.perProofHash;
    expect(first.estimatedGas - second.estimatedGas - proofGas).toBe(GAS_MODEL.replacedListSlot - GAS_MODEL.replacedListUpdate + GAS_MODEL.perFacet - GAS_MODEL.repeatPin);
  });
});
