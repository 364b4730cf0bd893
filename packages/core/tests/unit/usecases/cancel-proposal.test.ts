import { describe, expect, it } from "vitest";
import { cancelProposal, findNetwork, ProposalFinishedError, ProposalNotFoundError, proposeUpgrade, watchdogSweep, ZeroHash, type Network } from "../../../src/index.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

async function proposed(networks = ["ethereum", "base"]) {
  const h = inMemoryPorts();
  const deps = h.deps();
  const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks, proposer: "alice" }, deps);
  return { h, deps, proposal };
}

describe("cancelProposal", () => {
  it("cancels a committed run on chain and a proposed run directly; later steps skip", async () => {
    // Prepare: ethereum committed, base still PROPOSED
    const { h, deps, proposal } = await proposed();
    const baseCommit = [...h.scheduler.jobs.values()].find((j) => j.network === "base")!;
    h.scheduler.jobs.delete(baseCommit.name);
    await fireDueJobs(h, deps, () => 0, 1);
    // Act
    const result = await cancelProposal(proposal.id, "alice", deps);
    await fireDueJobs(h, deps);
    // Assess
    expect(result.runs).toMatchObject([
      { network: "ethereum", outcome: "cancelled" },
      { network: "base", outcome: "cancelled" },
    ]);
    expect(h.gateway.sends.map((s) => [s.network, s.call.kind])).toEqual([
      ["ethereum", "commit"],
      ["ethereum", "cancel"],
    ]);
    expect(h.gateway.sends[1]!.call).toEqual({ kind: "cancel", root: proposal.root, epoch: 1n, maxUnstage: 1393 });
    expect((await h.store.listRuns(proposal.id)).map((r) => r.state)).toEqual(["CANCELLED", "CANCELLED"]);
    expect((await h.audit.list(proposal.id)).filter((e) => e.event === "run.cancelled").map((e) => e.actor)).toEqual(["alice", "alice"]);
  });

  it("refuses to cancel a finished proposal with a typed error and writes nothing", async () => {
    // Prepare
    const { h, deps, proposal } = await proposed(["base"]);
    await fireDueJobs(h, deps);
    const auditBefore = (await h.audit.list(proposal.id)).length;
    const runsBefore = await h.store.listRuns(proposal.id);
    // Act
    const error = await cancelProposal(proposal.id, "alice", deps).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(ProposalFinishedError);
    expect(await h.store.listRuns(proposal.id)).toEqual(runsBefore);
    expect(await h.audit.list(proposal.id)).toHaveLength(auditBefore);
    expect(h.gateway.sends.filter((s) => s.call.kind === "cancel")).toEqual([]);
  });

  it("cancels in chunks sized by the network's gas limit, each chunk its own journaled step sent once, until nothing is pending", async () => {
    // Prepare: ethereum limited to 84,000 gas per transaction (60,000 + 2 × 12,000: 2 routes a chunk), all 6 leaves applied
    const tight = (id: string): Network | undefined => (id === "ethereum" ? { ...findNetwork(id)!, maxTxGas: 84_000 } : findNetwork(id));
    const h = inMemoryPorts();
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["ethereum"], proposer: "alice" }, h.deps());
    await fireDueJobs(h, h.deps(), () => 0, 4);
    const deps = h.deps({ networks: tight });
    expect(h.gateway.state("ethereum")).toMatchObject({ applied: 6, leafCount: 6 });
    // Act
    const result = await cancelProposal(proposal.id, "alice", deps);
    // Assess
    const chunks = h.gateway.sends.filter((s) => s.call.kind === "cancel");
    expect(chunks.map((s) => s.stepId)).toEqual([0, 1, 2].map((k) => `${proposal.id}:ethereum:cancel:${k}`));
    expect(chunks.map((s) => s.call)).toEqual([0, 1, 2].map(() => ({ kind: "cancel", root: proposal.root, epoch: 1n, maxUnstage: 2 })));
    expect(h.gateway.state("ethereum")).toMatchObject({ pendingRoot: ZeroHash, applied: 0, cancelling: false });
    expect(result.runs).toEqual([{ network: "ethereum", outcome: "cancelled", txHash: expect.any(String), chunks: 3 }]);
    expect((await h.audit.list(proposal.id)).filter((e) => e.event === "cancel.confirmed").map((e) => e.details?.chunk)).toEqual([0, 1, 2]);
    expect((await h.store.getRun(proposal.id, "ethereum"))!.state).toBe("CANCELLED");
  });

  it("refuses the cancel and leaves the pending root when another commitment is pending", async () => {
    // Prepare: the run committed epoch 1; someone else cancelled it and committed their own root as epoch 2
    const { h, deps, proposal } = await proposed(["base"]);
    await fireDueJobs(h, deps, () => 0, 1);
    const other = `0x${"77".repeat(32)}`;
    Object.assign(h.gateway.state("base"), { pendingRoot: other, pendingEpoch: 2n, nextEpoch: 3n, applied: 0, leafCount: 1 });
    // Act
    const result = await cancelProposal(proposal.id, "alice", deps);
    // Assess
    expect(result.runs).toEqual([{ network: "base", outcome: "refused", revert: "CancelTargetMismatch" }]);
    expect(h.gateway.state("base")).toMatchObject({ pendingRoot: other, pendingEpoch: 2n });
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("COMMITTED");
    expect((await h.audit.list(proposal.id)).filter((e) => e.event.startsWith("cancel."))).toMatchObject([{ event: "cancel.refused", details: { revert: "CancelTargetMismatch" } }]);
  });

  it("commits a later proposal of the same manifest at the dispatcher's next epoch after a cancel", async () => {
    // Prepare: a first proposal committed (epoch 1) and cancelled
    const { h, deps, proposal: first } = await proposed(["base"]);
    await fireDueJobs(h, deps, () => 0, 1);
    await cancelProposal(first.id, "alice", deps);
    // Act
    const { proposal: second } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, deps);
    await fireDueJobs(h, deps);
    // Assess
    const commits = h.gateway.sends.filter((s) => s.call.kind === "commit").map((s) => (s.call as { epoch: bigint }).epoch);
    expect(commits).toEqual([1n, 2n]);
    expect(await h.store.getRun(second.id, "base")).toMatchObject({ state: "ACTIVATED", committedEpoch: 2 });
    expect((await h.audit.list(second.id)).find((e) => e.event === "commit.confirmed")).toMatchObject({ details: { epoch: 2, baseEpoch: 0 } });
    expect(h.gateway.state("base")).toMatchObject({ activeEpoch: 2n, activeRoot: second.root });
  });

  // Issue 13, defect 2: a run that failed after its commit left its root pending; cancel answered 409.
  it("cancels the root a run left pending when it failed after its commit, so the next proposal commits", async () => {
    // Prepare: base committed (epoch 1), then the first apply reverted with FacetHasNoCode; the run's own cancel errored
    const { h, deps, proposal } = await proposed(["base"]);
    h.gateway.script = (_n, call) => (call.kind === "apply" ? { name: "FacetHasNoCode", args: ["0x1000"] } : undefined);
    const send = h.gateway.send.bind(h.gateway);
    h.gateway.send = async (network, stepId, call) => {
      if (call.kind === "cancel") throw new Error("rpc down");
      return send(network, stepId, call);
    };
    await fireDueJobs(h, deps);
    Object.assign(h.gateway, { send, script: () => undefined });
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: "FAILED", committedEpoch: 1 });
    expect(h.gateway.state("base")).toMatchObject({ pendingRoot: proposal.root, pendingEpoch: 1n });
    // Act
    const result = await cancelProposal(proposal.id, "alice", deps);
    const { proposal: second } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, deps);
    await fireDueJobs(h, deps);
    // Assess
    expect(result.runs).toEqual([{ network: "base", outcome: "root-cancelled", state: "FAILED", txHash: expect.any(String), chunks: 1 }]);
    expect(h.gateway.sends.filter((s) => s.call.kind === "cancel").map((s) => [s.stepId, s.call])).toEqual([
      [`${proposal.id}:base:cancel:0`, { kind: "cancel", root: proposal.root, epoch: 1n, maxUnstage: 1393 }],
    ]);
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("FAILED");
    expect((await h.audit.list(proposal.id)).find((e) => e.event === "run.root-cancelled")).toMatchObject({ actor: "alice", details: { state: "FAILED", root: proposal.root, epoch: 1, chunks: 1 } });
    expect(await h.store.getRun(second.id, "base")).toMatchObject({ state: "ACTIVATED", committedEpoch: 2 });
  });

  it("cancels the root a FAILED run left pending while another network's run of the proposal is still in flight", async () => {
    // Prepare: base failed after committing epoch 1 (its own cancel errored); ethereum committed and is not final
    const { h, deps, proposal } = await proposed(["ethereum", "base"]);
    h.gateway.script = (network, call) => (network === "base" && call.kind === "apply" ? { name: "FacetHasNoCode", args: ["0x1000"] } : undefined);
    const send = h.gateway.send.bind(h.gateway);
    h.gateway.send = async (network, stepId, call) => {
      if (call.kind === "cancel") throw new Error("rpc down");
      return send(network, stepId, call);
    };
    for (let i = 0; i < 50 && (await h.store.getRun(proposal.id, "base"))!.state !== "FAILED"; i++) await fireDueJobs(h, deps, () => 0, 1);
    Object.assign(h.gateway, { send, script: () => undefined });
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: "FAILED", committedEpoch: 1 });
    expect((await h.store.getRun(proposal.id, "ethereum"))!.state).not.toMatch(/^(FAILED|CANCELLED|EXPIRED|ACTIVATED)$/);
    expect(h.gateway.state("base")).toMatchObject({ pendingRoot: proposal.root, pendingEpoch: 1n });
    // Act
    const result = await cancelProposal(proposal.id, "alice", deps);
    // Assess: both roots are gone; the failed run keeps its state
    expect(result.runs).toEqual([
      { network: "ethereum", outcome: "cancelled", txHash: expect.any(String), chunks: 1 },
      { network: "base", outcome: "root-cancelled", state: "FAILED", txHash: expect.any(String), chunks: 1 },
    ]);
    expect(h.gateway.state("base")).toMatchObject({ pendingRoot: ZeroHash });
    expect(h.gateway.state("ethereum")).toMatchObject({ pendingRoot: ZeroHash });
    expect(Object.fromEntries((await h.store.listRuns(proposal.id)).map((r) => [r.network, r.state]))).toEqual({ base: "FAILED", ethereum: "CANCELLED" });
    expect((await h.audit.list(proposal.id)).find((e) => e.event === "run.root-cancelled")).toMatchObject({ actor: "alice", network: "base", details: { state: "FAILED", root: proposal.root, epoch: 1 } });
  });

  it("still cancels the runs in flight when a failed sibling's chain can't be read, reporting that sibling as refused", async () => {
    // Prepare: as above, and base's RPC is down at the cancel
    const { h, deps, proposal } = await proposed(["ethereum", "base"]);
    h.gateway.script = (network, call) => (network === "base" && call.kind === "apply" ? { name: "FacetHasNoCode", args: ["0x1000"] } : undefined);
    for (let i = 0; i < 50 && (await h.store.getRun(proposal.id, "base"))!.state !== "FAILED"; i++) await fireDueJobs(h, deps, () => 0, 1);
    h.gateway.script = () => undefined;
    const readState = h.gateway.readState.bind(h.gateway);
    h.gateway.readState = async (network) => {
      if (network === "base") throw new Error("rpc down");
      return readState(network);
    };
    // Act
    const result = await cancelProposal(proposal.id, "alice", deps);
    // Assess
    expect(result.runs).toEqual([
      { network: "ethereum", outcome: "cancelled", txHash: expect.any(String), chunks: 1 },
      { network: "base", outcome: "refused", revert: "cancel-failed: rpc down" },
    ]);
    expect(h.gateway.state("ethereum")).toMatchObject({ pendingRoot: ZeroHash });
    expect((await h.audit.list(proposal.id)).filter((e) => e.event === "cancel.failed").at(-1)).toMatchObject({ network: "base", details: { reason: "rpc down" } });
  });

  it("cancels the root of an EXPIRED run whose own best-effort cancel failed", async () => {
    // Prepare: base applied, the activation job lost until after the expiry window; expire's cancel errors once
    const { h, deps, proposal } = await proposed(["base"]);
    for (let i = 0; i < 4; i++) await fireDueJobs(h, deps, () => 0, 1);
    const run = (await h.store.getRun(proposal.id, "base"))!;
    expect(run.state).toBe("APPLIED");
    const send = h.gateway.send.bind(h.gateway);
    h.gateway.send = async (network, stepId, call) => {
      if (call.kind === "cancel") throw new Error("rpc down");
      return send(network, stepId, call);
    };
    await fireDueJobs(h, deps, () => 90_000_000);
    h.gateway.send = send;
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("EXPIRED");
    expect(h.gateway.state("base").pendingRoot).toBe(proposal.root);
    // Act
    const result = await cancelProposal(proposal.id, "alice", deps);
    // Assess
    expect(result.runs).toMatchObject([{ network: "base", outcome: "root-cancelled", state: "EXPIRED", chunks: 1 }]);
    expect(h.gateway.state("base")).toMatchObject({ pendingRoot: ZeroHash, applied: 0 });
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("EXPIRED");
  });

  it("never cancels another proposal's root: a failed run whose commitment is gone still answers ProposalFinishedError", async () => {
    // Prepare: base failed after committing epoch 1; someone cancelled it and the same root is pending again as epoch 2
    const { h, deps, proposal } = await proposed(["base"]);
    h.gateway.script = (_n, call) => (call.kind === "apply" ? { name: "FacetHasNoCode", args: ["0x1000"] } : undefined);
    await fireDueJobs(h, deps);
    h.gateway.script = () => undefined;
    Object.assign(h.gateway.state("base"), { pendingRoot: proposal.root, pendingEpoch: 2n, nextEpoch: 3n });
    const auditBefore = (await h.audit.list(proposal.id)).length;
    const sendsBefore = h.gateway.sends.length;
    // Act
    const error = await cancelProposal(proposal.id, "alice", deps).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(ProposalFinishedError);
    expect(h.gateway.sends.slice(sendsBefore)).toEqual([]);
    expect(h.gateway.state("base")).toMatchObject({ pendingRoot: proposal.root, pendingEpoch: 2n });
    expect(await h.audit.list(proposal.id)).toHaveLength(auditBefore);
  });

  it("answers ProposalFinishedError without reading the chain when no run failed after a commit", async () => {
    // Prepare: the commit itself reverted, so the run FAILED with nothing pending of its own
    const { h, deps, proposal } = await proposed(["base"]);
    h.gateway.script = (_n, call) => (call.kind === "commit" ? { name: "AccessControlUnauthorizedAccount", args: ["0xabc", "0x01"] } : undefined);
    await fireDueJobs(h, deps);
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("FAILED");
    let reads = 0;
    const readState = h.gateway.readState.bind(h.gateway);
    h.gateway.readState = async (network) => (reads++, readState(network));
    // Act
    const error = await cancelProposal(proposal.id, "alice", deps).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(ProposalFinishedError);
    expect(reads).toBe(0);
  });

  it("refuses (audited) a committed run's cancel on a network taken out of the configuration, and still cancels the others", async () => {
    // Prepare: both runs committed, then base removed from the registry
    const { h, deps, proposal } = await proposed();
    await fireDueJobs(h, deps, () => 0, 2);
    expect((await h.store.listRuns(proposal.id)).map((r) => r.state)).toEqual(["COMMITTED", "COMMITTED"]);
    const withoutBase = h.deps({ networks: (id: string) => (id === "base" ? undefined : findNetwork(id)) });
    // Act
    const result = await cancelProposal(proposal.id, "alice", withoutBase);
    // Assess
    expect(result.runs).toEqual([
      expect.objectContaining({ network: "ethereum", outcome: "cancelled" }),
      { network: "base", outcome: "refused", revert: "network-not-configured" },
    ]);
    expect((await h.store.listRuns(proposal.id)).map((r) => [r.network, r.state])).toEqual([
      ["ethereum", "CANCELLED"],
      ["base", "COMMITTED"],
    ]);
    expect(h.gateway.sends.filter((s) => s.call.kind === "cancel").map((s) => s.network)).toEqual(["ethereum"]);
    const refused = (await h.audit.list(proposal.id)).filter((e) => e.event === "cancel.refused");
    expect(refused).toMatchObject([{ network: "base", details: { revert: "network-not-configured" } }]);
  });

  it("throws ProposalNotFoundError for an unknown id", async () => {
    const { deps } = await proposed(["base"]);
    await expect(cancelProposal("nope", "alice", deps)).rejects.toBeInstanceOf(ProposalNotFoundError);
  });
});

describe("watchdogSweep", () => {
  it("raises one late-activation alert for a run past its time + grace + 300 s, however often it sweeps", async () => {
    // Prepare: base (grace 30 s) applied, its activation job lost
    const { h, deps, proposal } = await proposed(["base"]);
    for (let i = 0; i < 4; i++) await fireDueJobs(h, deps, () => 0, 1);
    const run = (await h.store.getRun(proposal.id, "base"))!;
    expect(run.state).toBe("APPLIED");
    h.scheduler.jobs.clear();
    // Act
    h.clock.ms = run.activateAtMs! + 330_000;
    const early = await watchdogSweep({ ...deps, actor: "watchdog" });
    h.clock.ms += 1_001;
    const first = await watchdogSweep({ ...deps, actor: "watchdog" });
    const second = await watchdogSweep({ ...deps, actor: "watchdog" });
    // Assess
    expect(early.late).toEqual([]);
    expect(first.late).toEqual([`${proposal.id}/base`]);
    expect(second).toEqual({ checked: 1, late: [`${proposal.id}/base`], stuck: [] });
    expect(h.alerts.alerts).toMatchObject([{ type: "late-activation", severity: "warning", network: "base", status: "raised" }]);
  });
});
