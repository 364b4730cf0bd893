/**
 * A worker can die after any write of a step. For every write of a whole 2-network upgrade, the process is
 * "killed" right after that write completes (nothing after it runs); the scheduler's retry and the
 * watchdog's re-drive then finish the upgrade. Whatever the point, every confirmed transaction has
 * exactly one audit entry carrying its hash, no step sends twice, and the chain of entries verifies.
 */
import { describe, expect, it } from "vitest";
import { proposeUpgrade, redriveStalledRuns, runStep, verifyAuditChain, type SchedulerDeps } from "../../../src/index.js";
import { inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

class Killed extends Error {}

const STALL_MS = 10 * 60_000;

/** Counts durable writes; throws {@link Killed} right after write number `killAt` (1-based) has completed. */
function killSwitch(killAt: number) {
  let writes = 0;
  let armed = true;
  const after = async <T>(write: Promise<T>): Promise<T> => {
    const value = await write;
    writes++;
    if (armed && writes === killAt) {
      armed = false;
      throw new Killed(`killed after write ${killAt}`);
    }
    return value;
  };
  return { after, writes: () => writes, fired: () => !armed };
}

async function upgradeKilledAt(killAt: number) {
  const h = inMemoryPorts();
  const base = h.deps();
  const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["ethereum", "base"], proposer: "alice" }, base);
  const kill = killSwitch(killAt);
  const deps: SchedulerDeps = {
    ...base,
    store: Object.assign(Object.create(h.store), {
      saveRun: (...a: Parameters<typeof h.store.saveRun>) => kill.after(h.store.saveRun(...a)),
      completeStep: (...a: Parameters<typeof h.store.completeStep>) => kill.after(h.store.completeStep(...a)),
    }),
    audit: { append: (input) => kill.after(h.audit.append(input)), list: (id) => h.audit.list(id) },
    scheduler: { schedule: (job) => kill.after(h.scheduler.schedule(job)), cancel: (name) => h.scheduler.cancel(name) },
    options: { ...base.options, leaseMs: 60_000 },
  };
  for (let round = 0; round < 400; round++) {
    const job = h.scheduler.takeNext();
    if (!job) {
      const runs = await h.store.listRuns(proposal.id);
      if (runs.every((r) => r.state === "ACTIVATED")) break;
      // Nothing scheduled and a run unfinished: its trigger died with the worker; the watchdog re-drives it.
      h.clock.ms += STALL_MS + 1;
      await redriveStalledRuns(deps, { stallMs: STALL_MS });
      continue;
    }
    h.clock.ms = Math.max(h.clock.ms, job.runAtMs);
    try {
      await runStep(job, deps);
    } catch (error) {
      if (!(error instanceof Killed)) throw error;
      // The dead worker's job is delivered again (EventBridge's retry) after its lease expired.
      h.clock.ms += 61_000;
      await h.scheduler.schedule({ ...job, name: `${job.name}.retry${round}`, runAtMs: h.clock.ms });
    }
  }
  return { h, proposal, kill };
}

describe("a worker killed after any write of a step", () => {
  it("loses no audited transaction and doubles none, wherever the kill lands", async () => {
    // Prepare: how many writes an undisturbed upgrade makes
    const clean = await upgradeKilledAt(Number.MAX_SAFE_INTEGER);
    const total = clean.kill.writes();
    expect(total).toBeGreaterThan(30);
    for (let killAt = 1; killAt <= total; killAt++) {
      // Act
      const { h, proposal, kill } = await upgradeKilledAt(killAt);
      // Assess
      expect(kill.fired(), `kill point ${killAt}`).toBe(true);
      const runs = await h.store.listRuns(proposal.id);
      expect(runs.map((r) => r.state), `kill point ${killAt}`).toEqual(["ACTIVATED", "ACTIVATED"]);
      const entries = await h.audit.list(proposal.id);
      expect(verifyAuditChain(entries).ok, `kill point ${killAt}`).toBe(true);
      for (const network of ["ethereum", "base"]) {
        const hashes = entries.filter((e) => e.network === network && e.txHash).map((e) => e.txHash);
        const stepIds = new Set(h.gateway.sends.filter((s) => s.network === network).map((s) => s.stepId));
        // commit + 3 batches + activation, each audited once with its transaction's hash
        expect(hashes, `kill point ${killAt} on ${network}`).toHaveLength(5);
        expect(new Set(hashes).size, `kill point ${killAt} on ${network}`).toBe(5);
        expect(stepIds.size, `kill point ${killAt} on ${network}`).toBe(5);
      }
    }
  });
});
