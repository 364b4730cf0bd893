/**
 * One proposal at a time per network: a second proposal naming a network whose run under another
 * proposal is not final is refused (NetworkBusyError naming the holder), with nothing written; the
 * network is free again as soon as that run is final, whichever way it ended.
 */
import { describe, expect, it } from "vitest";
import { cancelProposal, NetworkBusyError, proposeUpgrade, type SchedulerDeps } from "../../../src/index.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

function propose(deps: SchedulerDeps, networks: string[], name = "upgrade") {
  return proposeUpgrade({ manifestJson: syntheticManifestJson(6, name), networks, proposer: "alice" }, deps);
}

describe("network lock across proposals", () => {
  it("refuses a second proposal (identical or different) on a held network, naming the holder, and writes nothing", async () => {
    // Prepare
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal: first } = await propose(deps, ["ethereum", "base"]);
    const jobsBefore = h.scheduler.jobs.size;
    // Act
    const identical = await propose(deps, ["base"]).catch((e: unknown) => e);
    const different = await propose(deps, ["optimism", "base"], "other").catch((e: unknown) => e);
    // Assess
    for (const error of [identical, different]) {
      expect(error).toBeInstanceOf(NetworkBusyError);
      expect(error).toMatchObject({ network: "base", holder: first.id });
      expect((error as Error).message).toContain(first.id);
    }
    expect(h.store.proposals.size).toBe(1);
    expect(h.scheduler.jobs.size).toBe(jobsBefore);
    expect([...h.audit.entries.keys()]).toEqual([first.id]);
    // The refused proposal's free network (optimism) was not taken either.
    expect(await h.store.networkHolder("optimism")).toBeUndefined();
  });

  it("frees the network when the holder's run activates; the next proposal then takes it", async () => {
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal: first } = await propose(deps, ["base"]);
    expect(await h.store.networkHolder("base")).toBe(first.id);
    await fireDueJobs(h, deps);
    expect((await h.store.getRun(first.id, "base"))!.state).toBe("ACTIVATED");
    expect(await h.store.networkHolder("base")).toBeUndefined();
    const { proposal: second } = await propose(deps, ["base"], "second");
    expect(await h.store.networkHolder("base")).toBe(second.id);
  });

  it("frees the network when the holder is cancelled or fails", async () => {
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal: first } = await propose(deps, ["base", "ethereum"]);
    await cancelProposal(first.id, "ops", deps);
    const { proposal: second } = await propose(deps, ["base"], "second");
    h.gateway.script = (_n, call) => (call.kind === "commit" ? { name: "AccessControlUnauthorizedAccount", args: ["0xabc", "0x01"] } : undefined);
    await fireDueJobs(h, deps);
    expect((await h.store.getRun(second.id, "base"))!.state).toBe("FAILED");
    h.gateway.script = () => undefined;
    await expect(propose(deps, ["base", "ethereum"], "third")).resolves.toBeDefined();
  });

  it("takes over the lock of a final run whose release was lost (crash between the final save and the release)", async () => {
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal: first } = await propose(deps, ["base"]);
    await fireDueJobs(h, deps, () => 0, 5);
    h.store.locks.set("base", first.id); // a release lost
    const run = (await h.store.getRun(first.id, "base"))!;
    expect(run.state).toBe("ACTIVATED");
    await expect(propose(deps, ["base"], "next")).resolves.toBeDefined();
  });
});
