/**
 * Which reads need a quorum, where their block tag sits, and what of an answer is compared: the parts a
 * step acts on, so two honest clients that format extra fields differently still agree.
 */
import type { RpcAnswer, RpcRequest } from "./endpoint.js";

/**
 * Reads a step decides on (what to sign, whether a step is done): the dispatcher's views (`eth_call`),
 * code hashes, nonces, storage, balances, blocks (timestamps: the ETA hold) and receipts; and the logs the
 * chain watcher decides its alerts on.
 * Value: the index of the block tag in `params`, or undefined when the method has none.
 */
export const QUORUM_METHODS: Readonly<Record<string, number | undefined>> = {
  eth_blockNumber: undefined,
  eth_call: 1,
  eth_getCode: 1,
  eth_getTransactionCount: 1,
  eth_getStorageAt: 2,
  eth_getBalance: 1,
  eth_getBlockByNumber: 0,
  eth_getBlockByHash: undefined,
  eth_getTransactionReceipt: undefined,
  // The chain watcher's reads: one endpoint leaving an event out would hide an out-of-band change. Its
  // block range is in the filter object, not a positional tag (see logsRangeOf).
  eth_getLogs: undefined,
  // What a transaction pays: one endpoint's fee history must not set the fees PayRox signs.
  eth_feeHistory: 1,
};

/** Whether `method` is read under the quorum. */
export function isQuorumMethod(method: string): boolean {
  return Object.hasOwn(QUORUM_METHODS, method);
}

/** The request's block tag (`latest` when a tagged method omits it), or undefined for untagged methods. */
export function blockTagOf(request: RpcRequest): string | undefined {
  const index = QUORUM_METHODS[request.method];
  if (index === undefined) return undefined;
  const tag = request.params[index];
  if (tag === undefined || tag === null) return "latest";
  // EIP-1898 block objects ({ blockHash } / { blockNumber }) name one block already.
  if (typeof tag === "object") return JSON.stringify(tag);
  return String(tag);
}

/** The request pinned to block `number` (hex quantity) in place of `latest`. */
export function pinnedTo(request: RpcRequest, number: string): RpcRequest {
  const index = QUORUM_METHODS[request.method]!;
  const params = [...request.params];
  while (params.length < index) params.push(undefined);
  params[index] = number;
  return { method: request.method, params };
}

/** A bound of an `eth_getLogs` filter that moves with the head (omitted bounds default to `latest`). */
function movesWithHead(bound: unknown): boolean {
  return bound === undefined || bound === null || bound === "latest" || bound === "pending";
}

/**
 * The block an `eth_getLogs` filter reads up to: its `toBlock` as a number; `"latest"` when a bound moves
 * with the head (pin it first with {@link logsPinnedTo}); undefined for a `blockHash` filter or other tags.
 */
export function logsRangeOf(request: RpcRequest): { toBlock: number } | "latest" | undefined {
  const filter = (request.params[0] ?? {}) as { fromBlock?: unknown; toBlock?: unknown; blockHash?: unknown };
  if (filter.blockHash !== undefined) return undefined;
  if (movesWithHead(filter.fromBlock) || movesWithHead(filter.toBlock)) return "latest";
  return typeof filter.toBlock === "string" && /^0x[0-9a-f]+$/i.test(filter.toBlock) ? { toBlock: Number(BigInt(filter.toBlock)) } : undefined;
}

/** The `eth_getLogs` request with its bounds that move with the head pinned to block `number` (hex quantity). */
export function logsPinnedTo(request: RpcRequest, number: string): RpcRequest {
  const filter = { ...((request.params[0] ?? {}) as Record<string, unknown>) };
  for (const bound of ["fromBlock", "toBlock"]) if (movesWithHead(filter[bound])) filter[bound] = number;
  return { method: request.method, params: [filter, ...request.params.slice(1)] };
}

/** The compared part of an answer, as a canonical text: equal texts mean the endpoints agree. */
export function voteOf(method: string, answer: RpcAnswer): string {
  if ("error" in answer) return canonical({ error: answer.error.code, data: answer.error.data ?? null });
  const result = answer.result;
  if (method === "eth_feeHistory" && result !== null && typeof result === "object") {
    // Base fees and gas used follow from the blocks; the reward percentiles are merged (feeHistoryOf).
    return canonical(pick(result as Record<string, unknown>, ["oldestBlock", "baseFeePerGas", "gasUsedRatio"]));
  }
  if (method === "eth_getLogs" && Array.isArray(result)) {
    return canonical(result.map((log) => pick(log as Record<string, unknown>, ["address", "topics", "data", "blockNumber", "blockHash", "transactionHash", "logIndex"])));
  }
  if (result === null || typeof result !== "object") return canonical(result ?? null);
  const value = result as Record<string, unknown>;
  if (method === "eth_getBlockByNumber" || method === "eth_getBlockByHash") {
    return canonical(pick(value, ["number", "hash", "parentHash", "timestamp", "stateRoot", "baseFeePerGas"]));
  }
  if (method === "eth_getTransactionReceipt") {
    const logs = Array.isArray(value.logs) ? value.logs.map((log) => pick(log as Record<string, unknown>, ["address", "topics", "data", "logIndex"])) : null;
    return canonical({ ...pick(value, ["transactionHash", "blockHash", "blockNumber", "from", "to", "status", "gasUsed", "contractAddress"]), logs });
  }
  return canonical(value);
}

/**
 * The fee history of endpoints that agree on the blocks' base fees and gas used, with each reward the
 * lowest any of them reported: an endpoint can make PayRox pay less (a stuck transaction is bumped), never more.
 */
export function feeHistoryOf(answers: readonly RpcAnswer[]): RpcAnswer {
  const results = answers.flatMap((a) => ("result" in a && a.result !== null && typeof a.result === "object" ? [a.result as { reward?: unknown }] : []));
  const [first] = results;
  if (!first || !Array.isArray(first.reward)) return answers[0]!;
  const reward = (first.reward as unknown[]).map((row, i) =>
    Array.isArray(row)
      ? row.map((value, j) => {
          const candidates = results.map((r) => (r.reward as unknown[][] | undefined)?.[i]?.[j]).filter((v): v is string => typeof v === "string" && /^0x[0-9a-f]+$/i.test(v));
          return candidates.length > 0 ? `0x${candidates.map((v) => BigInt(v)).reduce((a, b) => (b < a ? b : a)).toString(16)}` : value;
        })
      : row,
  );
  return { result: { ...first, reward } };
}

function pick(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, value[key] ?? null]));
}

/** JSON with sorted keys and lower-case strings (hex case is not meaningful). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "string") return v.toLowerCase();
    if (v && typeof v === "object" && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
    return v;
  });
}
