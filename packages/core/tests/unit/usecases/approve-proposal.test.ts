import { Signature } from "ethers";
import { describe, expect, it } from "vitest";
import {
  ApprovalAction,
  ApprovalRejectedError,
  approveProposal,
  cancelProposal,
  findNetwork,
  jobName,
  loadApprovalPolicy,
  ProposalRejectedError,
  proposeUpgrade,
  redriveStalledRuns,
  RunState,
  type ApprovalPolicy,
  type Proposal,
} from "../../../src/index.js";
import { approverKey, eoaPolicy, governanceDeps, signAction } from "../../support/governance.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

const NETWORKS = ["ethereum", "base"];
const chainIdOf = (network: string) => findNetwork(network)!.chainId;

/** A harness with `policy` configured, and a proposal by alice under it. */
async function underPolicy(policy: ApprovalPolicy = eoaPolicy(3, 2)) {
  const h = inMemoryPorts();
  const governance = governanceDeps(h.store, policy, chainIdOf);
  const deps = h.deps({ governance });
  const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: NETWORKS, proposer: "alice" }, deps);
  const submit = async (i: number, action: ApprovalAction = ApprovalAction.APPROVE, nonce = 0, signature?: string) =>
    approveProposal({ proposalId: proposal.id, submission: { action, nonce, signature: signature ?? (await signAction(approverKey(i), proposal, action, nonce)) } }, deps);
  return { h, governance, deps, proposal, submit };
}

async function refusal(promise: Promise<unknown>): Promise<ApprovalRejectedError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApprovalRejectedError);
  return error as ApprovalRejectedError;
}

const events = async (h: ReturnType<typeof inMemoryPorts>, id: string) => (await h.audit.list(id)).map((e) => e.event);

describe("proposeUpgrade under an approval policy", () => {
  it("starts AWAITING_APPROVAL with PROPOSED runs and schedules no commit", async () => {
    // Act
    const { h, proposal } = await underPolicy();
    // Assess
    expect(proposal.approval).toMatchObject({ status: "AWAITING_APPROVAL", threshold: 2, deploymentId: "payrox-test", leafCount: 6, deadlineMs: h.clock.now() + 86_400_000 });
    expect(proposal.approval!.targets.map((t) => [t.network, t.chainId])).toEqual([["ethereum", 1], ["base", 8453]]);
    expect((await h.store.listRuns(proposal.id)).map((r) => r.state)).toEqual([RunState.PROPOSED, RunState.PROPOSED]);
    expect(h.scheduler.requested).toEqual([]);
    expect(await events(h, proposal.id)).toEqual(["proposal.created", "proposal.awaiting-approval"]);
  });

  it('keeps the behaviour without approvals when the policy says approvals: "none"', async () => {
    const h = inMemoryPorts();
    const deps = h.deps({ governance: governanceDeps(h.store, loadApprovalPolicy({ approvals: "none" }, { protectedStage: false }), chainIdOf) });
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: NETWORKS, proposer: "alice" }, deps);
    expect(proposal.approval).toBeUndefined();
    expect(h.scheduler.requested.map((j) => j.name)).toEqual(NETWORKS.map((n) => jobName(proposal.id, n, "commit", "0")));
  });

  it("refuses a proposer the policy does not map while self-approval is forbidden, and writes nothing", async () => {
    const h = inMemoryPorts();
    const deps = h.deps({ governance: governanceDeps(h.store, eoaPolicy(3, 2), chainIdOf) });
    const error = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: NETWORKS, proposer: "mallory" }, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProposalRejectedError);
    expect(error).toMatchObject({ code: "proposer-not-mapped", field: "proposer" });
    expect(h.store.proposals.size + h.audit.entries.size + h.scheduler.requested.length).toBe(0);
  });
});

describe("approveProposal", () => {
  it("schedules the commits once the M-th approval arrives, audits each approval, and the run proceeds", async () => {
    // Prepare
    const { h, deps, proposal, submit } = await underPolicy();
    // Act
    const first = await submit(1);
    const second = await submit(2);
    // Assess
    expect(first).toMatchObject({ status: "AWAITING_APPROVAL", approvals: 1, threshold: 2, scheduled: false });
    expect(second).toMatchObject({ status: "APPROVED", approvals: 2, scheduled: true });
    expect(h.scheduler.requested.map((j) => j.name)).toEqual(NETWORKS.map((n) => jobName(proposal.id, n, "commit", "0")));
    const trail = await h.audit.list(proposal.id);
    expect(trail.map((e) => e.event)).toEqual(["proposal.created", "proposal.awaiting-approval", "approval.approved", "approval.approved", "proposal.approved"]);
    expect(trail[2]!.details).toMatchObject({ signer: approverKey(1).address, digest: first.approval.digest, action: "Approve", nonce: 0 });
    // The commit step re-verifies the quorum, then commits.
    await fireDueJobs(h, deps);
    expect((await h.store.listRuns(proposal.id)).map((r) => r.state)).toEqual([RunState.ACTIVATED, RunState.ACTIVATED]);
    expect((await events(h, proposal.id)).filter((e) => e === "approval.verified")).toHaveLength(2);
  });

  it("counts an approver once: the 64-byte form of an approval already given is a duplicate (409)", async () => {
    const { proposal, submit } = await underPolicy();
    const long = await signAction(approverKey(1), proposal, ApprovalAction.APPROVE, 0);
    await submit(1, ApprovalAction.APPROVE, 0, long);
    const error = await refusal(submit(1, ApprovalAction.APPROVE, 0, Signature.from(long).compactSerialized));
    expect(error).toMatchObject({ code: "duplicate-approval", status: 409 });
  });

  it("lets an approver withdraw; the old approval can't be replayed, a fresh one with the next nonce counts", async () => {
    // Prepare
    const { proposal, submit } = await underPolicy();
    const original = await signAction(approverKey(1), proposal, ApprovalAction.APPROVE, 0);
    await submit(1, ApprovalAction.APPROVE, 0, original);
    // Act
    const withdrawn = await submit(1, ApprovalAction.WITHDRAW, 1);
    // Assess
    expect(withdrawn).toMatchObject({ approvals: 0, approval: { status: "withdrawn" } });
    expect(await refusal(submit(1, ApprovalAction.APPROVE, 0, original))).toMatchObject({ code: "replayed-nonce", status: 409 });
    expect(await refusal(submit(1, ApprovalAction.APPROVE, 5))).toMatchObject({ code: "nonce-ahead" });
    expect(await refusal(submit(2, ApprovalAction.WITHDRAW, 0))).toMatchObject({ code: "nothing-to-withdraw" });
    expect(await submit(1, ApprovalAction.APPROVE, 2)).toMatchObject({ approvals: 1 });
  });

  it("refuses the proposer's own approval (403), stores nothing and audits the refusal with the signer", async () => {
    const { h, governance, proposal, submit } = await underPolicy();
    expect(await refusal(submit(0))).toMatchObject({ code: "self-approval", status: 403 });
    expect(await governance.approvals.listApprovals(proposal.id)).toEqual([]);
    const last = (await h.audit.list(proposal.id)).at(-1)!;
    expect(last).toMatchObject({ event: "approval.refused", details: { code: "self-approval", signer: approverKey(0).address } });
    expect(h.scheduler.requested).toEqual([]);
  });

  it("refuses signatures after the deadline, after a cancel and after the approval (409)", async () => {
    const late = await underPolicy();
    late.h.clock.advance(86_400_001);
    expect(await refusal(late.submit(1))).toMatchObject({ code: "after-deadline", status: 409 });

    const cancelled = await underPolicy();
    await cancelProposal(cancelled.proposal.id, "bob", cancelled.deps);
    expect(await refusal(cancelled.submit(1))).toMatchObject({ code: "proposal-closed", status: 409 });

    const approved = await underPolicy();
    await approved.submit(1);
    await approved.submit(2);
    expect(await refusal(approved.submit(0, ApprovalAction.REJECT))).toMatchObject({ code: "proposal-closed" });
  });

  it("cancels the proposal on one approver's Reject", async () => {
    // Prepare
    const { h, proposal, submit } = await underPolicy();
    await submit(1);
    // Act
    const result = await submit(2, ApprovalAction.REJECT);
    // Assess
    expect(result).toMatchObject({ status: "REJECTED", rejected: true });
    expect((await h.store.listRuns(proposal.id)).map((r) => r.state)).toEqual([RunState.CANCELLED, RunState.CANCELLED]);
    expect((await events(h, proposal.id)).slice(-2)).toEqual(["approval.rejected", "proposal.rejected"]);
    expect(await refusal(submit(0))).toMatchObject({ code: "proposal-closed" });
    expect(h.scheduler.requested).toEqual([]);
    expect(await h.store.networkHolder("base")).toBeUndefined();
  });

  it("refuses signatures once the configured policy differs from the proposal's", async () => {
    const { h, proposal } = await underPolicy();
    const deps = h.deps({ governance: governanceDeps(h.store, eoaPolicy(3, 3), chainIdOf) });
    const signature = await signAction(approverKey(1), proposal, ApprovalAction.APPROVE, 0);
    const error = await refusal(approveProposal({ proposalId: proposal.id, submission: { action: "Approve", nonce: 0, signature } }, deps));
    expect(error.code).toBe("policy-changed");
  });

  it("schedules exactly once when 20 approvals cross the threshold concurrently", async () => {
    // Prepare: 20 approvers, threshold 5; alice maps to approver 0, so approvers 1..20 sign.
    const { h, deps, proposal } = await underPolicy(eoaPolicy(21, 5));
    const signatures = await Promise.all(Array.from({ length: 20 }, (_, k) => signAction(approverKey(k + 1), proposal, ApprovalAction.APPROVE, 0)));
    // Act
    const results = await Promise.all(signatures.map((signature) => approveProposal({ proposalId: proposal.id, submission: { action: "Approve", nonce: 0, signature } }, deps)));
    // Assess
    expect(results.filter((r) => r.scheduled)).toHaveLength(1);
    expect(h.scheduler.requested).toHaveLength(NETWORKS.length);
    const trail = await events(h, proposal.id);
    expect(trail.filter((e) => e === "approval.approved")).toHaveLength(20);
    expect(trail.filter((e) => e === "proposal.approved")).toHaveLength(1);
  });
});

describe("commitStep under an approval policy", () => {
  async function forgedApproval() {
    const ctx = await underPolicy();
    await ctx.submit(1);
    // A row written straight into the table: the status flipped and a second "approval" with a signature over other data.
    const other = { ...ctx.proposal, id: "another-proposal" } as Proposal;
    ctx.governance.approvals.records.set(`${ctx.proposal.id}|x`, {
      proposalId: ctx.proposal.id, approver: approverKey(2).address, approverId: "a2", status: "approved", action: "Approve", nonce: 0,
      signature: await signAction(approverKey(2), other, ApprovalAction.APPROVE, 0), digest: `0x${"00".repeat(32)}`, atMs: 0,
    });
    ctx.h.store.proposals.get(ctx.proposal.id)!.approval!.status = "APPROVED";
    for (const network of NETWORKS) await ctx.h.scheduler.schedule({ name: jobName(ctx.proposal.id, network, "commit", "0"), step: "commit", proposalId: ctx.proposal.id, network, attempt: "0", runAtMs: ctx.h.clock.now() });
    return ctx;
  }

  it("refuses to sign a commit whose stored approvals do not verify (a forged row), fails the run and alerts", async () => {
    // Prepare
    const { h, deps, proposal } = await forgedApproval();
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect(h.gateway.sends).toEqual([]);
    const runs = await h.store.listRuns(proposal.id);
    expect(runs.map((r) => [r.state, r.failure?.code])).toEqual([[RunState.FAILED, "approval-unverified"], [RunState.FAILED, "approval-unverified"]]);
    expect(h.alerts.alerts.map((a) => a.type)).toEqual(["unauthorized", "unauthorized"]);
    expect(runs[0]!.failure!.message).toMatch(/1 verified approval\(s\) of 2 required/);
  });

  it("refuses the commit when the dispatcher's expiry window differs from the one the approvals signed", async () => {
    const { h, deps, proposal, submit } = await underPolicy();
    await submit(1);
    await submit(2);
    h.gateway.state("base").expiryWindowSeconds = 60;
    await fireDueJobs(h, deps);
    expect(h.gateway.sends.filter((s) => s.network === "base")).toEqual([]);
    expect((await h.store.getRun(proposal.id, "base"))!.failure).toMatchObject({ code: "approval-target-changed", message: expect.stringMatching(/expiry window of 60 s/) });
    expect((await h.store.getRun(proposal.id, "ethereum"))!.state).toBe(RunState.ACTIVATED);
  });

  it("is not re-driven by the watchdog while it awaits approval, and is once approved (a crash lost its schedules)", async () => {
    // Prepare
    const { h, deps, proposal, submit } = await underPolicy();
    h.clock.advance(3_600_000);
    // Act / Assess: nothing is due before the approval.
    expect((await redriveStalledRuns(deps)).redriven).toEqual([]);
    await submit(1);
    await submit(2);
    h.scheduler.jobs.clear();
    h.clock.advance(3_600_000);
    expect((await redriveStalledRuns(deps)).redriven).toEqual([`${proposal.id}/ethereum commit 0`, `${proposal.id}/base commit 0`]);
  });

  it("skips a commit trigger while the proposal awaits approval, sending nothing", async () => {
    const { h, deps, proposal } = await underPolicy();
    await h.scheduler.schedule({ name: jobName(proposal.id, "base", "commit", "0"), step: "commit", proposalId: proposal.id, network: "base", attempt: "0", runAtMs: h.clock.now() });
    await fireDueJobs(h, deps);
    expect(h.gateway.sends).toEqual([]);
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe(RunState.PROPOSED);
  });

  it("fails closed when the deployment requires approvals and the proposal has no approval record", async () => {
    const h = inMemoryPorts();
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, h.deps());
    await fireDueJobs(h, h.deps({ governance: governanceDeps(h.store, eoaPolicy(3, 2), chainIdOf) }));
    expect(h.gateway.sends).toEqual([]);
    expect((await h.store.getRun(proposal.id, "base"))!.failure?.code).toBe("approval-unverified");
  });
});
