/**
 * `npm run bench:steps`: the scheduler's own time per step and the bundled size of each Lambda.
 *
 * Time: real handlers (the API's POST /proposals, the step handler, the watchdog) over the real adapters
 * — DynamoDB Local, the local KMS server, the chain gateway — on automining anvil nodes (a block per
 * transaction, so no step waits for a block time). Each step is timed whole, and the gateway's share
 * (KMS signing, JSON-RPC, receipt polling every 10 ms) separately; "own" is the rest: store, leases,
 * audit chain, planning, scheduling. devnet-1 sends through its local Flashbots relay, devnet-2 publicly.
 * Size: each function bundled by esbuild (ESM, minified, node22, the Lambda banner), as the stack builds it.
 * Prints tables and, as the last stdout line, one JSON object.
 */
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import type { DispatcherGateway, ScheduledJob, Scheduler } from "@payrox/core";
import { createLocalDynamoClient, LOCAL_CREDENTIALS } from "@payrox/aws/testing";
import { KMSClient } from "@aws-sdk/client-kms";
import { exampleManifest } from "../src/devnet/example-manifest.js";
import { devnetFunctionsEnv, networkConfig } from "../src/devnet/local-payrox.js";
import { startDevnetServices } from "../src/devnet/services.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
const { values } = parseArgs({ options: { proposals: { type: "string", default: "5" }, "batch-size": { type: "string", default: "24" } } });
const proposals = Number(values.proposals);
const maxBatchSize = Number(values["batch-size"]);

const { buildDeps, createApiHandler, createStepHandler, createWatchdogHandler, readEnv, ENV } = await import("@payrox/functions");
const { chainGateway } = await import("@payrox/functions/gateway");

/** A Scheduler that keeps the jobs for the bench to run by hand, in due order. */
class QueueScheduler implements Scheduler {
  readonly jobs = new Map<string, ScheduledJob>();
  async schedule(job: ScheduledJob): Promise<void> {
    if (!this.jobs.has(job.name)) this.jobs.set(job.name, job);
  }
  async cancel(name: string): Promise<void> {
    this.jobs.delete(name);
  }
  next(): ScheduledJob | undefined {
    const [first] = [...this.jobs.values()].sort((a, b) => a.runAtMs - b.runAtMs);
    if (first) this.jobs.delete(first.name);
    return first;
  }
}

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
  };
}

const services = await startDevnetServices({ networks: 2, activationDelaySeconds: 1, automine: true, tableName: "payrox-bench-steps" });
const samples: Record<string, { total: number; gateway: number }[]> = {};
const sample = (key: string, total: number, gateway: number) => (samples[key] ??= []).push({ total, gateway });
try {
  const state = services.state;
  const env = readEnv(devnetFunctionsEnv(state, ENV));
  const dynamoClient = createLocalDynamoClient(state.dynamoEndpoint);
  const kms = new KMSClient({ endpoint: state.kmsUrl, region: state.kmsRegion, credentials: LOCAL_CREDENTIALS });
  const scheduler = new QueueScheduler();
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const timeRows = Object.entries(samples).map(([key, xs]) => {
  const total = median(xs.map((x) => x.total));
  const gateway = median(xs.map((x) => x.gateway));
  return { step: key, n: xs.length, totalMs: +total.toFixed(1), gatewayMs: +gateway.toFixed(1), ownMs: +median(xs.map((x) => x.total - x.gateway)).toFixed(1) };
});

const FUNCTIONS = ["api", "commit", "apply", "activate", "watchdog"] as const;
const root = fileURLToPath(new URL("../../../functions/src/", import.meta.url));
const sizes = [];
for (const name of FUNCTIONS) {
  const result = await build({
    entryPoints: [`${root}${name}.ts`], bundle: true, minify: true, format: "esm", platform: "node", target: "node22", mainFields: ["module", "main"], write: false, logLevel: "silent",
    banner: { js: "import{createRequire}from'module';const require=createRequire(import.meta.url);" },
  });
  const bytes = result.outputFiles.reduce((sum, f) => sum + f.contents.length, 0);
  const gzip = result.outputFiles.reduce((sum, f) => sum + gzipSync(f.contents).length, 0);
  sizes.push({ function: name, bytes, gzipBytes: gzip });
}

const table = (header: string[], rows: string[][]) => {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const line of [header, ...rows]) console.log(line.map((c, i) => c.padEnd(w[i]!)).join("  "));
};
table(["step", "n", "p50 total ms", "p50 gateway ms", "p50 own ms"], timeRows.map((r) => [r.step, String(r.n), String(r.totalMs), String(r.gatewayMs), String(r.ownMs)]));
console.log("");
table(["function", "bundle (min, ESM)", "gzip"], sizes.map((s) => [s.function, `${(s.bytes / 1024).toFixed(0)} KiB`, `${(s.gzipBytes / 1024).toFixed(0)} KiB`]));
const own = (prefix: string) => median(timeRows.filter((r) => r.step.startsWith(prefix)).map((r) => r.ownMs));
console.log(JSON.stringify({
  proposals, networks: 2,
  ownMsP50: { commit: own("commit"), apply: own("apply"), activate: own("activate") },
  steps: timeRows,
  bundleBytes: Object.fromEntries(sizes.map((s) => [s.function, s.bytes])),
}));
