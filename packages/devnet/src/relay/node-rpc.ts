/** Minimal JSON-RPC client for the local node behind the relay. */

/** A JSON-RPC error returned by the node, kept with its code and data. */
export class NodeRpcError extends Error {
  constructor(readonly method: string, readonly code: number, message: string, readonly data?: unknown) {
    super(`${method}: ${message}`);
    this.name = "NodeRpcError";
  }
}

/** Calls `method` on the node; throws {@link NodeRpcError} for a JSON-RPC error. */
export type NodeRpc = <T = unknown>(method: string, params?: unknown[]) => Promise<T>;

/** A {@link NodeRpc} for the node at `url`. */
export function nodeRpc(url: string, timeoutMs = 10_000): NodeRpc {
  let id = 0;
  return async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { result?: T; error?: { code: number; message: string; data?: unknown } };
    if (body.error) throw new NodeRpcError(method, body.error.code, body.error.message, body.error.data);
    return body.result as T;
  };
}
