/**
 * The KMS key rotation drill on the devnet (real anvil nodes, the local KMS server, DynamoDB Local, the
 * PayRox process in this test's process): `payrox keys rotate` runs while a proposal is between its
 * commit and its activation; the run finishes, its later transactions signed by the new key; the old key
 * loses its roles; a stale worker still configured with the old key is refused on chain
 * (RetiredSignerError), alerted as unauthorized-signer, and its run is then completed with the new key.
 * The rotation is audited (operations stream) and the audit trails are anchored to the devnet's file.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import { DynamoAuditLog, DynamoChainCursorStore, DynamoJobStore, DynamoRunStore } from "@payrox/aws";
import { createLocalDynamoClient, LOCAL_CREDENTIALS } from "@payrox/aws/testing";
import { ApprovalAction, approvalSubject, approvalTypedData, approveProposal, OPERATIONS_AUDIT_STREAM, proposeUpgrade, RetiredSignerError, runStep, serializeManifest, type Alert, type ScheduledJob } from "@payrox/core";
import { loadArtifact } from "@payrox/contracts/lib/artifacts";
import { LocalScheduler } from "@payrox/devnet";
import { Contract, JsonRpcProvider, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../src/api-client.js";
import { approveAsDevnet } from "../src/devnet/approve.js";
import { DEVNET_ONLY_APPROVER_KEYS, DEVNET_PRINCIPAL } from "../src/devnet/approvers.js";
import { exampleManifest } from "../src/devnet/example-manifest.js";
import { DEVNET_SCHEDULER_OPTIONS, devnetFunctionsEnv, startLocalPayRox, type LocalPayRox } from "../src/devnet/local-payrox.js";
import { startDevnetServices, type DevnetServices } from "../src/devnet/services.js";
import { readDevnetState, writeDevnetState } from "../src/devnet/state.js";
import { run } from "../src/run.js";

const NETWORK = "devnet-1";
let services: DevnetServices;
let dir: string;
let stateFile: string;
let payrox: LocalPayRox | undefined;
const alerts: Alert[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "payrox-rotation-"));
  stateFile = join(dir, "devnet.json");
  services = await startDevnetServices({ networks: 2, activationDelaySeconds: 8, tableName: "payrox-rotation" });
  writeDevnetState(stateFile, services.state);
}, 180_000);

afterAll(async () => {
  await payrox?.stop();
  await services?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 150_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; alerts: ${alerts.map((a) => `${a.type}: ${a.message}`).join(" | ")}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function cli(...args: string[]): Promise<{ code: number; output: string }> {
  const out: string[] = [];
  const code = await run(args, { stdout: (t) => out.push(t), stderr: (t) => out.push(t), cwd: dir });
  return { code, output: out.join("") };
}

const startPayRox = async () => (payrox = await startLocalPayRox(readDevnetState(stateFile), { stateFile, watchdogIntervalMs: 2_000, maxBatchSize: 24, onAlert: (a) => void alerts.push(a), ...(process.env.PAYROX_TEST_TRACE && { onStepError: (e: unknown) => console.error("step error", (e as Error).message) }) }));

describe("payrox keys rotate on the devnet", () => {
  it("rotates devnet-1's signer with a run pending: the run completes, the old key is refused and alerted", async () => {
    // Prepare: a proposal on both networks, devnet-1 committed and not yet activated
    const before = readDevnetState(stateFile);
    const oldSigner = before.networks.find((n) => n.id === NETWORK)!;
    await startPayRox();
    const api = new ApiClient({ baseUrl: payrox!.apiUrl, signer: "none" });
    const dynamo = createLocalDynamoClient(before.dynamoEndpoint);
    const table = { client: dynamo, tableName: before.tableName };
    const store = new DynamoRunStore(table);
    const audit = new DynamoAuditLog(table);
    const { id: first } = await api.propose({ manifest: await exampleManifest(before, "rotation-1"), networks: before.networks.map((n) => n.id) });
    // The devnet's 2-of-3 policy: two of its DEVELOPMENT approvers sign before anything is committed.
    expect(await approveAsDevnet(api, first, () => undefined)).toBe(true);
    await until("devnet-1 committed", async () => ((await store.getRun(first, NETWORK))?.state !== "PROPOSED" ? true : undefined));

    // Act: rotate while the run is pending
    if (process.env.PAYROX_TEST_TRACE) console.error("rotating");
    const rotation = await cli("keys", "rotate", "--network", NETWORK, "--state-file", stateFile, "--wait", "120", "--json");
    if (process.env.PAYROX_TEST_TRACE) console.error("rotated", rotation.output);
    const after = readDevnetState(stateFile);
    const newSigner = after.networks.find((n) => n.id === NETWORK)!;
    await until("the first proposal activated everywhere", async () => ((await store.listRuns(first)).every((r) => r.state === "ACTIVATED") ? true : undefined));

    // Assess: rotated, the pending run finished with the new key, the old key holds no role
    expect(rotation.code, rotation.output).toBe(0);
    expect(JSON.parse(rotation.output.slice(rotation.output.indexOf("{")))).toMatchObject({ network: NETWORK, from: { address: oldSigner.signerAddress }, to: { address: newSigner.signerAddress } });
    expect(newSigner.signerAddress).not.toBe(oldSigner.signerAddress);
    const provider = new JsonRpcProvider(after.networks[0]!.rpcUrl);
    const senders = async (event: string) => Promise.all((await audit.list(first)).filter((e) => e.network === NETWORK && e.event === event && e.txHash).map(async (e) => (await provider.getTransaction(e.txHash!))!.from));
    expect(await senders("commit.confirmed")).toEqual([oldSigner.signerAddress]);
    expect(await senders("run.activated")).toEqual([newSigner.signerAddress]);
    const admin = new Contract(after.networks[0]!.dispatcher, loadArtifact("DispatcherAdminFacet").abi as never, provider);
    for (const role of ["COMMIT_ROLE", "APPLY_ROLE", "EMERGENCY_ROLE"]) {
      const id = (await admin.getFunction(role)()) as string;
      expect(await admin.getFunction("hasRole")(id, oldSigner.signerAddress), role).toBe(false);
      expect(await admin.getFunction("hasRole")(id, newSigner.signerAddress), role).toBe(true);
    }
    // The stream also holds the deployment's policy.changed entries (governance records its policy there).
    const operations = (await audit.list(OPERATIONS_AUDIT_STREAM)).map((e) => e.event).filter((e) => e.startsWith("signer."));
    expect(operations[0]).toBe("signer.rotation-started");
    expect(operations.at(-1)).toBe("signer.retired");
    expect(operations.filter((e) => e === "signer.role-revoked")).toHaveLength(3);
    expect((await cli("audit", OPERATIONS_AUDIT_STREAM, "--verify", "--api", payrox!.apiUrl)).code).toBe(0);
    // The watcher knows the rotation's grants and revocations as PayRox's own: once it has read past the
    // last revocation's block, no unauthorized alert.
    const rotated = JSON.parse(rotation.output.slice(rotation.output.indexOf("{"))) as { revoked: { txHash: string }[] };
    const revokedIn = (await provider.getTransactionReceipt(rotated.revoked.at(-1)!.txHash))!.blockNumber;
    const cursors = new DynamoChainCursorStore(table);
    await until("the chain watcher past the revocations", async () => (((await cursors.get(NETWORK))?.blockNumber ?? 0) >= revokedIn ? true : undefined));
    expect(alerts.filter((a) => a.type === "unauthorized")).toEqual([]);
    // The devnet anchored the trail to its file, and audit --verify checks against it.
    const verified = await until("the first proposal anchored", async () => {
      const result = await cli("audit", first, "--verify", "--api", payrox!.apiUrl);
      return /anchored through entry \d+/.test(result.output) ? result : undefined;
    }, 60_000);
    expect(verified.code).toBe(0);
    expect(readFileSync(after.anchorFile!, "utf8").trim().split("\n").length).toBeGreaterThan(0);

    // Act: a stale worker still configured with the old key tries the next proposal's commit
    await payrox!.stop();
    payrox = undefined;
    const { buildDeps, readEnv, withGovernance, ENV } = await import("@payrox/functions");
    const { chainGateway } = await import("@payrox/functions/gateway");
    const kms = new KMSClient({ endpoint: before.kmsUrl, region: before.kmsRegion, credentials: LOCAL_CREDENTIALS });
    const staleAlerts: Alert[] = [];
    const jobs: ScheduledJob[] = [];
    // The stale worker schedules into the devnet's job table (not started here: the PayRox process fires it later).
    const scheduler = new LocalScheduler({ store: new DynamoJobStore(table) });
    const stale = await withGovernance(buildDeps(readEnv(devnetFunctionsEnv(before, ENV)), {
      dynamoClient: dynamo,
      scheduler: { schedule: async (job) => void (jobs.push(job), await scheduler.schedule(job)), cancel: async (name) => scheduler.cancel(name) },
      alerts: { raise: async (a) => void staleAlerts.push(a) },
      gatewayFactory: (context) => chainGateway(context, { dynamoClient: dynamo, kms, pollIntervalMs: 250 }),
      options: DEVNET_SCHEDULER_OPTIONS,
    }));
    const manifest = await exampleManifest(after, "rotation-2", { networks: [NETWORK], selectors: 70 });
    const { proposal: second } = await proposeUpgrade({ manifestJson: serializeManifest(manifest), networks: [NETWORK], proposer: DEVNET_PRINCIPAL }, { ...stale, actor: "test", owner: "test" });
    // Proposed as the devnet's principal (the policy maps it to approver 3) and approved by approvers 1 and 2, so the stale worker's commit passes the quorum check and meets the retired key.
    for (const approver of DEVNET_ONLY_APPROVER_KEYS.slice(0, 2)) {
      const data = approvalTypedData(approvalSubject({ ...second, approval: second.approval! }), ApprovalAction.APPROVE, 0);
      const signature = await new Wallet(approver.privateKey).signTypedData(data.domain, data.types, data.message);
      await approveProposal({ proposalId: second.id, submission: { action: ApprovalAction.APPROVE, nonce: 0, signature } }, { ...stale, actor: approver.id, owner: "test" });
    }
    const attempt = runStep(jobs[0]!, { ...stale, actor: "scheduler", owner: "stale-worker" });

    // Assess: refused (typed), alerted, the run kept
    await expect(attempt).rejects.toBeInstanceOf(RetiredSignerError);
    expect(staleAlerts.map((a) => [a.type, a.severity, a.network])).toEqual([["unauthorized-signer", "critical", NETWORK]]);
    expect(staleAlerts[0]!.message).toContain(oldSigner.signerAddress);
    expect((await store.getRun(second.id, NETWORK))!.state).toBe("PROPOSED");
    expect((await audit.list(second.id)).map((e) => e.event)).toContain("signer.refused");

    // Act: the current PayRox process (new key) picks the job up again
    await startPayRox();
    if (process.env.PAYROX_TEST_TRACE) console.error("jobs", JSON.stringify(jobs));
    await until("the second proposal activated", async () => ((await store.getRun(second.id, NETWORK))?.state === "ACTIVATED" ? true : undefined));

    // Assess
    const commitOfSecond = (await audit.list(second.id)).find((e) => e.event === "commit.confirmed")!;
    expect((await provider.getTransaction(commitOfSecond.txHash!))!.from).toBe(newSigner.signerAddress);
    kms.destroy();
    provider.destroy();
    dynamo.destroy();
  }, 420_000);
});
