/**
 * Records what the PayRox process bills in AWS, per handler invocation, while the devnet runs it: the
 * DynamoDB units DynamoDB Local reports, KMS calls, jobs scheduled, alerts put on the bus, EMF metrics
 * and log bytes the functions write, and how long each invocation spent in chain sends and in the
 * activation hold (the parts a real network's blocks replace). Attribution follows the async context,
 * so concurrent invocations never mix. Pricing is `cloud-cost.ts`' job.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { KMSClient } from "@aws-sdk/client-kms";
import { meterConsumedCapacity } from "@payrox/aws";
import type { Alert, DispatcherGateway, ScheduledJob, SchedulerDeps } from "@payrox/core";
import type { LocalFunction, LocalPayRoxInstrumentation } from "../devnet/local-payrox.js";

/** Which Lambda an invocation is, as the stacks deploy them. */
export type BilledFunction = "commit" | "apply" | "activate" | "watchdog" | "anchor" | "api";

/** When an invocation ran: during the upgrade, or after every run was final (what an idle month repeats). */
export type UsagePhase = "upgrade" | "idle";

/** One job a use case scheduled: its step and how far ahead. */
export interface ScheduledUsage {
  step: string;
  delayMs: number;
}

/** What one handler invocation used. */
export interface InvocationUsage {
  fn: BilledFunction;
  phase: UsagePhase;
  /** The run's network (steps). */
  network?: string;
  /** `METHOD /path` (API). */
  route?: string;
  /** Wall time of the handler, measured here. */
  wallMs: number;
  /** Time inside the gateway's `send` / `resume` (sign, submit, wait for the confirmations). */
  sendMs: number;
  /** Transactions sent or followed to their confirmations. */
  sends: number;
  /** Time asleep in the activation hold (`deps.sleep`). */
  holdMs: number;
  readUnits: number;
  writeUnits: number;
  /** Writes refused by their condition (billed, but DynamoDB reports no units for them). */
  conditionFailedWrites: number;
  dynamoCalls: number;
  /** KMS calls by operation (`Sign`, `GetPublicKey`, `DescribeKey`). */
  kms: Record<string, number>;
  /** S3 requests the anchor store's calls make in AWS (`PUT`, `GET`, `LIST`; see {@link s3RequestsOfPut}). */
  s3: Record<string, number>;
  scheduled: ScheduledUsage[];
  /** Alerts handed to the bus stand-in (AWS: one EventBridge event each). */
  busEvents: number;
  /** EMF documents written to stdout (CloudWatch metrics). */
  emfDocuments: number;
  /** Each metric an EMF document defined: `name|dim=value,…`. */
  metrics: string[];
  /** Bytes of log lines and EMF documents (CloudWatch Logs ingestion). */
  logBytes: number;
  failed: boolean;
}

/** A fresh, empty usage record. */
export function emptyUsage(fn: BilledFunction, phase: UsagePhase): InvocationUsage {
  return { fn, phase, wallMs: 0, sendMs: 0, sends: 0, holdMs: 0, readUnits: 0, writeUnits: 0, conditionFailedWrites: 0, dynamoCalls: 0, kms: {}, s3: {}, scheduled: [], busEvents: 0, emfDocuments: 0, metrics: [], logBytes: 0, failed: false };
}

/** Meters a devnet's PayRox process; hand {@link UsageMeter.instrumentation} to `devnetUp`. */
export class UsageMeter {
  /** Every finished invocation, in the order they finished. */
  readonly invocations: InvocationUsage[] = [];
  /** Usage seen outside any invocation (should stay empty; reported if not). */
  readonly unattributed: InvocationUsage = emptyUsage("api", "upgrade");
  /** The phase new invocations are recorded in. */
  phase: UsagePhase = "upgrade";
  readonly #current = new AsyncLocalStorage<InvocationUsage>();
  /** Heads of the last anchor put (the S3 store re-indexes it with the next). */
  #lastAnchorHeads: number | undefined;
  #restoreStdout?: () => void;

  /** The hooks `startLocalPayRox` takes. */
  readonly instrumentation: LocalPayRoxInstrumentation = {
    dynamoClient: (client: DynamoDBClient) => {
      meterConsumedCapacity(client, (reading) => {
        const usage = this.#usage();
        usage.dynamoCalls++;
        usage.readUnits += reading.readUnits;
        usage.writeUnits += reading.writeUnits;
        if (reading.conditionFailed) usage.conditionFailedWrites++;
      });
    },
    kmsClient: (client: KMSClient) => {
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const usage = this.#usage();
          const operation = (context.commandName ?? "?").replace(/Command$/, "");
          usage.kms[operation] = (usage.kms[operation] ?? 0) + 1;
          return next(args);
        },
        { step: "initialize", name: "payroxKmsMeter" },
      );
    },
    invocation: (fn, event, run) => this.#invoke(fn, event, run),
    deps: (deps) => this.#meteredDeps(deps),
    bus: {
      raise: async (_alert: Alert) => {
        this.#usage().busEvents++;
      },
    },
  };

  /**
   * Captures the functions' stdout while metering: EMF documents (`_aws`) and JSON log lines are counted
   * against the invocation that wrote them and kept off the terminal; anything else passes through.
   * @returns a function that restores stdout
   */
  captureStdout(): () => void {
    const original = process.stdout.write.bind(process.stdout);
    const meter = this;
    process.stdout.write = function (chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      if (meter.#countLogLines(text)) return true;
      return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    } as typeof process.stdout.write;
    this.#restoreStdout = () => {
      process.stdout.write = original;
    };
    return this.#restoreStdout;
  }

  /** Whether `text` was the functions' JSON output (counted, swallowed). */
  #countLogLines(text: string): boolean {
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    if (lines.length === 0 || !lines.every((l) => l.trimStart().startsWith("{"))) return false;
    const usage = this.#usage();
    for (const line of lines) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return false;
      }
      usage.logBytes += Buffer.byteLength(line) + 1;
      const aws = parsed._aws as { CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } | undefined;
      if (!aws) continue;
      usage.emfDocuments++;
      for (const directive of aws.CloudWatchMetrics ?? []) {
        const dimensions = (directive.Dimensions[0] ?? []).map((d) => `${d}=${String(parsed[d])}`).join(",");
        for (const metric of directive.Metrics) usage.metrics.push(`${directive.Namespace}/${metric.Name}|${dimensions}`);
      }
    }
    return true;
  }

  #usage(): InvocationUsage {
    return this.#current.getStore() ?? this.unattributed;
  }

  async #invoke<T>(fn: LocalFunction, event: unknown, run: () => Promise<T>): Promise<T> {
    const usage = emptyUsage(billedFunction(fn, event), this.phase);
    if (fn === "step") usage.network = (event as ScheduledJob).network;
    if (fn === "api") {
      const http = (event as { requestContext?: { http?: { method?: string } }; rawPath?: string }) ?? {};
      usage.route = `${http.requestContext?.http?.method ?? "?"} ${http.rawPath ?? "?"}`;
    }
    const started = performance.now();
    try {
      return await this.#current.run(usage, run);
    } catch (error) {
      usage.failed = true;
      throw error;
    } finally {
      usage.wallMs = performance.now() - started;
      this.invocations.push(usage);
    }
  }

  #meteredDeps(deps: SchedulerDeps): SchedulerDeps {
    const timed = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      const started = performance.now();
      const result = await call(...args);
      const usage = this.#usage();
      usage.sendMs += performance.now() - started;
      // A resume that found nothing journaled sent nothing and waited for no block.
      if (result !== undefined) usage.sends++;
      return result;
    };
    const gateway: DispatcherGateway = { ...deps.gateway, send: timed(deps.gateway.send.bind(deps.gateway)), resume: timed(deps.gateway.resume.bind(deps.gateway)) };
    const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const s3 = (requests: Record<string, number>) => {
      const usage = this.#usage();
      for (const [kind, n] of Object.entries(requests)) usage.s3[kind] = (usage.s3[kind] ?? 0) + n;
    };
    const anchors = deps.anchors && {
      latest: async () => {
        const latest = await deps.anchors!.latest();
        s3({ LIST: 1, GET: latest ? 1 : 0 });
        return latest;
      },
      put: async (anchor: Parameters<NonNullable<SchedulerDeps["anchors"]>["put"]>[0]) => {
        await deps.anchors!.put(anchor);
        s3(s3RequestsOfPut(anchor.seq, anchor.heads.length, this.#lastAnchorHeads));
        this.#lastAnchorHeads = anchor.heads.length;
      },
      headsOf: async (proposalId: string) => {
        const records = await deps.anchors!.headsOf(proposalId);
        // One listing page, each record and the anchor it names read.
        s3({ LIST: 1, GET: 2 * records.length });
        return records;
      },
    };
    return {
      ...deps,
      ...(anchors && { anchors }),
      gateway,
      scheduler: {
        schedule: async (job) => {
          this.#usage().scheduled.push({ step: job.step, delayMs: job.runAtMs - deps.clock.now() });
          return deps.scheduler.schedule(job);
        },
        cancel: (name) => deps.scheduler.cancel(name),
      },
      sleep: async (ms) => {
        const started = performance.now();
        await sleep(ms);
        this.#usage().holdMs += performance.now() - started;
      },
    };
  }
}

/**
 * S3 requests of one `S3AnchorStore.put` (packages/aws): GET the previous anchor (and the one before it,
 * to re-index the previous), PUT the previous anchor's head records again (a crash-completion; refused
 * with 412 when present, billed all the same), PUT the anchor, PUT one record per head.
 */
export function s3RequestsOfPut(seq: number, heads: number, previousHeads = 1): Record<string, number> {
  return { GET: (seq > 1 ? 1 : 0) + (seq > 2 ? 1 : 0), PUT: 1 + heads + (seq > 1 ? previousHeads : 0) };
}

/** The Lambda a devnet invocation stands for: the step Lambda is deployed three times, one per step. */
function billedFunction(fn: LocalFunction, event: unknown): BilledFunction {
  if (fn !== "step") return fn;
  const step = (event as ScheduledJob).step;
  if (step === "commit" || step === "apply" || step === "activate") return step;
  throw new RangeError(`unknown step ${String(step)}`);
}
