/**
 * The operations dashboard (MonitoringStack): every PayRox metric a widget shows is one the functions
 * really emit — the real handlers (API, step, watchdog) run an upgrade on a devnet chain over DynamoDB
 * Local and the local KMS server, their EMF output is captured, and each widget's metric name and exact
 * dimension set (and outcome, where a widget narrows to one) must be in it — and the AWS widgets cover
 * every function, both queues and the table.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// Before any import loads the functions' logger and metrics: EMF on, JSON log lines off.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  delete process.env.POWERTOOLS_METRICS_DISABLED;
});

import { KMSClient } from "@aws-sdk/client-kms";
import { Contract, id, JsonRpcProvider, Wallet } from "ethers";
import { devWallet } from "../../contracts/lib/local-chain.js";
import { createLocalDynamoClient, LOCAL_CREDENTIALS } from "@payrox/aws/testing";
import { ManualJobQueue } from "@payrox/devnet";
import { buildDeps, createApiHandler, createStepHandler, createWatchdogHandler, ENV, METRIC_NAMESPACE, readEnv, StepOutcomeName } from "@payrox/functions";
import { chainEventSource, chainGateway } from "@payrox/functions/gateway";
import { exampleManifest } from "../../packages/cli/src/devnet/example-manifest.js";
import { devnetFunctionsEnv } from "../../packages/cli/src/devnet/local-payrox.js";
import { startDevnetServices, type DevnetServices } from "../../packages/cli/src/devnet/services.js";
import { MonitoringStack } from "../MonitoringStack.js";
import { REGION, synthesize, type SynthesizedApp } from "./synth.js";
import { flat, resourcesOf } from "./template.js";


/** One EMF record: its metric names, its one dimension set, and its values (dimension values included). */
interface EmfRecord {
  namespace: string;
  names: string[];
  dimensions: string[];
  values: Record<string, unknown>;
}

/** A PayRox metric a widget shows: its name, dimension set, and the dimension values the widget narrows to. */
interface WidgetMetric {
  widget: string;
  name: string;
  dimensions: string[];
  filter: Record<string, string>;
}

const STAGE = "staging";
let synthesized: SynthesizedApp;
let services: DevnetServices | undefined;
const emitted: EmfRecord[] = [];
let watchdogResult: unknown;

// Long enough that the first activation attempt is early however slow the machine: the test moves the chain clock, it never waits.
const ACTIVATION_DELAY_SECONDS = 120;

/** Moves the chain's clock `seconds` ahead and mines a block. */
async function warpPastEta(rpcUrl: string, seconds: number): Promise<void> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  try {
    await provider.send("evm_increaseTime", [seconds]);
    await provider.send("evm_mine", []);
  } finally {
    provider.destroy();
  }
}

/** The dev admin (the devnet's dispatcher admin) grants EMERGENCY_ROLE to a fresh address, then blocks are mined past the confirmations. */
async function grantOutOfBand(rpcUrl: string, dispatcher: string): Promise<void> {
  const { provider, wallet } = devWallet(rpcUrl);
  try {
    const admin = new Contract(dispatcher, ["function grantRole(bytes32 role, address account)"], wallet);
    await (await admin.getFunction("grantRole")(id("EMERGENCY_ROLE"), Wallet.createRandom().address)).wait();
    for (let i = 0; i < 12; i++) await provider.send("evm_mine", []);
  } finally {
    provider.destroy();
  }
}

/** Runs a proposal through commit (once failing: no gateway), apply, activate (once rescheduled), a duplicate (skipped) and a watchdog sweep. */
async function runHandlers(): Promise<void> {
  services = await startDevnetServices({ networks: 1, activationDelaySeconds: ACTIVATION_DELAY_SECONDS, automine: true, tableName: "payrox-dashboard-test" });
  const { state } = services;
  // The metrics, not the approvals, are under test here: the devnet's functions without its 2-of-3 policy.
  const devEnv: Record<string, string | undefined> = { ...devnetFunctionsEnv(state, ENV), [ENV.APPROVAL_POLICY]: JSON.stringify({ approvals: "none" }) };
  const dynamoClient = createLocalDynamoClient(state.dynamoEndpoint);
  const kms = new KMSClient({ endpoint: state.kmsUrl, region: state.kmsRegion, credentials: LOCAL_CREDENTIALS });
  const scheduler = new ManualJobQueue();
  const depsWith = (env: ReturnType<typeof readEnv>, maxHoldMs: number, chain = true) =>
    buildDeps(env, {
      dynamoClient,
      scheduler,
      alerts: { raise: async () => undefined },
      ...(chain && { gatewayFactory: (context) => chainGateway(context, { dynamoClient, kms, pollIntervalMs: 20 }), eventSourceFactory: (context) => chainEventSource(context, { kms }) }),
      options: { leaseMs: 60_000, maxHoldMs },
    });
  const deps = depsWith(readEnv(devEnv), 30_000);
  const step = createStepHandler(() => deps);
  const impatient = createStepHandler(() => depsWith(readEnv(devEnv), 0));
  const { [ENV.NETWORK_CONFIG]: _unset, ...withoutNetworks } = devEnv;
  const unconfigured = createStepHandler(() => depsWith(readEnv(withoutNetworks), 30_000, false));
  const capture = (chunk: unknown) => {
    for (const line of String(chunk).split("\n").filter((l) => l.includes('"_aws"'))) {
      const record = JSON.parse(line);
      const directive = record._aws.CloudWatchMetrics[0];
      emitted.push({ namespace: directive.Namespace, names: directive.Metrics.map((m: { Name: string }) => m.Name), dimensions: directive.Dimensions[0] ?? [], values: record });
    }
  };
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (capture(chunk), true));
  const log = vi.spyOn(console, "log").mockImplementation(capture);
  try {
    const manifest = await exampleManifest(state, "dashboard", { selectors: 12 });
    const api = createApiHandler(() => deps);
    const body = JSON.stringify({ manifest, networks: state.networks.map((n) => n.id) });
    const proposed = await api({ version: "2.0", routeKey: "$default", rawPath: "/proposals", rawQueryString: "", headers: {}, body, isBase64Encoded: false, requestContext: { http: { method: "POST", path: "/proposals" }, stage: "$default", requestId: "p" } } as never, { awsRequestId: "p" } as never);
    if (proposed.statusCode !== 201) throw new Error(`propose answered ${proposed.statusCode}: ${proposed.body}`);
    const commit = scheduler.next()!;
    await expect(unconfigured(commit, { awsRequestId: "no-gateway" })).rejects.toThrow(); // error
    await step(commit, { awsRequestId: "commit" }); // done
    await step(commit, { awsRequestId: "commit-again" }); // skipped
    for (let job = scheduler.next(); job; job = scheduler.next()) {
      if (job.step === "activate" && !job.attempt.includes("@")) {
        await impatient(job, { awsRequestId: "too-early" }); // rescheduled
        continue;
      }
      // The chain mines only on transactions: move its clock past the ETA (the timelock) instead of waiting for it.
      if (job.step === "activate") await warpPastEta(state.networks[0]!.rpcUrl, ACTIVATION_DELAY_SECONDS + 1);
      await step(job, { awsRequestId: job.name });
    }
    // A role granted on the dispatcher outside PayRox: the watchdog's chain watcher raises an alert for it.
    await grantOutOfBand(state.networks[0]!.rpcUrl, state.networks[0]!.dispatcher);
    watchdogResult = await createWatchdogHandler(() => deps)({}, { awsRequestId: "watchdog" });
  } finally {
    write.mockRestore();
    log.mockRestore();
    kms.destroy();
    dynamoClient.destroy();
  }
}

/** The dashboard's body as JSON (references to other resources written out by `flat`). */
function dashboardBody(): { widgets: { type: string; properties: { title?: string; metrics?: unknown[][] } }[] } {
  const [dashboard] = Object.values(resourcesOf(synthesized.template(MonitoringStack), "AWS::CloudWatch::Dashboard"));
  return JSON.parse(flat(dashboard!.DashboardBody));
}

/** Every PayRox metric the widgets show: from SEARCH expressions and from plain metric rows. */
function payroxWidgetMetrics(): WidgetMetric[] {
  const found: WidgetMetric[] = [];
  for (const widget of dashboardBody().widgets) {
    for (const row of widget.properties.metrics ?? []) {
      const title = widget.properties.title ?? "";
      const [first] = row as [unknown];
      if (typeof first === "object" && first !== null && "expression" in first) {
        const expression = String((first as { expression: string }).expression);
        const search = /^SEARCH\('\{([^}]*)\} MetricName="([^"]+)"((?: \w+="[^"]*")*)'/.exec(expression);
        if (!search) throw new Error(`widget "${title}": an expression that is not a SEARCH of one metric: ${expression}`);
        const [namespace, ...dimensions] = search[1]!.split(",");
        if (namespace !== METRIC_NAMESPACE) continue;
        const filter = Object.fromEntries([...search[3]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
        found.push({ widget: title, name: search[2]!, dimensions, filter });
      } else if (first === METRIC_NAMESPACE) {
        const [, name, ...rest] = row as string[];
        const pairs = rest.filter((x) => typeof x === "string");
        found.push({ widget: title, name: name!, dimensions: pairs.filter((_, i) => i % 2 === 0), filter: Object.fromEntries(pairs.flatMap((x, i) => (i % 2 === 0 ? [[x, pairs[i + 1]!]] : []))) });
      }
    }
  }
  return found;
}

beforeAll(async () => {
  synthesized = await synthesize(STAGE);
  await runHandlers();
});

afterAll(async () => {
  await services?.stop();
});

describe("MonitoringStack › operations dashboard", () => {
  it("shows only PayRox metrics a handler run emitted, each with exactly the dimension set it was emitted with", () => {
    // Prepare
    const widgets = payroxWidgetMetrics();
    const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((d) => b.includes(d));
    // Assess: the widgets show what the issue lists
    expect(new Set(widgets.map((w) => w.name))).toEqual(new Set(["StepOutcomes", "GasUsed", "PlannedGas", "ActivationLatenessSeconds", "AlertsRaised"]));
    expect(widgets.filter((w) => w.name === "StepOutcomes").map((w) => w.filter.outcome).sort()).toEqual(Object.values(StepOutcomeName).sort());
    // Assess: each is in the captured EMF output, with its exact dimension set and the value it narrows to
    for (const widget of widgets) {
      const matches = emitted.filter((r) => r.namespace === METRIC_NAMESPACE && r.names.includes(widget.name) && sameSet(r.dimensions, widget.dimensions));
      expect(matches.length, `${widget.widget}: ${widget.name} {${widget.dimensions.join(",")}} was not emitted; emitted: ${JSON.stringify(emitted.map((r) => [r.names, r.dimensions]))}; watchdog: ${JSON.stringify(watchdogResult)}`).toBeGreaterThan(0);
      const narrowed = matches.filter((r) => Object.entries(widget.filter).every(([d, v]) => r.values[d] === v));
      expect(narrowed.length, `${widget.widget}: ${widget.name} with ${JSON.stringify(widget.filter)} was not emitted`).toBeGreaterThan(0);
    }
  });

  it("records every step outcome per network, and the planner's estimate beside an apply batch's gas", () => {
    // commit: error, done, skipped; apply: done; activate: rescheduled, done
    const outcomes = emitted.filter((r) => r.names.includes("StepOutcomes")).map((r) => `${r.values.network}/${r.values.outcome}`);
    expect(outcomes).toEqual(["devnet-1/error", "devnet-1/done", "devnet-1/skipped", "devnet-1/done", "devnet-1/rescheduled", "devnet-1/done"]);
    const gas = emitted.filter((r) => r.names.includes("GasUsed") && r.values.step === "apply");
    const planned = emitted.filter((r) => r.names.includes("PlannedGas"));
    expect(planned.map((r) => [r.values.step, r.values.network])).toEqual(gas.map((r) => [r.values.step, r.values.network]));
    for (const r of planned) expect(r.values.PlannedGas).toBeGreaterThan(0);
  });

  it("shows errors, throttles and duration of every function, the delay queue's age, the dead-letter queue's depth and the table's throttles", () => {
    // Prepare
    const rows = dashboardBody().widgets.flatMap((w) => (w.properties.metrics ?? []).map((row) => ({ title: w.properties.title ?? "", row: row.filter((x) => typeof x === "string") as string[] })));
    const aws = (namespace: string, metric: string) => rows.filter((r) => r.row[0] === namespace && r.row[1] === metric).map((r) => r.row.slice(2).join("="));
    // Assess
    for (const metric of ["Errors", "Throttles", "Duration"]) {
      const names = aws("AWS/Lambda", metric);
      expect(names, metric).toHaveLength(6);
      // Each function's name is an export of the stack that creates it, named after the function's construct.
      for (const fn of ["Commit", "Apply", "Activate", "Watchdog", "Api", "Anchor"]) expect(names.some((n) => n.includes(`ExportsOutputRef${fn}Function`)), `${metric} of ${fn}: ${names.join(", ")}`).toBe(true);
    }
    expect(aws("AWS/SQS", "ApproximateAgeOfOldestMessage")).toEqual([expect.stringContaining("DelayQueue")]);
    expect(aws("AWS/SQS", "ApproximateNumberOfMessagesVisible")).toEqual([expect.stringContaining("DeadLetterQueue")]);
    expect(aws("AWS/DynamoDB", "ReadThrottleEvents")).toHaveLength(1);
    expect(aws("AWS/DynamoDB", "WriteThrottleEvents")).toHaveLength(1);
  });

  it("is one dashboard per stage, named payrox-<stage>-operations, with its console address as a stack output", () => {
    const template = synthesized.template(MonitoringStack);
    const dashboards = Object.values(resourcesOf(template, "AWS::CloudWatch::Dashboard"));
    expect(dashboards.map((d) => d.DashboardName)).toEqual([`payrox-${STAGE}-operations`]);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(synthesized.nagFindings(MonitoringStack)).toEqual([]);
    expect(flat(outputs.DashboardUrl!.Value)).toBe(`https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#dashboards/dashboard/payrox-${STAGE}-operations`);
  });
});
