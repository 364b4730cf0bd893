/**
 * In-memory ports for UNIT tests of the scheduler's use cases: a RunStore with conditional writes and
 * DynamoDB-like step leases (packages/aws/src/dynamo/step-leases.ts), a hash-chained AuditLog, a
 * Scheduler keeping due jobs, an AlertSink, a manual Clock, and a scripted dispatcher chain whose
 * blocks follow the manual clock. Every async method yields first, so concurrent calls interleave.
 * Integration tests use the real adapters instead.
 */
import { getAddress, id, keccak256, toBeHex, ZeroHash } from "ethers";
import {
  runStep,
  chainEntry,
  findNetwork,
  LEAF_ENCODING,
  MANIFEST_FORMAT,
  manifestRoot,
  RunVersionConflictError,
  isTerminalRun,
  NetworkBusyError,
  serializeManifest,
  DedupingAlertSink,
  LogRangeRefusedError,
  type Alert,
  type BlockRef,
  type ChainCursor,
  type DispatcherEvent,
  type GasSample,
  type Incident,
  type AuditEntry,
  type AuditEventInput,
  type DispatcherCall,
  type DispatcherState,
  type Manifest,
  type ManifestEntry,
  type NetworkLock,
  type Proposal,
  type Run,
  type ScheduledJob,
  type SchedulerDeps,
  type SendResult,
  type StepLease,
  type StepName,
} from "../../src/index.js";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const copy = <T>(value: T): T => structuredClone(value);

/** A clock the test moves. */
export class ManualClock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

type StoredLease = StepLease & { completedAtMs?: number };

/** RunStore over maps. */
export class InMemoryRunStore {
  readonly proposals = new Map<string, Proposal>();
  readonly runs = new Map<string, Run>();
  readonly leases = new Map<string, StoredLease>();
  constructor(private readonly clock: ManualClock) {}

  readonly locks = new Map<string, string>();
  async createProposal(proposal: Proposal, runs: Run[]): Promise<void> {
    await tick();
    if (this.proposals.has(proposal.id)) throw new Error(`proposal ${proposal.id} exists`);
    for (const run of runs) {
      const holder = this.locks.get(run.network);
      const held = holder && this.runs.get(`${holder}/${run.network}`);
      const cleaning = (this.holds.get(run.network) ?? 0) > this.clock.now();
      if (holder && held && (!isTerminalRun(held) || cleaning)) throw new NetworkBusyError(run.network, holder);
    }
    this.proposals.set(proposal.id, copy(proposal));
    for (const run of runs) {
      this.runs.set(`${run.proposalId}/${run.network}`, copy(run));
      this.locks.set(run.network, proposal.id);
      this.holds.delete(run.network);
    }
  }
  async releaseNetwork(network: string, proposalId: string): Promise<void> {
    await tick();
    if (this.locks.get(network) === proposalId) {
      this.locks.delete(network);
      this.holds.delete(network);
    }
  }
  /** Until when a final run's cleanup holds each network's lock. */
  readonly holds = new Map<string, number>();
  async holdNetwork(network: string, proposalId: string, untilMs: number): Promise<void> {
    await tick();
    if (this.locks.get(network) === proposalId) this.holds.set(network, untilMs);
  }
  async networkHolder(network: string): Promise<string | undefined> {
    await tick();
    return this.locks.get(network);
  }
  async networkLock(network: string): Promise<NetworkLock | undefined> {
    await tick();
    const holder = this.locks.get(network);
    const cleanupUntilMs = this.holds.get(network);
    return holder === undefined ? undefined : { network, holder, ...(cleanupUntilMs !== undefined && { cleanupUntilMs }) };
  }
  async getProposal(id: string): Promise<Proposal | undefined> {
    await tick();
    const p = this.proposals.get(id);
    return p && copy(p);
  }
  async listProposals(options: { limit?: number } = {}): Promise<{ proposals: Proposal[] }> {
    await tick();
    return { proposals: [...this.proposals.values()].reverse().slice(0, options.limit ?? 100).map(copy) };
  }
  async getRun(proposalId: string, network: string): Promise<Run | undefined> {
    await tick();
    const r = this.runs.get(`${proposalId}/${network}`);
    return r && copy(r);
  }
  async listRuns(proposalId: string): Promise<Run[]> {
    await tick();
    return [...this.runs.values()].filter((r) => r.proposalId === proposalId).map(copy);
  }
  async saveRun(next: Run, expectedVersion: number): Promise<void> {
    await tick();
    const key = `${next.proposalId}/${next.network}`;
    const stored = this.runs.get(key);
    if (!stored || stored.version !== expectedVersion || next.version !== expectedVersion + 1) throw new RunVersionConflictError(expectedVersion, stored && copy(stored));
    this.runs.set(key, copy(next));
  }
  async claimStep(lease: StepLease, nowMs: number): Promise<StepLease | undefined> {
    await tick();
    const key = leaseKey(lease);
    const held = this.leases.get(key);
    if (held && (held.completedAtMs !== undefined || (held.expiresAtMs > nowMs && held.owner !== lease.owner))) return undefined;
    this.leases.set(key, copy(lease));
    return copy(lease);
  }
  async completeStep(lease: StepLease): Promise<void> {
    await tick();
    const held = this.leases.get(leaseKey(lease));
    if (!held || held.owner !== lease.owner) throw new Error(`lease ${leaseKey(lease)} lost`);
    held.completedAtMs ??= this.clock.now();
  }
  async isStepComplete(proposalId: string, network: string, step: StepName, attempt: string): Promise<boolean> {
    await tick();
    return this.leases.get(leaseKey({ proposalId, network, step, attempt }))?.completedAtMs !== undefined;
  }
}

function leaseKey(l: Pick<StepLease, "proposalId" | "network" | "step" | "attempt">): string {
  return `${l.proposalId}/${l.network}/${l.step}/${l.attempt}`;
}

/** AuditLog keeping each proposal's chain in an array. */
export class InMemoryAuditLog {
  readonly entries = new Map<string, AuditEntry[]>();
  async append(input: AuditEventInput): Promise<AuditEntry> {
    await tick();
    const list = this.entries.get(input.proposalId) ?? [];
    const stored = input.key === undefined ? undefined : list.find((e) => e.key === input.key);
    if (stored) return copy(stored);
    const entry = chainEntry(input, list.at(-1));
    list.push(entry);
    this.entries.set(input.proposalId, list);
    return copy(entry);
  }
  async list(proposalId: string): Promise<AuditEntry[]> {
    await tick();
    return copy(this.entries.get(proposalId) ?? []);
  }
}

/** Scheduler keeping jobs by name (a duplicate name collides, as with EventBridge). */
export class InMemoryScheduler {
  readonly jobs = new Map<string, ScheduledJob>();
  readonly requested: ScheduledJob[] = [];
  async schedule(job: ScheduledJob): Promise<void> {
    await tick();
    this.requested.push(copy(job));
    if (!this.jobs.has(job.name)) this.jobs.set(job.name, copy(job));
  }
  async cancel(name: string): Promise<void> {
    this.jobs.delete(name);
  }
  /** Removes and returns the earliest job. */
  takeNext(): ScheduledJob | undefined {
    const next = [...this.jobs.values()].sort((a, b) => a.runAtMs - b.runAtMs)[0];
    if (next) this.jobs.delete(next.name);
    return next;
  }
}

/**
 * AlertSink collecting alerts; `failNext` makes the next deliveries throw like an unreachable endpoint; refuses
 * an alert without its type's runbook link, so every use-case test checks it.
 */
export class InMemoryAlertSink {
  readonly alerts: Alert[] = [];
  failNext = 0;
  async raise(alert: Alert): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("webhook endpoint unreachable");
    }
    if (!alert.runbook?.endsWith(`#${alert.type}`)) throw new Error(`alert ${alert.type} lacks its runbook link (got ${JSON.stringify(alert.runbook)})`);
    this.alerts.push(copy(alert));
  }
}

/** IncidentLedger over a map, with the DynamoDB adapter's conditions. */
export class InMemoryIncidentLedger {
  readonly incidents = new Map<string, Incident>();
  async open(incident: Incident): Promise<boolean> {
    await tick();
    const stored = this.incidents.get(incident.dedupeKey);
    if (stored && stored.status !== "released") return false;
    this.incidents.set(incident.dedupeKey, copy(incident));
    return true;
  }
  async resolve(dedupeKey: string, atMs: number): Promise<Incident | undefined> {
    await tick();
    const stored = this.incidents.get(dedupeKey);
    if (stored?.status !== "open") return undefined;
    Object.assign(stored, { status: "resolved", resolvedAtMs: atMs });
    return copy(stored);
  }
  async revert(dedupeKey: string, status: "open" | "released"): Promise<void> {
    const stored = this.incidents.get(dedupeKey);
    if (stored) stored.status = status;
  }
  async get(dedupeKey: string): Promise<Incident | undefined> {
    const stored = this.incidents.get(dedupeKey);
    return stored && copy(stored);
  }
}

/** GasHistory keeping the last `capacity` samples per (network, step). */
export class InMemoryGasHistory {
  readonly samples = new Map<string, GasSample[]>();
  constructor(private readonly capacity = 10) {}
  async recent(network: string, step: string): Promise<GasSample[]> {
    return copy(this.samples.get(`${network}/${step}`) ?? []);
  }
  async add(network: string, step: string, sample: GasSample): Promise<void> {
    const list = this.samples.get(`${network}/${step}`) ?? [];
    if (list.some((s) => s.txHash === sample.txHash)) return;
    this.samples.set(`${network}/${step}`, [...list, sample].slice(-this.capacity));
  }
}

/** ChainCursorStore over a map. */
export class InMemoryCursorStore {
  readonly cursors = new Map<string, ChainCursor>();
  async get(network: string): Promise<ChainCursor | undefined> {
    const c = this.cursors.get(network);
    return c && copy(c);
  }
  async put(cursor: ChainCursor): Promise<void> {
    this.cursors.set(cursor.network, copy(cursor));
  }
}

/**
 * A scripted chain of blocks per network for the chain watcher: `mine(events)` appends a block,
 * `reorg(depth)` replaces the last blocks with fresh hashes (events dropped unless re-mined),
 * `failNext` makes the next call throw like an unreachable RPC, and `providerMaxRange` makes getLogs refuse
 * wider ranges like a capped provider (LogRangeRefusedError). Records every getLogs range it answered.
 */
export class ScriptedEventSource {
  readonly chains = new Map<string, { hash: string; events: Omit<DispatcherEvent, "blockNumber" | "blockHash" | "network">[] }[]>();
  readonly ranges: { network: string; from: number; to: number }[] = [];
  readonly senders = new Map<string, string[]>();
  failNext = 0;
  providerMaxRange = Number.POSITIVE_INFINITY;
  refused = 0;
  #salt = 0;
  networks(): string[] {
    return [...this.chains.keys()];
  }
  /** Adds a network with `blocks` empty blocks (0..blocks-1). */
  addNetwork(network: string, blocks: number, senders: string[] = []): void {
    this.chains.set(network, Array.from({ length: blocks }, () => ({ hash: this.#hash(), events: [] })));
    this.senders.set(network, senders);
  }
  /** Appends a block holding `events`; @returns its number */
  mine(network: string, events: Omit<DispatcherEvent, "blockNumber" | "blockHash" | "network" | "logIndex">[] = []): number {
    const chain = this.chains.get(network)!;
    chain.push({ hash: this.#hash(), events: events.map((e, logIndex) => ({ ...e, logIndex })) });
    return chain.length - 1;
  }
  /** Replaces the last `depth` blocks by empty ones with new hashes. */
  reorg(network: string, depth: number): void {
    const chain = this.chains.get(network)!;
    for (let i = chain.length - depth; i < chain.length; i++) chain[i] = { hash: this.#hash(), events: [] };
  }
  async ownSenders(network: string): Promise<string[]> {
    return this.senders.get(network) ?? [];
  }
  async head(network: string): Promise<BlockRef> {
    this.#maybeFail();
    const chain = this.chains.get(network)!;
    return { number: chain.length - 1, hash: chain.at(-1)!.hash };
  }
  async blockHash(network: string, blockNumber: number): Promise<string | undefined> {
    return this.chains.get(network)![blockNumber]?.hash;
  }
  async getLogs(network: string, fromBlock: number, toBlock: number): Promise<DispatcherEvent[]> {
    this.#maybeFail();
    if (toBlock - fromBlock + 1 > this.providerMaxRange) {
      this.refused++;
      throw new LogRangeRefusedError(network, fromBlock, toBlock, `block range limit exceeded: at most ${this.providerMaxRange} blocks`);
    }
    this.ranges.push({ network, from: fromBlock, to: toBlock });
    const chain = this.chains.get(network)!;
    return chain.slice(fromBlock, toBlock + 1).flatMap((block, i) => block.events.map((e) => ({ ...e, network, blockNumber: fromBlock + i, blockHash: block.hash })));
  }
  #maybeFail(): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
    }
  }
  #hash(): string {
    return keccak256(toBeHex(++this.#salt, 32));
  }
}

type Revert = { name: string; args: unknown[] };
/** A recorded send. */
export interface SentCall {
  network: string;
  stepId: string;
  call: DispatcherCall;
  /** Latest block timestamp when the send happened, and the timestamp of the block it lands in. */
  latestTimestamp: number;
  blockTimestamp: number;
}

/**
 * A dispatcher per network, simulated: commit sets a pending root with ETA = block + `delaySeconds`,
 * apply counts leaves, activate refuses before the ETA (`ActivationNotReady`). Blocks are every
 * `blockTimeSeconds` of the manual clock. `script` may force a revert for a call.
 */
export class ScriptedGateway {
  readonly states = new Map<string, DispatcherState>();
  readonly sends: SentCall[] = [];
  private readonly journal = new Map<string, SendResult>();
  script: (network: string, call: DispatcherCall, blockTimestamp: number) => Revert | undefined = () => undefined;
  /** Gas of a confirmed call. */
  gas: (network: string, call: DispatcherCall) => bigint = () => 100_000n;
  constructor(
    private readonly clock: ManualClock,
    readonly delaySeconds = 3_600,
    readonly expirySeconds = 86_400,
  ) {}

  state(network: string): DispatcherState {
    let s = this.states.get(network);
    if (!s) {
      s = { activeEpoch: 0n, activeRoot: ZeroHash, pendingRoot: ZeroHash, pendingEpoch: 0n, pendingEta: 0, applied: 0, leafCount: 0, paused: false, nextEpoch: 1n, cancelling: false, expiryWindowSeconds: this.expirySeconds, activationDelaySeconds: this.delaySeconds };
      this.states.set(network, s);
    }
    return s;
  }
  async readState(network: string): Promise<DispatcherState> {
    await tick();
    return { ...this.state(network) };
  }
  async latestBlock(network: string): Promise<{ number: number; timestamp: number }> {
    await tick();
    const bt = blockTime(network);
    const number = Math.floor(this.clock.now() / 1000 / bt);
    return { number, timestamp: number * bt };
  }
  async send(network: string, stepId: string, call: DispatcherCall): Promise<SendResult> {
    await tick();
    const latest = await this.latestBlock(network);
    const blockTimestamp = latest.timestamp + blockTime(network);
    this.sends.push({ network, stepId, call, latestTimestamp: latest.timestamp, blockTimestamp });
    const known = this.journal.get(stepId);
    if (known) return known;
    const revert = this.script(network, call, blockTimestamp) ?? this.execute(this.state(network), call, blockTimestamp);
    const result: SendResult = revert
      ? { ok: false, revert }
      : { ok: true, tx: { hash: keccak256(toBeHex(this.journal.size + 1, 32)), blockNumber: latest.number + 1, blockTimestamp, gasUsed: this.gas(network, call) } };
    this.journal.set(stepId, result);
    return result;
  }
  async resume(_network: string, stepId: string): Promise<SendResult | undefined> {
    await tick();
    return this.journal.get(stepId);
  }
  /** Sends of one step id. */
  sendsOf(stepId: string): SentCall[] {
    return this.sends.filter((s) => s.stepId === stepId);
  }

  private execute(s: DispatcherState, call: DispatcherCall, now: number): Revert | undefined {
    const clear = { pendingRoot: ZeroHash, pendingEpoch: 0n, pendingEta: 0, applied: 0, leafCount: 0, cancelling: false };
    switch (call.kind) {
      case "commit":
        if (s.pendingRoot !== ZeroHash) return { name: "PendingRootExists", args: [s.pendingRoot] };
        if (call.epoch !== s.nextEpoch) return { name: "EpochMismatch", args: [s.nextEpoch, call.epoch] };
        Object.assign(s, { pendingRoot: call.root, pendingEpoch: call.epoch, nextEpoch: call.epoch + 1n, pendingEta: now + s.activationDelaySeconds, applied: 0, leafCount: call.leafCount });
        return undefined;
      case "apply":
        if (s.cancelling) return { name: "CancelInProgress", args: [s.pendingRoot] };
        s.applied += (call.batch.leaves.length - 2) / 10;
        return undefined;
      case "activate":
        if (s.pendingRoot === ZeroHash) return { name: "NoPendingRoot", args: [] };
        if (s.cancelling) return { name: "CancelInProgress", args: [s.pendingRoot] };
        if (now < s.pendingEta) return { name: "ActivationNotReady", args: [BigInt(s.pendingEta), BigInt(now)] };
        if (now > s.pendingEta + s.expiryWindowSeconds) return { name: "RootExpired", args: [BigInt(s.pendingEta + s.expiryWindowSeconds), BigInt(now)] };
        if (s.paused) return { name: "ActivationPaused", args: [] };
        if (s.applied !== s.leafCount) return { name: "ManifestIncomplete", args: [s.applied, s.leafCount] };
        Object.assign(s, { activeEpoch: s.pendingEpoch, activeRoot: s.pendingRoot, ...clear });
        return undefined;
      case "cancel": {
        if (s.pendingRoot === ZeroHash) return { name: "NoPendingRoot", args: [] };
        if (call.root !== s.pendingRoot || call.epoch !== s.pendingEpoch) return { name: "CancelTargetMismatch", args: [s.pendingRoot, s.pendingEpoch] };
        // Like the contract: each chunk unstages up to maxUnstage; the one that empties the stage discards the root.
        const unstaged = Math.min(s.applied, call.maxUnstage);
        if (unstaged === s.applied) Object.assign(s, clear);
        else Object.assign(s, { cancelling: true, applied: s.applied - unstaged });
        return undefined;
      }
    }
  }
}

function blockTime(network: string): number {
  return Math.max(1, Math.round(findNetwork(network)?.blockTimeSeconds ?? 1));
}

/** Every in-memory port, sharing one manual clock. */
export function inMemoryPorts(startMs = 1_800_000_000_000) {
  const clock = new ManualClock(startMs);
  const ports = {
    clock, store: new InMemoryRunStore(clock), audit: new InMemoryAuditLog(), scheduler: new InMemoryScheduler(), alerts: new InMemoryAlertSink(), gateway: new ScriptedGateway(clock),
    incidents: new InMemoryIncidentLedger(), gasHistory: new InMemoryGasHistory(), cursors: new InMemoryCursorStore(), events: new ScriptedEventSource(),
  };
  // Every alert goes through the dedupe the cloud and the devnet use; `alerts` sees what is delivered.
  const alerts = new DedupingAlertSink({ ledger: ports.incidents, sink: ports.alerts });
  const deps = (overrides: Partial<SchedulerDeps> = {}): SchedulerDeps => ({
    store: ports.store, audit: ports.audit, scheduler: ports.scheduler, gateway: ports.gateway, clock,
    alerts,
    monitoring: { gasHistory: ports.gasHistory },
    networks: findNetwork,
    actor: "scheduler",
    owner: "test-worker",
    // The hold's wait moves the manual clock, so the chain advances while a step sleeps.
    sleep: async (ms) => clock.advance(ms),
    options: { planOptions: { maxBatchSize: 2 } },
    ...overrides,
  });
  return { ...ports, deps };
}

/** A valid manifest of `n` routes over `facets` facets (default 2), against epoch 0 (3 batches at maxBatchSize 2 for n = 6). */
export function syntheticManifestJson(n = 6, name = "upgrade", facets = 2): string {
  const entries: ManifestEntry[] = Array.from({ length: n }, (_, i) => {
    const signature = `fn${i}(uint256)`;
    return { selector: id(signature).slice(0, 10), signature, facet: getAddress(toBeHex(0x1000 + (i % facets), 20)), facetName: `Facet${i % facets}`, codehash: keccak256(toBeHex((i % facets) + 1, 32)) };
  }).sort((a, b) => (a.selector < b.selector ? -1 : 1));
  const manifest: Manifest = { format: MANIFEST_FORMAT, name, baseEpoch: 0, previousRoot: ZeroHash, leafEncoding: [...LEAF_ENCODING], root: manifestRoot(entries), entries };
  return serializeManifest(manifest);
}

/**
 * Fires due jobs in time order until none is left (or `maxJobs`), moving the clock to each job's time
 * plus `jitterMs(job)` — EventBridge fires up to 59 s late.
 */
export async function fireDueJobs(h: ReturnType<typeof inMemoryPorts>, deps: SchedulerDeps, jitterMs: (job: ScheduledJob) => number = () => 0, maxJobs = 200): Promise<ScheduledJob[]> {
  const fired: ScheduledJob[] = [];
  while (fired.length < maxJobs) {
    const job = h.scheduler.takeNext();
    if (!job) break;
    h.clock.ms = Math.max(h.clock.ms, job.runAtMs + jitterMs(job));
    fired.push(job);
    await runStep(job, deps);
  }
  return fired;
}
