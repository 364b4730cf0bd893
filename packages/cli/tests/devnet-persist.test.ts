/**
 * Kept devnet data (issue 13 #5): the services write a proposal to the table and a transaction at a
 * nonce the table reserved, are stopped by PID and started again on the same data directory — the
 * proposal, the nonce, the keys, the chain and the addresses are all still there. A chain reset under
 * the kept table (its state file gone) is refused with a message saying how to start from nothing, and
 * `fresh` does. Everything runs on 127.0.0.1 and free ports, with the data in a temp directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import { DynamoNonceStore, DynamoRunStore } from "@payrox/aws";
import { createLocalDynamoClient, LOCAL_CREDENTIALS } from "@payrox/aws/testing";
import { KmsSigner } from "@payrox/chain";
import { RunState } from "@payrox/core";
import { JsonRpcProvider } from "ethers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { devnetDataPaths } from "../src/devnet/data-dir.js";
import { startDevnetServices, type DevnetServices } from "../src/devnet/services.js";
import type { DevnetState } from "../src/devnet/state.js";
import { DevnetDataError } from "../src/errors.js";
import { BIN } from "./helpers.js";

const OPTIONS = { networks: 1, activationDelaySeconds: 5, tableName: "payrox-persist" } as const;
const PROPOSAL = {
  id: "11111111-2222-4333-8444-555555555555",
  manifestJson: "{}",
  root: `0x${"ab".repeat(32)}`,
  name: "kept",
  networks: ["devnet-1"],
  createdAtMs: 1_800_000_000_000,
  proposer: "alice",
};

let dir: string;
let running: DevnetServices | undefined;
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "payrox-persist-"));
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string, fresh = false): Promise<DevnetServices> {
  running = await startDevnetServices({ ...OPTIONS, dataDir, fresh });
  return running;
}

async function stop(): Promise<void> {
  await running!.stop();
  running = undefined;
}

function tableOf(state: DevnetState) {
  const client = createLocalDynamoClient(state.dynamoEndpoint);
  return { client, tableName: state.tableName };
}

/** Reserves the signer's next nonce in the table, sends a 0-value self-transfer with it through KMS and confirms it. */
async function sendWithReservedNonce(state: DevnetState): Promise<number> {
  const network = state.networks[0]!;
  const table = tableOf(state);
  const kms = new KMSClient({ endpoint: state.kmsUrl, region: state.kmsRegion, credentials: LOCAL_CREDENTIALS });
  const provider = new JsonRpcProvider(network.rpcUrl, network.chainId, { staticNetwork: true, pollingInterval: 100 });
  try {
    const nonces = new DynamoNonceStore(table);
    const reservation = await nonces.reserve({ network: network.id, signer: network.signerAddress, chainPendingNonce: () => provider.getTransactionCount(network.signerAddress, "pending") });
    const signer = new KmsSigner({ keyId: network.kmsKeyId, client: kms }, provider);
    const tx = await signer.sendTransaction({ to: network.signerAddress, value: 0n, nonce: reservation.nonce, type: 2 });
    await nonces.confirm(reservation);
    await tx.wait();
    return reservation.nonce;
  } finally {
    provider.destroy();
    kms.destroy();
    table.client.destroy();
  }
}

/** `payrox devnet services` as its own process in `cwd`; `until` resolves with its output once it matches. */
function servicesProcess(cwd: string, ...args: string[]) {
  const child = spawn(process.execPath, [BIN, "devnet", "services", ...args], { cwd, env: { ...process.env, NO_COLOR: "1" } });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (d) => void (output += d));
  child.stderr!.on("data", (d) => void (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const until = async (pattern: RegExp): Promise<string> => {
    const deadline = Date.now() + 120_000;
    while (!pattern.test(output)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`payrox devnet services never printed ${pattern}; output:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return output;
  };
  return { pid: child.pid!, exited, until };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("startDevnetServices › kept data", () => {
  it("restarts with the proposal, the nonce, the chain and the addresses it had when stopped by PID", async () => {
    // Prepare
    const dataDir = join(dir, "restart");
    const first = (await start(dataDir)).state;
    const table = tableOf(first);
    const runs = [{ proposalId: PROPOSAL.id, network: "devnet-1", state: RunState.PROPOSED, batchesApplied: 0, batchCount: 1, version: 1, updatedAtMs: PROPOSAL.createdAtMs }];
    await new DynamoRunStore(table).createProposal(PROPOSAL, runs);
    table.client.destroy();
    const nonce = await sendWithReservedNonce(first);
    const pid = first.networks[0]!.pid!;

    // Act
    await stop();
    const stoppedNode = isRunning(pid);
    const second = (await start(dataDir)).state;

    // Assess
    expect(stoppedNode).toBe(false);
    expect(existsSync(devnetDataPaths(dataDir).chainState("devnet-1"))).toBe(true);
    expect(second.dynamoEndpoint).not.toBe(first.dynamoEndpoint);
    const { rpcUrl: _r1, pid: _p1, relayUrl: _u1, ...kept } = first.networks[0]!;
    expect(second.networks[0]).toMatchObject(kept);
    const again = tableOf(second);
    try {
      expect(await new DynamoRunStore(again).getProposal(PROPOSAL.id)).toMatchObject({ id: PROPOSAL.id, name: "kept" });
      expect(await new DynamoNonceStore(again).snapshot({ network: "devnet-1", signer: kept.signerAddress })).toMatchObject({ next: nonce + 1, outstanding: [] });
    } finally {
      again.client.destroy();
    }
    const provider = new JsonRpcProvider(second.networks[0]!.rpcUrl, second.networks[0]!.chainId, { staticNetwork: true });
    try {
      expect(await provider.getTransactionCount(kept.signerAddress, "latest")).toBe(nonce + 1);
      expect(await provider.getCode(kept.dispatcher)).not.toBe("0x");
      expect((await provider.getBlock(0))!.hash).toBe(kept.genesisHash);
    } finally {
      provider.destroy();
    }
    // The kept chain goes on: the signer's next send uses the table's next nonce and is mined.
    expect(await sendWithReservedNonce(second)).toBe(nonce + 1);
  }, 240_000);

  it("restarts on its data when the payrox devnet services process was stopped with SIGTERM by PID", async () => {
    // Prepare: the command in its own process, its data under <cwd>/.payrox/devnet
    const cwd = join(dir, "command");
    mkdirSync(cwd);
    const first = servicesProcess(cwd, "--networks", "1", "--delay", "5");
    await first.until(/state written/);
    // Act
    process.kill(first.pid, "SIGTERM");
    expect(await first.exited).toBe(0);
    const second = servicesProcess(cwd);
    const output = await second.until(/state written|can't be used/);
    process.kill(second.pid, "SIGTERM");
    await second.exited;
    // Assess
    expect(output).toContain(`restarted on the data in ${join(cwd, ".payrox", "devnet")}`);
    expect(existsSync(join(cwd, ".payrox", "devnet", "chains", "devnet-1.json"))).toBe(true);
  }, 240_000);

  it("refuses a chain that was reset under the kept table, saying how to start from nothing", async () => {
    // Prepare: a devnet with a used nonce, stopped, then its chain's state deleted (the chain forgets it)
    const dataDir = join(dir, "reset");
    const first = (await start(dataDir)).state;
    await sendWithReservedNonce(first);
    await stop();
    rmSync(devnetDataPaths(dataDir).chainState("devnet-1"));

    // Act
    const error = await startDevnetServices({ ...OPTIONS, dataDir }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DevnetDataError);
    expect(error).toMatchObject({ network: "devnet-1", dataDir: devnetDataPaths(dataDir).root });
    expect((error as Error).message).toMatch(/devnet-1's chain was reset/);
    expect((error as Error).message).toContain("payrox devnet services --fresh");
  }, 240_000);

  it("refuses a chain that lost transactions the table knows (its state saved before them), naming the nonce", async () => {
    // Prepare: the chain's state file as it was before a send the table recorded (a node killed before it saved)
    const dataDir = join(dir, "lost");
    const chainState = devnetDataPaths(dataDir).chainState("devnet-1");
    await start(dataDir);
    await stop();
    const before = join(dir, "lost-chain-before.json");
    copyFileSync(chainState, before);
    const nonce = await sendWithReservedNonce((await start(dataDir)).state);
    await stop();
    copyFileSync(before, chainState);

    // Act
    const error = await startDevnetServices({ ...OPTIONS, dataDir }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DevnetDataError);
    expect((error as Error).message).toContain(`devnet-1's chain lost transactions the table knows: the signer`);
    expect((error as Error).message).toContain(`used nonce ${nonce}, the chain counts ${nonce}`);
  }, 240_000);

  it("starts from nothing with fresh: the kept proposal is gone and the chain is new", async () => {
    // Prepare
    const dataDir = join(dir, "fresh");
    const first = (await start(dataDir)).state;
    const table = tableOf(first);
    await new DynamoRunStore(table).createProposal(PROPOSAL, [{ proposalId: PROPOSAL.id, network: "devnet-1", state: RunState.PROPOSED, batchesApplied: 0, batchCount: 1, version: 1, updatedAtMs: 0 }]);
    table.client.destroy();
    await sendWithReservedNonce(first);
    await stop();

    // Act
    const second = (await start(dataDir, true)).state;

    // Assess
    const again = tableOf(second);
    try {
      expect(await new DynamoRunStore(again).getProposal(PROPOSAL.id)).toBeUndefined();
      expect(await new DynamoNonceStore(again).snapshot({ network: "devnet-1", signer: second.networks[0]!.signerAddress })).toMatchObject({ next: 0 });
    } finally {
      again.client.destroy();
    }
    expect(second.networks[0]!.genesisHash).not.toBe(first.networks[0]!.genesisHash);
    expect(second.networks[0]!.kmsKeyId).not.toBe(first.networks[0]!.kmsKeyId);
  }, 240_000);

  it("refuses kept data of another size before starting anything", async () => {
    // Prepare
    const dataDir = join(dir, "size");
    await start(dataDir);
    await stop();

    // Act
    const error = await startDevnetServices({ ...OPTIONS, networks: 2, dataDir }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DevnetDataError);
    expect((error as Error).message).toMatch(/holds a devnet of 1 network\(s\) with a 5 s delay, not 2 with 5 s/);
  }, 240_000);
});
