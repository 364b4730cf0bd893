/**
 * `payrox devnet up` end to end on the real local services: two anvil nodes (devnet-1 behind the local
 * Flashbots relay, devnet-2 L2-like), DynamoDB Local, the local KMS server, the LocalScheduler, and the
 * functions' real API / step / watchdog handlers behind the local API server. Then the API commands of
 * the CLI against that API, as a user would explore it.
 */
import { chmod, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadArtifact } from "@payrox/contracts/lib/artifacts";
import { DEV_PRIVATE_KEY } from "@payrox/contracts/lib/local-chain";
import { ApprovalAction, approvalHashes, approvalTypedData } from "@payrox/core";
import { Contract, JsonRpcProvider, TypedDataEncoder, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../src/api-client.js";
import { DEVNET_ONLY_APPROVER_KEYS } from "../src/devnet/approvers.js";
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

  it("commits only after two of its three DEVELOPMENT approvers signed through the API, and prints the digest they signed", async () => {
    // Prepare
    const [summary] = devnet.summaries;
    const client = new ApiClient({ baseUrl: devnet.apiUrl, signer: "none" });
    const view = await client.approvals(summary!.proposalId);
    const expected = approvalHashes(approvalTypedData(view.subject, ApprovalAction.APPROVE, 0));
    const events = (await client.audit(summary!.proposalId)).entries.map((e) => e.event);

    // Assess: 0/2 → 1/2 → 2/2, in that order, before any network committed
    const progress = ["AWAITING_APPROVAL 0/2", "AWAITING_APPROVAL 1/2", "2/2 → APPROVED, commits scheduled", "devnet-1 COMMITTED"].map((line) => output.indexOf(line));
    expect(progress.every((at) => at >= 0), output).toBe(true);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(view).toMatchObject({ status: "APPROVED", threshold: 2, approved: 2 });
    expect(view.approvers.map((a) => a.status)).toEqual(["approved", "approved", "none"]);
    expect(events.filter((e) => e === "approval.approved")).toHaveLength(2);
    expect(events.indexOf("proposal.approved")).toBeLessThan(events.indexOf("commit.confirmed"));
    expect(summary!.approval).toEqual({ approved: 2, threshold: 2, digests: [{ ...expected, approvers: ["devnet-approver-1", "devnet-approver-2"] }] });
    expect(output).toMatch(new RegExp(`EIP-712 domain separator +${expected.domainSeparator}`));
    expect(output).toMatch(new RegExp(`digest +${expected.digest}`));
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

describe("payrox approve against the devnet's API", () => {
  let proposalId: string;
  const [first, second, third] = DEVNET_ONLY_APPROVER_KEYS.map((a) => new Wallet(a.privateKey));

  /** A key file readable by its owner only, as `approve --key-file` wants it. */
  async function keyFile(wallet: Wallet): Promise<string> {
    const path = join(await mkdtemp(join(tmpdir(), "payrox-approver-")), "approver.key");
    await writeFile(path, wallet.privateKey + "\n", { mode: 0o600 });
    await chmod(path, 0o600);
    return path;
  }

  beforeAll(async () => {
    const { code, stdout, stderr } = await cli("propose", await writeExampleManifest("approve-cli", devnet.state.networks.map((n) => n.id)), "--networks", devnet.state.networks.map((n) => n.id).join(","));
    expect(code, stderr).toBe(0);
    expect(stdout).toContain("AWAITING_APPROVAL 0/2: nothing is committed before 2 approver(s) sign");
    proposalId = /^proposal ([0-9a-f-]{36}) /.exec(stdout)![1]!;
  });

  it("shows the proposal awaiting approval in payrox status", async () => {
    const { code, stdout } = await cli("status", proposalId);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^approval: AWAITING_APPROVAL, threshold 2, signatures accepted until \d{4}-.*payrox approve/m);
    expect(stdout).toMatch(/devnet-1 +PROPOSED/);
  });

  it("prints typed data an external wallet signs, whose digest matches, and sends that signature", async () => {
    // Act: --print, signed outside the CLI from the printed JSON alone, then --signature
    const printed = await cli("approve", proposalId, "--print", "--approver", first!.address, "--json");
    const human = await cli("approve", proposalId, "--print", "--approver", first!.address);
    const shown = JSON.parse(printed.stdout) as { typedData: { types: Record<string, { name: string; type: string }[]>; domain: Record<string, string>; message: Record<string, unknown>; primaryType: string }; digest: string; domainSeparator: string; nonce: number };
    const { EIP712Domain: _domain, ...types } = shown.typedData.types;
    const signature = await first!.signTypedData(shown.typedData.domain, types, shown.typedData.message);
    const sent = await cli("approve", proposalId, "--signature", signature, "--approver", first!.address.toLowerCase(), "--json");

    // Assess
    expect(printed.code, printed.stderr).toBe(0);
    const block = human.stdout.slice(human.stdout.indexOf("typed data (eth_signTypedData_v4):\n") + 35, human.stdout.indexOf("\n\nsign it, then send the signature"));
    expect(JSON.parse(block)).toEqual(shown.typedData);
    expect(human.stdout).toMatch(new RegExp(`^digest +${shown.digest}$`, "m"));
    expect(human.stdout).toContain(`payrox approve ${proposalId} --signature 0x… --approver ${first!.address} --nonce 0`);
    expect(shown.typedData.primaryType).toBe("Approve");
    expect(shown.nonce).toBe(0);
    expect(TypedDataEncoder.hash(shown.typedData.domain, types, shown.typedData.message)).toBe(shown.digest);
    const view = await new ApiClient({ baseUrl: devnet.apiUrl, signer: "none" }).approvals(proposalId);
    expect(shown.digest).toBe(approvalHashes(approvalTypedData(view.subject, ApprovalAction.APPROVE, 0)).digest);
    expect(sent.code, sent.stderr).toBe(0);
    expect(JSON.parse(sent.stdout).result).toMatchObject({ status: "AWAITING_APPROVAL", approvals: 1, threshold: 2, scheduled: false });
    expect(view.approvers[0]).toMatchObject({ status: "approved", nextNonce: 1, digest: shown.digest });
  });

  it("passes the API's refusals through with their codes: a second approval (409), the proposer's own key (403)", async () => {
    // Act
    const again = await cli("approve", proposalId, "--key-file", await keyFile(first!));
    const own = await cli("approve", proposalId, "--key-file", await keyFile(third!));

    // Assess
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/409 duplicate-approval/);
    expect(own.code).toBe(1);
    expect(own.stderr).toMatch(/403 self-approval/);
  });

  it("refuses a key the policy does not list before signing anything", async () => {
    // Act
    const { code, stderr } = await cli("approve", proposalId, "--key-file", await keyFile(new Wallet(DEV_PRIVATE_KEY)));

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(/is not an approver of proposal .*devnet-approver-1 0x14dC/);
    const { entries } = await new ApiClient({ baseUrl: devnet.apiUrl, signer: "none" }).audit(proposalId);
    expect(entries.filter((e) => e.event === "approval.refused").map((e) => e.details?.code)).toEqual(["duplicate-approval", "self-approval"]);
  });

  it("withdraws with the key file, showing the hashes it signed and 0/2, then a Reject cancels the proposal before anything is sent on chain", async () => {
    // Act
    const withdrawn = await cli("approve", proposalId, "--key-file", await keyFile(first!), "--withdraw");
    const rejected = await cli("approve", proposalId, "--key-file", await keyFile(second!), "--reject", "--json");
    const status = await cli("status", proposalId, "--json");

    // Assess
    expect(withdrawn.code, withdrawn.stderr).toBe(0);
    expect(withdrawn.stdout).toMatch(/^Withdraw proposal .* as devnet-approver-1 \(0x14dC79964da2C08b23698B3D3cc7Ca32193d9955\), nonce 1$/m);
    expect(withdrawn.stdout).toMatch(/EIP-712 domain separator +0x[0-9a-f]{64}\nstruct hash +0x[0-9a-f]{64}\ndigest +0x[0-9a-f]{64}/);
    expect(withdrawn.stdout).toContain("approvals: AWAITING_APPROVAL 0/2");
    expect(withdrawn.stdout + withdrawn.stderr).not.toContain(first!.privateKey.slice(2));
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(JSON.parse(rejected.stdout).result).toMatchObject({ status: "REJECTED", rejected: true });
    const view = JSON.parse(status.stdout) as { proposal: { approval?: { status: string } }; runs: { state: string }[] };
    expect(view.proposal.approval?.status).toBe("REJECTED");
    expect(view.runs.every((r) => r.state === "CANCELLED")).toBe(true);
    const { entries } = await new ApiClient({ baseUrl: devnet.apiUrl, signer: "none" }).audit(proposalId);
    expect(entries.some((e) => e.txHash)).toBe(false);
  });
});

async function writeExampleManifest(name = "unknown-network-try", networks?: string[]): Promise<string> {
  const { exampleManifest } = await import("../src/devnet/example-manifest.js");
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const file = join(mkdtempSync(join(tmpdir(), "payrox-cli-")), "manifest.json");
  writeFileSync(file, JSON.stringify(await exampleManifest(devnet.state, name, { selectors: 70, ...(networks && { networks }) })));
  return file;
}
