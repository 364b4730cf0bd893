import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { AbiCoder, keccak256, toUtf8Bytes, zeroPadValue } from "ethers";
import { describe, expect, it } from "vitest";
import { DELAY, deployDispatcher, ethers, routesTo, upgrade } from "./fixtures.js";

const require = createRequire(import.meta.url);
const source = (path: string) => readFileSync(new URL(`../src/dispatcher/${path}`, import.meta.url), "utf8");

/** ERC-7201: keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~0xff. */
function erc7201(id: string): string {
  const inner = BigInt(keccak256(toUtf8Bytes(id))) - 1n;
  const outer = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(["uint256"], [inner]))) & ~0xffn;
  return "0x" + outer.toString(16).padStart(64, "0");
}

function constantIn(text: string, name: string): string {
  const match = text.match(new RegExp(`\\b${name}\\s*=\\s*(0x[0-9a-fA-F]{64})`));
  if (!match) throw new Error(`constant ${name} not found`);
  return match[1].toLowerCase();
}

describe("ERC-7201 storage locations", () => {
  it("match the namespace formula for every dispatcher namespace", () => {
    const storage = source("libraries/DispatcherStorage.sol");
    expect(constantIn(storage, "LOCATION")).toBe(erc7201("payrox.storage.ManifestDispatcher"));
    expect(constantIn(storage, "ROUTES_LOCATION")).toBe(erc7201("payrox.storage.ManifestDispatcher.routes"));
  });

  it("read OpenZeppelin AccessControl's namespace at the location OpenZeppelin itself uses", () => {
    const oz = readFileSync(require.resolve("@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol"), "utf8");
    const ours = constantIn(source("libraries/DispatcherRoles.sol"), "ACCESS_CONTROL_LOCATION");
    expect(ours).toBe(constantIn(oz, "AccessControlStorageLocation"));
    expect(ours).toBe(erc7201("openzeppelin.storage.AccessControl"));
  });

  it("uses the library's locations as the literals of the router's fallback", () => {
    const storage = source("libraries/DispatcherStorage.sol");
    const fallback = source("ManifestDispatcher.sol").split("fallback() external payable")[1].split("// ───")[0];
    expect(fallback).toContain(constantIn(storage, "ROUTES_LOCATION").slice(2));
    expect(fallback).toContain(constantIn(storage, "LOCATION").slice(2));
  });
});

describe("DispatcherStorage state word", () => {
  it("encodes the gate, list head, pending fields and delay as documented", async () => {
    // Prepare
    const f = await deployDispatcher();
    const location = erc7201("payrox.storage.ManifestDispatcher");
    const read = async () => BigInt(await ethers.provider.getStorage(f.address, location));
    const epochBits = (1n << 63n) - 1n;
    // Assess: fresh dispatcher — epoch 0, not paused, delay in the low 32 bits, a non-empty list
    let state = await read();
    expect(state >> 192n).toBe(epochBits); // ~0 in 63 bits, paused bit clear
    expect(state & ((1n << 32n) - 1n)).toBe(BigInt(DELAY));
    expect((state >> 37n) & 7n).toBe(0n); // no cancel, no delay change scheduled, active root in roots[0]
    expect((state >> 160n) & 0xffffffffn).not.toBe(0n);
    // Act: one upgrade, then pause
    await upgrade(f, await routesTo(f.v1));
    await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
    state = await read();
    expect(state >> 255n).toBe(1n);
    expect((state >> 192n) & epochBits).toBe(epochBits - 1n); // ~1
    expect((state >> 136n) & 0xffffffn).toBe(0n); // no pending manifest
    expect((state >> 40n) & 0xffffffffn).toBe(0n); // epoch gap: the last commit was activated
    expect((state >> 37n) & 1n).toBe(1n); // the active root moved to roots[1]
    // the head of the selector list is the last selector the manifest added
    const head = "0x" + ((state >> 160n) & 0xffffffffn).toString(16).padStart(8, "0");
    const selectors = (await routesTo(f.v1)).map((r) => r.selector);
    expect(selectors).toContain(head);
    // its route word lives at ROUTES_LOCATION + uint32(selector) and carries the V1 facet
    const slot = BigInt(erc7201("payrox.storage.ManifestDispatcher.routes")) + BigInt(head);
    const route = BigInt(await ethers.provider.getStorage(f.address, zeroPadValue("0x" + slot.toString(16), 32)));
    expect(ethers.getAddress("0x" + (route & ((1n << 160n) - 1n)).toString(16).padStart(40, "0"))).toBe(await f.v1.getAddress());
  });
});
