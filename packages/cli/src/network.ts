/**
 * The network side of a command, loaded only when a command is given `--rpc`: offline commands never
 * load the chain adapters (and the SDKs they pull in).
 */
import type { RpcConnection } from "@payrox/chain/dispatcher";

/** @payrox/chain/dispatcher, loaded on demand. */
export type ChainAdapters = typeof import("@payrox/chain/dispatcher");

/** Connects to `url`, runs `use`, and always closes the connection. */
export async function withRpc<T>(url: string, use: (rpc: RpcConnection, chain: ChainAdapters) => Promise<T>): Promise<T> {
  const chain = await import("@payrox/chain/dispatcher");
  const rpc = await chain.connectRpc(url);
  try {
    return await use(rpc, chain);
  } finally {
    rpc.destroy();
  }
}
