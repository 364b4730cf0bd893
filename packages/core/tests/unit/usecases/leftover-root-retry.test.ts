/**
 * A run that ended after its commit cancels its own root once; when that one attempt fails (an RPC blip, a
 * relay down) the network stays held by its proposal with no expiry. The watchdog retries that cancel every
 * sweep, through the same path as the first attempt, and frees the network once the root is gone.
 */
import { describe, expect, it } from "vitest";
import { NetworkBusyError, proposeUpgrade, RunState, ZeroHash, watchdogSweep, type SchedulerDeps } from "../../../src/index.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

function propose(deps: SchedulerDeps, name = "upgrade", networks = ["base"]) {
  return proposeUpgrade({ manifestJson: syntheticManifestJson(6, name), networks, proposer: "alice" }, deps);
}

/** A proposal whose runs failed after their commit (apply reverts) while every cancel throws until `cancelFails` is cleared. */
async function leftover(networks = ["base"]) {
  const h = inMemoryPorts();
  const deps = h.deps();
  const { proposal } = await propose(deps, "upgrade", networks);
  h.gateway.script = (_n, call) => (call.kind === "apply" ? { name: "FacetHasNoCode", args: ["0x1000"] } : undefined);
  const send = h.gateway.send.bind(h.gateway);
  const cancelFails = new Set(networks);
  h.gateway.send = async (network, stepId, call) => {
    if (call.kind === "cancel" && cancelFails.has(network)) throw new Error("rpc down");
    return send(network, stepId, call);
  };
  await fireDueJobs(h, deps);
  h.gateway.script = () => undefined;
  return { h, deps, proposal, cancelFails, watchdog: { ...deps, actor: "watchdog" } };
}

describe("watchdogSweep › leftover roots", () => {
  it("cancels the root a failed run could not cancel itself, audits run.root-cancelled and frees the network", async () => {
    // Prepare: the run's own cancel threw once, so its proposal still holds the network
    const { h, deps, proposal, cancelFails, watchdog } = await leftover();
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: RunState.FAILED });
    expect(h.gateway.state("base").pendingRoot).toBe(proposal.root);
    await expect(propose(deps, "next")).rejects.toBeInstanceOf(NetworkBusyError);
    cancelFails.clear();
    // Act
    const result = await watchdogSweep(watchdog);
    // Assess
    expect(result.leftoverRoots).toEqual([{ network: "base", proposalId: proposal.id, outcome: "root-cancelled" }]);
    expect(h.gateway.state("base").pendingRoot).toBe(ZeroHash);
    expect((await h.audit.list(proposal.id)).filter((e) => ["cancel.failed", "run.root-cancelled"].includes(e.event)).map((e) => [e.event, e.actor])).toEqual([
      ["cancel.failed", "scheduler"],
      ["run.root-cancelled", "watchdog"],
    ]);
    expect(await h.store.networkHolder("base")).toBeUndefined();
    await expect(propose(deps, "next")).resolves.toBeDefined();
    expect((await watchdogSweep(watchdog)).leftoverRoots).toBeUndefined();
  });

  it("releases a network held for a root that is already gone (cancelled out of band), cancelling nothing", async () => {
    // Prepare
    const { h, deps, proposal, watchdog } = await leftover();
    Object.assign(h.gateway.state("base"), { pendingRoot: ZeroHash, pendingEpoch: 0n, applied: 0, leafCount: 0 });
    const cancels = h.gateway.sends.filter((s) => s.call.kind === "cancel").length;
    // Act
    const result = await watchdogSweep(watchdog);
    // Assess
    expect(result.leftoverRoots).toEqual([{ network: "base", proposalId: proposal.id, outcome: "released" }]);
    expect(h.gateway.sends.filter((s) => s.call.kind === "cancel")).toHaveLength(cancels);
    expect((await h.audit.list(proposal.id)).some((e) => e.event === "run.root-cancelled")).toBe(false);
    await expect(propose(deps, "next")).resolves.toBeDefined();
  });

  it("keeps the network held and reports it when the retry fails again, then retries on the next sweep", async () => {
    // Prepare
    const { h, deps, proposal, cancelFails, watchdog } = await leftover();
    // Act
    const first = await watchdogSweep(watchdog);
    const refused = await propose(deps, "next").catch((e: unknown) => e);
    cancelFails.clear();
    const second = await watchdogSweep(watchdog);
    // Assess
    expect(first.leftoverRoots).toEqual([{ network: "base", proposalId: proposal.id, outcome: "held", reason: expect.stringContaining("rpc down") }]);
    expect(refused).toMatchObject({ network: "base", holder: proposal.id });
    expect((await h.audit.list(proposal.id)).filter((e) => e.event === "cancel.failed").map((e) => e.actor)).toEqual(["scheduler", "watchdog"]);
    expect(second.leftoverRoots).toEqual([{ network: "base", proposalId: proposal.id, outcome: "root-cancelled" }]);
  });

  it("leaves a lock alone while its run is unfinished, or while a final run's own cleanup is still under way", async () => {
    // Prepare: one proposal in flight on base; one failed run on optimism whose cleanup holds its lease
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal: inFlight } = await propose(deps, "in-flight", ["base"]);
    const { proposal: cleaning } = await propose(deps, "cleaning", ["optimism"]);
    const run = (await h.store.getRun(cleaning.id, "optimism"))!;
    await h.store.saveRun({ ...run, state: RunState.FAILED, failure: { code: "FacetHasNoCode", message: "x" }, committedEpoch: 1, version: run.version + 1 }, run.version);
    await h.store.holdNetwork("optimism", cleaning.id, h.clock.now() + 60_000);
    // Act
    const result = await watchdogSweep({ ...deps, actor: "watchdog" });
    // Assess
    expect(result.leftoverRoots).toBeUndefined();
    expect(h.gateway.sends).toEqual([]);
    expect(await h.store.networkHolder("base")).toBe(inFlight.id);
    expect(await h.store.networkHolder("optimism")).toBe(cleaning.id);
  });

  it("does not let one network's error stop the others, and retries at most `leftoverRootRetries` networks per sweep", async () => {
    // Prepare: leftovers on base and optimism; the lock of arbitrum-one can't be read
    const { h, proposal, cancelFails, watchdog } = await leftover(["base", "optimism"]);
    cancelFails.clear();
    const read = h.store.networkLock.bind(h.store);
    h.store.networkLock = async (network) => {
      if (network === "arbitrum-one") throw new Error("throttled");
      return read(network);
    };
    // Act
    const first = await watchdogSweep(watchdog, { leftoverRootRetries: 1 });
    h.clock.advance(60_000);
    const second = await watchdogSweep(watchdog, { leftoverRootRetries: 1 });
    // Assess: each sweep retried one network and deferred the other; the unreadable lock is reported each time
    const outcomes = (r: typeof first) => Object.fromEntries((r.leftoverRoots ?? []).map((x) => [x.network, x.outcome]));
    expect(outcomes(first)).toMatchObject({ "arbitrum-one": "error" });
    expect(first.leftoverRoots!.find((x) => x.network === "arbitrum-one")).toMatchObject({ reason: expect.stringContaining("throttled") });
    expect(Object.values(outcomes(first)).sort()).toEqual(["deferred", "error", "root-cancelled"]);
    expect(Object.values(outcomes(second)).sort()).toEqual(["error", "root-cancelled"]);
    expect(await h.store.networkHolder("base")).toBeUndefined();
    expect(await h.store.networkHolder("optimism")).toBeUndefined();
    expect((await h.audit.list(proposal.id)).filter((e) => e.event === "run.root-cancelled").map((e) => e.network).sort()).toEqual(["base", "optimism"]);
  });
});
