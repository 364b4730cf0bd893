/**
 * `npm run bench:cli`: start-up and offline manifest commands of the compiled `payrox` bin, on a
 * synthetic 309-entry manifest (31 facets, the size of the production diamond in DESIGN.md). Each
 * command runs in fresh processes; prints a table and, last, one JSON line of median wall ms per command.
 * Wall time follows the machine's load; the CPU column (the child's user + system time) much less.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getAddress, hexlify, toBeHex, ZeroHash } from "ethers";

/** The bin to time; BENCH_BIN points at another checkout's to compare. */
const BIN = process.env.BENCH_BIN ?? fileURLToPath(new URL("../bin/payrox.js", import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
// Reports the child's own CPU time and peak RSS on fd 3 as it exits.
const REPORT = `data:text/javascript,import{writeSync}from"node:fs";process.on("exit",()=>{const u=process.resourceUsage();writeSync(3,JSON.stringify({cpuMs:(u.userCPUTime+u.systemCPUTime)/1000,rssMb:u.maxRSS/1024}))})`;

/** Writes 31 synthetic facet artifacts (309 functions) and two build specs into `dir`. */
function fixture(dir: string): void {
  const facets = Array.from({ length: 31 }, (_, k) => {
    const abi = Array.from({ length: k < 30 ? 10 : 9 }, (_, i) => ({ type: "function", name: `f${k}_${i}`, inputs: [{ name: "x", type: "uint256" }, { name: "y", type: "address" }], outputs: [], stateMutability: "nonpayable" }));
    const code = hexlify(new Uint8Array(6000 + k).map((_, i) => (i * 13 + k * 5 + 1) & 0xff));
    mkdirSync(join(dir, `artifacts/F${k}.sol`), { recursive: true });
    writeFileSync(join(dir, `artifacts/F${k}.sol/Facet${k}.json`), JSON.stringify({ contractName: `Facet${k}`, abi, bytecode: code, deployedBytecode: code }));
    return { artifact: `Facet${k}`, address: getAddress(toBeHex(0x20000 + k, 20)) };
  });
  writeFileSync(join(dir, "spec.json"), JSON.stringify({ name: "synthetic-309", baseEpoch: 0, previousRoot: ZeroHash, artifacts: "./artifacts", facets }));
}

/** Runs `payrox …args` once in `dir`; exits the bench if it fails. */
function payrox(dir: string, args: string[]): { wallMs: number; cpuMs: number; rssMb: number } {
  const started = performance.now();
  const child = spawnSync(process.execPath, ["--import", REPORT, BIN, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe", "pipe"], encoding: "utf8" });
  const wallMs = performance.now() - started;
  if (child.status !== 0) throw new Error(`payrox ${args.join(" ")} exited ${child.status}: ${child.stderr}`);
  return { wallMs, ...JSON.parse(child.output[3] as string) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const dir = mkdtempSync(join(tmpdir(), "payrox-bench-cli-"));
try {
  fixture(dir);
  payrox(dir, ["manifest", "build", "--spec", "spec.json", "--out", "m.json"]);
  const { root } = JSON.parse(readFileSync(join(dir, "m.json"), "utf8")) as { root: string };
  const spec2 = { name: "synthetic-309-v2", baseEpoch: 1, previousRoot: root, artifacts: "./artifacts", facets: Array.from({ length: 31 }, (_, k) => ({ artifact: `Facet${k}`, address: getAddress(toBeHex(k < 5 ? 0x30000 + k : 0x20000 + k, 20)) })) };
  writeFileSync(join(dir, "spec2.json"), JSON.stringify(spec2));
  payrox(dir, ["manifest", "build", "--spec", "spec2.json", "--out", "m2.json"]);
  const commands: Record<string, string[]> = {
    help: ["--help"],
    build: ["manifest", "build", "--spec", "spec.json", "--out", "out.json"],
    verify: ["manifest", "verify", "m.json"],
    plan: ["manifest", "plan", "m.json", "--out", "plan.json"],
    rollback: ["manifest", "rollback", "--to", "m.json", "--applied", "m.json", "m2.json", "--out", "rollback.json"],
  };
  const result: Record<string, number> = {};
  console.log(`| command (309 entries, median of ${RUNS} fresh processes) | wall ms | cpu ms | peak RSS MiB |`);
  console.log("| --- | --- | --- | --- |");
  for (const [name, args] of Object.entries(commands)) {
    const runs = Array.from({ length: RUNS }, () => payrox(dir, args));
    result[`${name}Ms`] = Math.round(median(runs.map((r) => r.wallMs)));
    console.log(`| payrox ${args.join(" ")} | ${result[`${name}Ms`]} | ${Math.round(median(runs.map((r) => r.cpuMs)))} | ${Math.round(median(runs.map((r) => r.rssMb)))} |`);
  }
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
