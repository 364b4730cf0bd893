/**
 * A run that fails or expires after its commit still sends transactions: the cancel of its own pending
 * root. Until that cleanup is over the network is not free — a proposal taking it meanwhile would race
 * the cancel (its commit reads the old root pending and fails, or signs behind the in-flight cancel).
 */
import { describe, expect, it } from "vitest";
import { NetworkBusyError, proposeUpgrade, type SchedulerDeps } from "../../../src/index.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

function propose(deps: SchedulerDeps, name = "upgrade") {
  return proposeUpgrade({ manifestJson: syntheticManifestJson(6, name), networks: ["base"], proposer: "alice" }, deps);
}

describe("network lock during a final run's cleanup", () => {
  it("keeps the network held while a failed run cancels its own root, and frees it after", async () => {
    // Prepare: apply reverts after the commit; record who holds the network when the cancel is sent
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal } = await propose(deps);
    const holderAtCancel: (string | undefined)[] = [];
    h.gateway.script = (_n, call) => {
      if (call.kind === "cancel") holderAtCancel.push(h.store.locks.get("base"));
      return call.kind === "apply" ? { name: "FacetHasNoCode", args: ["0x1000"] } : undefined;
    };
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("FAILED");
    expect(holderAtCancel).toEqual([proposal.id]);
    expect(await h.store.networkHolder("base")).toBeUndefined();
  });

  it("refuses a proposal made while a failed run's cancel is in flight, naming the failing proposal", async () => {
    // Prepare: a second proposal arrives exactly while the first run's own-root cancel is being sent
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal } = await propose(deps);
    let attempt: Promise<unknown> | undefined;
    h.gateway.script = (_n, call) => {
      if (call.kind === "cancel") attempt ??= propose(deps, "second").catch((e: unknown) => e);
      return call.kind === "apply" ? { name: "FacetHasNoCode", args: ["0x1000"] } : undefined;
    };
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect(await attempt).toBeInstanceOf(NetworkBusyError);
    expect(await attempt).toMatchObject({ network: "base", holder: proposal.id });
  });

  it("keeps the network held while an expired run cancels its root", async () => {
    // Prepare: the activation comes after the expiry window
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal } = await propose(deps);
    const holderAtCancel: (string | undefined)[] = [];
    h.gateway.script = (_n, call) => {
      if (call.kind === "cancel") holderAtCancel.push(h.store.locks.get("base"));
      return undefined;
    };
    // Act: every activation attempt fires a day late
    await fireDueJobs(h, deps, (job) => (job.step === "activate" ? 2 * 86_400_000 : 0));
    // Assess
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("EXPIRED");
    expect(holderAtCancel).toEqual([proposal.id]);
    expect(await h.store.networkHolder("base")).toBeUndefined();
  });
});
