/**
 * A JSON-RPC proxy in front of a local node, on 127.0.0.1 and a free port, that plays a hosted provider's
 * `eth_getLogs` limits: a range wider than `maxRange` blocks is answered with the provider's error (its
 * code and wording are settable, since every provider words it differently), and the next `rateLimited`
 * getLogs calls are answered with a rate-limit error. Everything else, single or batched, goes to the node.
 * Records the ranges it let through.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A provider's refusal: JSON-RPC error code and message. */
export interface RpcRefusal {
  code: number;
  message: string;
}

/** Infura's result-count wording (EIP-1474 "limit exceeded"). */
export const INFURA_STYLE: RpcRefusal = { code: -32005, message: "query returned more than 10000 results" };
/** A block-range cap as BSC / Ankr / Chainstack word it. */
export const RANGE_CAP_STYLE: RpcRefusal = { code: -32000, message: "exceed maximum block range: 50" };
/** Alchemy's wording. */
export const ALCHEMY_STYLE: RpcRefusal = { code: -32602, message: "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size" };
/** A rate limit (not a reason to split a range). */
export const RATE_LIMIT: RpcRefusal = { code: -32005, message: "project ID request rate exceeded" };

/** A running proxy. */
export interface CappedRpcProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Widest `eth_getLogs` range let through; change it at any time. */
  maxRange: number;
  /** How a wider range is refused. */
  refusal: RpcRefusal;
  /** The next this-many getLogs calls get {@link RATE_LIMIT}. */
  rateLimited: number;
  /** getLogs ranges let through, `[from, to]`. */
  readonly served: [number, number][];
  /** getLogs calls refused for their range. */
  refusedCount: number;
  stop(): Promise<void>;
}

type RpcRequest = { jsonrpc: "2.0"; id: unknown; method: string; params?: unknown[] };

/** Starts the proxy in front of `upstream` (a node's RPC URL). */
export async function startCappedRpcProxy(upstream: string, maxRange: number, refusal: RpcRefusal = RANGE_CAP_STYLE): Promise<CappedRpcProxy> {
  const forward = async (request: RpcRequest): Promise<unknown> => {
    const response = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) });
    return response.json();
  };
  let server: Server;
  const proxy: CappedRpcProxy = {
    url: "",
    maxRange,
    refusal,
    rateLimited: 0,
    served: [],
    refusedCount: 0,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const answer = async (request: RpcRequest): Promise<unknown> => {
    if (request.method !== "eth_getLogs") return forward(request);
    if (proxy.rateLimited > 0) {
      proxy.rateLimited--;
      return { jsonrpc: "2.0", id: request.id, error: RATE_LIMIT };
    }
    const filter = (request.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
    const from = await blockNumberOf(filter.fromBlock, forward);
    const to = await blockNumberOf(filter.toBlock, forward);
    if (to - from + 1 > proxy.maxRange) {
      proxy.refusedCount++;
      return { jsonrpc: "2.0", id: request.id, error: proxy.refusal };
    }
    proxy.served.push([from, to]);
    return forward(request);
  };
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as RpcRequest | RpcRequest[];
          const result = Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body);
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result));
        } catch (error) {
          res.writeHead(502, { "content-type": "text/plain" }).end(String(error));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  (proxy as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

async function blockNumberOf(tag: string | undefined, forward: (request: RpcRequest) => Promise<unknown>): Promise<number> {
  if (tag !== undefined && /^0x[0-9a-f]+$/i.test(tag)) return Number(BigInt(tag));
  const head = (await forward({ jsonrpc: "2.0", id: 0, method: "eth_blockNumber", params: [] })) as { result: string };
  return Number(BigInt(head.result));
}
