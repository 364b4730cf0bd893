/**
 * A proposal under a policy holds its networks from its creation. One that can never commit — its approval
 * window closed, or it was rejected but a crash kept its runs open — must not hold them for good: the
 * watchdog ends its runs, so the networks are free for the next proposal.
 */
import { describe, expect, it } from "vitest";
import { ApprovalAction, approveProposal, findNetwork, NetworkBusyError, proposeUpgrade, watchdogSweep } from "../../../src/index.js";
import { approverKey, eoaPolicy, governanceDeps, signAction } from "../../support/governance.js";
import { inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

const chainIdOf = (network: string) => findNetwork(network)!.chainId;
const HOUR = 3_600_000;

async function awaiting(windowSeconds = 3_600) {
  const h = inMemoryPorts();
  const deps = h.deps({ governance: governanceDeps(h.store, eoaPolicy(3, 2, { windowSeconds }), chainIdOf) });
  const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, deps);
  const propose = (name: string) => proposeUpgrade({ manifestJson: syntheticManifestJson(6, name), networks: ["base"], proposer: "alice" }, deps);
  return { h, deps, proposal, propose };
}

describe("watchdogSweep: networks held by proposals that can never commit", () => {
  it("ends the runs of a proposal whose approval window closed, freeing its networks", async () => {
    // Prepare: the window (1 h) closes with 1 of 2 approvals
    const { h, deps, proposal, propose } = await awaiting();
    await approveProposal({ proposalId: proposal.id, submission: { action: ApprovalAction.APPROVE, nonce: 0, signature: await signAction(approverKey(1), proposal, ApprovalAction.APPROVE) } }, deps);
    h.clock.advance(HOUR + 1);
    await expect(propose("next")).rejects.toBeInstanceOf(NetworkBusyError);
    // Act
    h.clock.advance(10 * 60_000);
    await watchdogSweep(deps);
    // Assess
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: "FAILED", failure: { code: "approval-expired" } });
    expect(await h.store.networkHolder("base")).toBeUndefined();
    expect((await h.audit.list(proposal.id)).map((e) => e.event)).toContain("proposal.approval-expired");
    await expect(propose("next")).resolves.toBeDefined();
  });

  it("leaves a proposal alone while its window is open", async () => {
    const { h, deps, proposal } = await awaiting(7 * 86_400);
    h.clock.advance(2 * 86_400_000);
    await watchdogSweep(deps);
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("PROPOSED");
    expect(await h.store.networkHolder("base")).toBe(proposal.id);
  });

  it("finishes the cancel of a rejected proposal whose runs a crash left open", async () => {
    // Prepare: the rejection closed the approval, then the process died before cancelling the runs
    const { h, deps, proposal, propose } = await awaiting(7 * 86_400);
    await deps.governance!.approvals.closeApproval(proposal.id, "REJECTED", h.clock.now());
    // Act
    await watchdogSweep(deps);
    // Assess
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("CANCELLED");
    await expect(propose("next")).resolves.toBeDefined();
  });

  it("frees the network at once for a new proposal once the holder's approval window closed (no watchdog sweep needed)", async () => {
    // Prepare
    const { h, proposal, propose } = await awaiting();
    h.clock.advance(HOUR + 2 * 60_000);
    // Act
    const { proposal: next } = await propose("next");
    // Assess
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: "FAILED", failure: { code: "approval-expired" } });
    expect(await h.store.networkHolder("base")).toBe(next.id);
  });

  it("still refuses a new proposal, naming the holder, while the holder's window is open", async () => {
    const { h, proposal, propose } = await awaiting();
    h.clock.advance(HOUR - 60_000);
    await expect(propose("next")).rejects.toMatchObject({ network: "base", holder: proposal.id });
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("PROPOSED");
  });
});
