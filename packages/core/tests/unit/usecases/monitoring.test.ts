/**
 * The monitoring rules inside the use cases, on the in-memory ports: the watchdog's late-activation
 * boundary and dedupe, resolution at activation, the early-activation warning, gas spikes, codehash
 * mismatch at apply, and the chain watcher (out-of-band events, bounded ranges, reorgs, RPC errors).
 */
import { describe, expect, it } from "vitest";
import { findNetwork, parseManifest, planBatches, proposeUpgrade, RunState, watchdogSweep, type ChainWatchOptions, type DispatcherCall, type DispatcherEvent, type JournaledTxLookup } from "../../../src/index.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

const PAYROX = "0x00000000000000000000000000000000000000aa";
const OUTSIDER = "0x00000000000000000000000000000000000000bb";

async function proposed(networks = ["base"]) {
  const h = inMemoryPorts();
  const deps = h.deps();
  const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks, proposer: "alice" }, deps);
  return { h, deps, proposal };
}

/** Fires jobs until `network`'s run is APPLIED, then drops the activation job (a lost trigger). */
async function appliedWithLostActivation(ctx: Awaited<ReturnType<typeof proposed>>, network = "base") {
  for (let i = 0; i < 20 && (await ctx.h.store.getRun(ctx.proposal.id, network))!.state !== RunState.APPLIED; i++) await fireDueJobs(ctx.h, ctx.deps, () => 0, 1);
  const run = (await ctx.h.store.getRun(ctx.proposal.id, network))!;
  expect(run.state).toBe(RunState.APPLIED);
  ctx.h.scheduler.jobs.clear();
  return run;
}

function event(name: string, from: string, txHash: string, args: Record<string, string> = {}): Omit<DispatcherEvent, "blockNumber" | "blockHash" | "network" | "logIndex"> {
  return { name, from, txHash, args };
}

describe("watchdogSweep › late activation", () => {
  it("raises nothing at exactly activateAt + grace + 300 s and one alert one second later, however often it sweeps", async () => {
    // Prepare: base has a 30 s grace
    const ctx = await proposed();
    const run = await appliedWithLostActivation(ctx);
    const watchdog = { ...ctx.deps, actor: "watchdog" };
    // Act
    ctx.h.clock.ms = run.activateAtMs! + findNetwork("base")!.graceSeconds * 1000 + 300_000;
    const atDeadline = await watchdogSweep(watchdog);
    ctx.h.clock.ms += 1_000;
    const after = await watchdogSweep(watchdog);
    ctx.h.clock.ms += 60_000;
    await watchdogSweep(watchdog);
    // Assess
    expect(atDeadline.late).toEqual([]);
    expect(after.late).toEqual([`${ctx.proposal.id}/base`]);
    expect(ctx.h.alerts.alerts).toMatchObject([{ type: "late-activation", status: "raised", severity: "warning", dedupeKey: `late-activation:${ctx.proposal.id}:base`, evidence: { values: { lateSeconds: 331 } } }]);
  });

  it("reports the resolution once when the late run finally activates", async () => {
    // Prepare
    const ctx = await proposed();
    const run = await appliedWithLostActivation(ctx);
    ctx.h.clock.ms = run.activateAtMs! + 400_000;
    await watchdogSweep({ ...ctx.deps, actor: "watchdog" });
    // Act: an operator re-triggers the activation
    await ctx.h.scheduler.schedule({ name: "retrigger", step: "activate", proposalId: ctx.proposal.id, network: "base", attempt: String(run.version), runAtMs: ctx.h.clock.ms });
    await fireDueJobs(ctx.h, ctx.deps);
    await watchdogSweep({ ...ctx.deps, actor: "watchdog" });
    // Assess
    expect((await ctx.h.store.getRun(ctx.proposal.id, "base"))!.state).toBe("ACTIVATED");
    expect(ctx.h.alerts.alerts.map((a) => [a.type, a.status])).toEqual([
      ["late-activation", "raised"],
      ["late-activation", "resolved"],
    ]);
  });
});

describe("activation step › alerts", () => {
  it("warns once about an early activation and resolves the warning when it activates", async () => {
    // Prepare: the dispatcher refuses the first two activations
    const { h, deps, proposal } = await proposed();
    let refused = 0;
    h.gateway.script = (_n, call, ts) => (call.kind === "activate" && refused++ < 2 ? { name: "ActivationNotReady", args: [BigInt(ts + 120), BigInt(ts)] } : undefined);
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("ACTIVATED");
    expect(h.alerts.alerts.map((a) => [a.type, a.status, a.severity])).toEqual([
      ["activation-not-ready", "raised", "warning"],
      ["activation-not-ready", "resolved", "info"],
    ]);
  });

  it("halts only the network whose facet code changed at apply, with one critical alert", async () => {
    // Prepare
    const { h, deps, proposal } = await proposed(["ethereum", "base"]);
    h.gateway.script = (network, call) => (network === "base" && call.kind === "apply" ? { name: "CodehashMismatch", args: ["0x1000", "0xaa", "0xbb"] } : undefined);
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: "FAILED", failure: { code: "codehash-mismatch" } });
    expect((await h.store.getRun(proposal.id, "ethereum"))!.state).toBe("ACTIVATED");
    expect(h.alerts.alerts).toMatchObject([{ type: "codehash-mismatch", severity: "critical", network: "base", evidence: { values: { facet: "0x1000", expected: "0xaa", actual: "0xbb" } } }]);
  });
});

describe("steps › gas spike", () => {
  it.each([
    [150_000n, 0],
    [150_001n, 1],
  ])("raises %s gas on a 100,000 baseline: %i alert(s)", async (gas, alerts) => {
    // Prepare: five earlier commits on base at 100,000 gas
    const { h, deps, proposal } = await proposed();
    for (let i = 0; i < 5; i++) await h.gasHistory.add("base", "commit", { txHash: `0x0${i}`, gas: "100000", atMs: 0 });
    h.gateway.gas = (_n, call) => (call.kind === "commit" ? gas : 100_000n);
    // Act
    await fireDueJobs(h, deps, () => 0, 1);
    // Assess
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("COMMITTED");
    expect(h.alerts.alerts.filter((a) => a.type === "gas-spike")).toHaveLength(alerts);
    expect((await h.gasHistory.recent("base", "commit")).at(-1)!.gas).toBe(String(gas));
  });
});

describe("steps › apply gas against the plan", () => {
  /** A 9-route manifest planned in batches of 4, 4 and 1 leaves, and its plan. */
  async function planned() {
    const h = inMemoryPorts();
    const deps = h.deps({ options: { planOptions: { maxBatchSize: 4 } } });
    const manifestJson = syntheticManifestJson(9);
    const plan = planBatches(parseManifest(manifestJson), { maxBatchSize: 4 });
    const { proposal } = await proposeUpgrade({ manifestJson, networks: ["base"], proposer: "alice" }, deps);
    const batchOf = (call: DispatcherCall) => plan.batches.find((b) => call.kind === "apply" && b.leaves === call.batch.leaves)!;
    return { h, deps, plan, proposal, batchOf };
  }

  it("raises nothing when a small last batch costs far more per leaf than the full ones", async () => {
    // Prepare: earlier applies on base at ~15k gas per leaf; each batch costs 41.5k fixed + 15k per leaf
    const { h, deps, plan, proposal, batchOf } = await planned();
    expect(plan.batches.map((b) => b.routes.length)).toEqual([4, 4, 1]);
    for (let i = 0; i < 5; i++) await h.gasHistory.add("base", "apply", { txHash: `0x0${i}`, gas: "15332", atMs: 0 });
    h.gateway.gas = (_n, call) => (call.kind === "apply" ? 41_500n + 15_000n * BigInt(batchOf(call).routes.length) : 100_000n);
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe(RunState.ACTIVATED);
    expect(h.alerts.alerts.filter((a) => a.type === "gas-spike")).toEqual([]);
  });

  it.each([
    [0, 0],
    [1, 1],
  ])("raises one warning only for a batch over 1.5 × its estimate (+%i gas: %i alert)", async (over, alerts) => {
    // Prepare: the middle batch costs 1.5 × its estimate (+ over); the others cost their estimate
    const { h, deps, plan, proposal, batchOf } = await planned();
    const spiking = plan.batches[1]!;
    h.gateway.gas = (_n, call) => {
      if (call.kind !== "apply") return 100_000n;
      const batch = batchOf(call);
      return batch === spiking ? (BigInt(batch.estimatedGas) * 3n) / 2n + BigInt(over) : BigInt(batch.estimatedGas);
    };
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe(RunState.ACTIVATED);
    const spikes = h.alerts.alerts.filter((a) => a.type === "gas-spike");
    expect(spikes).toHaveLength(alerts);
    if (alerts) expect(spikes[0]).toMatchObject({ severity: "warning", network: "base", evidence: { values: { step: "apply", batch: 1, estimatedGas: String(spiking.estimatedGas) } } });
  });
});

describe("watchdogSweep › chain events", () => {
  /** A network of 50 blocks whose signer is PAYROX; `journaled` are the hashes PayRox's journal knows. */
  function watching(options: { journaled?: string[]; watch?: ChainWatchOptions } = {}) {
    const h = inMemoryPorts();
    h.events.addNetwork("base", 50, [PAYROX]);
    const journaled = new Set((options.journaled ?? []).map((hash) => hash.toLowerCase()));
    const journaledTxs: JournaledTxLookup = { findByTxHash: async (network, hash) => (network === "base" && journaled.has(hash.toLowerCase()) ? { stepId: `step-${hash}` } : undefined) };
    const watch = { maxBlockRange: 10, initialLookbackBlocks: 20, reorgDepth: 5, ...options.watch };
    const deps = h.deps({ actor: "watchdog", monitoring: { events: h.events, cursors: h.cursors, journaledTxs, watch } });
    return { h, deps };
  }

  it("raises one alert per out-of-band event, typed by its family, and none for PayRox's journaled ones, across sweeps", async () => {
    // Prepare
    const { h, deps } = watching({ journaled: ["0xown"] });
    h.events.mine("base", [event("RootCommitted", PAYROX, "0xown", { root: "0x01" })]);
    const outside = h.events.mine("base", [event("RoleGranted", OUTSIDER, "0xrole", { role: "0xc0", account: OUTSIDER }), event("RootCommitted", OUTSIDER, "0xrole", { root: "0x02" })]);
    // Act
    const first = await watchdogSweep(deps);
    const second = await watchdogSweep(deps);
    // Assess
    expect(first.chain).toEqual([{ network: "base", ok: true, from: 32, to: 51, reorged: false, events: 3, outOfBand: 2, withoutQuorum: 0, splits: 0 }]);
    expect(second.chain).toEqual([{ network: "base", ok: true, from: 52, to: 51, reorged: false, events: 0, outOfBand: 0, withoutQuorum: 0, splits: 0 }]);
    expect(h.alerts.alerts).toMatchObject([
      { type: "out-of-band-role-change", severity: "critical", network: "base", evidence: { txHash: "0xrole", blockNumber: outside, values: { event: "RoleGranted", from: OUTSIDER, fromPayRoxSigner: false } } },
      { type: "out-of-band-commit", severity: "critical", evidence: { values: { event: "RootCommitted" } } },
    ]);
    expect(h.events.ranges.every((r) => r.to - r.from < 10)).toBe(true);
  });

  it("alerts a transaction from PayRox's signer that its journal does not know (a key used behind its back)", async () => {
    // Prepare: the signer's key pauses the dispatcher, but no PayRox step journaled that transaction
    const { h, deps } = watching({ journaled: ["0xown"] });
    h.events.mine("base", [event("Paused", PAYROX, "0xstolen", { account: PAYROX })]);
    h.events.mine("base", [event("RootCommitted", OUTSIDER, "0xown", { root: "0x01" })]);
    // Act
    const result = await watchdogSweep(deps);
    // Assess: the journal, not the sender, decides
    expect(result.chain).toMatchObject([{ ok: true, events: 2, outOfBand: 1 }]);
    expect(h.alerts.alerts).toMatchObject([{ type: "out-of-band-pause", severity: "critical", evidence: { txHash: "0xstolen", values: { fromPayRoxSigner: true } } }]);
  });

  it("reads a capped provider's refused ranges in halves without skipping a block", async () => {
    // Prepare: the provider refuses ranges over 3 blocks; the watcher asks for 10
    const { h, deps } = watching();
    h.events.providerMaxRange = 3;
    const blocks = [h.events.mine("base", [event("Paused", OUTSIDER, "0xp")]), h.events.mine("base"), h.events.mine("base", [event("Unpaused", OUTSIDER, "0xu")])];
    for (let i = 0; i < 7; i++) h.events.mine("base");
    h.events.mine("base", [event("SelectorDisabled", OUTSIDER, "0xd", { selector: "0x12345678", facet: OUTSIDER })]);
    // Act
    const result = await watchdogSweep(deps);
    // Assess
    expect(result.chain).toMatchObject([{ ok: true, from: 41, to: 60, events: 3, outOfBand: 3 }]);
    expect((result.chain![0] as { splits: number }).splits).toBeGreaterThan(0);
    expect(h.events.ranges.every((r) => r.to - r.from + 1 <= 3)).toBe(true);
    const covered = h.events.ranges.flatMap((r) => Array.from({ length: r.to - r.from + 1 }, (_, i) => r.from + i));
    expect(covered).toEqual(Array.from({ length: 20 }, (_, i) => 41 + i));
    expect(h.alerts.alerts.map((a) => [a.type, a.evidence?.blockNumber])).toEqual([["out-of-band-pause", blocks[0]], ["out-of-band-pause", blocks[2]], ["out-of-band-selector-disabled", 60]]);
    expect((await h.cursors.get("base"))!.blockNumber).toBe(60);
  });

  it("keeps the cursor before a block the provider refuses even alone, and reads it once the provider allows", async () => {
    // Prepare
    const { h, deps } = watching();
    await watchdogSweep(deps);
    const cursor = (await h.cursors.get("base"))!;
    h.events.mine("base", [event("RootCommitted", OUTSIDER, "0xc", { root: "0x03" })]);
    h.events.providerMaxRange = 0;
    // Act
    const refused = await watchdogSweep(deps);
    const stuckAt = await h.cursors.get("base");
    h.events.providerMaxRange = Number.POSITIVE_INFINITY;
    const recovered = await watchdogSweep(deps);
    // Assess
    expect(refused.chain).toEqual([{ network: "base", ok: false, error: expect.stringMatching(/refused as too large/) }]);
    expect(stuckAt).toEqual(cursor);
    expect(recovered.chain).toMatchObject([{ ok: true, from: cursor.blockNumber + 1, outOfBand: 1 }]);
    expect(h.alerts.alerts).toHaveLength(1);
  });

  it("steps back after a reorg, re-reads, and raises nothing twice", async () => {
    // Prepare: a sweep saw an outsider's pause; then the last 3 blocks are replaced and the pause re-mined
    const { h, deps } = watching();
    h.events.mine("base", [event("Paused", OUTSIDER, "0xpause")]);
    h.events.mine("base");
    await watchdogSweep(deps);
    h.events.reorg("base", 3);
    h.events.mine("base", [event("Paused", OUTSIDER, "0xpause"), event("Unpaused", OUTSIDER, "0xunpause")]);
    // Act
    const after = await watchdogSweep(deps);
    // Assess
    expect(after.chain).toMatchObject([{ ok: true, reorged: true, from: 47, to: 52, outOfBand: 2 }]);
    expect(h.alerts.alerts.map((a) => a.evidence?.values?.event)).toEqual(["Paused", "Unpaused"]);
  });

  it("never reads a block younger than the confirmations: a reorged-out event raises nothing, its re-inclusion once", async () => {
    // Prepare: 3 confirmations; an outsider's pause lands in the newest block
    const { h, deps } = watching({ watch: { confirmations: 3 } });
    await watchdogSweep(deps);
    h.events.mine("base", [event("Paused", OUTSIDER, "0xgone")]);
    const early = await watchdogSweep(deps);
    // Act: the block is reorged out, the chain grows past it; later an outsider's transaction is re-included
    h.events.reorg("base", 1);
    for (let i = 0; i < 4; i++) h.events.mine("base");
    const afterReorg = await watchdogSweep(deps);
    const reincluded = h.events.mine("base", [event("Unpaused", OUTSIDER, "0xback")]);
    const pending = await watchdogSweep(deps);
    h.events.mine("base");
    h.events.mine("base");
    const confirmed = await watchdogSweep(deps);
    // Assess
    expect(early.chain).toMatchObject([{ ok: true, to: 48, events: 0 }]);
    expect(afterReorg.chain).toMatchObject([{ ok: true, reorged: false, events: 0, outOfBand: 0 }]);
    expect(pending.chain).toMatchObject([{ ok: true, events: 0 }]);
    expect(confirmed.chain).toMatchObject([{ ok: true, events: 1, outOfBand: 1 }]);
    expect(h.alerts.alerts).toMatchObject([{ type: "out-of-band-pause", evidence: { txHash: "0xback", blockNumber: reincluded } }]);
  });

  it("reports an RPC error, keeps the cursor, and catches up on the next sweep", async () => {
    // Prepare
    const { h, deps } = watching();
    await watchdogSweep(deps);
    const cursor = await h.cursors.get("base");
    h.events.mine("base", [event("RootActivated", OUTSIDER, "0xact")]);
    h.events.failNext = 1;
    // Act
    const failed = await watchdogSweep(deps);
    const recovered = await watchdogSweep(deps);
    // Assess
    expect(failed.chain).toEqual([{ network: "base", ok: false, error: expect.stringMatching(/ECONNREFUSED/) }]);
    expect(recovered.chain).toMatchObject([{ ok: true, from: cursor!.blockNumber + 1, outOfBand: 1 }]);
    expect(h.alerts.alerts).toHaveLength(1);
  });

  it("leaves the cursor before a range whose alert could not be delivered, and delivers it on the next sweep", async () => {
    // Prepare
    const { h, deps } = watching();
    await watchdogSweep(deps);
    const cursor = await h.cursors.get("base");
    h.events.mine("base", [event("SelectorDisabled", OUTSIDER, "0xdis", { selector: "0xabcdef01", facet: OUTSIDER })]);
    h.alerts.failNext = 1;
    // Act
    const failed = await watchdogSweep(deps);
    const stuckAt = await h.cursors.get("base");
    const retried = await watchdogSweep(deps);
    // Assess
    expect(failed.chain).toEqual([{ network: "base", ok: false, error: expect.stringMatching(/unreachable/) }]);
    expect(stuckAt).toEqual(cursor);
    expect(retried.chain).toMatchObject([{ ok: true, outOfBand: 1 }]);
    expect(h.alerts.alerts).toMatchObject([{ type: "out-of-band-selector-disabled", evidence: { txHash: "0xdis" } }]);
  });

  it("raises each alert once when two sweeps run at the same time", async () => {
    // Prepare
    const { h, deps } = watching();
    h.events.mine("base", [event("RoleRevoked", OUTSIDER, "0xr1", { role: "0xc0", account: PAYROX }), event("Paused", OUTSIDER, "0xr1")]);
    // Act
    const [a, b] = await Promise.all([watchdogSweep(deps), watchdogSweep(deps)]);
    // Assess
    expect([a.chain, b.chain]).toMatchObject([[{ ok: true, outOfBand: 2 }], [{ ok: true, outOfBand: 2 }]]);
    expect(h.alerts.alerts.map((x) => x.type)).toEqual(["out-of-band-role-change", "out-of-band-pause"]);
  });

  it("treats a transaction in PayRox's audit trail as its own even from another sender", async () => {
    // Prepare: PayRox commits on base; the same tx hash shows up as an event from an unknown sender
    const { h } = watching();
    const { deps } = { deps: h.deps({ actor: "watchdog", monitoring: { events: h.events, cursors: h.cursors } }) };
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, deps);
    await fireDueJobs(h, deps, () => 0, 1);
    const commit = (await h.audit.list(proposal.id)).find((e) => e.event === "commit.confirmed")!;
    h.events.mine("base", [event("RootCommitted", OUTSIDER, commit.txHash!)]);
    // Act
    const result = await watchdogSweep(deps);
    // Assess
    expect(result.chain).toMatchObject([{ ok: true, events: 1, outOfBand: 0 }]);
    expect(h.alerts.alerts).toEqual([]);
  });

  it("lets the sender decide only when no journal lookup is configured", async () => {
    // Prepare
    const h = inMemoryPorts();
    h.events.addNetwork("base", 50, [PAYROX]);
    const deps = h.deps({ actor: "watchdog", monitoring: { events: h.events, cursors: h.cursors, watch: { initialLookbackBlocks: 5 } } });
    h.events.mine("base", [event("Paused", PAYROX, "0xsigner")]);
    h.events.mine("base", [event("Unpaused", OUTSIDER, "0xother")]);
    // Act
    const result = await watchdogSweep(deps);
    // Assess
    expect(result.chain).toMatchObject([{ ok: true, events: 2, outOfBand: 1 }]);
    expect(h.alerts.alerts).toMatchObject([{ evidence: { txHash: "0xother" } }]);
  });
});
