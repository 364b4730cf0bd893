import { describe, expect, it } from "vitest";
import { ApprovalAction, approveProposal, ApprovedTargetChangedError, findNetwork, proposeUpgrade, RunState } from "../../../src/index.js";
import { approverKey, eoaPolicy, governanceDeps, signAction } from "../../support/governance.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

const NETWORKS = ["ethereum", "base"];
const chainIdOf = (network: string) => findNetwork(network)!.chainId;

/** A proposal by alice under a 2-of-3 policy, approved by approvers 1 and 2 (commits scheduled). */
async function approved() {
  const h = inMemoryPorts();
  const deps = h.deps({ governance: governanceDeps(h.store, eoaPolicy(3, 2), chainIdOf) });
  const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: NETWORKS, proposer: "alice" }, deps);
  for (const i of [1, 2]) {
    await approveProposal({ proposalId: proposal.id, submission: { action: ApprovalAction.APPROVE, nonce: 0, signature: await signAction(approverKey(i), proposal, ApprovalAction.APPROVE, 0) } }, deps);
  }
  return { h, deps, proposal };
}

describe("commitApprovalGate: the live timing against the signed one", () => {
  it("refuses the commit when the dispatcher's activation delay changed since the approvals: no send, run failed, audited, alerted", async () => {
    // Prepare: the approvals signed 3,600 s on every target; base's timelock is lowered to 60 s before its commit.
    const { h, deps, proposal } = await approved();
    h.gateway.state("base").activationDelaySeconds = 60;
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect(h.gateway.sends.filter((s) => s.network === "base")).toEqual([]);
    const base = (await h.store.getRun(proposal.id, "base"))!;
    expect(base).toMatchObject({ state: RunState.FAILED, failure: { code: "approval-target-changed", message: expect.stringMatching(/activation delay of 60 s, the approvals of proposal .* signed 3600 s/) } });
    const failed = (await h.audit.list(proposal.id)).find((e) => e.event === "run.failed" && e.network === "base");
    expect(failed?.details).toMatchObject({ code: "approval-target-changed", field: "activationDelay", signed: 3_600, live: 60 });
    expect(h.alerts.alerts.filter((a) => a.network === "base")).toMatchObject([{ type: "unauthorized", severity: "critical", evidence: { values: { code: "approval-target-changed", field: "activationDelay", signed: 3_600, live: 60 } } }]);
    expect((await h.store.getRun(proposal.id, "ethereum"))!.state).toBe(RunState.ACTIVATED);
  });

  it("fails the run and cancels its own root when the delay changed between the check and the commit's block (the ETA is not the signed one)", async () => {
    // Prepare: base's timelock drops to 120 s in the block that includes the commit, after the gate read 3,600 s.
    const { h, deps, proposal } = await approved();
    h.gateway.script = (network, call) => {
      if (network === "base" && call.kind === "commit") h.gateway.state("base").activationDelaySeconds = 120;
      return undefined;
    };
    // Act
    await fireDueJobs(h, deps);
    // Assess
    const base = (await h.store.getRun(proposal.id, "base"))!;
    expect(base).toMatchObject({ state: RunState.FAILED, failure: { code: "approval-target-changed", message: expect.stringMatching(/activation delay of 120 s.*between the check and the commit's block/) } });
    expect(h.gateway.sends.filter((s) => s.network === "base").map((s) => s.call.kind)).toEqual(["commit", "cancel"]);
    expect(h.gateway.state("base").pendingRoot).toBe(`0x${"00".repeat(32)}`);
    expect((await h.audit.list(proposal.id)).filter((e) => e.network === "base").map((e) => e.event)).toEqual(["approval.verified", "commit.confirmed", "run.failed", "cancel.confirmed", "run.root-cancelled"]);
    expect((await h.store.getRun(proposal.id, "ethereum"))!.state).toBe(RunState.ACTIVATED);
  });

  it("commits when the live delay and expiry window are the signed ones", async () => {
    const { h, deps, proposal } = await approved();
    await fireDueJobs(h, deps);
    expect((await h.store.listRuns(proposal.id)).map((r) => r.state)).toEqual([RunState.ACTIVATED, RunState.ACTIVATED]);
  });

  it("names the network, the field, the signed and the live value in a typed error", () => {
    const error = new ApprovedTargetChangedError("p1", "base", "activationDelay", 3_600, 60);
    expect(error).toMatchObject({ name: "ApprovedTargetChangedError", network: "base", field: "activationDelay", signed: 3_600, live: 60 });
    expect(error.message).toMatch(/propose it again/);
  });
});
