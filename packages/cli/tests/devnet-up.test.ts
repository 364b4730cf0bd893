/**
 * `payrox devnet up` end to end on the real local services: two anvil nodes (devnet-1 behind the local
 * Flashbots relay, devnet-2 L2-like), DynamoDB Local, the local KMS server, the LocalScheduler, and the
 * functions' real API / step / watchdog handlers behind the local API server. Then the API commands of
 * the CLI against that API, as a user would explore it.
 */
import { loadArtifact } from "@payrox/contracts/lib/artifacts";
import { DEV_PRIVATE_KEY } from "@payrox/contracts/lib/local-chain";
import { Contract, JsonRpcProvider, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devnetUp, type DevnetUp } from "../src/devnet/up.js";
import { run } from "../src/run.js";

let devnet: DevnetUp;
let output = "";

beforeAll(async () => {
  devnet = await devnetUp({ networks: 2, delaySeconds: 4, maxBatchSize: 24, apiPort: 0, out: { write: (t) => void (output += t), isTTY: false }, pollMs: 250 });
}, 240_000);

afterAll(async () => {
  await devnet?.stop();
});

/** Runs `payrox <args…>` in-process against the devnet's API. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run([...args, "--api", devnet.apiUrl], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd: process.cwd() });
  return { code, stdout, stderr };
}

describe("devnetUp", () => {
  it("activates the example upgrade on both networks in at least 3 batches each, never before the ETA, with a verified audit chain", () => {
    // Assess
    const [summary] = devnet.summaries;
    expect(summary).toBeDefined();
    expect(summary!.allActivated).toBe(true);
    expect(summary!.audit.ok).toBe(true);
    for (const network of summary!.networks) {
      expect(network.state).toBe("ACTIVATED");
      expect(network.gas.applyBatches).toBeGreaterThanOrEqual(3);
      // commit + every apply batch + activation, each exactly once
      expect(network.transactions).toBe(network.gas.applyBatches + 2);
      expect(network.latenessSeconds).toBeGreaterThanOrEqual(0);
    }
    expect(output).toMatch(/devnet-1 +APPLYING/);
    expect(output).toContain("every network activated");
  });

  it("routes calls through the dispatcher to the new facets on every network", async () => {
    for (const network of devnet.state.networks) {
      // Prepare
      const provider = new JsonRpcProvider(network.rpcUrl, network.chainId, { staticNetwork: true, cacheTimeout: -1 });
      const caller = new Wallet(DEV_PRIVATE_KEY, provider); // public DEVELOPMENT key, local chain only
      const counter = new Contract(network.dispatcher, loadArtifact("CounterFacetV1").abi as never, caller);
      const bench = new Contract(network.dispatcher, loadArtifact("BenchFacet").abi as never, provider);
      try {
        // Act
        await (await counter.getFunction("increment")()).wait();
        // Assess
        expect(await counter.getFunction("version")()).toBe(1n);
        expect(await counter.getFunction("count")()).toBe(1n);
        expect(await bench.getFunction("f07")()).toBe(7n);
      } finally {
        provider.destroy();
      }
    }
  });

  it("sent devnet-1's transactions as bundles through its local Flashbots relay", async () => {
    // Prepare
    const network = devnet.state.networks.find((n) => n.id === "devnet-1")!;
    const relay = devnet.services!.relays["devnet-1"]!;
    const provider = new JsonRpcProvider(network.rpcUrl, network.chainId, { staticNetwork: true });
    try {
      // Act: every transaction the KMS signer sent on devnet-1, from the audit trail
      const { code, stdout } = await cli("audit", devnet.summaries[0]!.proposalId, "--json");
      expect(code).toBe(0);
      const hashes = (JSON.parse(stdout) as { entries: { network?: string; txHash?: string }[] }).entries.filter((e) => e.network === "devnet-1" && e.txHash).map((e) => e.txHash!);
      // Assess
      const bundled = new Set(relay.bundles().filter((b) => b.state === "included" || b.state === "sent").flatMap((b) => b.txHashes));
      expect(hashes.length).toBeGreaterThanOrEqual(5);
      for (const hash of hashes) expect(bundled.has(hash), `${hash} never handed to the node as a bundle`).toBe(true);
      expect(await provider.getTransactionCount(network.signerAddress, "latest")).toBe(hashes.length);
      expect(devnet.services!.relays["devnet-2"]).toBeUndefined();
    } finally {
      provider.destroy();
    }
  });
});

describe("payrox API commands against the devnet", () => {
  it("shows the proposal's state per network", async () => {
    const id = devnet.summaries[0]!.proposalId;
    const { code, stdout } = await cli("status", id);
    expect(code).toBe(0);
    expect(stdout).toMatch(/devnet-1 +ACTIVATED/);
    expect(stdout).toMatch(/devnet-2 +ACTIVATED/);
  });

  it("lists recent proposals without an id", async () => {
    const { code, stdout } = await cli("status");
    expect(code).toBe(0);
    expect(stdout).toContain(devnet.summaries[0]!.proposalId);
  });

  it("prints and verifies the audit trail", async () => {
    const { code, stdout } = await cli("audit", devnet.summaries[0]!.proposalId, "--verify");
    expect(code).toBe(0);
    expect(stdout).toContain("run.activated");
    expect(stdout).toMatch(/chain verified: \d+ entries/);
  });

  it("lists the networks with the devnet's two marked configured", async () => {
    const { code, stdout } = await cli("networks", "--json");
    expect(code).toBe(0);
    const { networks } = JSON.parse(stdout) as { networks: { id: string; configured?: boolean }[] };
    expect(networks.filter((n) => n.configured).map((n) => n.id).sort()).toEqual(["devnet-1", "devnet-2"]);
  });

  it("answers a proposal of an unknown network with the API's code and exit 1, proposing nothing", async () => {
    const before = await cli("status", "--json");
    const manifestFile = await writeExampleManifest();
    const { code, stderr } = await cli("propose", manifestFile, "--networks", "devnet-9");
    expect(code).toBe(1);
    expect(stderr).toMatch(/400 unknown-network/);
    const after = await cli("status", "--json");
    expect(JSON.parse(after.stdout).proposals).toHaveLength(JSON.parse(before.stdout).proposals.length);
  });

  it("answers 409 to cancelling a finished proposal", async () => {
    const { code, stderr } = await cli("cancel", devnet.summaries[0]!.proposalId);
    expect(code).toBe(1);
    expect(stderr).toMatch(/409 proposal-finished/);
  });

  it("tells the user when no API answers at --api", async () => {
    let stderr = "";
    const code = await run(["status", "--api", "http://127.0.0.1:9"], { stdout: () => undefined, stderr: (t) => void (stderr += t), cwd: process.cwd() });
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot use the PayRox API at http:\/\/127\.0\.0\.1:9/);
  });
});

async function writeExampleManifest(): Promise<string> {
  const { exampleManifest } = await import("../src/devnet/example-manifest.js");
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const file = join(mkdtempSync(join(tmpdir(), "payrox-cli-")), "manifest.json");
  writeFileSync(file, JSON.stringify(await exampleManifest(devnet.state, "unknown-network-try", { selectors: 70 })));
  return file;
}
