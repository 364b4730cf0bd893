/**
 * Restart: the PayRox process (`payrox devnet up --attach`: scheduler + API) is killed with SIGKILL while
 * it applies batches; the chains, DynamoDB Local and the KMS server keep running (started here). A second
 * process resumes the runs from the table: every network activates, with one transaction per step, no
 * duplicate and no nonce gap.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoAuditLog, DynamoRunStore } from "@payrox/aws";
import { createLocalDynamoClient } from "@payrox/aws/testing";
import { JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnetServices, type DevnetServices } from "../src/devnet/services.js";
import { writeDevnetState } from "../src/devnet/state.js";
import { BIN } from "./helpers.js";

let services: DevnetServices;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "payrox-restart-"));
  services = await startDevnetServices({ networks: 2, activationDelaySeconds: 5, tableName: "payrox-restart" });
  writeDevnetState(join(dir, "devnet.json"), services.state);
}, 180_000);

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await services?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `payrox devnet up --attach` as its own process; `output` grows as it prints. */
function payroxProcess(...args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let output = "";
  const child = spawn(process.execPath, [BIN, "devnet", "up", "--attach", join(dir, "devnet.json"), "--api-port", "0", "--exit", ...args], { env: { ...process.env, NO_COLOR: "1" } });
  children.push(child);
  child.stdout!.on("data", (d) => void (output += d));
  child.stderr!.on("data", (d) => void (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("payrox devnet up after a SIGKILL", () => {
  it("resumes the runs in a new process and finishes them without a duplicate transaction or a nonce gap", async () => {
    // Prepare
    const client = createLocalDynamoClient(services.state.dynamoEndpoint);
    const table = { client, tableName: services.state.tableName };
    const store = new DynamoRunStore(table);
    const first = payroxProcess("--batch-size", "12");
    const proposalId = await until("the proposal id", async () => /proposal ([0-9a-f-]{36}):/.exec(first.output())?.[1], 90_000, first.output);

    // Act: kill it while a network is between its first and last batch
    const applying = await until("a run in APPLYING", async () => {
      const runs = await store.listRuns(proposalId);
      return runs.find((r) => r.state === "APPLYING" && r.batchesApplied >= 1 && r.batchesApplied < r.batchCount);
    }, 120_000, first.output);
    first.child.kill("SIGKILL");
    expect(await first.exited).toBeNull();
    const atKill = await store.listRuns(proposalId);
    const second = payroxProcess("--no-propose");
    const code = await Promise.race([second.exited, new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 240_000))]);

    // Assess
    expect(code, second.output()).toBe(0);
    expect(second.output()).toContain(`proposal ${proposalId}`);
    expect(second.output()).toContain("every network activated");
    expect(atKill.some((r) => r.state !== "ACTIVATED")).toBe(true);
    expect(applying.batchCount).toBeGreaterThanOrEqual(3);
    const entries = await new DynamoAuditLog(table).list(proposalId);
    for (const network of services.state.networks) {
      const run = (await store.getRun(proposalId, network.id))!;
      expect(run.state).toBe("ACTIVATED");
      const sent = entries.filter((e) => e.network === network.id && e.txHash).map((e) => e.txHash!);
      expect(sent).toHaveLength(run.batchCount + 2);
      expect(new Set(sent).size).toBe(sent.length);
      const provider = new JsonRpcProvider(network.rpcUrl, network.chainId, { staticNetwork: true });
      try {
        const [latest, pending] = await Promise.all([provider.getTransactionCount(network.signerAddress, "latest"), provider.getTransactionCount(network.signerAddress, "pending")]);
        // Every nonce the signer used is one of the run's steps: none skipped, none spent twice.
        expect(latest).toBe(sent.length);
        expect(pending).toBe(latest);
        const nonces = await Promise.all(sent.map(async (hash) => (await provider.getTransaction(hash))!.nonce));
        expect(nonces.sort((a, b) => a - b)).toEqual(Array.from({ length: sent.length }, (_, i) => i));
      } finally {
        provider.destroy();
      }
    }
    client.destroy();
  }, 480_000);
});
