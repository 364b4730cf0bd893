/**
 * A run that ended after its commit and could not cancel its own root leaves that root pending on chain,
 * where it refuses every later commit there. Its proposal keeps the network: a new proposal is refused
 * with 409 naming it (not accepted and failed `pending-root` later), until its leftover root is cancelled.
 */
import { describe, expect, it } from "vitest";
import { cancelProposal, NetworkBusyError, ProposalFinishedError, proposeUpgrade, type SchedulerDeps } from "../../../src/index.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

function propose(deps: SchedulerDeps, name = "upgrade") {
  return proposeUpgrade({ manifestJson: syntheticManifestJson(6, name), networks: ["base"], proposer: "alice" }, deps);
}

describe("network lock of a leftover root", () => {
  it("refuses a new proposal naming the proposal whose failed run left its root pending, until its cancel clears it", async () => {
    // Prepare: apply reverts after the commit, and the run's own cancel is refused (e.g. an RPC outage)
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal } = await propose(deps);
    h.gateway.script = (_n, call) => (call.kind === "apply" ? { name: "FacetHasNoCode", args: ["0x1000"] } : undefined);
    const send = h.gateway.send.bind(h.gateway);
    let rpcDown = true;
    h.gateway.send = async (network, stepId, call) => {
      if (call.kind === "cancel" && rpcDown) throw new Error("rpc down");
      return send(network, stepId, call);
    };
    await fireDueJobs(h, deps);
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("FAILED");
    expect(h.gateway.state("base").pendingRoot).toBe(proposal.root);
    // Act / Assess: refused naming the leftover's proposal, nothing written
    const refused = await propose(deps, "next").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NetworkBusyError);
    expect(refused).toMatchObject({ network: "base", holder: proposal.id });
    expect(h.store.proposals.size).toBe(1);
    // The leftover's cancel (through the API) clears the root and frees the network
    rpcDown = false;
    const cancelled = await cancelProposal(proposal.id, "ops", deps);
    expect(cancelled.runs).toMatchObject([{ network: "base", outcome: "root-cancelled" }]);
    expect(await h.store.networkHolder("base")).toBeUndefined();
    await expect(propose(deps, "next")).resolves.toBeDefined();
  });

  it("frees the network when the failed run's root is gone after all (cancelled out of band): the cancel answers proposal-finished", async () => {
    // Prepare: as above, then someone cancels the root on chain directly
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal } = await propose(deps);
    h.gateway.script = (_n, call) => (call.kind === "apply" ? { name: "FacetHasNoCode", args: ["0x1000"] } : call.kind === "cancel" ? { name: "RpcDown", args: [] } : undefined);
    await fireDueJobs(h, deps);
    Object.assign(h.gateway.state("base"), { pendingRoot: "0x" + "00".repeat(32), pendingEpoch: 0n, applied: 0, leafCount: 0 });
    // Act
    await expect(cancelProposal(proposal.id, "ops", deps)).rejects.toBeInstanceOf(ProposalFinishedError);
    // Assess
    expect(await h.store.networkHolder("base")).toBeUndefined();
    await expect(propose(deps, "next")).resolves.toBeDefined();
  });
});
