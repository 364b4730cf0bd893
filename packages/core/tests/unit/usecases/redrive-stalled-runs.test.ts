import { describe, expect, it } from "vitest";
import { proposeUpgrade, redriveStalledRuns, REDRIVE_AUDIT_EVENT, runStep } from "../../../src/index.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

const STALL_MS = 10 * 60_000;

async function proposedOnBase() {
  const h = inMemoryPorts();
  const deps = h.deps();
  const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, deps);
  return { h, deps, proposal };
}

describe("redriveStalledRuns", () => {
  it("schedules a lost apply batch again once it is overdue by the stall window, and the run then finishes with each batch sent once", async () => {
    // Prepare: commit and batch 0 ran; the trigger of batch 1 is lost
    const { h, deps, proposal } = await proposedOnBase();
    await runStep(h.scheduler.takeNext()!, deps);
    const apply0 = h.scheduler.takeNext()!;
    h.clock.ms = apply0.runAtMs;
    await runStep(apply0, deps);
    expect(h.scheduler.takeNext()?.attempt).toBe("1");
    // Act
    h.clock.ms += STALL_MS;
    const early = await redriveStalledRuns(deps, { stallMs: STALL_MS });
    h.clock.ms += 10_000;
    const { redriven } = await redriveStalledRuns(deps, { stallMs: STALL_MS });
    await fireDueJobs(h, deps);
    // Assess
    expect(early.redriven).toEqual([]);
    expect(redriven).toEqual([`${proposal.id}/base apply 1`]);
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("ACTIVATED");
    for (const k of [0, 1, 2]) expect(h.gateway.sendsOf(`${proposal.id}:base:apply:${k}`)).toHaveLength(1);
    expect((await h.audit.list(proposal.id)).filter((e) => e.event === REDRIVE_AUDIT_EVENT)).toHaveLength(1);
  });

  it("re-drives a stalled run once per stall window, not on every sweep", async () => {
    const { h, deps, proposal } = await proposedOnBase();
    h.scheduler.takeNext(); // the commit trigger is lost
    h.clock.ms += STALL_MS + 1;
    const first = await redriveStalledRuns(deps, { stallMs: STALL_MS });
    h.scheduler.takeNext(); // and so is the re-drive
    h.clock.ms += 60_000;
    const second = await redriveStalledRuns(deps, { stallMs: STALL_MS });
    h.clock.ms += STALL_MS;
    const third = await redriveStalledRuns(deps, { stallMs: STALL_MS });
    expect(first.redriven).toEqual([`${proposal.id}/base commit 0`]);
    expect(second.redriven).toEqual([]);
    expect(third.redriven).toEqual([`${proposal.id}/base commit 0`]);
    // The second re-drive of the same step means its lease expired twice: one warning, not repeated.
    h.scheduler.takeNext();
    h.clock.ms += STALL_MS + 1;
    await redriveStalledRuns(deps, { stallMs: STALL_MS });
    const leaseAlerts = h.alerts.alerts.filter((a) => a.type === "lease-expired");
    expect(leaseAlerts).toHaveLength(1);
    expect(leaseAlerts[0]).toMatchObject({ severity: "warning", status: "raised", network: "base", proposalId: proposal.id, evidence: { values: { step: "commit", redrives: 2 } } });
  });

  it("audits the creation of a proposal whose creator died after the store's write (recovered: true), then re-drives it to the end", async () => {
    // Prepare: the proposal and its run are in the store, but nothing was audited or scheduled (the request timed out)
    const source = await proposedOnBase();
    const h = inMemoryPorts();
    const deps = h.deps();
    const runs = await source.h.store.listRuns(source.proposal.id);
    await h.store.createProposal(source.proposal, runs);
    expect(await h.audit.list(source.proposal.id)).toEqual([]);
    // Act
    h.clock.ms += STALL_MS + 1;
    const { redriven } = await redriveStalledRuns({ ...deps, actor: "watchdog" }, { stallMs: STALL_MS });
    await fireDueJobs(h, deps);
    // Assess
    expect(redriven).toEqual([`${source.proposal.id}/base commit 0`]);
    const entries = await h.audit.list(source.proposal.id);
    expect(entries[0]).toMatchObject({ event: "proposal.created", actor: "watchdog", details: { root: source.proposal.root, proposer: "alice", networks: ["base"], recovered: true } });
    expect(entries.filter((e) => e.event === "proposal.created")).toHaveLength(1);
    expect((await h.store.getRun(source.proposal.id, "base"))!.state).toBe("ACTIVATED");
    // A second sweep finds the creation audited and adds nothing
    h.clock.ms += STALL_MS + 1;
    await redriveStalledRuns({ ...deps, actor: "watchdog" }, { stallMs: STALL_MS });
    expect((await h.audit.list(source.proposal.id)).filter((e) => e.event === "proposal.created")).toHaveLength(1);
  });

  it("leaves alone a run waiting for its earliest commit time or its activation time", async () => {
    // Prepare
    const h = inMemoryPorts();
    const deps = h.deps();
    await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice", earliestCommitAtMs: h.clock.ms + 3 * STALL_MS }, deps);
    // Act
    h.clock.ms += 2 * STALL_MS;
    const result = await redriveStalledRuns(deps, { stallMs: STALL_MS });
    // Assess
    expect(result.redriven).toEqual([]);
  });

  it("leaves finished runs alone", async () => {
    const { h, deps } = await proposedOnBase();
    await fireDueJobs(h, deps);
    h.clock.ms += 10 * STALL_MS;
    expect((await redriveStalledRuns(deps, { stallMs: STALL_MS })).redriven).toEqual([]);
  });
});
