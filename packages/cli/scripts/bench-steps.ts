/**
 * `npm run bench:steps`: the scheduler's own time per step and the bundled size of each Lambda.
 *
 * Time: real handlers (the API's POST /proposals, the step handler, the watchdog) over the real adapters
 * — DynamoDB Local, the local KMS server, the chain gateway — on automining anvil nodes (a block per
 * transaction, so no step waits for a block time). Each step is timed whole, and the gateway's share
 * (KMS signing, JSON-RPC, receipt polling every 10 ms) separately; "own" is the rest: store, leases,
 * audit chain, planning, scheduling. devnet-1 sends through its local Flashbots relay, devnet-2 publicly.
 * Bundles: each function built by the stacks' own bundling (stacks/bundling.ts, SST's esbuild: ESM,
 * minified, code splitting, the Lambda runtime's target) and measured as a cold start loads it —
 * `bundleBytes` is the entry plus every chunk it imports statically (every package bundled), and
 * `coldImportMs` the median time of `await import(entry)` in fresh Node processes. The first-use path
 * (`chainBytes`, `chainImportMs`) adds the chunks a deployed function's first invocation of its main
 * work loads: the SSM reader of its bound secrets (not the anchorer: it binds none), then the API's
 * propose/cancel routes and the gateway; a step's governance, gateway and scheduler; the watchdog's
 * chain reader; the anchorer's S3 store.
 * `--bundles-only` skips the step timings (no devnet services).
 * Prints tables and, as the last stdout line, one JSON object.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { buildFunctionBundle, FUNCTION_ENTRIES, type FunctionBundle } from "../../../stacks/bundle-report.js";
import { ESBUILD_TARGET, LAMBDA_RUNTIME } from "../../../stacks/bundling.js";
import type { DispatcherGateway } from "@payrox/core";
import { ManualJobQueue } from "@payrox/devnet";
import { createLocalDynamoClient, LOCAL_CREDENTIALS } from "@payrox/aws/testing";
import { KMSClient } from "@aws-sdk/client-kms";
import { exampleManifest } from "../src/devnet/example-manifest.js";
import { devnetFunctionsEnv, networkConfig } from "../src/devnet/local-payrox.js";
import { startDevnetServices } from "../src/devnet/services.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
const { values } = parseArgs({ options: { proposals: { type: "string", default: "5" }, "batch-size": { type: "string", default: "24" }, "cold-runs": { type: "string", default: "11" }, "bundles-only": { type: "boolean", default: false } } });
const proposals = values["bundles-only"] ? 0 : Number(values.proposals);
const maxBatchSize = Number(values["batch-size"]);
const coldRuns = Number(values["cold-runs"]);

const { buildDeps, createApiHandler, createStepHandler, createWatchdogHandler, readEnv, ENV } = await import("@payrox/functions");
const { chainGateway } = await import("@payrox/functions/gateway");


/** Wraps the gateway so the time spent in it is added to `spent.ms`. */
function timedGateway(inner: DispatcherGateway, spent: { ms: number }): DispatcherGateway {
  const time = async <T>(work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await work();
    } finally {
      spent.ms += performance.now() - t;
    }
  };
  return {
    readState: (n) => time(() => inner.readState(n)),
    latestBlock: (n) => time(() => inner.latestBlock(n)),
    send: (n, id, call) => time(() => inner.send(n, id, call)),
    resume: (n, id) => time(() => inner.resume(n, id)),
    // The API's proposal check reads facet code through the gateway: without these, propose answered 503.
    ...(inner.codeHash && { codeHash: (n: string, address: string) => time(() => inner.codeHash!(n, address)) }),
    ...(inner.listSelectors && { listSelectors: (n: string) => time(() => inner.listSelectors!(n)) }),
  };
}

const samples: Record<string, { total: number; gateway: number }[]> = {};
const sample = (key: string, total: number, gateway: number) => (samples[key] ??= []).push({ total, gateway });
if (proposals > 0) await timeSteps();

/** Times the real handlers over the devnet services (see the header). */
async function timeSteps(): Promise<void> {
const services = await startDevnetServices({ networks: 2, activationDelaySeconds: 1, automine: true, tableName: "payrox-bench-steps" });
try {
  const state = services.state;
  const env = readEnv(devnetFunctionsEnv(state, ENV));
  const dynamoClient = createLocalDynamoClient(state.dynamoEndpoint);
  const kms = new KMSClient({ endpoint: state.kmsUrl, region: state.kmsRegion, credentials: LOCAL_CREDENTIALS });
  const scheduler = new ManualJobQueue();
  const spent = { ms: 0 };
  const real = await chainGateway({ env, networks: (await import("@payrox/core")).loadNetworkConfig(networkConfig(state)) }, { dynamoClient, kms, pollIntervalMs: 10 });
  const deps = buildDeps(env, { dynamoClient, scheduler, alerts: { raise: async () => undefined }, gatewayFactory: () => timedGateway(real, spent), options: { planOptions: { maxBatchSize }, leaseMs: 60_000, maxHoldMs: 30_000 } });
  const api = createApiHandler(() => deps);
  const step = createStepHandler(() => deps);
  const watchdog = createWatchdogHandler(() => deps);
  await real.readState("devnet-1"); // connect once, outside the samples

  for (let p = 0; p < proposals; p++) {
    const manifest = await exampleManifest(state, `bench-steps-${p}`, { selectors: 68 + p });
    const body = JSON.stringify({ manifest, networks: state.networks.map((n) => n.id) });
    let t = performance.now();
    const response = await api({ version: "2.0", routeKey: "$default", rawPath: "/proposals", rawQueryString: "", headers: {}, body, isBase64Encoded: false, requestContext: { http: { method: "POST", path: "/proposals" }, stage: "$default", requestId: `b${p}` } } as never, { awsRequestId: `b${p}` });
    sample("propose (API)", performance.now() - t, 0);
    if (response.statusCode !== 201) throw new Error(`propose answered ${response.statusCode}: ${response.body}`);
    for (let job = scheduler.next(); job; job = scheduler.next()) {
      // Waiting for the ETA is the timelock, not the scheduler's time: done before the clock starts.
      const wait = job.runAtMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + (job.step === "activate" ? 1_100 : 0)));
      spent.ms = 0;
      t = performance.now();
      await step(job, { awsRequestId: `${job.name}` });
      sample(`${job.step} ${job.network}`, performance.now() - t, spent.ms);
    }
    t = performance.now();
    await watchdog({}, { awsRequestId: `w${p}` });
    sample("watchdog sweep", performance.now() - t, 0);
  }
  kms.destroy();
  dynamoClient.destroy();
} finally {
  await services.stop();
}
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const timeRows = Object.entries(samples).map(([key, xs]) => {
  const total = median(xs.map((x) => x.total));
  const gateway = median(xs.map((x) => x.gateway));
  return { step: key, n: xs.length, totalMs: +total.toFixed(1), gatewayMs: +gateway.toFixed(1), ownMs: +median(xs.map((x) => x.total - x.gateway)).toFixed(1) };
});

/** Median ms of `await import()` of `files`, in order, each run in a fresh Node process. */
function coldImportMs(files: string[]): number {
  const script = `const t = performance.now(); for (const f of ${JSON.stringify(files.map((f) => pathToFileURL(f).href))}) await import(f); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let i = 0; i < coldRuns; i++) {
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env: { PATH: process.env.PATH, AWS_REGION: "us-east-1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", POWERTOOLS_LOG_LEVEL: "SILENT" } });
    if (run.status !== 0) throw new Error(`importing ${files.join(", ")} failed: ${run.stderr}`);
    times.push(Number(run.stdout));
  }
  return +median(times).toFixed(1);
}

/**
 * The lazy chunks a deployed function's first invocation of its main work loads: the SSM reader of its
 * bound secrets, chain code (the API's propose/cancel routes, the gateway), a step's governance and
 * scheduler, S3 for the anchorer.
 */
const FIRST_USE: Record<FunctionBundle["name"], RegExp> = {
  api: /(^|\/)(ssm-parameters|gateway|chain-routes)-[^/]*\.mjs$/,
  commit: /(^|\/)(ssm-parameters|governance|gateway|scheduler)-[^/]*\.mjs$/,
  apply: /(^|\/)(ssm-parameters|governance|gateway|scheduler)-[^/]*\.mjs$/,
  activate: /(^|\/)(ssm-parameters|governance|gateway|scheduler)-[^/]*\.mjs$/,
  watchdog: /(^|\/)(ssm-parameters|gateway)-[^/]*\.mjs$/,
  anchor: /(^|\/)anchor-[^/]*\.mjs$/,
};
const chainChunks = (bundle: FunctionBundle) => bundle.lazy.filter((l) => FIRST_USE[bundle.name].test(l.chunk));

const bundleDir = mkdtempSync(join(tmpdir(), "payrox-bundles-"));
const sizes = [];
try {
  for (const name of FUNCTION_ENTRIES) {
    const bundle = await buildFunctionBundle(name, join(bundleDir, name));
    const chain = chainChunks(bundle);
    // A chunk both chain chunks import is loaded once: count each file once.
    const chainFiles = [...new Set(chain.flatMap((c) => c.files))];
    const chainBytes = chainFiles.reduce((sum, f) => sum + readFileSync(f).length, 0);
    sizes.push({
      function: name,
      bytes: bundle.startup.bytes,
      gzipBytes: bundle.startup.files.reduce((sum, f) => sum + gzipSync(readFileSync(f)).length, 0),
      files: bundle.startup.files.length,
      coldImportMs: coldImportMs([bundle.entry]),
      chainBytes,
      chainImportMs: chain.length > 0 ? coldImportMs([bundle.entry, ...chain.map((c) => join(bundleDir, name, c.chunk))]) : undefined,
      largest: Object.entries(bundle.startup.packages).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([p, b]) => `${p} ${(b / 1024).toFixed(0)}K`).join(", "),
    });
  }
} finally {
  rmSync(bundleDir, { recursive: true, force: true });
}

const table = (header: string[], rows: string[][]) => {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const line of [header, ...rows]) console.log(line.map((c, i) => c.padEnd(w[i]!)).join("  "));
};
if (timeRows.length > 0) {
  table(["step", "n", "p50 total ms", "p50 gateway ms", "p50 own ms"], timeRows.map((r) => [r.step, String(r.n), String(r.totalMs), String(r.gatewayMs), String(r.ownMs)]));
  console.log("");
}
console.log(`bundles: ${LAMBDA_RUNTIME} (esbuild target ${ESBUILD_TARGET}); cold import = median of ${coldRuns} fresh Node ${process.version} processes`);
table(
  ["function", "start-up (min, ESM)", "gzip", "files", "cold import ms", "+ first-use chunks", "with them ms", "largest at start-up"],
  sizes.map((s) => [s.function, `${(s.bytes / 1024).toFixed(0)} KiB`, `${(s.gzipBytes / 1024).toFixed(0)} KiB`, String(s.files), String(s.coldImportMs), `${(s.chainBytes / 1024).toFixed(0)} KiB`, String(s.chainImportMs ?? "-"), s.largest]),
);
const own = (prefix: string) => (timeRows.some((r) => r.step.startsWith(prefix)) ? median(timeRows.filter((r) => r.step.startsWith(prefix)).map((r) => r.ownMs)) : null);
console.log(JSON.stringify({
  proposals, networks: 2,
  ownMsP50: { commit: own("commit"), apply: own("apply"), activate: own("activate") },
  steps: timeRows,
  runtime: LAMBDA_RUNTIME,
  bundleBytes: Object.fromEntries(sizes.map((s) => [s.function, s.bytes])),
  coldImportMs: Object.fromEntries(sizes.map((s) => [s.function, s.coldImportMs])),
  chainBytes: Object.fromEntries(sizes.map((s) => [s.function, s.chainBytes])),
  chainImportMs: Object.fromEntries(sizes.map((s) => [s.function, s.chainImportMs ?? null])),
}));
