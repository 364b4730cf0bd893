/**
 * A commit step takes a pending root as its own only through its own journaled transaction: the same root
 * pending at another epoch (ours cancelled out of band, then the same root committed again by someone
 * else) is not the run's commitment, whatever the root says.
 */
import { describe, expect, it } from "vitest";
import { proposeUpgrade } from "../../../src/index.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

describe("commitStep: own root only by own transaction", () => {
  it("fails the run when the root pending after its commit is the same root at another epoch", async () => {
    // Prepare: right after our commit (epoch 1) lands, it is cancelled and the same root committed again as epoch 2
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, deps);
    const send = h.gateway.send.bind(h.gateway);
    h.gateway.send = async (network, stepId, call) => {
      const result = await send(network, stepId, call);
      if (call.kind === "commit") Object.assign(h.gateway.state(network), { pendingEpoch: 2n, nextEpoch: 3n });
      return result;
    };
    // Act
    await fireDueJobs(h, deps, () => 0, 1);
    // Assess: not COMMITTED under someone else's epoch
    const run = (await h.store.getRun(proposal.id, "base"))!;
    expect(run.state).toBe("FAILED");
    expect(run.failure?.code).toBe("root-gone");
    expect(run.committedEpoch).toBeUndefined();
  });
});
