/**
 * A JSON-RPC connection for one command run: the endpoint is probed once with a timeout, so a wrong
 * URL fails fast with a typed error instead of ethers' endless "failed to detect network" retries.
 */
import { JsonRpcProvider, Network } from "ethers";
import { RpcUnreachableError } from "./errors.js";

/** Options of {@link connectRpc}. */
export interface ConnectRpcOptions {
  /** Milliseconds to wait for `eth_chainId`. @default 10_000 */
  timeoutMs?: number;
}

/** A connected endpoint. Call `destroy()` when done so the process can exit. */
export interface RpcConnection {
  url: string;
  chainId: bigint;
  provider: JsonRpcProvider;
  /** Runtime code of `address` at the latest block (`eth_getCode`); "0x" when there is none. */
  readCode: (address: string) => Promise<string>;
  destroy: () => void;
}

/**
 * Connects to `url` after checking that it answers `eth_chainId`.
 * @throws RpcUnreachableError when it does not within `timeoutMs`.
 * @example
 * const rpc = await connectRpc("http://127.0.0.1:8545");
 * try { console.log(await rpc.readCode(facet)); } finally { rpc.destroy(); }
 */
export async function connectRpc(url: string, options: ConnectRpcOptions = {}): Promise<RpcConnection> {
  const chainId = await probeChainId(url, options.timeoutMs ?? 10_000);
  // Static network: no background detection; no response cache: reads right after a transaction
  // must not be served from ethers' 250 ms cache.
  const provider = new JsonRpcProvider(url, Network.from(chainId), { staticNetwork: true, cacheTimeout: -1, pollingInterval: 250 });
  return { url, chainId, provider, readCode: (address) => provider.getCode(address), destroy: () => provider.destroy() };
}

async function probeChainId(url: string, timeoutMs: number): Promise<bigint> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new RpcUnreachableError(url, reasonOf(error, timeoutMs), { cause: error });
  }
  const body = (await response.json().catch(() => undefined)) as { result?: unknown } | undefined;
  if (!response.ok || typeof body?.result !== "string" || !/^0x[0-9a-fA-F]+$/.test(body.result)) {
    throw new RpcUnreachableError(url, `HTTP ${response.status}, no eth_chainId result`);
  }
  return BigInt(body.result);
}

function reasonOf(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `no answer within ${timeoutMs} ms`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}
