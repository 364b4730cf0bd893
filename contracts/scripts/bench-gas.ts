/**
 * `npm run bench:gas`: gas of the ManifestDispatcher lifecycle on Hardhat's in-process network.
 *
 * Workload (issue #2 §5): BenchFacet (64 external functions, `store` writes a slot); a fresh dispatcher
 * for each N in {1, 10, 50}: commit → apply all N in one transaction → activate; then a second epoch on
 * the N=50 dispatcher for a steady-state commit. Prints a table; the last stdout line is one JSON object.
 */
import hre from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { calibrateGasModel } from "./lib/gas-calibration.js";
import { measureLifecycle } from "./lib/lifecycle.js";
import { measurePerFacetPin, measureRealistic400x25 } from "./lib/realistic.js";
import { GAS_MODEL } from "@payrox/core";

const ethers = hre.ethers;

async function main(): Promise<void> {
  const [admin] = (await ethers.getSigners()) as HardhatEthersSigner[];
  const facet = await (await ethers.getContractFactory("BenchFacet")).deploy();
  await facet.waitForDeployment();
  const facetAddress = await facet.getAddress();
  const codehash = ethers.keccak256((await ethers.provider.getCode(facetAddress))!);
  const fragments = facet.interface.fragments.filter((f) => f.type === "function") as import("ethers").FunctionFragment[];
  const store = fragments.find((f) => f.name === "store")!;
  const others = fragments.filter((f) => f.name !== "store");
  const selectorSet = (n: number) => [store, ...others.slice(0, n - 1)].map((f) => f.selector);

  const rows: Record<number, Awaited<ReturnType<typeof measureLifecycle>>> = {};
  for (const n of [1, 10, 50]) {
    rows[n] = await measureLifecycle(hre, admin, { facetAddress, codehash, selectors: selectorSet(n), steadySelectors: n === 50 ? others.slice(49, 59).map((f) => f.selector) : undefined });
  }
  const r50 = rows[50];
  const commitSteady = r50.commitSteady!;

  // dispatchOverheadCold: the same store(7) (0 → non-zero slot) sent to the facet directly and routed.
  const data = facet.interface.encodeFunctionData("store", [7n]);
  const direct = await (await admin.sendTransaction({ to: facetAddress, data })).wait();
  const routed = await (await admin.sendTransaction({ to: r50.dispatcher, data })).wait();
  const dispatchOverheadCold = Number(routed!.gasUsed - direct!.gasUsed);

  const routerBytes = (ethers.getBytes((await ethers.provider.getCode(r50.dispatcher))!)).length;
  const adminBytes = (ethers.getBytes((await ethers.provider.getCode(r50.adminFacet))!)).length;

  const realistic = await measureRealistic400x25(hre, admin);
  const perFacetPin = await measurePerFacetPin(hre, admin);

  const figures = {
    commitFirst: rows[50].commit,
    commitSteady,
    apply50: rows[50].apply,
    activate1: rows[1].activate,
    activate50: rows[50].activate,
    perSelector50: Math.round((commitSteady + rows[50].apply + rows[50].activate) / 50),
    dispatchOverheadCold,
    runtimeBytes: routerBytes,
    realistic400x25: realistic.total,
    realistic400x25Txs: realistic.txs,
    perFacetPin,
  };

  console.log("ManifestDispatcher gas (Hardhat in-process network, hardfork cancun, solc 0.8.30, optimizer 10,000 runs)");
  console.log("");
  console.log("| N  | commit  | apply (1 tx) | activate | apply / selector |");
  console.log("| -- | ------- | ------------ | -------- | ---------------- |");
  for (const n of [1, 10, 50]) {
    const r = rows[n];
    console.log(`| ${String(n).padEnd(2)} | ${fmt(r.commit).padStart(7)} | ${fmt(r.apply).padStart(12)} | ${fmt(r.activate).padStart(8)} | ${fmt(Math.round(r.apply / n)).padStart(16)} |`);
  }
  console.log("");
  const targets: [string, number, number][] = [
    ["perSelector50 = (commitSteady + apply50 + activate50) / 50", figures.perSelector50, 28_165],
    ["dispatchOverheadCold (routed store − direct store)", dispatchOverheadCold, 7_064],
    ["commitSteady + activate1", commitSteady + figures.activate1, 100_000],
    ["runtimeBytes (router)", routerBytes, 12_000],
    [`realistic400x25 (commit + ${realistic.applies.length} applies + activate, planner defaults)`, realistic.total, 11_000_000],
    ["perFacetPin (one more distinct facet, apply + activate)", perFacetPin, 20_000],
  ];
  console.log("| figure | measured | target | ok |");
  console.log("| ------ | -------- | ------ | -- |");
  for (const [name, value, target] of targets) console.log(`| ${name} | ${fmt(value)} | ≤ ${fmt(target)} | ${value <= target ? "yes" : "NO"} |`);
  console.log("");
  console.log(`realistic400x25: commit ${fmt(realistic.commit)}, applies ${realistic.applies.map(fmt).join(" + ")}, activate ${fmt(realistic.activate)} = ${fmt(realistic.total)} in ${realistic.txs} transactions`);
  console.log(`commitSteady ${fmt(commitSteady)}; routed store ${fmt(Number(routed!.gasUsed))} vs direct ${fmt(Number(direct!.gasUsed))}; admin facet runtime ${fmt(adminBytes)} bytes (EIP-170 limit 24,576)`);
  const model = await calibrateGasModel(hre);
  console.log("");
  console.log("gas model of applyRoutes (worst case: fresh slots) — measured vs packages/core GAS_MODEL (the planner adds 2%)");
  console.log("| component | measured | model |");
  console.log("| --------- | -------- | ----- |");
  for (const [key, value] of Object.entries(model)) console.log(`| ${key} | ${fmt(value)} | ${fmt((GAS_MODEL as unknown as Record<string, number>)[key] ?? 0)} |`);
  console.log(JSON.stringify(figures));
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
