/**
 * The PayRox process of the devnet: the Lambda handlers of `@payrox/functions` (API, steps, watchdog)
 * over the same AWS adapters as in the cloud — DynamoDB (Local), KMS (the local server), the chain
 * gateway with its relays — with the devnet's LocalScheduler in place of EventBridge Scheduler and a
 * local HTTP server in place of API Gateway. Everything it keeps is in the table, so a process killed at
 * any line and started again resumes the runs.
 */
import { randomBytes } from "node:crypto";
import { existsSync, unwatchFile, watchFile } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { KMSClient } from "@aws-sdk/client-kms";
import { boundedClientConfig, DynamoJobStore } from "@payrox/aws";
import { createLocalDynamoClient } from "@payrox/aws/testing";
import type { Alert, AlertSink, SchedulerDeps, SchedulerOptions } from "@payrox/core";
import { FileAnchorStore, LocalScheduler, startLocalApi, startWebhookReceiver, type LocalApi, type WebhookReceiver } from "@payrox/devnet";
import { DEVNET_APPROVAL_POLICY, DEVNET_DEPLOYMENT_ID, DEVNET_PRINCIPAL } from "./approvers.js";
import { devnetKmsClient } from "./kms-client.js";
import { readDevnetState, type DevnetState } from "./state.js";

/** Options of {@link startLocalPayRox}. */
/** The built web console (`npm run build` writes it), served on the local API's origin. */
export const CONSOLE_DIST = fileURLToPath(new URL("../../../console/dist", import.meta.url));

export interface LocalPayRoxOptions {
  /** The built console to serve on the API's origin. @default {@link CONSOLE_DIST} */
  consoleDir?: string;
  /** Port of the API. @default a free port */
  apiPort?: number;
  /** Largest apply batch (selectors); the planner packs by gas below it. @default the planner's */
  maxBatchSize?: number;
  /** `eventbridge` reproduces EventBridge Scheduler's 60 s firing precision. @default "none" */
  jitter?: "none" | "eventbridge";
  /** How often the watchdog sweeps, in ms (60 000 in AWS). @default 10_000 */
  watchdogIntervalMs?: number;
  /** Every alert (raised or resolved) as the local webhook receiver got it, signature verified. @default none */
  onAlert?: (alert: Alert) => void;
  /** A step that failed and will be retried (or gave up). @default none */
  onStepError?: (error: unknown) => void;
  /**
   * The state file `state` came from: watched, so a network switched to another signer (`payrox keys
   * rotate`) signs its next steps with it; steps already running finish with the key they started with.
   * @default none: the signers stay those of `state`
   */
  stateFile?: string;
  /** Told when a reloaded state file switched a network's signer. @default none */
  onSignerSwitch?: (network: string, signerAddress: string) => void;
  /** Hooks a meter uses to see what the functions do (`npm run bench:cost`). @default none */
  instrument?: LocalPayRoxInstrumentation;
}

/** The functions of the PayRox process, as an {@link LocalPayRoxInstrumentation} sees them invoked. */
export type LocalFunction = "step" | "watchdog" | "anchor" | "api";

/**
 * Hooks into the PayRox process for a meter: the SDK clients the functions use, each handler invocation,
 * the ports the use cases get, and a stand-in for the EventBridge bus. The devnet's own scheduler keeps
 * its jobs on a client of its own, never handed to `dynamoClient` (in AWS that is EventBridge Scheduler).
 */
export interface LocalPayRoxInstrumentation {
  /** Called once with the functions' DynamoDB client (the adapters' and the chain gateway's). */
  dynamoClient?(client: DynamoDBClient): void;
  /** Called once with the functions' KMS client. */
  kmsClient?(client: KMSClient): void;
  /** Runs one handler invocation (`run`); `event` is the job, the HTTP event or the watchdog's `{}`. */
  invocation?<T>(fn: LocalFunction, event: unknown, run: () => Promise<T>): Promise<T>;
  /** Wraps the ports every handler builds its use cases on (e.g. the gateway, the scheduler, the sleep). */
  deps?(deps: SchedulerDeps): SchedulerDeps;
  /** Stands in for the EventBridge bus among the alert destinations (AWS publishes each alert there). */
  bus?: AlertSink;
}

/** A running PayRox process. */
export interface LocalPayRox {
  /** The API's base URL, `http://127.0.0.1:<port>`. */
  apiUrl: string;
  /** The web console's URL (the API's origin), when the console is built. */
  consoleUrl?: string;
  /** The local webhook receiver every alert is delivered to (signed, deduped per incident). */
  webhooks: WebhookReceiver;
  /** Stops the API, the watchdog and the scheduler (waiting for the steps being run). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Tunables for a devnet: leases short enough that a restarted process takes a dead one's step over in
 * about a minute (AWS: 16 min, a Lambda's whole life), and an activation hold that fits inside them.
 */
export const DEVNET_SCHEDULER_OPTIONS = { leaseMs: 45_000, maxHoldMs: 30_000 } as const satisfies SchedulerOptions;

/** Placeholders the functions' environment requires; the devnet's own scheduler and alert sink replace what uses them. */
const LOCAL_ARN = (kind: string, name: string) => `arn:aws:${kind}:local:000000000000:${name}`;

/** Starts the PayRox process against running devnet services. */
export async function startLocalPayRox(state: DevnetState, options: LocalPayRoxOptions = {}): Promise<LocalPayRox> {
  // Powertools writes JSON log lines and EMF metrics to stdout, where the devnet draws its display.
  process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
  const { buildDeps, createAnchorHandler, createApiHandler, createStepHandler, createWatchdogHandler, readEnv, ENV } = await import("@payrox/functions");
  const { chainEventSource, chainGateway } = await import("@payrox/functions/gateway");
  // The user's alert endpoint, played locally: a throwaway per-process secret.
  const webhookSecret = randomBytes(32).toString("hex");
  const webhooks = await startWebhookReceiver({ secret: webhookSecret, ...(options.onAlert && { onAlert: options.onAlert }) });

  // The receiver is one more signed webhook of the functions' own configuration; PagerDuty, Slack and the
  // runbook base come from this shell's environment when set (see README: alerts on the devnet).
  const envFor = (current: DevnetState) =>
    readEnv({
      ...alertDestinationsFromShell(process.env, ENV),
      ...devnetFunctionsEnv(current, ENV),
      [ENV.ALERT_WEBHOOKS]: JSON.stringify([{ id: "devnet", url: webhooks.url, secret: webhookSecret }]),
    });
  const env = envFor(state);
  // Bounded like the functions' own clients: a paused DynamoDB Local fails calls (API: 503) instead of hanging them.
  const dynamoClient = createLocalDynamoClient(state.dynamoEndpoint, boundedClientConfig(env.awsClientBounds));
  const kms = devnetKmsClient(state.kmsUrl, state.kmsRegion, env.awsClientBounds);
  const instrument = options.instrument ?? {};
  // Metered, the scheduler's jobs go through a client of their own: in AWS they are not in the table.
  const jobClient = instrument.dynamoClient ? createLocalDynamoClient(state.dynamoEndpoint, boundedClientConfig(env.awsClientBounds)) : dynamoClient;
  instrument.dynamoClient?.(dynamoClient);
  instrument.kmsClient?.(kms);
  const invoke = <T>(fn: LocalFunction, event: unknown, run: () => Promise<T>): Promise<T> => (instrument.invocation ? instrument.invocation(fn, event, run) : run());
  const scheduler = new LocalScheduler({
    store: new DynamoJobStore({ client: jobClient, tableName: state.tableName }),
    jitter: { mode: options.jitter ?? "none" },
    leaseMs: DEVNET_SCHEDULER_OPTIONS.leaseMs + 15_000,
    // Retries must outlast a dead process's step lease (a busy step is retried, never dropped).
    retry: { baseDelayMs: 1_000, maxDelayMs: 10_000, maxAttempts: 60 },
  });
  const anchors = state.anchorFile ? new FileAnchorStore(state.anchorFile) : undefined;
  // As in AWS minus EventBridge: written to the ledger per incident, counted, then POSTed signed to the
  // webhook (and PagerDuty / Slack when configured); the watchdog re-sends what a crash left pending.
  // The network configuration (RPC, dispatcher, KMS key per network) comes from the state; a reload rebuilds the deps around it.
  const depsFor = (current: DevnetState) => {
    const built = buildDeps(current === state ? env : envFor(current), {
      dynamoClient,
      scheduler,
      alerts: instrument.bus ?? null,
      gatewayFactory: (context) => chainGateway(context, { dynamoClient, kms, pollIntervalMs: 250 }),
      eventSourceFactory: (context) => chainEventSource(context, { kms }),
      ...(anchors && { anchors }),
      options: { ...DEVNET_SCHEDULER_OPTIONS, ...(options.maxBatchSize !== undefined && { planOptions: { maxBatchSize: options.maxBatchSize } }) },
    });
    return instrument.deps ? instrument.deps(built) : built;
  };
  let loaded = state;
  let deps = depsFor(state);
  const getDeps = () => deps;
  const reload = () => {
    let next: DevnetState;
    try {
      next = readDevnetState(options.stateFile!);
    } catch {
      return; // Unreadable for a moment: the next change is read again.
    }
    const switched = next.networks.filter((n) => loaded.networks.find((o) => o.id === n.id)?.kmsKeyId !== n.kmsKeyId);
    if (switched.length === 0) return;
    // Only the signers are taken over: endpoints change only with a restart of the services (attach again).
    loaded = { ...loaded, networks: loaded.networks.map((n) => { const s = switched.find((x) => x.id === n.id); return s ? { ...n, kmsKeyId: s.kmsKeyId, signerAddress: s.signerAddress } : n; }) };
    deps = depsFor(loaded);
    for (const n of switched) options.onSignerSwitch?.(n.id, n.signerAddress);
  };
  if (options.stateFile) watchFile(options.stateFile, { interval: 250 }, reload);
  const step = createStepHandler(getDeps);
  const watchdog = createWatchdogHandler(getDeps);
  const anchor = state.anchorFile ? createAnchorHandler(getDeps) : undefined;
  let invocations = 0;
  scheduler.start({
    dispatch: async (job) => {
      try {
        await invoke("step", job, () => step(job, { awsRequestId: `devnet-${process.pid}-${++invocations}` }));
      } catch (error) {
        options.onStepError?.(new Error(`${job.step} ${job.attempt} on ${job.network}: ${(error as Error).message} (retrying)`, { cause: error }));
        throw error;
      }
    },
    pollMs: 250,
    onError: (error) => options.onStepError?.(error),
  });
  // The anchorer follows each sweep, as its own function does in AWS (there on its own schedule).
  const sweep = setInterval(
    () =>
      void invoke("watchdog", {}, () => watchdog({}, { awsRequestId: `watchdog-${process.pid}-${++invocations}` }))
        .catch(options.onStepError)
        .then(() => anchor && invoke("anchor", {}, anchor))
        .catch(options.onStepError),
    options.watchdogIntervalMs ?? 10_000,
  );
  let api: LocalApi;
  try {
    const apiHandler = createApiHandler(getDeps);
    // The principal is named here because the devnet's policy maps it to approver 3 (no self-approval).
    api = await startLocalApi({ handler: (event, context) => invoke("api", event, () => apiHandler(event, context)), principal: DEVNET_PRINCIPAL, consoleDir: options.consoleDir ?? CONSOLE_DIST, ...(options.apiPort !== undefined && { port: options.apiPort }) });
  } catch (error) {
    clearInterval(sweep);
    await scheduler.stop();
    await webhooks.stop();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  const consoleBuilt = existsSync(`${options.consoleDir ?? CONSOLE_DIST}/index.html`);
  return {
    apiUrl: api.url,
    ...(consoleBuilt && { consoleUrl: `${api.url}/` }),
    webhooks,
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(sweep);
        if (options.stateFile) unwatchFile(options.stateFile, reload);
        await api.stop();
        await scheduler.stop();
        await webhooks.stop();
        kms.destroy();
        dynamoClient.destroy();
        if (jobClient !== dynamoClient) jobClient.destroy();
      })()),
  };
}

/** The alert destination variables (PagerDuty, Slack, runbook base) set in the devnet's shell, passed on to the functions. */
export function alertDestinationsFromShell(shell: Record<string, string | undefined>, names: typeof import("@payrox/functions").ENV): Record<string, string> {
  const passed = [names.PAGERDUTY_ROUTING_KEY, names.PAGERDUTY_EVENTS_URL, names.SLACK_WEBHOOK_URL, names.RUNBOOK_BASE_URL];
  return Object.fromEntries(passed.flatMap((name) => (shell[name] ? [[name, shell[name]]] : [])));
}

/**
 * The functions' environment for the devnet: its table, DynamoDB Local and chains, its 2-of-3 approval
 * policy of DEVELOPMENT keys, and placeholder ARNs where the functions require them (the devnet's own
 * scheduler and alert sink replace what uses them).
 */
export function devnetFunctionsEnv(state: DevnetState, names: typeof import("@payrox/functions").ENV): Record<string, string> {
  return {
    [names.TABLE_NAME]: state.tableName,
    [names.DYNAMODB_ENDPOINT]: state.dynamoEndpoint,
    [names.NETWORK_CONFIG]: JSON.stringify(networkConfig(state)),
    [names.SCHEDULER_GROUP]: "payrox-devnet",
    [names.STEP_FUNCTION_ARNS]: JSON.stringify({ commit: LOCAL_ARN("lambda", "function:commit"), apply: LOCAL_ARN("lambda", "function:apply"), activate: LOCAL_ARN("lambda", "function:activate") }),
    [names.SCHEDULER_ROLE_ARN]: LOCAL_ARN("iam", "role/scheduler"),
    [names.DLQ_ARN]: LOCAL_ARN("sqs", "dlq"),
    [names.EVENT_BUS_NAME]: "payrox-devnet",
    // 2 of 3 DEVELOPMENT approvers (devnet/approvers.ts): a proposal commits once two have signed.
    [names.APPROVAL_POLICY]: JSON.stringify(DEVNET_APPROVAL_POLICY),
    [names.DEPLOYMENT_ID]: DEVNET_DEPLOYMENT_ID,
    [names.PROTECTED_STAGE]: "false",
  };
}

/** The functions' network configuration document for the devnet's chains. */
export function networkConfig(state: DevnetState): { networks: Record<string, { rpcUrl: string; kmsKeyId: string; dispatcher: string; relayUrl?: string }> } {
  return {
    networks: Object.fromEntries(
      state.networks.map((n) => [n.id, { rpcUrl: n.rpcUrl, kmsKeyId: n.kmsKeyId, dispatcher: n.dispatcher, ...(n.relayUrl && { relayUrl: n.relayUrl }) }]),
    ),
  };
}
