/**
 * A cancel of a run still PROPOSED whose commit is already journaled (its step is in flight, or crashed
 * after signing): the commit's nonce must resolve and a root it left pending must not be orphaned. The
 * cancel follows the journaled commit first; whichever of its attempts lands decides what is left to undo.
 */
import { describe, expect, it } from "vitest";
import { buildManifestTree, cancelProposal, commitArgs, manifestInitializer, parseManifest, proposeUpgrade, TX_VOIDED, ZeroHash } from "../../../src/index.js";
import { inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

async function proposedWithJournaledCommit() {
  const h = inMemoryPorts();
  const deps = h.deps();
  const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, deps);
  return { h, deps, proposal, commitStepId: `${proposal.id}:base:commit` };
}

describe("cancelProposal of a run whose commit is in flight", () => {
  it("cancels on chain the root its journaled commit left pending, so the network is really free", async () => {
    // Prepare: the commit was sent and landed, but the step died before the run moved (still PROPOSED)
    const { h, deps, proposal, commitStepId } = await proposedWithJournaledCommit();
    const run = (await h.store.getRun(proposal.id, "base"))!;
    const state = await h.gateway.readState("base");
    const parsed = parseManifest(JSON.parse(proposal.manifestJson));
    const sent = await h.gateway.send("base", commitStepId, { kind: "commit", ...commitArgs(buildManifestTree(parsed.entries, manifestInitializer(parsed))), epoch: state.nextEpoch });
    expect(sent.ok).toBe(true);
    expect(run.state).toBe("PROPOSED");
    // Act
    const result = await cancelProposal(proposal.id, "ops", deps);
    // Assess
    expect(result.runs).toMatchObject([{ network: "base", outcome: "cancelled", chunks: 1 }]);
    expect((await h.gateway.readState("base")).pendingRoot).toBe(ZeroHash);
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("CANCELLED");
    expect(await h.store.networkHolder("base")).toBeUndefined();
  });

  it("cancels the run without an on-chain cancel when its journaled commit was voided", async () => {
    // Prepare: the commit's nonce was freed by a no-op that landed instead
    const { h, deps, proposal, commitStepId } = await proposedWithJournaledCommit();
    const resume = h.gateway.resume.bind(h.gateway);
    h.gateway.resume = async (network, stepId) => (stepId === commitStepId ? { ok: false, revert: { name: TX_VOIDED, args: ["0xvoid", "never includable", 7] } } : resume(network, stepId));
    // Act
    const result = await cancelProposal(proposal.id, "ops", deps);
    // Assess
    expect(result.runs).toMatchObject([{ network: "base", outcome: "cancelled", chunks: 0 }]);
    expect(h.gateway.sends.filter((s) => s.call.kind === "cancel")).toHaveLength(0);
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("CANCELLED");
  });

  it("waits for the journaled commit to resolve before it gives the network up", async () => {
    // Prepare: the commit is journaled and still unresolved while the cancel runs
    const { h, deps, proposal, commitStepId } = await proposedWithJournaledCommit();
    const followed: string[] = [];
    const resume = h.gateway.resume.bind(h.gateway);
    h.gateway.resume = async (network, stepId) => {
      if (stepId === commitStepId) followed.push(`${h.store.locks.get("base") ?? "free"}`);
      return resume(network, stepId);
    };
    // Act
    await cancelProposal(proposal.id, "ops", deps);
    // Assess: the commit was followed while the proposal still held the network
    expect(followed[0]).toBe(proposal.id);
  });

  it("with a journal, asks the gateway to follow the commit only when the journal holds a final one", async () => {
    // Prepare: two proposals on different networks; only the first one's commit is journaled (and final)
    const { h, proposal, commitStepId } = await proposedWithJournaledCommit();
    const journaled = new Map([[commitStepId, "CONFIRMED"]]);
    const journal = { get: async (stepId: string) => (journaled.has(stepId) ? ({ stepId, status: journaled.get(stepId) } as never) : undefined), put: async () => ({ ok: true as const }) };
    const deps = h.deps({ monitoring: { journal } });
    const { proposal: other } = await proposeUpgrade({ manifestJson: syntheticManifestJson(6, "other"), networks: ["ethereum"], proposer: "alice" }, deps);
    const resumed: string[] = [];
    h.gateway.resume = async (_network, stepId) => {
      resumed.push(stepId);
      return { ok: false, revert: { name: TX_VOIDED, args: ["0xvoid", "never includable", 7] } };
    };
    // Act
    await cancelProposal(proposal.id, "ops", deps);
    await cancelProposal(other.id, "ops", deps);
    // Assess
    expect(resumed).toEqual([commitStepId]);
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("CANCELLED");
    expect((await h.store.getRun(other.id, "ethereum"))!.state).toBe("CANCELLED");
  });

  it("refuses (without waiting) to cancel a run whose journaled commit is not final yet; the network stays held", async () => {
    // Prepare: the commit sits in a relay (SUBMITTED), not final
    const { h, proposal, commitStepId } = await proposedWithJournaledCommit();
    const journal = { get: async (stepId: string) => (stepId === commitStepId ? ({ stepId, status: "SUBMITTED" } as never) : undefined), put: async () => ({ ok: true as const }) };
    const deps = h.deps({ monitoring: { journal } });
    h.gateway.resume = async () => {
      throw new Error("the cancel must not wait on an in-flight commit");
    };
    // Act
    const result = await cancelProposal(proposal.id, "ops", deps);
    // Assess
    expect(result.runs).toEqual([{ network: "base", outcome: "refused", revert: "CommitInFlight" }]);
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("PROPOSED");
    expect(await h.store.networkHolder("base")).toBe(proposal.id);
    expect((await h.audit.list(proposal.id)).find((e) => e.event === "cancel.refused")).toMatchObject({ actor: "ops", network: "base", details: { revert: "CommitInFlight" } });
  });
});
