/**
 * `npm run bench:manifest`: build and plan a 10,000-entry manifest (100 synthetic facets × 100
 * functions). Prints a table; the last stdout line is `{ entries, buildMs, planMs, batches, rss }`.
 */
import { performance } from "node:perf_hooks";
import { getAddress, hexlify, toBeHex, ZeroHash } from "ethers";
import { buildManifest, parseManifest, planBatches, serializeManifest, type FacetInput } from "../src/index.js";

const FACETS = 100;
const FUNCTIONS = 100;

function syntheticFacet(k: number): FacetInput {
  const abi = Array.from({ length: FUNCTIONS }, (_, i) => ({
    type: "function",
    name: `facet${k}_fn${i}`,
    inputs: [{ name: "x", type: "uint256" }],
    outputs: [],
    stateMutability: "nonpayable",
  }));
  // distinct runtime code per facet, ~4 KB
  const code = new Uint8Array(4096).map((_, i) => (i * 31 + k * 7) & 0xff);
  return { name: `Facet${k}`, abi, deployedBytecode: hexlify(code), address: getAddress(toBeHex(0x10000 + k, 20)) };
}

const facets = Array.from({ length: FACETS }, (_, k) => syntheticFacet(k));
const t0 = performance.now();
const manifest = await buildManifest({ name: "bench-10k", baseEpoch: 0, previousRoot: ZeroHash, facets });
const bytes = serializeManifest(manifest);
const buildMs = performance.now() - t0;

const t1 = performance.now();
const plan = planBatches(manifest);
const planMs = performance.now() - t1;

const t2 = performance.now();
parseManifest(bytes);
const verifyMs = performance.now() - t2;
const rss = Math.round(process.memoryUsage().rss / 2 ** 20);

const sizes = plan.batches.map((b) => b.routes.length);
console.log(`manifest: ${manifest.entries.length} entries, ${FACETS} facets, ${(bytes.length / 1024).toFixed(0)} KiB, root ${manifest.root}`);
console.log("");
console.log("| step | ms |");
console.log("| ---- | -- |");
console.log(`| build + serialize | ${buildMs.toFixed(0)} |`);
console.log(`| plan (cap 4,250,000, max 300 leaves, worst-case costs) | ${planMs.toFixed(0)} |`);
console.log(`| verify (parse + root) | ${verifyMs.toFixed(0)} |`);
console.log("");
console.log(`batches: ${plan.batches.length} (leaves per batch ${Math.min(...sizes)}–${Math.max(...sizes)}), estimated total ${plan.totalEstimatedGas.toLocaleString("en-US")} gas, rss ${rss} MiB`);
console.log(JSON.stringify({ entries: manifest.entries.length, buildMs: Math.round(buildMs), planMs: Math.round(planMs), batches: plan.batches.length, rss }));
