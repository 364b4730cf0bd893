import { describe, expect, it } from "vitest";
import { ApprovalAction, approveProposal, cancelProposal, findNetwork, proposeUpgrade, RunState, type ApprovalPolicy, type DispatcherCall, type SchedulerOptions } from "../../../src/index.js";
import { approverKey, eoaPolicy, governanceDeps, signAction } from "../../support/governance.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

const NETWORKS = ["ethereum", "base", "optimism"];
const chainIdOf = (network: string) => findNetwork(network)!.chainId;
const codehashMismatch = { name: "CodehashMismatch", args: ["0x0000000000000000000000000000000000001000", `0x${"11".repeat(32)}`, `0x${"22".repeat(32)}`] };

/** A 3-network proposal by alice under `policy`, approved by approvers 1 and 2 (commits scheduled). */
async function approvedUnder(policy: ApprovalPolicy, options: SchedulerOptions = {}) {
  const h = inMemoryPorts();
  const governance = governanceDeps(h.store, policy, chainIdOf);
  const deps = h.deps({ governance, options: { planOptions: { maxBatchSize: 2 }, ...options } });
  const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: NETWORKS, proposer: "alice" }, deps);
  for (const i of [1, 2]) {
    await approveProposal({ proposalId: proposal.id, submission: { action: ApprovalAction.APPROVE, nonce: 0, signature: await signAction(approverKey(i), proposal, ApprovalAction.APPROVE, 0) } }, deps);
  }
  const states = async () => Object.fromEntries((await h.store.listRuns(proposal.id)).map((r) => [r.network, r.state]));
  const activations = () => h.gateway.sends.filter((s) => s.call.kind === "activate").map((s) => s.network);
  const trail = async () => (await h.audit.list(proposal.id)).map((e) => e.event);
  return { h, deps, proposal, states, activations, trail };
}

/** base's first apply batch reverts with CodehashMismatch: its run fails before any activation. */
const failBaseApply = (network: string, call: DispatcherCall) => (network === "base" && call.kind === "apply" ? codehashMismatch : undefined);

describe("activateStep under an all-or-none policy", () => {
  it("holds the other networks' activations once one network's run halted, audits each hold once and alerts once", async () => {
    // Prepare
    const { h, deps, proposal, states, activations, trail } = await approvedUnder(eoaPolicy(3, 2, { allOrNone: true }));
    h.gateway.script = failBaseApply;
    // Act: well past every ETA, the held steps looking again every minute.
    await fireDueJobs(h, deps, () => 0, 150);
    // Assess
    expect(proposal.approval).toMatchObject({ allOrNone: true });
    expect(await states()).toEqual({ ethereum: RunState.APPLIED, base: RunState.FAILED, optimism: RunState.APPLIED });
    expect(activations()).toEqual([]);
    const holds = (await h.audit.list(proposal.id)).filter((e) => e.event === "activation.held-all-or-none");
    expect(holds.map((e) => e.network).sort()).toEqual(["ethereum", "optimism"]);
    expect(holds[0]!.details).toEqual({ cause: "halted", halted: [{ network: "base", state: "FAILED", reason: "codehash-mismatch" }] });
    const held = h.alerts.alerts.filter((a) => a.type === "all-or-none-held");
    expect(held).toMatchObject([{ status: "raised", severity: "critical", network: "base", proposalId: proposal.id, evidence: { values: { haltedNetwork: "base", reason: "codehash-mismatch" } } }]);
    expect(held[0]!.runbook).toMatch(/#all-or-none-held$/);
    // Still waiting for a decision: an activation attempt is scheduled for each held run.
    expect([...h.scheduler.jobs.values()].filter((j) => j.step === "activate").map((j) => j.network).sort()).toEqual(["ethereum", "optimism"]);
    expect((await trail()).filter((e) => e === "run.activated")).toEqual([]);
  });

  it("ends the hold with the operator's cancel: the held runs are cancelled on chain, the alert resolved, nothing activates", async () => {
    // Prepare
    const { h, deps, proposal, states, activations } = await approvedUnder(eoaPolicy(3, 2, { allOrNone: true }));
    h.gateway.script = failBaseApply;
    await fireDueJobs(h, deps, () => 0, 150);
    // Act
    const cancelled = await cancelProposal(proposal.id, "operator", deps);
    await fireDueJobs(h, deps);
    // Assess
    expect(cancelled.runs.filter((r) => r.outcome === "cancelled").map((r) => r.network).sort()).toEqual(["ethereum", "optimism"]);
    expect(await states()).toEqual({ ethereum: RunState.CANCELLED, base: RunState.FAILED, optimism: RunState.CANCELLED });
    expect(activations()).toEqual([]);
    expect(h.alerts.alerts.filter((a) => a.type === "all-or-none-held").map((a) => a.status)).toEqual(["raised", "resolved"]);
  });

  it("expires a held run at its root's expiry (and cancels that root), resolving the alert once nothing is left to hold", async () => {
    // Prepare: look again every hour, so the day-long expiry window passes in a few attempts.
    const { h, deps, states, activations } = await approvedUnder(eoaPolicy(3, 2, { allOrNone: true }), { allOrNoneRetryMs: 3_600_000 });
    h.gateway.script = failBaseApply;
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect(await states()).toEqual({ ethereum: RunState.EXPIRED, base: RunState.FAILED, optimism: RunState.EXPIRED });
    expect(activations()).toEqual([]);
    expect(h.gateway.sends.filter((s) => s.call.kind === "cancel").map((s) => s.network).sort()).toEqual(["base", "ethereum", "optimism"]);
    expect(h.alerts.alerts.filter((a) => a.type === "all-or-none-held").map((a) => a.status)).toEqual(["raised", "resolved"]);
  });

  it("makes the other networks wait while one network's dispatcher is paused, and activates them all once it is unpaused", async () => {
    // Prepare: base is paused from its first apply on (its own activation will hold, as without all-or-none).
    const { h, deps, proposal, states, activations } = await approvedUnder(eoaPolicy(3, 2, { allOrNone: true }));
    h.gateway.script = (network, call) => {
      if (network === "base" && call.kind === "apply") h.gateway.state("base").paused = true;
      return undefined;
    };
    // Act: past every ETA, for a few retries.
    await fireDueJobs(h, deps, () => 0, 60);
    // Assess: nothing activated anywhere; one wait audited per waiting network, one warning.
    expect(await states()).toEqual({ ethereum: RunState.APPLIED, base: RunState.APPLIED, optimism: RunState.APPLIED });
    expect(new Set(activations())).toEqual(new Set(["base"])); // base's own attempts, refused with ActivationPaused
    const waits = (await h.audit.list(proposal.id)).filter((e) => e.event === "activation.held-all-or-none");
    expect(waits.map((e) => e.network).sort()).toEqual(["ethereum", "optimism"]);
    expect(waits[0]!.details).toEqual({ cause: "paused", paused: [{ network: "base", state: "APPLIED", reason: "paused" }] });
    expect(h.alerts.alerts.filter((a) => a.type === "all-or-none-held")).toMatchObject([{ status: "raised", severity: "warning", network: "base", evidence: { values: { pausedNetwork: "base" } } }]);

    // Act: the pause is lifted.
    h.gateway.script = () => undefined;
    h.gateway.state("base").paused = false;
    await fireDueJobs(h, deps);
    // Assess
    expect(await states()).toEqual({ ethereum: RunState.ACTIVATED, base: RunState.ACTIVATED, optimism: RunState.ACTIVATED });
    expect(h.alerts.alerts.filter((a) => a.type === "all-or-none-held").map((a) => a.status)).toEqual(["raised", "resolved"]);
  });

  it("changes nothing when the policy says allOrNone: false — the other networks activate", async () => {
    const { h, deps, proposal, states, trail } = await approvedUnder(eoaPolicy(3, 2, { allOrNone: false }));
    h.gateway.script = failBaseApply;
    await fireDueJobs(h, deps);
    expect(proposal.approval).toMatchObject({ allOrNone: false });
    expect(await states()).toEqual({ ethereum: RunState.ACTIVATED, base: RunState.FAILED, optimism: RunState.ACTIVATED });
    expect(await trail()).not.toContain("activation.held-all-or-none");
    expect(h.alerts.alerts.map((a) => a.type)).not.toContain("all-or-none-held");
  });

  it("changes nothing without an approval policy", async () => {
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: NETWORKS, proposer: "alice" }, deps);
    h.gateway.script = failBaseApply;
    await fireDueJobs(h, deps);
    expect((await h.store.listRuns(proposal.id)).map((r) => [r.network, r.state])).toEqual([["ethereum", RunState.ACTIVATED], ["base", RunState.FAILED], ["optimism", RunState.ACTIVATED]]);
  });

  it("decides at the last read before sending: a sibling that halts while an activation is in flight does not stop it, and the already activated run is left alone", async () => {
    // Prepare: the first activation sent (network X) makes another network's run (Y) fail while X's transaction
    // is on its way — after X's check of its siblings. The third network (Z) checks after that.
    const { h, deps, proposal, states, activations } = await approvedUnder(eoaPolicy(3, 2, { allOrNone: true }));
    let halted: string | undefined;
    h.gateway.script = (network, call) => {
      if (call.kind !== "activate" || halted) return undefined;
      halted = NETWORKS.find((n) => n !== network)!;
      const run = h.store.runs.get(`${proposal.id}/${halted}`)!;
      Object.assign(run, { state: RunState.FAILED, failure: { code: "tx-voided", message: "voided meanwhile" }, version: run.version + 1 });
      return undefined;
    };
    // Act
    await fireDueJobs(h, deps, () => 0, 150);
    // Assess
    const [first] = activations();
    const third = NETWORKS.find((n) => n !== first && n !== halted)!;
    expect(activations()).toEqual([first]);
    expect(await states()).toMatchObject({ [first!]: RunState.ACTIVATED, [halted!]: RunState.FAILED, [third]: RunState.APPLIED });
    expect((await h.audit.list(proposal.id)).filter((e) => e.event === "activation.held-all-or-none").map((e) => e.network)).toEqual([third]);
    // The cancel decides for the held run only; the activated one is final.
    const cancelled = await cancelProposal(proposal.id, "operator", deps);
    expect(cancelled.runs.find((r) => r.network === first)).toMatchObject({ outcome: "already-final", state: RunState.ACTIVATED });
    expect(await states()).toMatchObject({ [first!]: RunState.ACTIVATED, [third]: RunState.CANCELLED });
  });
});
