/**
 * An ethers v6 JSON-RPC provider over several endpoints of one chain: reads fail over in priority order
 * (health-checked, with backoff), reads a step decides on can require k endpoints to agree at the same
 * block, and raw transactions go to every healthy endpoint. Everything built on a `JsonRpcApiProvider`
 * (the gateway, the TxSender, the relays) uses it unchanged.
 *
 * Why not ethers' own `FallbackProvider`: it is not a `JsonRpcApiProvider` (no `send`, which the fee
 * history, relays and anvil helpers need); each of its backends resolves `latest` on its own, so a quorum
 * is counted over answers from different blocks (a lagging honest node reads as a disagreement, and
 * nothing checks that the agreeing answers are of one block); its quorum failures are untyped
 * SERVER_ERRORs a step can't tell from a node fault; and it has no per-endpoint backoff or health to
 * report. Here `latest` is pinned to one block all voters have reached before anyone is asked, and a
 * failed quorum is a typed {@link RpcDisagreementError} / {@link RpcQuorumUnavailableError}.
 */
import { JsonRpcApiProvider, Network, toQuantity, type JsonRpcError, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import * as z from "zod";
import { MAX_RPC_URLS, rpcQuorumProblem } from "@payrox/core";
import { blockTagOf, feeHistoryOf, isQuorumMethod, logsPinnedTo, logsRangeOf, pinnedTo, voteOf } from "./agreement.js";
import { EndpointFailedError, RpcEndpoint, type EndpointHealth, type RpcAnswer, type RpcRequest } from "./endpoint.js";
import { RpcChainMismatchError, RpcDisagreementError, RpcFailoverConfigError, RpcQuorumUnavailableError, RpcUnavailableError, type EndpointAnswer, type EndpointFailure } from "./errors.js";

/** Options of {@link FailoverJsonRpcProvider}. */
export interface FailoverProviderOptions {
  /** Network name (errors and events name it). */
  network: string;
  /** The chain every endpoint must serve; an endpoint on another chain is never used. */
  chainId: number | bigint;
  /** JSON-RPC endpoints (http/https) of that chain, most preferred first. */
  urls: readonly string[];
  /** Endpoints that must return the same answer at the same block for a quorum read; above 1, needs `quorum + 1` URLs. @default 1 */
  quorum?: number;
  /** An endpoint whose head is more than this many blocks behind the quorum's is not read from. @default 8 */
  maxLagBlocks?: number;
  /** Per request, in ms. @default 10_000 */
  timeoutMs?: number;
  /**
   * An endpoint that leaves a request unanswered this long is a straggler: reads stop waiting for it (they
   * go on with the other endpoints) and it is passed over until it answers or its request times out.
   * @default 2_000
   */
  straggleAfterMs?: number;
  /** Backoff after an endpoint's first failure in a row, doubled with each further one, in ms. @default 1_000 */
  backoffMs?: number;
  /** Longest backoff, in ms. @default 60_000 */
  maxBackoffMs?: number;
  /** Probe every endpoint this often (long-running processes), in ms. @default off: endpoints are retried when their backoff ends */
  healthCheckIntervalMs?: number;
  /** ethers' polling interval, in ms. @default ethers' (4_000) */
  pollingInterval?: number;
  /** ethers' response cache, in ms (-1: none). @default ethers' (250) */
  cacheTimeout?: number;
  /** The clock of backoffs. @default Date.now */
  now?: () => number;
  /** Told about endpoints going down, coming back, lagging, and about every disagreement. */
  onEvent?: (event: RpcFailoverEvent) => void;
}

/** What the provider reports as it happens. */
export type RpcFailoverEvent = { network: string } & (
  | { type: "endpoint-down"; endpoint: string; reason: string; failures: number; retryAt: number }
  | { type: "endpoint-up"; endpoint: string }
  | { type: "endpoint-lagging"; endpoint: string; head: number; quorumHead: number }
  | { type: "endpoint-wrong-chain"; endpoint: string; chainId: bigint }
  /** A quorum was reached, but these endpoints answered otherwise: they are wrong (or on a fork). */
  | { type: "disagreement"; method: string; block?: string; agreed: string; dissent: EndpointAnswer[] }
);

const OptionsSchema = z
  .object({
    network: z.string().min(1, "must name the network"),
    chainId: z.union([z.number().int().positive(), z.bigint().positive()], { error: "must be a positive chain id" }),
    urls: z.array(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })).min(1, "must list at least one URL").max(MAX_RPC_URLS, `lists more than ${MAX_RPC_URLS} URLs`),
    quorum: z.number().int().min(1, "must be at least 1").default(1),
    maxLagBlocks: z.number().int().min(0).default(8),
    timeoutMs: z.number().int().positive().default(10_000),
    straggleAfterMs: z.number().int().positive().default(2_000),
    backoffMs: z.number().int().positive().default(1_000),
    maxBackoffMs: z.number().int().positive().default(60_000),
    healthCheckIntervalMs: z.number().int().positive().optional(),
  })
  .superRefine((o, ctx) => {
    const problem = rpcQuorumProblem(o.urls.length, o.quorum);
    if (problem) ctx.addIssue({ code: "custom", path: ["quorum"], message: problem });
    if (new Set(o.urls).size !== o.urls.length) ctx.addIssue({ code: "custom", path: ["urls"], message: "lists a URL twice: each endpoint counts once toward the quorum" });
    if (o.maxBackoffMs < o.backoffMs) ctx.addIssue({ code: "custom", path: ["maxBackoffMs"], message: "is below backoffMs" });
  });

/** Methods whose `null` means "not seen (yet)": a lagging endpoint, not a contradicting one. */
const NOT_SEEN_YET = new Set(["eth_getBlockByNumber", "eth_getBlockByHash", "eth_getTransactionReceipt"]);

interface AgreedHead {
  /** A block every voter has reached. */
  block: number;
  /** The first `quorum` endpoints (by priority) that are not lagging. */
  voters: RpcEndpoint[];
}

/**
 * A `JsonRpcApiProvider` over several endpoints of one chain.
 *
 * - Reads in {@link QUORUM_METHODS} (views, code, nonces, blocks, receipts, logs) are answered only when `quorum`
 *   endpoints return the same answer; `latest` is first pinned to a block all those endpoints have, so they
 *   answer about the same block. Endpoints that disagree with an agreed answer are reported
 *   (`disagreement` event, {@link EndpointHealth.disagreements}); with no agreed answer the read throws
 *   {@link RpcDisagreementError} — the wrong answer is never returned.
 * - Other reads go to the first endpoint that answers, in priority order.
 * - `eth_sendRawTransaction` goes to every endpoint not in backoff (idempotent by hash); one acceptance is success.
 * - A failed endpoint (network error, timeout, rate limit, malformed answer) is skipped for `backoffMs`,
 *   doubling per failure in a row; it is tried again when its backoff ends (or by {@link checkHealth}).
 *   It is still tried, last, when no other endpoint is left.
 *
 * @example
 * const provider = new FailoverJsonRpcProvider({ network: "ethereum", chainId: 1, urls: [a, b, c], quorum: 2 });
 * const gateway = new JournaledDispatcherGateway({ networks: { ethereum: { provider, dispatcher, signer, nonceStore, journal } } });
 */
export class FailoverJsonRpcProvider extends JsonRpcApiProvider {
  readonly network: string;
  readonly #chainId: bigint;
  readonly #quorum: number;
  readonly #maxLag: number;
  readonly #straggleMs: number;
  readonly #endpoints: RpcEndpoint[];
  readonly #onEvent?: (event: RpcFailoverEvent) => void;
  readonly #timer?: ReturnType<typeof setInterval>;

  /** @throws RpcFailoverConfigError naming every problem of the options */
  constructor(options: FailoverProviderOptions) {
    const parsed = OptionsSchema.safeParse(options);
    if (!parsed.success) {
      const name = typeof options?.network === "string" && options.network ? options.network : "(unnamed network)";
      throw new RpcFailoverConfigError(name, parsed.error.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`));
    }
    const o = parsed.data;
    super(Network.from(o.chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
      ...(options.pollingInterval !== undefined && { pollingInterval: options.pollingInterval }),
      ...(options.cacheTimeout !== undefined && { cacheTimeout: options.cacheTimeout }),
    });
    this.network = o.network;
    this.#chainId = BigInt(o.chainId);
    this.#quorum = o.quorum;
    this.#maxLag = o.maxLagBlocks;
    this.#straggleMs = o.straggleAfterMs;
    this.#onEvent = options.onEvent;
    const settings = { timeoutMs: o.timeoutMs, straggleAfterMs: o.straggleAfterMs, backoffMs: o.backoffMs, maxBackoffMs: o.maxBackoffMs, now: options.now ?? Date.now };
    this.#endpoints = o.urls.map((url, i) => new RpcEndpoint(url, i, settings));
    if (o.healthCheckIntervalMs !== undefined) {
      this.#timer = setInterval(() => void this.checkHealth().catch(() => undefined), o.healthCheckIntervalMs);
      this.#timer.unref?.();
    }
  }

  /** Each endpoint's health, in priority order. */
  health(): EndpointHealth[] {
    return this.#endpoints.map((e) => e.health());
  }

  /** Probes every endpoint (chain id and head), also those in backoff, and returns their health. */
  async checkHealth(): Promise<EndpointHealth[]> {
    const heads = new Map<RpcEndpoint, number>();
    await Promise.all(
      this.#endpoints.filter((e) => !e.wrongChain).map(async (e) => {
        e.chainVerified = false;
        const head = await this.#headOf(e).catch(() => undefined);
        if (head !== undefined) heads.set(e, head);
      }),
    );
    if (heads.size >= this.#quorum) this.#markLagging(heads);
    return this.health();
  }

  override destroy(): void {
    if (this.#timer) clearInterval(this.#timer);
    super.destroy();
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<Array<JsonRpcResult | JsonRpcError>> {
    const payloads = Array.isArray(payload) ? payload : [payload];
    return Promise.all(
      payloads.map(async (p) => {
        const params = Array.isArray(p.params) ? p.params : [p.params];
        const answer = await this.#route({ method: p.method, params });
        return "error" in answer ? { id: p.id, error: answer.error } : { id: p.id, result: answer.result };
      }),
    );
  }

  #route(request: RpcRequest): Promise<RpcAnswer> {
    switch (request.method) {
      case "eth_chainId":
        return Promise.resolve({ result: toQuantity(this.#chainId) });
      case "net_version":
        return Promise.resolve({ result: this.#chainId.toString() });
      case "eth_sendRawTransaction":
        return this.#broadcast(request);
      default:
        return isQuorumMethod(request.method) ? this.#quorumRead(request) : this.#failoverRead(request);
    }
  }

  /**
   * The first answer, in priority order; endpoints in backoff only when nothing else answers. An endpoint
   * that straggles is left to answer on its own while the next is asked; the last one is waited for.
   */
  async #failoverRead(request: RpcRequest): Promise<RpcAnswer> {
    const failures: EndpointFailure[] = [];
    const stragglers: Promise<RpcAnswer>[] = [];
    const candidates = this.#candidates();
    for (const [i, endpoint] of candidates.entries()) {
      const attempt = this.#use(endpoint, request);
      attempt.catch(() => undefined); // a straggler's late failure is the endpoint's to record
      try {
        const answer = i < candidates.length - 1 ? await within(attempt, this.#straggleMs) : await attempt;
        if (answer !== STRAGGLING) return answer;
        stragglers.push(attempt);
        failures.push({ endpoint: endpoint.label, reason: `no answer within ${this.#straggleMs} ms` });
      } catch (error) {
        failures.push({ endpoint: endpoint.label, reason: reasonOf(error) });
      }
    }
    // Every other endpoint failed: a straggler's late answer is still one.
    if (stragglers.length > 0) {
      try {
        return await Promise.any(stragglers);
      } catch {
        // They failed too (timed out): reported below.
      }
    }
    throw new RpcUnavailableError(this.network, request.method, failures);
  }

  /** To every endpoint not in backoff (all of them when every one is): the first acceptance by priority wins. */
  async #broadcast(request: RpcRequest): Promise<RpcAnswer> {
    const candidates = this.#candidates();
    const available = candidates.filter((e) => e.available);
    const targets = available.length > 0 ? available : candidates;
    // Every target is waited for (each must have the bytes before the send counts as done); a known
    // straggler is not `available`, so it is a target only when nothing else is.
    const outcomes = await Promise.all(targets.map((e) => this.#use(e, request).then((answer) => ({ e, answer }), (error: unknown) => ({ e, error }))));
    const accepted = outcomes.find((o) => "answer" in o && "result" in o.answer);
    if (accepted && "answer" in accepted) return accepted.answer;
    // Every answering node refused it: its reason (e.g. nonce too low, underpriced) is the caller's to read.
    const refused = outcomes.find((o) => "answer" in o);
    if (refused && "answer" in refused) return refused.answer;
    throw new RpcUnavailableError(this.network, request.method, outcomes.map((o) => ({ endpoint: o.e.label, reason: reasonOf("error" in o ? o.error : undefined) })));
  }

  /** Asks endpoints until `quorum` of them give the same answer about the same block. */
  async #quorumRead(request: RpcRequest): Promise<RpcAnswer> {
    if (request.method === "eth_blockNumber") return { result: toQuantity((await this.#agreedHead()).block) };
    let tag = blockTagOf(request);
    let pinned = request;
    let preferred: RpcEndpoint[] = [];
    let minHead: number | undefined;
    if (tag === "latest") {
      const head = await this.#agreedHead();
      tag = toQuantity(head.block);
      pinned = pinnedTo(request, tag);
      preferred = head.voters;
      minHead = head.block;
    } else if (tag !== undefined && /^0x[0-9a-f]+$/i.test(tag)) {
      minHead = Number(BigInt(tag));
    } else if (request.method === "eth_getLogs") {
      // The range is in the filter: a bound at `latest` is pinned like any tag; the voters need its last block.
      if (logsRangeOf(request) === "latest") {
        const head = await this.#agreedHead();
        pinned = logsPinnedTo(request, toQuantity(head.block));
        preferred = head.voters;
      }
      const range = logsRangeOf(pinned);
      if (range !== undefined && range !== "latest") {
        minHead = range.toBlock;
        tag = toQuantity(range.toBlock);
      }
    }
    const candidates = this.#candidates();
    // Endpoints known to have the block first; the others are asked only if those can't make the quorum.
    const order = unique([...preferred, ...candidates.filter((e) => minHead === undefined || e.head === undefined || e.head >= minHead), ...candidates]);
    const votes = new Map<string, { answers: Map<RpcEndpoint, RpcAnswer> }>();
    const failures: EndpointFailure[] = [];
    const outstanding = new Set<Promise<void>>();
    const ask = async (endpoint: RpcEndpoint) => {
      try {
        const answer = await this.#use(endpoint, pinned);
        const key = voteOf(request.method, answer);
        const group = votes.get(key) ?? { answers: new Map() };
        group.answers.set(endpoint, answer);
        votes.set(key, group);
      } catch (error) {
        failures.push({ endpoint: endpoint.label, reason: reasonOf(error) });
      }
    };
    let next = 0;
    for (;;) {
      const best = Math.max(0, ...[...votes.values()].map((v) => v.answers.size));
      if (best >= this.#quorum) break;
      if (next >= order.length) {
        // Every endpoint was asked: the stragglers' answers are all that is left to wait for.
        if (outstanding.size === 0) break;
        await Promise.race(outstanding);
        continue;
      }
      const batch = order.slice(next, next + this.#quorum - best);
      next += batch.length;
      const asks = batch.map((endpoint) => {
        const tracked: Promise<void> = ask(endpoint).finally(() => outstanding.delete(tracked));
        outstanding.add(tracked);
        return tracked;
      });
      // A straggler's vote is not waited for while other endpoints can be asked in its place.
      await within(Promise.all(asks), this.#straggleMs);
    }
    return this.#decide(request.method, tag, votes, [...failures]);
  }

  #decide(method: string, block: string | undefined, votes: Map<string, { answers: Map<RpcEndpoint, RpcAnswer> }>, failures: EndpointFailure[]): RpcAnswer {
    const answersOf = (key: string, group: { answers: Map<RpcEndpoint, RpcAnswer> }) =>
      byPriority([...group.answers.keys()]).map((e) => ({ endpoint: e.label, answer: abbreviate(key) }));
    const winner = [...votes.entries()].find(([, group]) => group.answers.size >= this.#quorum);
    // "No such block/receipt" from an endpoint that hasn't seen it yet contradicts nothing.
    const unseen = NOT_SEEN_YET.has(method) ? "null" : undefined;
    const dissent = [...votes.entries()].filter(([key]) => key !== winner?.[0] && key !== unseen);
    if (!winner) {
      // Providers cap eth_getLogs ranges differently: one refusing the range while another answers is no
      // disagreement about the chain. Its refusal goes back so the caller asks again for a narrower range.
      const refusal = method === "eth_getLogs" ? this.#refusalAmong(votes) : undefined;
      if (refusal) return refusal;
      if (dissent.length > 1) throw new RpcDisagreementError(this.network, method, block, this.#quorum, dissent.flatMap(([key, group]) => answersOf(key, group)));
      const answered = Math.max(0, ...dissent.map(([, g]) => g.answers.size));
      throw new RpcQuorumUnavailableError(this.network, method, this.#quorum, answered, failures);
    }
    if (dissent.length > 0) {
      for (const [, group] of dissent) for (const e of group.answers.keys()) e.disagreements += 1;
      this.#emit({ type: "disagreement", method, ...(block !== undefined && { block }), agreed: abbreviate(winner[0]), dissent: dissent.flatMap(([key, group]) => answersOf(key, group)) });
    }
    const agreeing = byPriority([...winner[1].answers.keys()]);
    if (method === "eth_feeHistory") return feeHistoryOf(agreeing.map((e) => winner[1].answers.get(e)!));
    return winner[1].answers.get(agreeing[0]!)!;
  }

  /** The most preferred endpoint's error answer among the votes, if any endpoint answered with an error. */
  #refusalAmong(votes: Map<string, { answers: Map<RpcEndpoint, RpcAnswer> }>): RpcAnswer | undefined {
    const refusing = [...votes.values()].flatMap((group) => [...group.answers.entries()]).filter(([, answer]) => "error" in answer);
    return refusing.sort(([a], [b]) => a.priority - b.priority)[0]?.[1];
  }

  /**
   * The block the quorum reads at: every available endpoint's head; those more than `maxLagBlocks` behind
   * the quorum's head (the `quorum`-th highest, which one endpoint lying high can't move when quorum ≥ 2)
   * are lagging; the voters are the first `quorum` others by priority, and the block is the lowest of their heads.
   */
  async #agreedHead(): Promise<AgreedHead> {
    const heads = new Map<RpcEndpoint, number>();
    const failures: EndpointFailure[] = [];
    // Heads are not waited for past the straggle time: a hung endpoint is simply not a voter this time.
    const all: Promise<unknown>[] = [];
    const ask = (list: RpcEndpoint[]) => {
      const settled = Promise.all(
        list.map(async (e) => {
          try {
            heads.set(e, await this.#headOf(e));
          } catch (error) {
            failures.push({ endpoint: e.label, reason: reasonOf(error) });
          }
        }),
      );
      all.push(settled);
      return within(settled, this.#straggleMs);
    };
    const candidates = this.#candidates();
    await ask(candidates.filter((e) => e.available));
    if (heads.size < this.#quorum) await ask(candidates.filter((e) => !e.available && !e.straggling));
    // Too few heads in time: the stragglers' are all that is left to wait for.
    if (heads.size < this.#quorum) await Promise.all(all);
    const answered = new Map(heads);
    if (answered.size < this.#quorum) throw new RpcQuorumUnavailableError(this.network, "eth_blockNumber", this.#quorum, answered.size, [...failures]);
    this.#markLagging(answered);
    const voters = byPriority([...answered.keys()].filter((e) => !e.lagging)).slice(0, this.#quorum);
    return { block: Math.min(...voters.map((e) => answered.get(e)!)), voters };
  }

  #markLagging(heads: Map<RpcEndpoint, number>): void {
    const quorumHead = [...heads.values()].sort((a, b) => b - a)[this.#quorum - 1]!;
    for (const [e, head] of heads) {
      const lagging = head < quorumHead - this.#maxLag;
      if (lagging && !e.lagging) this.#emit({ type: "endpoint-lagging", endpoint: e.label, head, quorumHead });
      e.lagging = lagging;
    }
  }

  async #headOf(e: RpcEndpoint): Promise<number> {
    const answer = await this.#use(e, { method: "eth_blockNumber", params: [] });
    if (!("result" in answer) || typeof answer.result !== "string" || !/^0x[0-9a-f]+$/i.test(answer.result)) {
      const reason = `eth_blockNumber gave no block number (${JSON.stringify(answer).slice(0, 80)})`;
      e.failed(reason);
      throw new EndpointFailedError(reason);
    }
    e.head = Number(BigInt(answer.result));
    return e.head;
  }

  /** One request to one endpoint, its chain id checked on first contact; events for its health changes. */
  async #use(e: RpcEndpoint, request: RpcRequest): Promise<RpcAnswer> {
    const wasDown = e.failures > 0;
    try {
      if (!e.chainVerified) await this.#verifyChain(e);
      const answer = await e.call(request);
      if (wasDown) this.#emit({ type: "endpoint-up", endpoint: e.label });
      return answer;
    } catch (error) {
      if (error instanceof EndpointFailedError) {
        this.#emit({ type: "endpoint-down", endpoint: e.label, reason: error.reason, failures: e.failures, retryAt: e.retryAt });
      }
      throw error;
    }
  }

  async #verifyChain(e: RpcEndpoint): Promise<void> {
    const answer = await e.call({ method: "eth_chainId", params: [] });
    if (!("result" in answer) || typeof answer.result !== "string" || !/^0x[0-9a-f]+$/i.test(answer.result)) {
      e.failed("eth_chainId gave no chain id");
      throw new EndpointFailedError("eth_chainId gave no chain id");
    }
    const chainId = BigInt(answer.result);
    if (chainId !== this.#chainId) {
      e.wrongChain = true;
      e.lastError = `serves chain ${chainId}, expected ${this.#chainId}`;
      this.#emit({ type: "endpoint-wrong-chain", endpoint: e.label, chainId });
      throw new RpcChainMismatchError(this.network, e.label, this.#chainId, chainId);
    }
    e.chainVerified = true;
  }

  /** Endpoints on the right chain: available and current first (by priority), then lagging, then those in backoff (soonest first). */
  #candidates(): RpcEndpoint[] {
    const usable = this.#endpoints.filter((e) => !e.wrongChain);
    const rank = (e: RpcEndpoint) => (!e.available ? 2 : e.lagging ? 1 : 0);
    return [...usable].sort((a, b) => rank(a) - rank(b) || (rank(a) === 2 ? a.retryAt - b.retryAt : 0) || a.priority - b.priority);
  }

  #emit(event: DistributiveOmit<RpcFailoverEvent, "network">): void {
    try {
      this.#onEvent?.({ ...event, network: this.network } as RpcFailoverEvent);
    } catch {
      // A failing listener must not fail a read.
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What {@link within} resolves with when the work has not settled in time. */
const STRAGGLING: unique symbol = Symbol("straggling");

/** `work`'s outcome, or {@link STRAGGLING} when it has not settled within `ms` (it keeps running). */
function within<T>(work: Promise<T>, ms: number): Promise<T | typeof STRAGGLING> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof STRAGGLING>((resolve) => {
    timer = setTimeout(() => resolve(STRAGGLING), ms);
    timer.unref?.();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function byPriority(list: RpcEndpoint[]): RpcEndpoint[] {
  return [...list].sort((a, b) => a.priority - b.priority);
}

function unique<T>(list: T[]): T[] {
  return [...new Set(list)];
}

function abbreviate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function reasonOf(error: unknown): string {
  if (error instanceof EndpointFailedError) return error.reason;
  if (error instanceof RpcChainMismatchError) return `serves chain ${error.actualChainId}, expected ${error.expectedChainId}`;
  return error instanceof Error ? error.message : String(error);
}
