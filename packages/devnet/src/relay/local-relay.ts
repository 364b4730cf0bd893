/**
 * A local Flashbots-style relay on 127.0.0.1 in front of a local node (anvil), for tests and the devnet:
 * `eth_callBundle`, `eth_sendBundle`, `flashbots_getBundleStatsV2` (all authenticated with
 * `X-Flashbots-Signature`) and `eth_sendRawTransaction` (a private-RPC endpoint, forwarded to the node).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BundlePool, type StoredBundle } from "./bundle-pool.js";
import { bundleHashOf, decodeBundle, InvalidBundleError, simulateBundle } from "./bundle-simulator.js";
import { verifyFlashbotsSignature } from "./flashbots-auth.js";
import { nodeRpc, NodeRpcError } from "./node-rpc.js";

/** Options of {@link startLocalRelay}. */
export interface LocalRelayOptions {
  /** The node the relay lands bundles on (an anvil node: the relay uses `anvil_*` and `evm_mine`). */
  rpcUrl: string;
  /** Only these auth addresses may call bundle methods. @default any correctly signed request */
  allowedSigners?: readonly string[];
  /** Refuse every submission (to test fallbacks); can be changed later with {@link LocalRelay.setRefusing}. @default false */
  refuse?: boolean;
  /** Mine each target block with `evm_mine`; set false for a node with interval mining. @default true */
  mineBundles?: boolean;
  /** How often the relay looks at the chain head, in ms. @default 50 */
  pollIntervalMs?: number;
  /** Land due bundles; false accepts them but lets every target block pass (see {@link LocalRelay.setLanding}). @default true */
  landing?: boolean;
}

/** A running local relay. */
export interface LocalRelay {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Turns refusal of submissions on or off. */
  setRefusing(refuse: boolean): void;
  /** Turns landing of due bundles on or off (off: accepted bundles miss their blocks). */
  setLanding(land: boolean): void;
  /** Every bundle received (copies), in arrival order. */
  bundles(): StoredBundle[];
  /** Raw transactions received through `eth_sendRawTransaction`. */
  privateTransactions(): string[];
  /** Stops the inclusion loop and closes the server. Idempotent. */
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1 << 20;
const AUTHENTICATED = new Set(["eth_sendBundle", "eth_callBundle", "flashbots_getBundleStatsV2"]);

interface RpcRequest {
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

/** A JSON-RPC error answer. */
class RpcFailure extends Error {
  constructor(readonly code: number, message: string, readonly httpStatus = 200) {
    super(message);
  }
}

/** Starts the relay on 127.0.0.1 and a free port; resolves once it listens. */
export async function startLocalRelay(options: LocalRelayOptions): Promise<LocalRelay> {
  const rpc = nodeRpc(options.rpcUrl);
  let refusing = options.refuse ?? false;
  let landing = options.landing ?? true;
  const pool = new BundlePool(rpc, { mineBundles: options.mineBundles, pollIntervalMs: options.pollIntervalMs, landing: () => landing });
  const privateTxs: string[] = [];

  const handlers: Record<string, (params: unknown[], searcher: string) => Promise<unknown>> = {
    async eth_callBundle(params) {
      refuseIfConfigured();
      const { txs } = (params[0] ?? {}) as { txs?: unknown };
      const result = await simulateBundle(rpc, decodeBundle(txs));
      pool.markSimulated(result.bundleHash);
      return result;
    },
    async eth_sendBundle(params, searcher) {
      refuseIfConfigured();
      const { txs, blockNumber } = (params[0] ?? {}) as { txs?: unknown; blockNumber?: unknown };
      const decoded = decodeBundle(txs);
      if (typeof blockNumber !== "string" || !/^0x[0-9a-f]+$/i.test(blockNumber)) throw new RpcFailure(-32602, "blockNumber must be a hex quantity");
      const bundleHash = bundleHashOf(decoded.map((t) => t.hash!));
      pool.add({ bundleHash, searcher, blockNumber: Number(BigInt(blockNumber)), txs: decoded });
      return { bundleHash };
    },
    async flashbots_getBundleStatsV2(params) {
      const { bundleHash, blockNumber } = (params[0] ?? {}) as { bundleHash?: string; blockNumber?: string };
      const bundle = bundleHash ? pool.find(bundleHash, blockNumber ? Number(BigInt(blockNumber)) : undefined) : undefined;
      if (!bundle) throw new RpcFailure(-32602, `bundle ${bundleHash} not found for block ${blockNumber}`);
      const simulatedAt = pool.simulatedAt(bundle.bundleHash);
      const considered = bundle.state !== "pending" ? [{ pubkey: "local-relay", timestamp: bundle.receivedAt.toISOString() }] : [];
      return {
        isSimulated: simulatedAt !== undefined,
        isHighPriority: true,
        simulatedAt: simulatedAt?.toISOString(),
        receivedAt: bundle.receivedAt.toISOString(),
        consideredByBuildersAt: considered,
        sealedByBuildersAt: bundle.state === "included" ? [{ pubkey: "local-relay", timestamp: bundle.includedAt!.toISOString() }] : [],
      };
    },
    async eth_sendRawTransaction(params) {
      refuseIfConfigured();
      const raw = String(params[0]);
      const hash = await rpc<string>("eth_sendRawTransaction", [raw]);
      privateTxs.push(raw);
      return hash;
    },
  };

  function refuseIfConfigured(): void {
    if (refusing) throw new RpcFailure(-32000, "local relay refuses submissions (configured to refuse)");
  }

  async function answer(body: Buffer, signature: string | undefined): Promise<{ status: number; payload: unknown }> {
    let request: RpcRequest;
    try {
      request = JSON.parse(body.toString("utf8")) as RpcRequest;
    } catch {
      return { status: 400, payload: rpcError(null, -32700, "parse error") };
    }
    const id = request.id ?? null;
    const method = typeof request.method === "string" ? request.method : "";
    const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
    if (!handler) return { status: 200, payload: rpcError(id, -32601, `method ${method || "(none)"} not supported by the local relay`) };
    let searcher = "";
    if (AUTHENTICATED.has(method)) {
      const auth = verifyFlashbotsSignature(signature, body, options.allowedSigners);
      if (!auth.ok) return { status: 403, payload: rpcError(id, -32600, auth.reason) };
      searcher = auth.address;
    }
    try {
      const result = await handler(Array.isArray(request.params) ? request.params : [], searcher);
      return { status: 200, payload: { jsonrpc: "2.0", id, result } };
    } catch (error) {
      if (error instanceof RpcFailure) return { status: error.httpStatus, payload: rpcError(id, error.code, error.message) };
      if (error instanceof InvalidBundleError) return { status: 200, payload: rpcError(id, -32602, error.message) };
      if (error instanceof NodeRpcError) return { status: 200, payload: rpcError(id, error.code, error.message) };
      return { status: 500, payload: rpcError(id, -32603, error instanceof Error ? error.message : String(error)) };
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on("end", () => {
      const signature = req.headers["x-flashbots-signature"];
      void answer(Buffer.concat(chunks), Array.isArray(signature) ? signature[0] : signature).then(({ status, payload }) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  pool.start();
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    setRefusing: (refuse) => void (refusing = refuse),
    setLanding: (land) => void (landing = land),
    bundles: () => pool.list(),
    privateTransactions: () => [...privateTxs],
    stop: () =>
      (stopping ??= (async () => {
        await pool.stop();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })()),
  };
}

function rpcError(id: unknown, code: number, message: string) {
  return { jsonrpc: "2.0", id, error: { code, message } };
}
