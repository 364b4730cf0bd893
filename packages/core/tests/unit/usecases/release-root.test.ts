import { describe, expect, it } from "vitest";
import { proposeUpgrade, ZeroHash } from "../../../src/index.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

type Harness = ReturnType<typeof inMemoryPorts>;

async function proposed(networks = ["base"]) {
  const h = inMemoryPorts();
  const deps = h.deps();
  const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks, proposer: "alice" }, deps);
  return { h, deps, proposal };
}

// Issue 13, defect 2: a run that failed after its commit left its root pending, and every later proposal failed with pending-root.
describe("releaseOwnRoot (a run failing after its commit)", () => {
  it("cancels its own root when an apply reverts with FacetHasNoCode, so the next proposal commits and activates", async () => {
    // Prepare
    const { h, deps, proposal } = await proposed();
    h.gateway.script = (_n, call) => (call.kind === "apply" ? { name: "FacetHasNoCode", args: ["0x1000"] } : undefined);
    // Act
    await fireDueJobs(h, deps);
    h.gateway.script = () => undefined;
    const { proposal: second } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, deps);
    await fireDueJobs(h, deps);
    // Assess
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: "FAILED", failure: { code: "FacetHasNoCode" }, committedEpoch: 1 });
    expect(h.gateway.sends.filter((s) => s.call.kind === "cancel").map((s) => [s.stepId, s.call])).toEqual([
      [`${proposal.id}:base:cancel:0`, { kind: "cancel", root: proposal.root, epoch: 1n, maxUnstage: 1393 }],
    ]);
    const trail = (await h.audit.list(proposal.id)).map((e) => e.event).filter((e) => ["run.failed", "cancel.confirmed", "run.root-cancelled"].includes(e));
    expect(trail).toEqual(["run.failed", "cancel.confirmed", "run.root-cancelled"]);
    expect(h.alerts.alerts).toMatchObject([{ type: "run-failed", network: "base", message: expect.stringContaining("was cancelled on base") }]);
    expect(await h.store.getRun(second.id, "base")).toMatchObject({ state: "ACTIVATED", committedEpoch: 2 });
  });

  it("cancels its own root when the activation reverts with CodehashMismatch, and the critical alert says so", async () => {
    // Prepare
    const { h, deps, proposal } = await proposed();
    h.gateway.script = (_n, call) => (call.kind === "activate" ? { name: "CodehashMismatch", args: ["0x1000", "0xaa", "0xbb"] } : undefined);
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: "FAILED", failure: { code: "codehash-mismatch" } });
    expect(h.gateway.state("base")).toMatchObject({ pendingRoot: ZeroHash, applied: 0, activeEpoch: 0n });
    expect((await h.audit.list(proposal.id)).find((e) => e.event === "run.root-cancelled")).toMatchObject({ actor: "scheduler", details: { state: "FAILED", root: proposal.root, epoch: 1, chunks: 1 } });
    expect(h.alerts.alerts).toMatchObject([{ type: "codehash-mismatch", severity: "critical", message: expect.stringContaining("was cancelled on base") }]);
  });

  it.each([
    ["an apply whose transaction was voided (tx-voided)", "tx-voided", (h: Harness) => (h.gateway.script = (_n, call) => (call.kind === "apply" ? { name: "TxVoided", args: [`0x${"ab".repeat(32)}`, "relay refused it for good", 7] } : undefined))],
    ["a plan that no longer matches the run (plan-mismatch)", "plan-mismatch", (h: Harness) => { for (const run of h.store.runs.values()) run.batchCount = 99; }],
    ["an activation that reverts for another reason (ManifestIncomplete)", "ManifestIncomplete", (h: Harness) => (h.gateway.script = (_n, call) => (call.kind === "activate" ? { name: "ManifestIncomplete", args: [0, 6] } : undefined))],
  ])("cancels its own root after %s", async (_what, code, breakIt) => {
    // Prepare: committed (epoch 1), then broken
    const { h, deps, proposal } = await proposed();
    await fireDueJobs(h, deps, () => 0, 1);
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: "COMMITTED", committedEpoch: 1 });
    breakIt(h);
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: "FAILED", failure: { code } });
    expect(h.gateway.state("base")).toMatchObject({ pendingRoot: ZeroHash });
    expect((await h.audit.list(proposal.id)).find((e) => e.event === "run.root-cancelled")).toMatchObject({ details: { state: "FAILED", root: proposal.root, epoch: 1 } });
    expect(h.alerts.alerts.find((a) => a.status === "raised")!.message).toContain(`its root ${proposal.root} (epoch 1) was cancelled on base`);
  });

  it("never cancels another proposal's root: leaves a pending root at another epoch alone", async () => {
    // Prepare: between the commit (epoch 1) and the failing apply, someone cancelled it and committed the same root as epoch 2
    const { h, deps, proposal } = await proposed();
    await fireDueJobs(h, deps, () => 0, 1);
    Object.assign(h.gateway.state("base"), { pendingRoot: proposal.root, pendingEpoch: 2n, nextEpoch: 3n, applied: 0 });
    h.gateway.script = (_n, call) => (call.kind === "apply" ? { name: "FacetHasNoCode", args: ["0x1000"] } : undefined);
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("FAILED");
    expect(h.gateway.sends.filter((s) => s.call.kind === "cancel")).toEqual([]);
    expect(h.gateway.state("base")).toMatchObject({ pendingRoot: proposal.root, pendingEpoch: 2n });
    expect(h.alerts.alerts[0]!.message).not.toMatch(/cancel/);
  });

  it("stays FAILED, audits cancel.failed and says so in the alert when its cancel errors", async () => {
    // Prepare
    const { h, deps, proposal } = await proposed();
    h.gateway.script = (_n, call) => (call.kind === "apply" ? { name: "FacetHasNoCode", args: ["0x1000"] } : undefined);
    const send = h.gateway.send.bind(h.gateway);
    h.gateway.send = async (network, stepId, call) => {
      if (call.kind === "cancel") throw new Error("rpc down");
      return send(network, stepId, call);
    };
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("FAILED");
    expect(h.gateway.state("base").pendingRoot).toBe(proposal.root);
    expect((await h.audit.list(proposal.id)).find((e) => e.event === "cancel.failed")).toMatchObject({ details: { reason: "rpc down" } });
    expect(h.alerts.alerts).toMatchObject([{ type: "run-failed", message: expect.stringContaining("may still be pending on base (cancel failed: rpc down); cancel the proposal to retry") }]);
  });
});
