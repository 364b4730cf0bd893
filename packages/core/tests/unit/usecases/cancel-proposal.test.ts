import { describe, expect, it } from "vitest";
import { cancelProposal, ProposalFinishedError, ProposalNotFoundError, proposeUpgrade, watchdogSweep } from "../../../src/index.js";
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
