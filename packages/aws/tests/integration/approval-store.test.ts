/**
 * The governance store on DynamoDB Local: the approver record's conditions, the threshold crossing under
 * 20 concurrent approvals through the real run store, approval store and audit log, and a forged table
 * row refused by the commit step. The chain and the scheduler are core's scripted test ports (the commit
 * must not reach the chain at all).
 */
import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ApprovalAction, approveProposal, commitStep, findNetwork, jobName, proposeUpgrade, RunState, type SchedulerDeps, type StoredApproval } from "@payrox/core";
import { describe, expect, it } from "vitest";
import { createDocumentClient, DynamoApprovalStore, DynamoAuditLog, DynamoRunStore } from "../../src/index.js";
import { approverKey, eoaPolicy, FixedTargets, signAction } from "../../../core/tests/support/governance.js";
import { InMemoryAlertSink, InMemoryScheduler, ManualClock, ScriptedGateway, syntheticManifestJson } from "../../../core/tests/support/in-memory-ports.js";
import { useLocalTable } from "../support/dynamodb-local.js";

const db = useLocalTable("approval-store-test");
const NETWORKS = ["ethereum", "base"];

function record(proposalId: string, i: number, patch: Partial<StoredApproval> = {}): StoredApproval {
  return { proposalId, approver: approverKey(i).address, approverId: `a${i}`, status: "approved", action: "Approve", nonce: 0, signature: "0x01", digest: `0x${"00".repeat(32)}`, atMs: 1, ...patch };
}

/** Every port on the local table, with `policy`; scheduler, chain and alerts are recording test ports. */
function harness(policy = eoaPolicy(21, 5)) {
  const clock = new ManualClock(1_800_000_000_000);
  const scheduler = new InMemoryScheduler();
  const gateway = new ScriptedGateway(clock);
  const alerts = new InMemoryAlertSink();
  const approvals = new DynamoApprovalStore(db.options);
  const store = new DynamoRunStore({ ...db.options, clock });
  const audit = new DynamoAuditLog({ ...db.options, retry: { maxAttempts: 100 } });
  const deps: SchedulerDeps = {
    store, audit, scheduler, gateway, alerts, clock, networks: findNetwork, actor: "api", owner: "test",
    options: { planOptions: { maxBatchSize: 2 } },
    governance: { deploymentId: "payrox-it", policy, approvals, targets: new FixedTargets((n) => findNetwork(n)!.chainId) },
  };
  return { clock, scheduler, gateway, alerts, approvals, store, audit, deps };
}

describe("DynamoApprovalStore", () => {
  it("keeps one record per approver: a second approval at nonce 0 is refused with the stored record", async () => {
    const store = new DynamoApprovalStore(db.options);
    expect(await store.putApproval(record("p-once", 1))).toEqual({ ok: true });
    const second = await store.putApproval(record("p-once", 1, { signature: "0x02", approver: approverKey(1).address.toLowerCase() }));
    expect(second).toMatchObject({ ok: false, stored: { signature: "0x01", nonce: 0 } });
    expect(await store.listApprovals("p-once")).toHaveLength(1);
  });

  it("chains nonces: withdraw needs an approval at nonce-1, a used nonce is refused, a rejection is final", async () => {
    const store = new DynamoApprovalStore(db.options);
    expect((await store.putApproval(record("p-nonce", 1, { status: "withdrawn", action: "Withdraw" }))).ok).toBe(false);
    await store.putApproval(record("p-nonce", 1));
    expect((await store.putApproval(record("p-nonce", 1, { nonce: 1 })))).toMatchObject({ ok: false });
    expect((await store.putApproval(record("p-nonce", 1, { nonce: 1, status: "withdrawn", action: "Withdraw" }))).ok).toBe(true);
    expect((await store.putApproval(record("p-nonce", 1, { nonce: 1, status: "withdrawn", action: "Withdraw" }))).ok).toBe(false);
    expect((await store.putApproval(record("p-nonce", 1, { nonce: 3 }))).ok).toBe(false);
    expect((await store.putApproval(record("p-nonce", 1, { nonce: 2, status: "rejected", action: "Reject" }))).ok).toBe(true);
    expect((await store.putApproval(record("p-nonce", 1, { nonce: 3 }))).ok).toBe(false);
  });

  it("closes a proposal's approval once, and not one that is not awaiting approval", async () => {
    const h = harness(eoaPolicy(3, 2));
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["optimism"], proposer: "alice" }, h.deps);
    const attempts = await Promise.all(Array.from({ length: 10 }, () => h.approvals.closeApproval(proposal.id, "APPROVED", 5)));
    expect(attempts.filter((a) => a.closed)).toHaveLength(1);
    expect((await h.store.getProposal(proposal.id))!.approval).toMatchObject({ status: "APPROVED", decidedAtMs: 5 });
    expect(await h.approvals.closeApproval(proposal.id, "REJECTED", 6)).toEqual({ closed: false, reason: "not-awaiting" });
    expect(await h.approvals.closeApproval("no-such-proposal", "APPROVED", 6)).toEqual({ closed: false, reason: "not-awaiting" });
  });

  it("does not cross the threshold on a basis a withdrawal changed meanwhile", async () => {
    // Prepare: two approvals counted, then one withdrawn before the crossing's write.
    const h = harness(eoaPolicy(3, 2));
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["polygon"], proposer: "alice" }, h.deps);
    await h.approvals.putApproval(record(proposal.id, 1));
    await h.approvals.putApproval(record(proposal.id, 2));
    const basis = await h.approvals.listApprovals(proposal.id);
    await h.approvals.putApproval(record(proposal.id, 2, { nonce: 1, status: "withdrawn", action: "Withdraw" }));
    // Act
    const stale = await h.approvals.closeApproval(proposal.id, "APPROVED", 5, basis);
    const fresh = await h.approvals.closeApproval(proposal.id, "APPROVED", 5, await h.approvals.listApprovals(proposal.id));
    // Assess
    expect(stale).toEqual({ closed: false, reason: "basis-changed" });
    expect(fresh).toEqual({ closed: true });
  });
});

describe("approveProposal on DynamoDB Local", () => {
  it("schedules the commits exactly once when 20 approvals cross the threshold concurrently", async () => {
    // Prepare: threshold 5 of 21; alice (approver 0) proposes, approvers 1..20 sign at once.
    const h = harness();
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: NETWORKS, proposer: "alice" }, h.deps);
    const signatures = await Promise.all(Array.from({ length: 20 }, (_, k) => signAction(approverKey(k + 1), proposal, ApprovalAction.APPROVE, 0)));
    // Act
    const results = await Promise.all(signatures.map((signature) => approveProposal({ proposalId: proposal.id, submission: { action: "Approve", nonce: 0, signature } }, h.deps)));
    // Assess
    expect(results.filter((r) => r.scheduled)).toHaveLength(1);
    expect(h.scheduler.requested.map((j) => j.name).sort()).toEqual(NETWORKS.map((n) => jobName(proposal.id, n, "commit", "0")).sort());
    const trail = await h.audit.list(proposal.id);
    expect(trail.filter((e) => e.event === "approval.approved")).toHaveLength(20);
    expect(trail.filter((e) => e.event === "proposal.approved")).toHaveLength(1);
    expect((await h.approvals.listApprovals(proposal.id))).toHaveLength(20);
    expect((await h.store.getProposal(proposal.id))!.approval!.status).toBe("APPROVED");
  });

  it("refuses at commit a quorum forged straight into the table, signing nothing", async () => {
    // Prepare: one real approval of 2 required, then a forged row and the status flipped by hand.
    const h = harness(eoaPolicy(3, 2));
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["arbitrum-one"], proposer: "alice" }, h.deps);
    await approveProposal({ proposalId: proposal.id, submission: { action: "Approve", nonce: 0, signature: await signAction(approverKey(1), proposal, ApprovalAction.APPROVE, 0) } }, h.deps);
    const doc = createDocumentClient(db.client);
    await doc.send(new PutCommand({ TableName: db.tableName, Item: { PK: `PROPOSAL#${proposal.id}`, SK: `APPROVAL#${approverKey(2).address.toLowerCase()}`, type: "approval", ...record(proposal.id, 2, { signature: `0x${"11".repeat(65)}` }) } }));
    await doc.send(new UpdateCommand({ TableName: db.tableName, Key: { PK: `PROPOSAL#${proposal.id}`, SK: "PROPOSAL" }, UpdateExpression: "SET approval.#s = :a", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":a": "APPROVED" } }));
    // Act
    const outcome = await commitStep({ name: jobName(proposal.id, "arbitrum-one", "commit", "0"), step: "commit", proposalId: proposal.id, network: "arbitrum-one", attempt: "0", runAtMs: h.clock.now() }, h.deps);
    // Assess
    expect(outcome).toMatchObject({ outcome: "done", run: { state: RunState.FAILED, failure: { code: "approval-unverified" } } });
    expect(h.gateway.sends).toEqual([]);
    expect(h.alerts.alerts.map((a) => [a.type, a.severity])).toEqual([["unauthorized", "critical"]]);
    expect((await h.audit.list(proposal.id)).map((e) => e.event)).toContain("run.failed");
  });
});
