/**
 * `npm run bench:e2e -- --networks 21 --selectors 500 --delay 60`: the whole devnet upgrade, measured.
 * Prints a table per network and, as the last stdout line, one JSON object: wall time (services start and
 * upgrade), transactions per network, activation lateness after the ETA from block timestamps (p50, max),
 * and the peak memory of this process and every process it started (anvil nodes, DynamoDB Local).
 * Progress goes to stderr.
 */
import { readdirSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { getNetwork } from "@payrox/core";
import { devnetUp } from "../src/devnet/up.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { values } = parseArgs({ options: { networks: { type: "string", default: "21" }, selectors: { type: "string", default: "500" }, delay: { type: "string", default: "60" }, "batch-size": { type: "string" } } });
const networks = Number(values.networks);
const selectors = Number(values.selectors);
const delaySeconds = Number(values.delay);
const maxBatchSize = values["batch-size"] === undefined ? 300 : Number(values["batch-size"]);
for (const [flag, n] of Object.entries({ networks, selectors, delay: delaySeconds, "batch-size": maxBatchSize })) {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer`);
}

/** RSS in bytes of this process and all its descendants, from /proc, in all and by command name. */
function treeRss(root: number): { bytes: number; processes: number; byCommand: Record<string, { bytes: number; processes: number }> } {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  const command = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(entry), Number(fields[1]));
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      rss.set(Number(entry), Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024);
      command.set(Number(entry), readFileSync(`/proc/${entry}/comm`, "utf8").trim());
    } catch {
      // the process ended while we looked
    }
  }
  const inTree = (pid: number): boolean => pid === root || (parent.has(pid) && pid > 1 && inTree(parent.get(pid)!));
  let bytes = 0;
  let processes = 0;
  const byCommand: Record<string, { bytes: number; processes: number }> = {};
  for (const [pid, value] of rss) {
    if (!inTree(pid)) continue;
    bytes += value;
    processes++;
    const name = command.get(pid) ?? "?";
    byCommand[name] ??= { bytes: 0, processes: 0 };
    byCommand[name].bytes += value;
    byCommand[name].processes++;
  }
  return { bytes, processes, byCommand };
}

let peak: ReturnType<typeof treeRss> = { bytes: 0, processes: 0, byCommand: {} };
const sampler = setInterval(() => {
  const now = treeRss(process.pid);
  if (now.bytes > peak.bytes) peak = now;
}, 500);

const started = Date.now();
let servicesReadyAt = 0;
const devnet = await devnetUp({
  networks, delaySeconds, selectors, maxBatchSize, apiPort: 0, pollMs: 500,
  out: {
    isTTY: false,
    write: (text) => {
      if (!servicesReadyAt && text.includes("PayRox API on")) servicesReadyAt = Date.now();
      process.stderr.write(text);
    },
  },
});
const finished = Date.now();
clearInterval(sampler);
const summary = devnet.summaries[0]!;
await devnet.stop();

const lateness = summary.networks.map((n) => n.latenessSeconds ?? Number.NaN);
const sorted = [...lateness].sort((a, b) => a - b);
const p50 = sorted[Math.floor((sorted.length - 1) / 2)]!;
const rows = summary.networks.map((n) => {
  const budget = getNetwork(n.network).blockTimeSeconds + 2;
  return { network: n.network, state: n.state, transactions: n.transactions, applyBatches: n.gas.applyBatches, latenessSeconds: n.latenessSeconds, withinTarget: n.latenessSeconds !== undefined && n.latenessSeconds <= budget };
});
const header = ["network", "state", "txs", "apply batches", "late after ETA", "≤ block time + 2 s"];
const cells = rows.map((r) => [r.network, r.state, String(r.transactions), String(r.applyBatches), r.latenessSeconds === undefined ? "-" : `${r.latenessSeconds.toFixed(3)} s`, r.withinTarget ? "yes" : "NO"]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
for (const line of [header, ...cells]) console.log(line.map((c, i) => c.padEnd(widths[i]!)).join("  "));
const figures = {
  networks,
  selectors,
  delaySeconds,
  wallSeconds: (finished - started) / 1000,
  servicesStartSeconds: ((servicesReadyAt || finished) - started) / 1000,
  upgradeSeconds: (finished - (servicesReadyAt || started)) / 1000,
  transactionsPerNetwork: Math.max(...rows.map((r) => r.transactions)),
  applyBatchesPerNetwork: Math.max(...rows.map((r) => r.applyBatches)),
  activationLatenessP50Seconds: p50,
  activationLatenessMaxSeconds: sorted[sorted.length - 1]!,
  allActivated: summary.allActivated,
  allWithinTarget: rows.every((r) => r.withinTarget),
  auditVerified: summary.audit.ok,
  peakRssMiB: Math.round(peak.bytes / 1024 / 1024),
  peakProcesses: peak.processes,
  // At the moment of the peak: e.g. anvil (one per network), java (DynamoDB Local), node (PayRox + services).
  peakRssMiBByCommand: Object.fromEntries(Object.entries(peak.byCommand).map(([name, v]) => [name, { mib: Math.round(v.bytes / 1024 / 1024), processes: v.processes, mibEach: Math.round(v.bytes / v.processes / 1024 / 1024) }])),
};
console.log(`\nwall ${figures.wallSeconds.toFixed(1)} s (services ${figures.servicesStartSeconds.toFixed(1)} s), lateness p50 ${p50.toFixed(3)} s max ${figures.activationLatenessMaxSeconds.toFixed(3)} s, peak RSS ${figures.peakRssMiB} MiB over ${peak.processes} processes`);
console.log(JSON.stringify(figures));
process.exit(summary.allActivated ? 0 : 1);
