import { describe, expect, it } from "vitest";
import { activateStep, buildManifestTree, commitArgs, jobName, manifestInitializer, parseManifest, proposeUpgrade, RunState, runStep, StepBusyError, verifyAuditChain, type ScheduledJob } from "../../../src/index.js";
import { fireDueJobs, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

/** A proposal of a 3-batch manifest on ethereum (12 s blocks) and base (2 s blocks). */
async function proposed(networks = ["ethereum", "base"]) {
  const h = inMemoryPorts();
  const deps = h.deps();
  const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks, proposer: "alice" }, deps);
  return { h, deps, proposal };
}

/** Fires jobs until `network`'s run reaches `state`. */
async function advanceUntil(ctx: Awaited<ReturnType<typeof proposed>>, network: string, state: RunState) {
  for (let i = 0; i < 50; i++) {
    const run = await ctx.h.store.getRun(ctx.proposal.id, network);
    if (run?.state === state) return run;
    await fireDueJobs(ctx.h, ctx.deps, () => 0, 1);
  }
  throw new Error(`${network} never reached ${state}`);
}

const commitJob = (proposalId: string, network: string): ScheduledJob => ({ name: jobName(proposalId, network, "commit", "0"), step: "commit", proposalId, network, attempt: "0", runAtMs: 0 });

describe("runStep", () => {
  it("runs a 2-network, 3-batch proposal to ACTIVATED and the audit chain verifies", async () => {
    // Prepare
    const { h, deps, proposal } = await proposed();
    // Act
    await fireDueJobs(h, deps);
    // Assess
    const runs = await h.store.listRuns(proposal.id);
    expect(runs.map((r) => [r.network, r.state, r.batchesApplied])).toEqual([
      ["ethereum", "ACTIVATED", 3],
      ["base", "ACTIVATED", 3],
    ]);
    const audit = await h.audit.list(proposal.id);
    expect(verifyAuditChain(audit)).toEqual({ ok: true, length: audit.length });
    expect(audit.filter((e) => e.network === "base").map((e) => e.event)).toEqual(["commit.confirmed", "apply.confirmed", "apply.confirmed", "apply.confirmed", "run.activated"]);
    expect(h.gateway.sends.map((s) => s.call.kind).sort()).toEqual(["activate", "activate", "apply", "apply", "apply", "apply", "apply", "apply", "commit", "commit"]);
    expect(h.alerts.alerts).toEqual([]);
  });

  it("sends one transaction when the same step is invoked 20 times concurrently, and none when invoked again after it finished", async () => {
    // Prepare
    const { h, proposal } = await proposed(["ethereum"]);
    const job = commitJob(proposal.id, "ethereum");
    // Act
    const settled = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => runStep(job, h.deps({ owner: `worker-${i}` }))));
    const again = await Promise.all(Array.from({ length: 20 }, (_, i) => runStep(job, h.deps({ owner: `late-${i}` }))));
    // Assess: the concurrent losers are told to retry (busy), the late ones see the step done
    expect(h.gateway.sendsOf(`${proposal.id}:ethereum:commit`)).toHaveLength(1);
    expect(settled.filter((o) => o.status === "fulfilled" && o.value.outcome === "done")).toHaveLength(1);
    expect(settled.filter((o) => o.status === "rejected" && o.reason instanceof StepBusyError)).toHaveLength(19);
    expect(again.every((o) => o.outcome === "skipped")).toBe(true);
    expect((await h.audit.list(proposal.id)).filter((e) => e.event === "commit.confirmed")).toHaveLength(1);
    expect((await h.store.getRun(proposal.id, "ethereum"))!.state).toBe("COMMITTED");
  });

  it("asks for a retry instead of dropping the step when a crashed worker's lease is still held, and runs it once the lease expired", async () => {
    // Prepare: a worker claimed the commit and died (its lease is left to expire)
    const { h, proposal } = await proposed(["ethereum"]);
    const job = commitJob(proposal.id, "ethereum");
    await h.store.claimStep({ proposalId: proposal.id, network: "ethereum", step: "commit", attempt: "0", owner: "crashed", expiresAtMs: h.clock.ms + 60_000 }, h.clock.ms);
    // Act
    const early = runStep(job, h.deps({ owner: "retry-1" }));
    await expect(early).rejects.toBeInstanceOf(StepBusyError);
    h.clock.ms += 60_000;
    const later = await runStep(job, h.deps({ owner: "retry-2" }));
    // Assess
    expect(later.outcome).toBe("done");
    expect(h.gateway.sendsOf(`${proposal.id}:ethereum:commit`)).toHaveLength(1);
    expect((await h.store.getRun(proposal.id, "ethereum"))!.state).toBe("COMMITTED");
  });

  it("applies the batches the proposal was planned with when a later process runs with other batch limits", async () => {
    // Prepare: proposed with maxBatchSize 2 (3 batches of the 6 entries)
    const { h, proposal } = await proposed(["base"]);
    expect(proposal.plan).toMatchObject({ maxBatchSize: 2 });
    const restarted = h.deps({ options: { planOptions: { maxBatchSize: 300 } } });
    // Act
    await fireDueJobs(h, restarted);
    // Assess
    const run = (await h.store.getRun(proposal.id, "base"))!;
    expect(run).toMatchObject({ state: "ACTIVATED", batchesApplied: 3, batchCount: 3 });
    expect(h.alerts.alerts).toEqual([]);
  });

  it("applies each batch once when every apply trigger is delivered 20 times", async () => {
    const { h, deps, proposal } = await proposed(["base"]);
    await fireDueJobs(h, deps, () => 0, 1); // commit
    for (let k = 0; k < 3; k++) {
      const job = h.scheduler.takeNext()!;
      h.clock.ms = Math.max(h.clock.ms, job.runAtMs);
      await Promise.allSettled(Array.from({ length: 20 }, (_, i) => runStep(job, h.deps({ owner: `w${i}` }))));
      expect(h.gateway.sendsOf(`${proposal.id}:base:apply:${k}`)).toHaveLength(1);
    }
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("APPLIED");
  });

  it("does not take the manifest's root pending without a journaled commit of its own for its commit: fails pending-root, sends nothing", async () => {
    // Prepare: the same root is pending, committed by another proposal (or out of band)
    const { h, deps, proposal } = await proposed(["base"]);
    Object.assign(h.gateway.state("base"), { pendingRoot: proposal.root, pendingEpoch: 1n, nextEpoch: 2n, pendingEta: 1_800_003_600 });
    // Act
    await fireDueJobs(h, deps, () => 0, 1);
    // Assess
    const run = await h.store.getRun(proposal.id, "base");
    expect(run).toMatchObject({ state: "FAILED", failure: { code: "pending-root" } });
    expect(run!.failure!.message).toContain("not by this proposal's commit");
    expect(h.gateway.sends).toEqual([]);
    expect((await h.audit.list(proposal.id)).filter((e) => e.event === "commit.confirmed")).toEqual([]);
  });

  it("records the journaled commit's transaction when an attempt crashed after sending and before recording", async () => {
    // Prepare: the crashed attempt's send went through (journaled, mined); nothing was recorded
    const { h, deps, proposal } = await proposed(["base"]);
    const manifest = parseManifest(proposal.manifestJson);
    const args = commitArgs(buildManifestTree(manifest.entries, manifestInitializer(manifest)));
    const first = await h.gateway.send("base", `${proposal.id}:base:commit`, { kind: "commit", ...args, epoch: 1n });
    // Act
    await fireDueJobs(h, deps, () => 0, 1);
    // Assess
    const [entry] = (await h.audit.list(proposal.id)).filter((e) => e.event === "commit.confirmed");
    expect(first.ok && entry?.txHash).toBe(first.ok ? first.tx.hash : "unreachable");
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("COMMITTED");
  });

  it("fails a drifted network's run with a critical alert and commits nothing there", async () => {
    // Prepare
    const { h, deps, proposal } = await proposed();
    h.gateway.state("base").activeEpoch = 3n;
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: "FAILED", failure: { code: "drift" } });
    expect(h.gateway.sends.filter((s) => s.network === "base")).toEqual([]);
    expect(h.alerts.alerts).toMatchObject([{ type: "drift", severity: "critical", network: "base" }]);
    expect((await h.store.getRun(proposal.id, "ethereum"))!.state).toBe("ACTIVATED");
  });

  it("fails the run with a critical unauthorized alert when the commit reverts on access control", async () => {
    const { h, deps, proposal } = await proposed(["base"]);
    h.gateway.script = (_n, call) => (call.kind === "commit" ? { name: "AccessControlUnauthorizedAccount", args: ["0xabc", "0x01"] } : undefined);
    await fireDueJobs(h, deps);
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: "FAILED", failure: { code: "AccessControlUnauthorizedAccount" } });
    expect(h.alerts.alerts).toMatchObject([{ type: "unauthorized", severity: "critical" }]);
  });

  it("fails a run whose transaction was voided (a no-op landed at its nonce): audits the no-op, alerts tx-voided, cancels its own root", async () => {
    // Prepare: batch 1's transaction could never be included; the gateway reports the no-op that replaced it
    const { h, deps, proposal } = await proposed(["base"]);
    const voidHash = `0x${"ee".repeat(32)}`;
    h.gateway.script = (_n, call) => (call.kind === "apply" && call.batch.leaves !== undefined && h.gateway.sends.filter((s) => s.call.kind === "apply").length === 2 ? { name: "TxVoided", args: [voidHash, "not included 1800 s after it was signed", 42] } : undefined);
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: "FAILED", failure: { code: "tx-voided" } });
    const entries = await h.audit.list(proposal.id);
    expect(entries.filter((e) => e.event === "tx.voided")).toMatchObject([{ txHash: voidHash, details: { step: "apply batch 1", blockNumber: 42 } }]);
    expect(h.alerts.alerts.filter((a) => a.type === "tx-voided")).toMatchObject([{ severity: "warning", network: "base", evidence: { txHash: voidHash } }]);
    // Its root, committed at epoch 1, is cancelled by the failed run itself.
    expect(h.gateway.sends.filter((s) => s.call.kind === "cancel").length).toBeGreaterThan(0);
    expect(h.gateway.state("base").pendingRoot).toBe(`0x${"00".repeat(32)}`);
  });

  it("reschedules an early activation (ActivationNotReady) instead of failing it", async () => {
    // Prepare: the dispatcher refuses the first activation, asking for two more minutes
    const { h, deps, proposal } = await proposed(["base"]);
    let refused = 0;
    h.gateway.script = (_n, call, ts) => (call.kind === "activate" && refused++ === 0 ? { name: "ActivationNotReady", args: [BigInt(ts + 120), BigInt(ts)] } : undefined);
    // Act
    await fireDueJobs(h, deps);
    // Assess
    const run = (await h.store.getRun(proposal.id, "base"))!;
    expect(run.state).toBe("ACTIVATED");
    expect(run.activateAtMs).toBeGreaterThan(run.etaMs!);
    expect((await h.audit.list(proposal.id)).map((e) => e.event)).toContain("activation.not-ready");
    expect(h.gateway.sends.filter((s) => s.call.kind === "activate")).toHaveLength(2);
  });

  it.each([0, 59_000])("never sends the activation before the chain reaches the ETA when the job fires %i ms late (a minute early)", async (jitter) => {
    // Prepare
    const { h, deps, proposal } = await proposed();
    // Act
    const fired = await fireDueJobs(h, deps, (job) => (job.step === "activate" ? jitter : 0));
    // Assess
    for (const network of ["ethereum", "base"]) {
      const run = (await h.store.getRun(proposal.id, network))!;
      const activateJob = fired.find((j) => j.step === "activate" && j.network === network)!;
      expect(activateJob.runAtMs).toBe(run.activateAtMs! - 60_000);
      const [send] = h.gateway.sends.filter((s) => s.network === network && s.call.kind === "activate");
      expect(send!.latestTimestamp + 1).toBeGreaterThanOrEqual(run.activateAtMs! / 1000);
      // …and lands in the first eligible block or the one after (12 s blocks on ethereum)
      expect(send!.blockTimestamp - run.activateAtMs! / 1000).toBeLessThanOrEqual(12);
      expect(run.state).toBe("ACTIVATED");
    }
  });

  it("holds an activation a paused dispatcher refuses, with one dispatcher-paused alert, and activates once unpaused", async () => {
    // Prepare: base applied, its dispatcher paused
    const ctx = await proposed(["base"]);
    await advanceUntil(ctx, "base", RunState.APPLIED);
    ctx.h.gateway.state("base").paused = true;
    // Act: three attempts a minute apart while paused, then the unpause
    const whilePaused = await fireDueJobs(ctx.h, ctx.deps, () => 0, 3);
    const held = await ctx.h.store.getRun(ctx.proposal.id, "base");
    ctx.h.gateway.state("base").paused = false;
    await fireDueJobs(ctx.h, ctx.deps);
    // Assess
    expect(whilePaused.map((j) => j.step)).toEqual(["activate", "activate", "activate"]);
    expect(whilePaused[2]!.runAtMs - whilePaused[1]!.runAtMs).toBe(60_000);
    expect(held).toMatchObject({ state: "APPLIED" });
    expect(await ctx.h.store.getRun(ctx.proposal.id, "base")).toMatchObject({ state: "ACTIVATED" });
    expect(ctx.h.alerts.alerts.filter((a) => a.type === "dispatcher-paused").map((a) => [a.status, a.severity])).toEqual([
      ["raised", "warning"],
      ["resolved", "info"],
    ]);
    expect((await ctx.h.audit.list(ctx.proposal.id)).map((e) => e.event)).not.toContain("run.failed");
  });

  it("expires a run whose dispatcher stays paused past the root's expiry", async () => {
    // Prepare: base applied and paused; its root expires a day after the ETA
    const ctx = await proposed(["base"]);
    const applied = await advanceUntil(ctx, "base", RunState.APPLIED);
    ctx.h.gateway.state("base").paused = true;
    await fireDueJobs(ctx.h, ctx.deps, () => 0, 1);
    // Act: the next attempt comes after ETA + expiry window
    ctx.h.clock.ms = applied.etaMs! + 86_400_000 + 10_000;
    await fireDueJobs(ctx.h, ctx.deps, () => 0, 1);
    // Assess
    expect(await ctx.h.store.getRun(ctx.proposal.id, "base")).toMatchObject({ state: "EXPIRED" });
    expect(ctx.h.alerts.alerts.map((a) => `${a.type}:${a.status}`)).toEqual(["dispatcher-paused:raised", "dispatcher-paused:resolved", "root-expired:raised"]);
    expect(ctx.h.gateway.sends.filter((s) => s.call.kind === "activate").every((s) => s.call.kind === "activate" && s.call.facets.length === 2)).toBe(true);
    // The expired root no longer blocks the dispatcher: it was cancelled (named, in chunks).
    expect(ctx.h.gateway.sends.filter((s) => s.call.kind === "cancel").map((s) => s.stepId)).toEqual([`${ctx.proposal.id}:base:cancel:0`]);
    expect(ctx.h.gateway.state("base")).toMatchObject({ pendingRoot: "0x" + "00".repeat(32), paused: true });
  });

  it("cancels the root that expired, audits run.root-cancelled and says so (naming the root) in the root-expired alert", async () => {
    // Prepare: base applied; the activation job comes after ETA + expiry window
    const ctx = await proposed(["base"]);
    const applied = await advanceUntil(ctx, "base", RunState.APPLIED);
    ctx.h.clock.ms = applied.etaMs! + 86_400_000 + 10_000;
    // Act
    await fireDueJobs(ctx.h, ctx.deps, () => 0, 1);
    // Assess
    expect(await ctx.h.store.getRun(ctx.proposal.id, "base")).toMatchObject({ state: "EXPIRED" });
    expect(ctx.h.gateway.state("base").pendingRoot).toBe("0x" + "00".repeat(32));
    const trail = (await ctx.h.audit.list(ctx.proposal.id)).map((e) => e.event).filter((e) => ["run.expired", "cancel.confirmed", "run.root-cancelled"].includes(e));
    expect(trail).toEqual(["run.expired", "cancel.confirmed", "run.root-cancelled"]);
    expect((await ctx.h.audit.list(ctx.proposal.id)).find((e) => e.event === "run.root-cancelled")).toMatchObject({ details: { state: "EXPIRED", root: ctx.proposal.root, epoch: 1, chunks: 1 } });
    const expired = ctx.h.alerts.alerts.find((a) => a.type === "root-expired")!;
    expect(expired.message).toContain(ctx.proposal.root);
    expect(expired.message).toMatch(/was cancelled on base/);
  });

  it("still cancels the expired root of a run committed before its epoch was recorded (found through its own journaled commit)", async () => {
    // Prepare: base applied, its stored run without committedEpoch (an older record)
    const ctx = await proposed(["base"]);
    const applied = await advanceUntil(ctx, "base", RunState.APPLIED);
    delete ctx.h.store.runs.get(`${ctx.proposal.id}/base`)!.committedEpoch;
    ctx.h.clock.ms = applied.etaMs! + 86_400_000 + 10_000;
    // Act
    await fireDueJobs(ctx.h, ctx.deps, () => 0, 1);
    // Assess
    expect(await ctx.h.store.getRun(ctx.proposal.id, "base")).toMatchObject({ state: "EXPIRED" });
    expect(ctx.h.gateway.state("base").pendingRoot).toBe("0x" + "00".repeat(32));
    expect(ctx.h.gateway.sends.filter((s) => s.call.kind === "cancel").map((s) => s.call)).toEqual([{ kind: "cancel", root: ctx.proposal.root, epoch: 1n, maxUnstage: expect.any(Number) }]);
  });

  it("says in the root-expired alert that the expired root may still be pending when its cancel fails, and audits cancel.failed", async () => {
    // Prepare
    const ctx = await proposed(["base"]);
    const applied = await advanceUntil(ctx, "base", RunState.APPLIED);
    ctx.h.clock.ms = applied.etaMs! + 86_400_000 + 10_000;
    const send = ctx.h.gateway.send.bind(ctx.h.gateway);
    ctx.h.gateway.send = async (network, stepId, call) => {
      if (call.kind === "cancel") throw new Error("rpc down");
      return send(network, stepId, call);
    };
    // Act
    await fireDueJobs(ctx.h, ctx.deps, () => 0, 1);
    // Assess
    expect(await ctx.h.store.getRun(ctx.proposal.id, "base")).toMatchObject({ state: "EXPIRED" });
    expect((await ctx.h.audit.list(ctx.proposal.id)).find((e) => e.event === "cancel.failed")).toMatchObject({ details: { reason: "rpc down" } });
    expect(ctx.h.alerts.alerts.find((a) => a.type === "root-expired")!.message).toMatch(/may still be pending on base \(cancel failed: rpc down\); cancel the proposal to retry/);
  });

  it("reschedules instead of holding when the activation is further away than one invocation may wait", async () => {
    const { h, proposal } = await proposed(["base"]);
    const ctx = { h, deps: h.deps(), proposal };
    const run = await advanceUntil(ctx, "base", RunState.APPLIED);
    const job: ScheduledJob = { name: "early", step: "activate", proposalId: proposal.id, network: "base", attempt: String(run.version), runAtMs: h.clock.ms };
    const outcome = await activateStep(job, h.deps());
    expect(outcome).toMatchObject({ outcome: "rescheduled", atMs: run.activateAtMs! - 60_000 });
    expect(h.gateway.sends.filter((s) => s.call.kind === "activate")).toEqual([]);
  });

  it("hands an activation woken a minute early to a second-precise scheduler 5 s before the ETA, and that invocation activates in the first eligible block", async () => {
    // Prepare: base (2 s blocks) applied; the scheduler delivers to the second (the SQS delay queue)
    const { h, proposal } = await proposed(["base"]);
    const precise = Object.assign(h.scheduler, { precisionMs: () => 1_000 });
    const ctx = { h, deps: h.deps({ scheduler: precise }), proposal };
    const run = await advanceUntil(ctx, "base", RunState.APPLIED);
    h.scheduler.jobs.clear();
    h.clock.ms = run.activateAtMs! - 60_000;
    const early: ScheduledJob = { name: "early", step: "activate", proposalId: proposal.id, network: "base", attempt: String(run.version), runAtMs: h.clock.ms };

    // Act: the early invocation, then the job it scheduled, at its time
    const first = await activateStep(early, ctx.deps);
    const sentByFirst = h.gateway.sends.filter((s) => s.call.kind === "activate").length;
    const handedOff = h.scheduler.takeNext()!;
    const heldFrom = (h.clock.ms = handedOff.runAtMs);
    const second = await activateStep(handedOff, ctx.deps);

    // Assess: no send in the first; the second, due 5 s plus at most a block (2 s) before the ETA, held that
    // long and landed in the first block at or after the ETA
    const etaMs = Math.ceil(run.activateAtMs! / 1000) * 1000;
    expect(first).toMatchObject({ outcome: "rescheduled" });
    expect(sentByFirst).toBe(0);
    expect(handedOff.runAtMs).toBeGreaterThanOrEqual(etaMs - 7_000);
    expect(handedOff.runAtMs).toBeLessThanOrEqual(etaMs - 5_000);
    expect(second).toMatchObject({ outcome: "done" });
    expect(h.clock.ms - heldFrom).toBeLessThanOrEqual(7_000);
    const [sent] = h.gateway.sends.filter((s) => s.call.kind === "activate");
    expect(sent!.blockTimestamp - Math.ceil(run.activateAtMs! / 1000)).toBeLessThanOrEqual(2);
  });

  it("holds as before when the scheduler can't promise second precision (EventBridge Scheduler alone), or the wait is short", async () => {
    // Prepare
    const { h, proposal } = await proposed(["base"]);
    const minutePrecise = Object.assign(h.scheduler, { precisionMs: () => 60_000 });
    const ctx = { h, deps: h.deps({ scheduler: minutePrecise }), proposal };
    const run = await advanceUntil(ctx, "base", RunState.APPLIED);
    h.clock.ms = run.activateAtMs! - 60_000;
    const early: ScheduledJob = { name: "early", step: "activate", proposalId: proposal.id, network: "base", attempt: String(run.version), runAtMs: h.clock.ms };

    // Act
    const outcome = await activateStep(early, ctx.deps);

    // Assess: it held the minute and activated itself
    expect(outcome).toMatchObject({ outcome: "done" });
    expect(h.gateway.sends.filter((s) => s.call.kind === "activate")).toHaveLength(1);
  });

  it("fails only the network whose facet code changed, with a critical alert; the other network activates", async () => {
    // Prepare
    const { h, deps, proposal } = await proposed();
    h.gateway.script = (network, call) => (network === "base" && call.kind === "activate" ? { name: "CodehashMismatch", args: ["0x1000", "0xaa", "0xbb"] } : undefined);
    // Act
    await fireDueJobs(h, deps);
    // Assess
    expect(await h.store.getRun(proposal.id, "base")).toMatchObject({ state: "FAILED", failure: { code: "codehash-mismatch" } });
    expect((await h.store.getRun(proposal.id, "ethereum"))!.state).toBe("ACTIVATED");
    expect(h.alerts.alerts).toMatchObject([{ type: "codehash-mismatch", severity: "critical", network: "base" }]);
  });

  it("gives the lease back when a step throws, so an immediate retry runs it and sends once", async () => {
    // Prepare: the first send of the commit fails like an unreachable RPC would
    const { h, proposal } = await proposed(["ethereum"]);
    const job = commitJob(proposal.id, "ethereum");
    const send = h.gateway.send.bind(h.gateway);
    let failures = 1;
    h.gateway.send = async (...args: Parameters<typeof send>) => {
      if (failures-- > 0) throw new Error("ECONNREFUSED");
      return send(...args);
    };
    // Act
    await expect(runStep(job, h.deps({ owner: "first" }))).rejects.toThrow("ECONNREFUSED");
    const retry = await runStep(job, h.deps({ owner: "retry" }));
    // Assess
    expect(retry.outcome).toBe("done");
    expect((await h.store.getRun(proposal.id, "ethereum"))!.state).toBe("COMMITTED");
    expect((await h.audit.list(proposal.id)).filter((e) => e.event === "commit.confirmed")).toHaveLength(1);
    expect(await h.store.isStepComplete(proposal.id, "ethereum", "commit", "0")).toBe(true);
  });
});
