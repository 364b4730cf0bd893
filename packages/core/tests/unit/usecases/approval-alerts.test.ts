import { Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { ApprovalAction, ApprovalRejectedError, approvalStaleRule, approveProposal, cancelProposal, findNetwork, proposeUpgrade, watchdogSweep, type SchedulerOptions } from "../../../src/index.js";
import { approverKey, eoaPolicy, governanceDeps, signAction } from "../../support/governance.js";
import { inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

const chainIdOf = (network: string) => findNetwork(network)!.chainId;
const HOUR = 3_600_000;

/** A proposal by alice under a 2-of-3 policy with a `windowSeconds` approval window. */
async function awaiting(options: SchedulerOptions = {}, windowSeconds = 7 * 86_400) {
  const h = inMemoryPorts();
  const deps = h.deps({ governance: governanceDeps(h.store, eoaPolicy(3, 2, { windowSeconds }), chainIdOf), options: { planOptions: { maxBatchSize: 2 }, ...options } });
  const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, deps);
  const submit = async (wallet: Wallet, action: ApprovalAction = ApprovalAction.APPROVE, nonce = 0, approver?: string) =>
    approveProposal({ proposalId: proposal.id, submission: { action, nonce, signature: await signAction(wallet, proposal, action, nonce), ...(approver && { approver }) } }, deps);
  const alertsOf = (type: string) => h.alerts.alerts.filter((a) => a.type === type);
  return { h, deps, proposal, submit, alertsOf };
}

describe("watchdogSweep: approval-stale", () => {
  it("raises one approval-stale alert once a proposal has awaited approval past approvalStaleAfterMs, and not before", async () => {
    // Prepare
    const { h, deps, proposal, submit, alertsOf } = await awaiting({ approvalStaleAfterMs: 2 * HOUR });
    await submit(approverKey(1));
    // Act / Assess: not stale yet.
    h.clock.advance(2 * HOUR - 1);
    expect((await watchdogSweep(deps)).staleApprovals).toBeUndefined();
    // Stale: raised once over several sweeps.
    h.clock.advance(1);
    expect((await watchdogSweep(deps)).staleApprovals).toEqual([proposal.id]);
    h.clock.advance(60_000);
    await watchdogSweep(deps);
    expect(alertsOf("approval-stale")).toMatchObject([{ status: "raised", severity: "warning", proposalId: proposal.id, evidence: { values: { approvals: 1, threshold: 2, windowClosed: false } } }]);
    expect(alertsOf("approval-stale")[0]!.message).toMatch(/awaited approval for 2 h \(1\/2 approvals\)/);
  });

  it("defaults to 24 hours", async () => {
    const { h, deps, alertsOf } = await awaiting();
    h.clock.advance(24 * HOUR - 60_000);
    await watchdogSweep(deps);
    expect(alertsOf("approval-stale")).toEqual([]);
    h.clock.advance(60_000);
    await watchdogSweep(deps);
    expect(alertsOf("approval-stale")).toHaveLength(1);
  });

  it("is bounded by the approval window: a 1-hour window is reported when it closes, saying it can no longer be approved", async () => {
    const { h, deps, alertsOf } = await awaiting({}, 3_600);
    h.clock.advance(HOUR + 1);
    await watchdogSweep(deps);
    expect(alertsOf("approval-stale")).toMatchObject([{ evidence: { values: { windowClosed: true } } }]);
    expect(alertsOf("approval-stale")[0]!.message).toMatch(/can no longer be approved; cancel it/);
  });

  it("is resolved when the threshold is crossed", async () => {
    const { h, deps, submit, alertsOf } = await awaiting({ approvalStaleAfterMs: HOUR });
    h.clock.advance(HOUR);
    await watchdogSweep(deps);
    await submit(approverKey(1));
    await submit(approverKey(2));
    await watchdogSweep(deps);
    expect(alertsOf("approval-stale").map((a) => a.status)).toEqual(["raised", "resolved"]);
  });

  it("is resolved by a rejection, and by a cancel; a cancelled proposal is not reported again", async () => {
    const rejected = await awaiting({ approvalStaleAfterMs: HOUR });
    rejected.h.clock.advance(HOUR);
    await watchdogSweep(rejected.deps);
    await rejected.submit(approverKey(1), ApprovalAction.REJECT);
    expect(rejected.alertsOf("approval-stale").map((a) => a.status)).toEqual(["raised", "resolved"]);

    const cancelled = await awaiting({ approvalStaleAfterMs: HOUR });
    cancelled.h.clock.advance(HOUR);
    await watchdogSweep(cancelled.deps);
    await cancelProposal(cancelled.proposal.id, "operator", cancelled.deps);
    cancelled.h.clock.advance(HOUR);
    expect((await watchdogSweep(cancelled.deps)).staleApprovals).toBeUndefined();
    expect(cancelled.alertsOf("approval-stale").map((a) => a.status)).toEqual(["raised", "resolved"]);
  });

  it("never fires for a proposal that is not awaiting approval (rule)", () => {
    const proposal = { id: "p", createdAtMs: 0, approval: { status: "APPROVED" as const, deploymentId: "d", policyHash: "0x", threshold: 2, manifestHash: "0x", root: "0x", leafCount: 1, targets: [], deadlineMs: 10 } };
    expect(approvalStaleRule(proposal, 1, 1_000)).toBeUndefined();
    expect(approvalStaleRule({ id: "p", createdAtMs: 0 }, 1, 1_000)).toBeUndefined();
  });
});

describe("approveProposal: approval-refused", () => {
  it("raises one critical alert per proposal and signer for signatures that fail verification, with code, signer and digest", async () => {
    // Prepare: a key that is no approver's.
    const { proposal, submit, alertsOf } = await awaiting();
    const stranger = Wallet.createRandom();
    // Act: three attempts by the same stranger.
    for (let i = 0; i < 3; i++) await submit(stranger as unknown as Wallet).catch((e: unknown) => expect(e).toBeInstanceOf(ApprovalRejectedError));
    // Assess
    const alerts = alertsOf("approval-refused");
    expect(alerts).toMatchObject([{ status: "raised", severity: "critical", proposalId: proposal.id, evidence: { values: { code: "not-approver", signer: stranger.address } } }]);
    expect(alerts[0]!.evidence!.values!.digest).toMatch(/^0x[0-9a-f]{64}$/);
    expect(alerts[0]!.runbook).toMatch(/#approval-refused$/);
  });

  it("alerts per signer: the proposer's self-approval and a digest mismatch are two incidents", async () => {
    const { deps, submit, proposal, alertsOf } = await awaiting();
    await submit(approverKey(0)).catch(() => undefined);
    // Approver 1 named, approver 2's key signed.
    await approveProposal({ proposalId: proposal.id, submission: { action: "Approve", nonce: 0, approver: approverKey(1).address, signature: await signAction(approverKey(2), proposal, ApprovalAction.APPROVE, 0) } }, deps).catch(() => undefined);
    expect(alertsOf("approval-refused").map((a) => [a.evidence!.values!.code, a.evidence!.values!.signer])).toEqual([
      ["self-approval", approverKey(0).address],
      ["digest-mismatch", approverKey(2).address],
    ]);
  });

  it("warns (not pages) on a malformed signature", async () => {
    const { deps, proposal, alertsOf } = await awaiting();
    await approveProposal({ proposalId: proposal.id, submission: { action: "Approve", nonce: 0, signature: "0x1234" } }, deps).catch(() => undefined);
    expect(alertsOf("approval-refused")).toMatchObject([{ severity: "warning", evidence: { values: { code: "malformed-signature", signer: "unknown" } } }]);
  });

  it("does not alert on state conflicts a legitimate approver causes (duplicate, after the deadline)", async () => {
    const { h, submit, alertsOf } = await awaiting();
    await submit(approverKey(1));
    await submit(approverKey(1)).catch(() => undefined);
    h.clock.advance(8 * 86_400_000);
    await submit(approverKey(2)).catch(() => undefined);
    expect(alertsOf("approval-refused")).toEqual([]);
  });

  it("still answers with the refusal when the alert can't be delivered, and notes the failure in the trail", async () => {
    const { h, proposal, submit } = await awaiting();
    h.alerts.failNext = 1;
    const error = await submit(Wallet.createRandom() as unknown as Wallet).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "not-approver", status: 403 });
    expect((await h.audit.list(proposal.id)).slice(-2).map((e) => e.event)).toEqual(["approval.refused", "alert.failed"]);
  });
});
