/**
 * A no-op signed at a step's nonce to free it is audited even when the step's own transaction lands first
 * (relays retry for blocks): the trail shows the void that was signed, and that the original decided.
 */
import { describe, expect, it } from "vitest";
import { proposeUpgrade } from "../../../src/index.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

describe("a void beaten by the original", () => {
  it("audits tx.void-superseded with the no-op's hash when the step's transaction landed instead", async () => {
    // Prepare: the commit's journal holds a void attempt, but the commit itself landed
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, deps);
    const send = h.gateway.send.bind(h.gateway);
    h.gateway.send = async (network, stepId, call) => {
      const result = await send(network, stepId, call);
      return result.ok && call.kind === "commit" ? { ok: true, tx: { ...result.tx, supersededVoid: { hash: "0x" + "ab".repeat(32), reason: "not included 1800 s after it was signed" } } } : result;
    };
    // Act
    await fireDueJobs(h, deps, () => 0, 1);
    // Assess
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("COMMITTED");
    const entry = (await h.audit.list(proposal.id)).find((e) => e.event === "tx.void-superseded");
    expect(entry).toMatchObject({ network: "base", details: { voidHash: "0x" + "ab".repeat(32), reason: expect.stringContaining("not included") } });
    expect((await h.audit.list(proposal.id)).filter((e) => e.event === "tx.voided")).toEqual([]);
  });
});
