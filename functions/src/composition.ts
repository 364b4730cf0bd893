/**
 * The composition root: builds the use cases' {@link SchedulerDeps} from the environment with the AWS
 * adapters, once per Lambda container (lazily, so a module import never touches the environment).
 * The dispatcher gateway comes from an injectable factory, built on first use: the API never needs it.
 * So does governance (the approval policy validated, its change audited, the approval store), built by
 * governance.ts when a route or step first needs it: the API's read routes never load it.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { boundedClientConfig, DeferredScheduler, DynamoAuditLog, DynamoChainCursorStore, DynamoGasHistory, DynamoIncidentLedger, DynamoRunStore, DynamoTxJournal, EVENTBRIDGE_SCHEDULER_PRECISION_MS, RoutingScheduler, SQS_DELAY_PRECISION_MS } from "@payrox/aws";
import { findNetwork, loadNetworkConfig, type AnchorStore, type AlertSink, type Clock, type DispatcherEventSource, type DispatcherGateway, type Network, type ResolvedNetwork, type Scheduler, type SchedulerDeps, type SchedulerOptions } from "@payrox/core/runs";
import { alertDelivery, alertSink, type AlertDeliveryOptions } from "./alerting.js";
import { DEPLOYMENT_SIGNER, ENV, EnvConfigError, readEnv, type FunctionsEnv } from "./env.js";
import type { ApprovalReaderOverrides } from "./governance.js";
import type { GovernedDeps } from "./governed-deps.js";
import { onceSucceeded } from "./memo.js";

/** What a gateway factory gets: the environment and the configured networks (RPC URLs, KMS key ids). */
export interface GatewayContext {
  env: FunctionsEnv;
  networks: readonly ResolvedNetwork[];
}

/** Builds the dispatcher gateway (possibly asynchronously, e.g. after loading the chain package). */
export type GatewayFactory = (context: GatewayContext) => DispatcherGateway | Promise<DispatcherGateway>;

/** Builds the source of dispatcher events the watchdog watches (possibly asynchronously). */
export type EventSourceFactory = (context: GatewayContext) => DispatcherEventSource | Promise<DispatcherEventSource>;

/** The chain gateway is not wired into this build yet. */
export class GatewayNotConfiguredError extends Error {
  constructor() {
    super("dispatcher gateway not configured: pass a gatewayFactory to buildDeps (the @payrox/chain gateway) before running chain steps");
    this.name = "GatewayNotConfiguredError";
  }
}

/** The default {@link GatewayFactory}: refuses, with a clear message, until the chain gateway is plugged in. */
export const unconfiguredGateway: GatewayFactory = () => {
  throw new GatewayNotConfiguredError();
};

/** Replacements of the adapters {@link buildDeps} would build (tests, the devnet). */
export interface CompositionOverrides {
  /** @default unconfiguredGateway */
  gatewayFactory?: GatewayFactory;
  /** @default a client for `env.dynamoEndpoint` or the Lambda's region */
  dynamoClient?: DynamoDBClient;
  /** @default EventBridge Scheduler, routed through the SQS delay queue when `env.delayQueueUrl` is set */
  scheduler?: Scheduler;
  /**
   * What stands in for the EventBridge bus among the alert destinations (behind the ledger and the
   * `AlertsRaised` metric); null = no bus. The configured webhooks, PagerDuty and Slack are added either way.
   * @default events on `env.eventBusName`
   */
  alerts?: AlertSink | null;
  /** Retries and leases of alert delivery, and the HTTP destinations' in-call retries. @default ALERT_DELIVERY_DEFAULTS */
  alertDelivery?: Omit<AlertDeliveryOptions, "bus">;
  /** @default none: the watchdog does not watch the chain */
  eventSourceFactory?: EventSourceFactory;
  /** @default the system clock */
  clock?: Clock;
  /** Tunables of the use cases (leases, activation hold, batch limits). @default SCHEDULER_DEFAULTS */
  options?: SchedulerOptions;
  /** Where audit heads are anchored (the devnet: a file). @default S3 in `env.anchorBucket`, or none when unset */
  anchors?: AnchorStore;
  /** Chain readers of governance (a proposal's dispatchers, ERC-1271 accounts). @default built from the configured networks' RPCs */
  approvalReaders?: ApprovalReaderOverrides;
}

/**
 * Builds the ports from a validated environment. `actor` is `scheduler` and `owner` is `lambda`; each
 * handler substitutes the caller or the request id per invocation.
 * @throws NetworkConfigError when `env.networkConfig` is invalid
 * The gateway's first use rejects with EnvConfigError when a network signs with the `deployment` key
 * and `env.signerKeyId` is unset. `loadGovernance` (see {@link withGovernance}) rejects with EnvConfigError
 * naming PAYROX_APPROVAL_POLICY when the policy is malformed.
 */
export function buildDeps(env: FunctionsEnv, overrides: CompositionOverrides = {}): GovernedDeps {
  const clock = overrides.clock ?? { now: () => Date.now() };
  const client = overrides.dynamoClient ?? new DynamoDBClient(awsClientConfig(env, env.dynamoEndpoint));
  const table = { client, tableName: env.tableName };
  const configured = env.networkConfig === undefined ? undefined : loadNetworkConfig(env.networkConfig);
  const context = { env, networks: configured ?? [] };
  // Signer keys are resolved when a chain step or the chain watcher first needs them: the API never does.
  const signing = (c: GatewayContext): GatewayContext => ({ ...c, networks: withDeploymentSigner([...c.networks], env.signerKeyId) });
  const gatewayFactory = overrides.gatewayFactory ?? unconfiguredGateway;
  const eventSourceFactory = overrides.eventSourceFactory;
  // The chain watcher's proof that PayRox sent a transaction is this journal, not the sender's address.
  const journal = new DynamoTxJournal(table);
  const delivery = alertDelivery(env, table, clock, { ...overrides.alertDelivery, ...(overrides.alerts !== undefined && { bus: overrides.alerts }) });
  const fromEnv: SchedulerOptions = { ...(env.runbookBaseUrl && { runbookBaseUrl: env.runbookBaseUrl }), ...(env.approvalStaleAfterMs !== undefined && { approvalStaleAfterMs: env.approvalStaleAfterMs }) };
  const options: SchedulerOptions | undefined = Object.keys(fromEnv).length > 0 ? { ...fromEnv, ...overrides.options } : overrides.options;
  const audit = new DynamoAuditLog(table);
  const networks = networkLookup(configured);
  // An ERC-1271 approver's network must be configured: its answers are read through that network's RPC.
  const governanceContext = { env, networks: configured ?? [], table, audit, clock, isKnownNetwork: (id: string) => (configured ?? []).some((n) => n.id === id) };
  return {
    store: new DynamoRunStore({ ...table, clock }),
    audit,
    scheduler: overrides.scheduler ?? awsScheduler(env, clock),
    alerts: alertSink(delivery, table, clock),
    gateway: lazyGateway((c) => gatewayFactory(signing(c)), context),
    monitoring: {
      gasHistory: new DynamoGasHistory(table),
      cursors: new DynamoChainCursorStore(table),
      journal,
      journaledTxs: journal,
      alertDelivery: delivery,
      ...(eventSourceFactory && { events: lazyEventSource((c) => eventSourceFactory(signing(c)), context) }),
    },
    ...anchorsOf(env, overrides.anchors),
    incidents: new DynamoIncidentLedger(table),
    clock,
    networks,
    loadGovernance: onceSucceeded(async () => (await import("./governance.js")).buildGovernance(governanceContext, overrides.approvalReaders)),
    actor: "scheduler",
    owner: "lambda",
    ...(options && { options }),
  };
}

/**
 * Configuration of every AWS SDK client the functions build: bounded connection and request timeouts and
 * attempts (`env.awsClientBounds` over `AWS_CLIENT_BOUNDS`), so a store that does not answer fails the
 * call within seconds (the API answers 503) instead of hanging until the Lambda times out.
 */
export function awsClientConfig(env: Pick<FunctionsEnv, "awsClientBounds">, endpoint?: string): ReturnType<typeof boundedClientConfig> & { endpoint?: string } {
  return { ...boundedClientConfig(env.awsClientBounds), ...(endpoint && { endpoint }) };
}

/** The anchor store: the override, else S3 in `env.anchorBucket` (its SDK loaded on first use), else none. */
function anchorsOf(env: FunctionsEnv, override: AnchorStore | undefined): { anchors?: AnchorStore } {
  if (override) return { anchors: override };
  if (!env.anchorBucket) return {};
  const bucket = env.anchorBucket;
  const store = once(async () => {
    const { createAnchorBucketClient, S3AnchorStore } = await import("@payrox/aws/anchor");
    return new S3AnchorStore({ client: createAnchorBucketClient(awsClientConfig(env)), bucket });
  });
  return {
    anchors: {
      latest: async () => (await store()).latest(),
      put: async (anchor) => (await store()).put(anchor),
      headsOf: async (proposalId) => (await store()).headsOf(proposalId),
    },
  };
}

/** Memoises `build`: the first call builds, later calls (warm invocations) reuse the result. */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

/** Loads the chain gateway (ethers, KMS) only when it is first used: a chain step, or a proposal's facet code check. */
const chainGatewayOnDemand: GatewayFactory = async (context) => (await import("./gateway.js")).chainGateway(context);

/** Loads the chain event reader only when the watchdog watches the chain. */
const chainEventsOnDemand: EventSourceFactory = async (context) => (await import("./gateway.js")).chainEventSource(context);

/** This container's deps, from `process.env`, built on the first invocation (gateway on first chain step). */
export const containerDeps: () => GovernedDeps = once(() => buildDeps(readEnv(process.env), { gatewayFactory: chainGatewayOnDemand, eventSourceFactory: chainEventsOnDemand }));

/**
 * EventBridge Scheduler, behind a router to the SQS delay queue when `env.delayQueueUrl` is set. Each
 * transport and its SDK client is built on its first schedule or cancel: the API's read routes, the
 * watchdog's quiet sweeps and an activation that schedules nothing never load them.
 */
function awsScheduler(env: FunctionsEnv, clock: Clock): Scheduler {
  const far = new DeferredScheduler(async () => {
    const { createSchedulerClient, EventBridgeScheduler } = await import("@payrox/aws/scheduler");
    return new EventBridgeScheduler({
      client: createSchedulerClient(awsClientConfig(env)),
      groupName: env.schedulerGroup,
      targets: env.stepFunctionArns,
      roleArn: env.schedulerRoleArn,
      deadLetterQueueArn: env.dlqArn,
    });
  }, EVENTBRIDGE_SCHEDULER_PRECISION_MS);
  const queueUrl = env.delayQueueUrl;
  if (!queueUrl) return far;
  const near = new DeferredScheduler(async () => {
    const { createSqsClient, SqsDelayScheduler } = await import("@payrox/aws/scheduler");
    return new SqsDelayScheduler({ client: createSqsClient(awsClientConfig(env)), queueUrl, clock });
  }, SQS_DELAY_PRECISION_MS);
  return new RoutingScheduler({ near, far, clock });
}

/** Networks configured with `kmsKeyId: "deployment"` sign with the key the stack hands this function. */
export function withDeploymentSigner(networks: ResolvedNetwork[], signerKeyId: string | undefined): ResolvedNetwork[] {
  const unresolved = networks.filter((n) => n.kmsKeyId === DEPLOYMENT_SIGNER).map((n) => n.id);
  if (unresolved.length === 0) return networks;
  if (!signerKeyId) {
    throw new EnvConfigError([{ variable: ENV.SIGNER_KEY_ID, message: `is required: networks ${unresolved.join(", ")} sign with kmsKeyId "${DEPLOYMENT_SIGNER}"` }]);
  }
  return networks.map((n) => (n.kmsKeyId === DEPLOYMENT_SIGNER ? { ...n, kmsKeyId: signerKeyId } : n));
}

/** With a configuration, only configured networks can be targeted (the others have no RPC or key). */
function networkLookup(configured: readonly ResolvedNetwork[] | undefined): (id: string) => Network | undefined {
  if (!configured) return findNetwork;
  const byId = new Map(configured.map((n) => [n.id, n]));
  return (id) => byId.get(id);
}

/** A gateway built by `factory` on first use (the API only to read facet code), then reused. */
function lazyGateway(factory: GatewayFactory, context: GatewayContext): DispatcherGateway {
  const gateway = once(async () => factory(context));
  return {
    readState: async (network) => (await gateway()).readState(network),
    latestBlock: async (network) => (await gateway()).latestBlock(network),
    send: async (network, stepId, call) => (await gateway()).send(network, stepId, call),
    resume: async (network, stepId) => (await gateway()).resume(network, stepId),
    listSelectors: async (network) => {
      const inner = await gateway();
      return inner.listSelectors ? inner.listSelectors(network) : [];
    },
    // The API's proposal check reads facet code through it, so proposing builds the gateway (no signing).
    codeHash: async (network, address) => {
      const inner = await gateway();
      if (!inner.codeHash) throw new Error("this deployment's gateway cannot read code; give its factory a codeHash");
      return inner.codeHash(network, address);
    },
    // The API's review reads routing and fee history through it (no signing).
    readRouting: async (network, facets) => {
      const inner = await gateway();
      if (!inner.readRouting) throw new Error("this deployment's gateway cannot read live routing; give its factory a readRouting");
      return inner.readRouting(network, facets);
    },
    feeHistory: async (network, query) => {
      const inner = await gateway();
      if (!inner.feeHistory) throw new Error("this deployment's gateway cannot read fee history; give its factory a feeHistory");
      return inner.feeHistory(network, query);
    },
  };
}

/** An event source built by `factory` on first use; its networks are the configured ones with a dispatcher. */
function lazyEventSource(factory: EventSourceFactory, context: GatewayContext): DispatcherEventSource {
  const source = once(async () => factory(context));
  return {
    networks: () => context.networks.filter((n) => n.dispatcher).map((n) => n.id),
    ownSenders: async (network) => (await source()).ownSenders(network),
    head: async (network) => (await source()).head(network),
    blockHash: async (network, blockNumber) => (await source()).blockHash(network, blockNumber),
    getLogs: async (network, from, to) => (await source()).getLogs(network, from, to),
  };
}
