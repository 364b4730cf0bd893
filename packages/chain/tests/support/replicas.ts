/**
 * Several anvil nodes serving one chain, for the failover tests. anvil has no peer-to-peer sync, so the
 * nodes are kept in lockstep instead: the same genesis (`--timestamp`, mnemonic, chain id) and a fixed
 * block-timestamp interval make every node mine byte-identical blocks (same hashes) as long as each
 * transaction reaches each node in the same order — which the failover provider's broadcast does.
 * Plus a JSON-RPC proxy that forwards to a node and rewrites chosen answers (a provider answering wrongly).
 * The keys are the public DEVELOPMENT keys of the test mnemonic: local chains only.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { anvilBinary, DEV_MNEMONIC, startLocalChain, type LocalChain } from "../../../../contracts/lib/local-chain.js";

/** The genesis and timing every replica shares. */
export interface ReplicaGenesis {
  timestamp: number;
  chainId: number;
}

/** Starts `count` lockstep anvil replicas of one chain (one after another: 2 cores are shared). */
export async function startReplicas(count: number, chainId = 31337): Promise<{ nodes: LocalChain[]; genesis: ReplicaGenesis }> {
  const genesis = { timestamp: Math.floor(Date.now() / 1000), chainId };
  const nodes: LocalChain[] = [];
  for (let i = 0; i < count; i++) nodes.push(await startLocalChain({ kind: "anvil", chainId, extraArgs: ["--timestamp", String(genesis.timestamp)] }));
  for (const node of nodes) await lockstep(node.rpcUrl);
  return { nodes, genesis };
}

/**
 * Starts a fresh replica on `port` (after that port's node was stopped): the same genesis, so the same
 * chain, but none of the blocks mined since — a node that came back empty. Stopped by PID.
 */
export async function restartReplica(port: number, genesis: ReplicaGenesis): Promise<{ pid: number; stop(): Promise<void> }> {
  const args = ["--host", "127.0.0.1", "--port", String(port), "--mnemonic", DEV_MNEMONIC, "--chain-id", String(genesis.chainId), "--timestamp", String(genesis.timestamp)];
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", "ignore", "ignore"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (await answers(url)) break;
    if (i > 300 || child.exitCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`anvil did not come back on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await lockstep(url);
  return {
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Raw JSON-RPC to one node (no failover). */
export async function nodeRpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method} on ${url}: ${body.error.message}`);
  return body.result as T;
}

/** Each block's timestamp is its parent's + 1 s, on every replica alike (wall clock left out). */
async function lockstep(url: string): Promise<void> {
  await nodeRpc(url, "anvil_setBlockTimestampInterval", [1]);
}

async function answers(url: string): Promise<boolean> {
  try {
    await nodeRpc(url, "eth_chainId");
    return true;
  } catch {
    return false;
  }
}

/** How the proxy rewrites a result: return the replacement, or undefined to leave it alone. */
export type Tamper = (method: string, params: unknown[], result: unknown) => unknown;

/** A JSON-RPC proxy on 127.0.0.1 that forwards to `target` and lets `tamper` rewrite results while `enabled`. */
export interface TamperProxy {
  url: string;
  enabled: boolean;
  /** Results it rewrote, by method. */
  tampered: Record<string, number>;
  close(): Promise<void>;
}

/** Starts a {@link TamperProxy} on a free port. */
export async function startTamperProxy(target: string, tamper: Tamper): Promise<TamperProxy> {
  const proxy: TamperProxy = { url: "", enabled: false, tampered: {}, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        const request = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { method: string; params?: unknown[] };
        const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) });
        const body = (await upstream.json()) as { result?: unknown };
        if (proxy.enabled && "result" in body) {
          const replaced = tamper(request.method, request.params ?? [], body.result);
          if (replaced !== undefined) {
            body.result = replaced;
            proxy.tampered[request.method] = (proxy.tampered[request.method] ?? 0) + 1;
          }
        }
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      })().catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  proxy.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy;
}
