/**
 * DispatcherAdminFacet's EIP-2535 loupe and ERC-165: the loupe must show exactly the live routing table
 * (staged routes excluded, replaced routes shown on their old facet until activation) after every
 * lifecycle step, and interface support must follow the live routes.
 */
import { Contract, FunctionFragment, getAddress, Interface, ZeroAddress, type InterfaceAbi } from "ethers";
import { describe, expect, it } from "vitest";
import { removal } from "../lib/batch.js";
import {
  activate,
  applyAll,
  cancelAll,
  commit,
  deployDispatcher,
  errorsInterface,
  ethers,
  expectRevert,
  hre,
  revertData,
  routed,
  routesTo,
  upgrade,
  type DispatcherFixture,
  type RouteLeaf,
} from "./fixtures.js";

/** Selector → facet address (checksummed). */
type Routes = Map<string, string>;

const ERC165_ID = "0x01ffc9a7";
const LOUPE_ID = "0x48e2b093";
const ACCESS_CONTROL_ID = "0x7965db0b";

/** Selector of `name` in `contract`'s ABI. */
function sel(contract: Contract, name: string): string {
  return contract.interface.getFunction(name)!.selector;
}

/** Every function selector of an ABI. */
function selectorsOf(abi: Interface): string[] {
  return abi.fragments.filter((x): x is FunctionFragment => x.type === "function").map((x) => x.selector);
}

/** ERC-165 id of an ABI: XOR of its function selectors, minus those of the interfaces it inherits. */
function interfaceIdOf(abi: Interface, ...inherited: Interface[]): string {
  const skip = new Set(inherited.flatMap(selectorsOf));
  const id = selectorsOf(abi)
    .filter((s) => !skip.has(s))
    .reduce((acc, s) => acc ^ BigInt(s), 0n);
  return "0x" + id.toString(16).padStart(8, "0");
}

async function abiOf(name: string): Promise<Interface> {
  return new Interface((await hre.artifacts.readArtifact(name)).abi as InterfaceAbi);
}

function sorted(values: Iterable<string>): string[] {
  return [...values].map((v) => v.toLowerCase()).sort();
}

function entries(routes: Routes): [string, string][] {
  return [...routes].map(([s, a]): [string, string] => [s.toLowerCase(), getAddress(a)]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The dispatcher's protected routes: the admin facet's routed selectors and the router's lifecycle functions. */
async function protectedRoutes(f: DispatcherFixture): Promise<Routes> {
  const facet = new Contract(f.adminFacet, f.dispatcher.interface, ethers.provider);
  const routes: Routes = new Map();
  for (const s of await facet.routedSelectors()) routes.set(s, f.adminFacet);
  for (const name of ["commitRoot", "applyRoutes", "activateCommittedRoot"]) routes.set(sel(f.router, name), f.address);
  return routes;
}

/**
 * Whether a call through the dispatcher reaches a facet: true unless it reverts FunctionNotFound(selector).
 * Returns the raw result (or revert data) too.
 */
async function probe(f: DispatcherFixture, selector: string): Promise<{ routed: boolean; result: string }> {
  try {
    return { routed: true, result: await ethers.provider.call({ to: f.address, data: selector }) };
  } catch (error) {
    const data = revertData(error) ?? "0x";
    const parsed = data.length >= 10 ? errorsInterface.parseError(data) : null;
    const notFound = parsed?.name === "FunctionNotFound" && (parsed.args[0] as string).toLowerCase() === selector.toLowerCase();
    return { routed: !notFound, result: data };
  }
}

/** Every selector the tests touch, plus a few nobody routes. */
async function universe(f: DispatcherFixture): Promise<string[]> {
  const all = new Set<string>(["0x00000000", "0x12345678", "0xffffffff", "0xdeadbeef"]);
  for (const c of [f.v1, f.v2, f.bench, f.dispatcher, f.router]) for (const s of selectorsOf(c.interface)) all.add(s);
  return [...all];
}

/** Pure functions whose return value identifies the facet that serves them. */
const IDENTIFYING = /^(version|greet|f\d\d)$/;

/**
 * Asserts that the loupe (facets, facetAddresses, facetFunctionSelectors, facetAddress) equals `expected`
 * plus the protected routes, and that live routing agrees: every selector of the universe is callable iff
 * expected, and identifying pure functions answer exactly as the expected facet does.
 */
async function expectLoupe(f: DispatcherFixture, expected: Routes): Promise<void> {
  const all: Routes = new Map([...(await protectedRoutes(f))].map(([s, a]) => [s.toLowerCase(), getAddress(a)]));
  for (const [s, a] of expected) all.set(s.toLowerCase(), getAddress(a));
  const d = f.dispatcher;

  // facets(): one record per facet, non-empty, no selector twice, together exactly `all`.
  const records: { facetAddress: string; functionSelectors: string[] }[] = (await d.facets()).map(
    (r: { facetAddress: string; functionSelectors: string[] }) => ({ facetAddress: r.facetAddress, functionSelectors: [...r.functionSelectors] }),
  );
  const fromFacets: Routes = new Map();
  for (const r of records) {
    expect(r.facetAddress, "facets() lists address(0)").not.toBe(ZeroAddress);
    expect(r.functionSelectors.length, `facets() lists ${r.facetAddress} with no selector`).toBeGreaterThan(0);
    for (const s of r.functionSelectors) {
      expect(fromFacets.has(s.toLowerCase()), `facets() lists ${s} twice`).toBe(false);
      fromFacets.set(s.toLowerCase(), r.facetAddress);
    }
  }
  expect(new Set(records.map((r) => r.facetAddress)).size, "facets() lists a facet twice").toBe(records.length);
  expect(entries(fromFacets)).toEqual(entries(all));

  // facetAddresses(): the same facets, in the same order, and exactly the distinct expected ones.
  const addresses: string[] = [...(await d.facetAddresses())];
  expect(addresses).toEqual(records.map((r) => r.facetAddress));
  expect(sorted(addresses)).toEqual(sorted(new Set(all.values())));

  // facetFunctionSelectors(facet) for every facet the tests know, listed or not.
  const facetsToCheck = new Set([...addresses, f.adminFacet, f.address, ...(await Promise.all([f.v1, f.v2, f.bench].map((c) => c.getAddress())))]);
  for (const facet of facetsToCheck) {
    const want = [...all].filter(([, a]) => a === getAddress(facet)).map(([s]) => s);
    expect(sorted(await d.facetFunctionSelectors(facet)), `facetFunctionSelectors(${facet})`).toEqual(sorted(want));
  }
  expect([...(await d.facetFunctionSelectors(ZeroAddress))]).toEqual([]);

  // facetAddress(selector) and live routing for every selector of the universe.
  const byAddress = new Map<string, Contract>();
  for (const c of [f.v1, f.v2, f.bench]) byAddress.set(getAddress(await c.getAddress()), c);
  for (const s of new Set([...(await universe(f)), ...all.keys()])) {
    const want = all.get(s.toLowerCase()) ?? ZeroAddress;
    expect(await d.facetAddress(s), `facetAddress(${s})`).toBe(want);
    const live = await probe(f, s);
    expect(live.routed, `routing of ${s} (loupe says ${want})`).toBe(want !== ZeroAddress);
    const facet = byAddress.get(want);
    const fragment = facet?.interface.getFunction(s);
    if (facet && fragment && IDENTIFYING.test(fragment.name)) {
      expect(live.result, `${fragment.name} answered by another facet than ${want}`).toBe(await ethers.provider.call({ to: want, data: s }));
    }
  }
}

/** `routes` as a Routes map. */
function routesMap(...groups: RouteLeaf[][]): Routes {
  return new Map(groups.flat().map((r) => [r.selector, r.facet]));
}

describe("DispatcherAdminFacet loupe after construction", () => {
  it("lists exactly the admin facet (its routedSelectors) and the dispatcher itself (its lifecycle functions)", async () => {
    // Prepare
    const f = await deployDispatcher();
    const adminSelectors: string[] = [...(await new Contract(f.adminFacet, f.dispatcher.interface, ethers.provider).routedSelectors())];
    // Act
    const records = await f.dispatcher.facets();
    const addresses: string[] = [...(await f.dispatcher.facetAddresses())];
    // Assess
    expect(records.length).toBe(2);
    const admin = records.find((r: { facetAddress: string }) => r.facetAddress === f.adminFacet);
    const self = records.find((r: { facetAddress: string }) => r.facetAddress === f.address);
    expect(sorted(admin.functionSelectors)).toEqual(sorted(adminSelectors));
    expect(admin.functionSelectors.length).toBe(50);
    expect(sorted(self.functionSelectors)).toEqual(
      sorted([sel(f.router, "commitRoot"), sel(f.router, "applyRoutes"), sel(f.router, "activateCommittedRoot")]),
    );
    expect(addresses).toEqual(records.map((r: { facetAddress: string }) => r.facetAddress));
    expect(sorted(addresses)).toEqual(sorted([f.adminFacet, f.address]));
    await expectLoupe(f, new Map());
  });
});

describe("DispatcherAdminFacet loupe across the lifecycle", () => {
  it("equals live routing after commit, apply, activate, replace/remove, cancel and disable", async () => {
    const f = await deployDispatcher();
    const [v1, v2, bench] = await Promise.all([f.v1, f.v2, f.bench].map((c) => c.getAddress()));
    const live: Routes = new Map();

    // M1 commit: no change.
    const m1 = [...(await routesTo(f.v1)), ...(await routesTo(f.bench, ["store", "stored", "f00", "f01", "f02", "f03"]))];
    const t1 = await commit(f, m1);
    await expectLoupe(f, live);
    // M1 apply: staged routes are not in the loupe.
    await applyAll(f, t1, 4);
    await expectLoupe(f, live);
    // M1 activate: new routes appear.
    await activate(f, t1);
    for (const [s, a] of routesMap(m1)) live.set(s, a);
    await expectLoupe(f, live);
    expect(sorted(await f.dispatcher.facetFunctionSelectors(v1))).toEqual(sorted(selectorsOf(f.v1.interface)));

    // M2: version/count/increment → v2, decrement (new) → v2, greet removed, f04 (new) → bench.
    const m2 = [
      ...(await routesTo(f.v2, ["version", "count", "increment", "decrement"])),
      removal(sel(f.v1, "greet")),
      ...(await routesTo(f.bench, ["f04"])),
    ];
    const t2 = await commit(f, m2);
    await expectLoupe(f, live);
    await applyAll(f, t2, 3);
    await expectLoupe(f, live); // pending: still v1
    expect(await routed(f, f.v1).version()).toBe(1n);
    await activate(f, t2);
    for (const name of ["version", "count", "increment", "decrement"]) live.set(sel(f.v2, name), v2);
    live.delete(sel(f.v1, "greet"));
    live.set(sel(f.bench, "f04"), bench);
    await expectLoupe(f, live);
    // v1 lost its last selector: gone from the loupe.
    expect([...(await f.dispatcher.facetAddresses())]).not.toContain(v1);
    expect((await f.dispatcher.facets()).map((r: { facetAddress: string }) => r.facetAddress)).not.toContain(v1);
    expect([...(await f.dispatcher.facetFunctionSelectors(v1))]).toEqual([]);
    expect(await routed(f, f.v2).version()).toBe(2n);

    // M3 (cancelled): version back to v1, f05/f06 new, f01 removed.
    const m3 = [...(await routesTo(f.v1, ["version"])), ...(await routesTo(f.bench, ["f05", "f06"])), removal(sel(f.bench, "f01"))];
    const t3 = await commit(f, m3);
    await applyAll(f, t3);
    await expectLoupe(f, live);
    // cancelled in chunks: the loupe stays the live table mid-cancel too
    await (await f.dispatcher.connect(f.committer).getFunction("cancelCommittedRoot")(t3.root, 3n, 2)).wait();
    expect(await f.dispatcher.cancelInProgress()).toBe(true);
    await expectLoupe(f, live);
    await cancelAll(f);
    await expectLoupe(f, live);
    // The staged routes are gone: the next manifest (epoch 4) that doesn't list them activates without them.
    await upgrade(f, await routesTo(f.bench, ["f07"]));
    live.set(sel(f.bench, "f07"), bench);
    expect(await f.dispatcher.activeEpoch()).toBe(4n);
    await expectLoupe(f, live);

    // disableSelector: the selector disappears at once (also while a replacement is pending).
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.bench, "f02"))).wait();
    live.delete(sel(f.bench, "f02"));
    await expectLoupe(f, live);
    const t5 = await commit(f, await routesTo(f.bench, ["f03", "f08"]));
    await applyAll(f, t5);
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.bench, "f03"))).wait();
    live.delete(sel(f.bench, "f03"));
    await expectLoupe(f, live);
    await activate(f, t5);
    live.set(sel(f.bench, "f03"), bench);
    live.set(sel(f.bench, "f08"), bench);
    await expectLoupe(f, live);
  });

  it("(helper self-check) expectLoupe rejects a staged route claimed live, a live route left out and a wrong facet", async () => {
    // Prepare: version/count/increment/greet live on v1, decrement staged on v2
    const f = await deployDispatcher();
    const v1Routes = await routesTo(f.v1);
    await upgrade(f, v1Routes);
    const tree = await commit(f, await routesTo(f.v2, ["decrement"]));
    await applyAll(f, tree);
    const right = routesMap(v1Routes);
    await expectLoupe(f, right);
    // Act / Assess
    const staged = new Map([...right, [sel(f.v2, "decrement"), await f.v2.getAddress()]]);
    await expect(expectLoupe(f, staged)).rejects.toThrow();
    const missing = new Map(right);
    missing.delete(sel(f.v1, "greet"));
    await expect(expectLoupe(f, missing)).rejects.toThrow();
    const wrongFacet = new Map([...right, [sel(f.v1, "version"), await f.v2.getAddress()]]);
    await expect(expectLoupe(f, wrongFacet)).rejects.toThrow();
  });

  it("drops a facet whose selectors all move to another facet in one manifest", async () => {
    // Prepare
    const f = await deployDispatcher();
    const [v1, v2] = await Promise.all([f.v1, f.v2].map((c) => c.getAddress()));
    await upgrade(f, await routesTo(f.v1, ["version", "count", "increment"]));
    const tree = await commit(f, await routesTo(f.v2, ["version", "count", "increment"]));
    await applyAll(f, tree);
    expect(sorted(await f.dispatcher.facetAddresses())).toEqual(sorted([f.adminFacet, f.address, v1]));
    // Act
    await activate(f, tree);
    // Assess
    expect(sorted(await f.dispatcher.facetAddresses())).toEqual(sorted([f.adminFacet, f.address, v2]));
    expect([...(await f.dispatcher.facetFunctionSelectors(v1))]).toEqual([]);
    await expectLoupe(f, routesMap(await routesTo(f.v2, ["version", "count", "increment"])));
  });

  it("lists nothing for a removed selector even though its list entry stays (dead, until pruned)", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    const removed = selectorsOf(f.v1.interface);
    // Act: remove all four selectors
    await upgrade(f, removed.map(removal));
    // Assess
    expect(sorted(await f.dispatcher.facetAddresses())).toEqual(sorted([f.adminFacet, f.address]));
    expect((await f.dispatcher.facets()).length).toBe(2);
    await expectLoupe(f, new Map());
    // the raw list still holds the four entries, flagged dead; pruning them leaves the loupe unchanged
    const [selectors, dead] = await f.dispatcher.listedSelectors("0x00000000", 100);
    const deadEntries = [...selectors].filter((_, i) => dead[i]);
    expect(sorted(deadEntries)).toEqual(sorted(removed));
    const hints: string[] = [];
    let before = "0x00000000";
    [...selectors].forEach((s: string, i: number) => (dead[i] ? hints.push(before) : (before = s)));
    await (await f.dispatcher.connect(f.applier).getFunction("pruneSelectors")(hints)).wait();
    const [after, afterDead] = await f.dispatcher.listedSelectors("0x00000000", 100);
    expect([...afterDead]).not.toContain(true);
    expect(sorted(after)).toEqual(sorted([...selectors].filter((_, i) => !dead[i])));
    await expectLoupe(f, new Map());
  });
});

describe("DispatcherAdminFacet.facetAddress / facetFunctionSelectors", () => {
  it("returns address(0) for an unknown selector and no selectors for address(0), whatever is staged or removed", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    await upgrade(f, [removal(sel(f.v1, "greet"))]);
    const tree = await commit(f, await routesTo(f.v2, ["decrement"]));
    await applyAll(f, tree);
    // Act / Assess
    expect(await f.dispatcher.facetAddress("0x12345678")).toBe(ZeroAddress);
    expect(await f.dispatcher.facetAddress("0x00000000")).toBe(ZeroAddress);
    expect(await f.dispatcher.facetAddress(sel(f.v1, "greet"))).toBe(ZeroAddress); // removed
    expect(await f.dispatcher.facetAddress(sel(f.v2, "decrement"))).toBe(ZeroAddress); // staged only
    expect(await f.dispatcher.facetAddress(sel(f.v1, "version"))).toBe(await f.v1.getAddress());
    expect([...(await f.dispatcher.facetFunctionSelectors(ZeroAddress))]).toEqual([]);
    expect([...(await f.dispatcher.facetFunctionSelectors(await f.bench.getAddress()))]).toEqual([]);
    expect([...(await f.dispatcher.facetFunctionSelectors(await f.v2.getAddress()))]).toEqual([]);
    await expectRevert(routed(f, f.v1).greet(), "FunctionNotFound", [sel(f.v1, "greet")]);
  });
});

describe("DispatcherAdminFacet.supportsInterface", () => {
  it("supports ERC-165, the EIP-2535 loupe, IAccessControl and the dispatcher's own interfaces, not 0xffffffff", async () => {
    // Prepare
    const f = await deployDispatcher();
    const loupe = interfaceIdOf(await abiOf("IDiamondLoupe"));
    const accessControlAbi = await abiOf("@openzeppelin/contracts/access/IAccessControl.sol:IAccessControl");
    const accessControl = interfaceIdOf(accessControlAbi);
    const defaultAdminRules = interfaceIdOf(await abiOf("IAccessControlDefaultAdminRules"), accessControlAbi);
    const dispatcherId = interfaceIdOf(await abiOf("IManifestDispatcher"));
    const adminId = interfaceIdOf(await abiOf("IManifestDispatcherAdmin"));
    expect(loupe).toBe(LOUPE_ID);
    expect(accessControl).toBe(ACCESS_CONTROL_ID);
    expect(defaultAdminRules).toBe("0x31498786");
    // Act / Assess
    for (const id of [ERC165_ID, LOUPE_ID, ACCESS_CONTROL_ID, defaultAdminRules, dispatcherId, adminId]) {
      expect(await f.dispatcher.supportsInterface(id), id).toBe(true);
    }
    expect(await f.dispatcher.supportsInterface("0xffffffff")).toBe(false);
    expect(await f.dispatcher.supportsInterface("0x00000000")).toBe(false);
    expect(await f.dispatcher.supportsInterface("0x12345678")).toBe(false);
  });

  it("reports a one-function interface whose id is a routed selector only once the route is live", async () => {
    // Prepare
    const f = await deployDispatcher();
    const greet = sel(f.v1, "greet");
    expect(await f.dispatcher.supportsInterface(greet)).toBe(false);
    // Act / Assess: committed
    const tree = await commit(f, await routesTo(f.v1));
    expect(await f.dispatcher.supportsInterface(greet)).toBe(false);
    // staged
    await applyAll(f, tree);
    expect(await f.dispatcher.supportsInterface(greet)).toBe(false);
    // live
    await activate(f, tree);
    expect(await f.dispatcher.supportsInterface(greet)).toBe(true);
    // still live while a removal is pending
    const removing = await commit(f, [removal(greet)]);
    await applyAll(f, removing);
    expect(await f.dispatcher.supportsInterface(greet)).toBe(true);
    // removed
    await activate(f, removing);
    expect(await f.dispatcher.supportsInterface(greet)).toBe(false);
  });

  it("stops reporting a one-function interface when its selector is disabled", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    const version = sel(f.v1, "version");
    expect(await f.dispatcher.supportsInterface(version)).toBe(true);
    // Act
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(version)).wait();
    // Assess
    expect(await f.dispatcher.supportsInterface(version)).toBe(false);
    expect(await f.dispatcher.supportsInterface(sel(f.v1, "count"))).toBe(true);
  });

  it("keeps 0xffffffff unsupported even when 0xffffffff is a live route", async () => {
    // Prepare
    const f = await deployDispatcher();
    const bench = await f.bench.getAddress();
    const [leaf] = await routesTo(f.bench, ["f00"]);
    // Act
    await upgrade(f, [{ ...leaf, selector: "0xffffffff" }]);
    // Assess
    expect(await f.dispatcher.facetAddress("0xffffffff")).toBe(bench);
    expect(await f.dispatcher.supportsInterface("0xffffffff")).toBe(false);
    await expectLoupe(f, new Map([["0xffffffff", bench]]));
  });
});
