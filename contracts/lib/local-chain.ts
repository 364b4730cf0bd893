/**
 * Local EVM nodes for tests and scripts: an anvil binary (from the `@foundry-rs/anvil-*` npm package) or a
 * `hardhat node`, bound to 127.0.0.1 on a free port, owned by this process and killed by PID.
 *
 * Both kinds use the standard test mnemonic ("test test … junk"), so account #0 is the same funded address
 * on either. SECURITY: these keys are public, well-known DEVELOPMENT keys. Anything sent to them on a real
 * network is taken by bots within seconds; never use them outside a throwaway local chain.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { JsonRpcProvider, Wallet } from "ethers";

/** The standard Hardhat/Foundry test mnemonic. A public, well-known DEVELOPMENT mnemonic: never use on a real network. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/**
 * Private key of dev account #0 (m/44'/60'/0'/0/0 of {@link DEV_MNEMONIC}). A publicly known DEVELOPMENT key:
 * funded only on local chains, never use it on a real network.
 */
export const DEV_PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/** Address of dev account #0 ({@link DEV_PRIVATE_KEY}); funded with 10,000 ETH on both node kinds. */
export const DEV_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

/** Which node implementation to run. */
export type LocalChainKind = "anvil" | "hardhat";

/** Options of {@link startLocalChain}. */
export interface LocalChainOptions {
  kind: LocalChainKind;
  /** Chain id; defaults to 31337 (both nodes' default). For hardhat it overrides `networks.hardhat.chainId`. */
  chainId?: number;
  /** Interval mining, in seconds. Default: automine (a block per transaction). */
  blockTime?: number;
  /** EVM hardfork (anvil `--hardfork`, hardhat `networks.hardhat.hardfork`). Default: the node's / config's own. */
  hardfork?: string;
  /** Milliseconds to wait for `eth_chainId` to answer. Default 60,000 (hardhat takes a few seconds to start). */
  startTimeoutMs?: number;
  /** Milliseconds {@link LocalChain.stop} waits after SIGTERM before SIGKILL. Default 3,000. */
  stopGraceMs?: number;
  /** Attempts with a fresh port when the chosen one turns out to be taken (EADDRINUSE). Default 5. */
  portAttempts?: number;
  /** Hardhat config file. Default: contracts/hardhat.config.cjs of this package. */
  hardhatConfig?: string;
  /** Working directory of the node. Default: this package's root (contracts/). */
  cwd?: string;
  /** Extra command-line arguments (anvil only; not `--silent`: readiness needs anvil's "Listening on" line). */
  extraArgs?: string[];
}

/** A running local node, owned by this process. */
export interface LocalChain {
  kind: LocalChainKind;
  /** `http://127.0.0.1:<port>` */
  rpcUrl: string;
  port: number;
  /** The chain id the node reported through `eth_chainId`. */
  chainId: number;
  /** PID of the node process itself (not of a wrapper). */
  pid: number;
  /** The last lines the node wrote to stdout/stderr (for diagnostics). */
  outputTail(): string;
  /** Kills the node (SIGTERM, then SIGKILL after the grace period) and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));
const requireFromHere = createRequire(import.meta.url);
const TAIL_BYTES = 8192;

/** Nodes started by this process and not yet exited; killed synchronously when the process exits. */
const live = new Map<number, ChildProcess>();
let exitHooksInstalled = false;

/**
 * Starts a local EVM node on 127.0.0.1 and a free port, and resolves once it answers `eth_chainId`.
 * The node is killed on {@link LocalChain.stop} and, as a safety net, when this process exits.
 *
 * @throws if the node exits early or does not answer within `startTimeoutMs` (the message includes the tail
 *   of its output), or if it reports a chain id other than the requested one.
 */
export async function startLocalChain(options: LocalChainOptions): Promise<LocalChain> {
  const attempts = options.portAttempts ?? 5;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = await freePort();
    try {
      return await startOnPort(options, port);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortInUseError)) throw error;
    }
  }
  throw new Error(`could not start ${options.kind}: no free port after ${attempts} attempts`, { cause: lastError });
}

/**
 * An ethers v6 provider for `chain` (or an RPC URL) and a `Wallet` for dev account #0 ({@link DEV_PRIVATE_KEY},
 * a publicly known DEVELOPMENT key). Tuned for local nodes: static network (given a {@link LocalChain}),
 * 100 ms polling, and no response cache — ethers otherwise serves an identical request (e.g. `getCode(addr)`)
 * from a 250 ms cache, so a read right after a transaction can return pre-transaction state.
 * Call `provider.destroy()` when done.
 */
export function devWallet(chain: Pick<LocalChain, "rpcUrl" | "chainId"> | string): { provider: JsonRpcProvider; wallet: Wallet } {
  const options = { pollingInterval: 100, cacheTimeout: -1 };
  const provider =
    typeof chain === "string"
      ? new JsonRpcProvider(chain, undefined, options)
      : new JsonRpcProvider(chain.rpcUrl, chain.chainId, { ...options, staticNetwork: true });
  return { provider, wallet: new Wallet(DEV_PRIVATE_KEY, provider) };
}

/** Path of the anvil binary shipped by the `@foundry-rs/anvil-linux-amd64` (or matching platform) npm package. */
export function anvilBinary(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}/package.json`;
  let dir: string;
  try {
    dir = dirname(requireFromHere.resolve(pkg));
  } catch {
    throw new Error(`anvil binary not found: ${pkg} is not installed (it comes with the @foundry-rs/anvil devDependency)`);
  }
  const bin = join(dir, "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  if (!existsSync(bin)) throw new Error(`anvil binary missing at ${bin}`);
  return bin;
}

class PortInUseError extends Error {}

/** Runs `hardhat node` in-process of a fresh Node.js (so the PID is the node itself), with config overrides. */
const HARDHAT_LAUNCHER = `
const [hardhatLib, hostname, port] = process.argv.slice(3);
const overrides = JSON.parse(process.env.PAYROX_HARDHAT_NODE_OVERRIDES || "{}");
const hre = require(hardhatLib);
const net = hre.config.networks.hardhat;
// The provider is created lazily from this object, so overrides made before the first request apply.
if (overrides.chainId !== undefined) net.chainId = overrides.chainId;
if (overrides.hardfork !== undefined) net.hardfork = overrides.hardfork;
if (overrides.blockTimeMs !== undefined) net.mining = { ...net.mining, auto: false, interval: overrides.blockTimeMs };
hre.run("node", { hostname, port: Number(port) }).then(
  () => process.exit(0),
  (error) => { console.error(error && error.stack || String(error)); process.exit(1); },
);
`;

function spawnNode(options: LocalChainOptions, port: number): ChildProcess {
  const cwd = options.cwd ?? PACKAGE_ROOT;
  if (options.kind === "anvil") {
    const args = ["--host", "127.0.0.1", "--port", String(port), "--mnemonic", DEV_MNEMONIC];
    if (options.chainId !== undefined) args.push("--chain-id", String(options.chainId));
    if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime));
    if (options.hardfork !== undefined) args.push("--hardfork", options.hardfork);
    args.push(...(options.extraArgs ?? []));
    return spawn(anvilBinary(), args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  }
  if (options.extraArgs?.length) throw new Error("extraArgs is only supported for anvil");
  const hardhatLib = createRequire(join(cwd, "package.json")).resolve("hardhat");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HARDHAT_CONFIG: options.hardhatConfig ?? join(PACKAGE_ROOT, "hardhat.config.cjs"),
    PAYROX_HARDHAT_NODE_OVERRIDES: JSON.stringify({
      chainId: options.chainId,
      hardfork: options.hardfork,
      blockTimeMs: options.blockTime === undefined ? undefined : Math.round(options.blockTime * 1000),
    }),
  };
  // `hardhat node` refuses any --network other than hardhat.
  delete env.HARDHAT_NETWORK;
  // argv after "--" reads as "hardhat node --hostname … --port …" in ps/pgrep.
  const args = ["-e", HARDHAT_LAUNCHER, "--", "hardhat", "node", hardhatLib, "127.0.0.1", String(port)];
  return spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
}

async function startOnPort(options: LocalChainOptions, port: number): Promise<LocalChain> {
  const child = spawnNode(options, port);
  let tail = "";
  // Both nodes print their address once listening (anvil "Listening on 127.0.0.1:P", hardhat "… at
  // http://127.0.0.1:P/"). Requiring it guards against another process's node answering on the same port.
  const address = `127.0.0.1:${port}`;
  let listening = false;
  const append = (chunk: Buffer) => {
    const text = tail + chunk.toString("utf8");
    listening ||= text.includes(address);
    tail = text.slice(-TAIL_BYTES);
  };
  // Always drain both pipes: a full pipe would block the node.
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  // 'close' comes after 'exit' once the pipes are drained, so the tail then holds the node's last words.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  // A persistent listener: an unhandled 'error' event (e.g. a failed kill) would throw.
  const spawnError = new Promise<Error>((resolve) => child.on("error", resolve));
  let gone = false;
  void exited.then(() => {
    gone = true;
    if (child.pid !== undefined) live.delete(child.pid);
    if (live.size === 0) uninstallExitHooks();
  });

  const spawned = await Promise.race([
    new Promise<true>((resolve) => child.once("spawn", () => resolve(true))),
    spawnError,
  ]);
  if (spawned !== true) throw new Error(`could not spawn ${options.kind}: ${spawned.message}`);
  const pid = child.pid!;
  live.set(pid, child);
  installExitHooks();

  const grace = options.stopGraceMs ?? 3_000;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (gone) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (!gone) child.kill("SIGKILL");
      }, grace);
      await exited;
      clearTimeout(timer);
    })());

  const rpcUrl = `http://127.0.0.1:${port}`;
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const describe = () => `${options.kind} (pid ${pid}, ${rpcUrl})`;
  const withTail = (message: string) => `${message}\n--- ${options.kind} output (tail) ---\n${tail.trim() || "(none)"}`;

  let chainId: number | undefined;
  while (chainId === undefined) {
    if (gone) {
      await Promise.race([closed, sleep(1_000)]);
      if (/EADDRINUSE|address already in use/i.test(tail)) throw new PortInUseError(withTail(`${describe()}: port ${port} in use`));
      throw new Error(withTail(`${describe()} exited (code ${child.exitCode}, signal ${child.signalCode}) before answering eth_chainId`));
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(withTail(`${describe()} did not ${listening ? "answer eth_chainId" : `report listening on ${address}`} within ${timeoutMs} ms`));
    }
    chainId = listening ? await rpcChainId(rpcUrl) : undefined;
    if (chainId === undefined) await Promise.race([sleep(100), exited]);
  }
  if (options.chainId !== undefined && chainId !== options.chainId) {
    await stop();
    throw new Error(withTail(`${describe()} reports chain id ${chainId}, expected ${options.chainId}`));
  }
  return { kind: options.kind, rpcUrl, port, chainId, pid, outputTail: () => tail, stop };
}

/** eth_chainId as a number, or undefined while the node is not answering yet. */
async function rpcChainId(rpcUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(2_000),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { result?: string };
    return typeof body.result === "string" ? Number(BigInt(body.result)) : undefined;
  } catch {
    return undefined;
  }
}

/** A port that was free a moment ago (the OS picks it for a listener on port 0, which is then closed). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("could not get a free port"))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Synchronous last resort: 'exit' handlers cannot await, so the nodes get SIGKILL there. On SIGINT/SIGTERM
 * they get SIGTERM: they exit on their own, and an anvil started with `--state` saves its chain first.
 */
function killAllNow(signal: NodeJS.Signals = "SIGKILL"): void {
  for (const [pid, child] of live) {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
    live.delete(pid);
  }
}

function onExit(): void {
  killAllNow("SIGKILL");
}

/** On SIGINT/SIGTERM stop the nodes, then let the signal do what it would have done without this handler. */
function onSignal(signal: NodeJS.Signals): void {
  killAllNow("SIGTERM");
  uninstallExitHooks();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on("exit", onExit);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

function uninstallExitHooks(): void {
  if (!exitHooksInstalled) return;
  exitHooksInstalled = false;
  process.off("exit", onExit);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
}
