/**
 * The scheduler end to end on the real local services: DynamoDB Local (runs, leases, audit, nonces,
 * journal, jobs), the local KMS server (one key per network), two anvil nodes (devnet-1, devnet-2) and
 * the LocalScheduler driving the core use cases through the JournaledDispatcherGateway.
 *
 * The tests share the chains and run in order: each proposal builds on the root the previous ones left
 * active (tests 2 and 3 propose the same epoch-2 manifest, one on each network, so both networks agree
 * again for test 4). Waits are bounded and only as long as the dispatcher's activation delay needs.
 */
import { Contract, type TransactionReceipt } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobName, proposeUpgrade, runStep, StepBusyError, StepName, verifyAuditChain, type AuditEntry, type Manifest, type ScheduledJob, type TxJournal, type TxJournalPutResult, type TxRecord } from "@payrox/core";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { counterManifest, deployCounterEverywhere, driveToTerminal, E2E_OPTIONS, schedulerDeps, startE2eWorld, type E2eWorld } from "./support/e2e-harness.js";

const NET_1 = "devnet-1";
const NET_2 = "devnet-2";

let world: E2eWorld;
let epoch2: Promise<Manifest> | undefined;

beforeAll(async () => {
  world = await startE2eWorld([NET_1, NET_2]);
  expect(world.networks[NET_1]!.counterV1).toBe(world.networks[NET_2]!.counterV1);
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

/** The job `proposeUpgrade` / a finished step scheduled for `step` `attempt` (the name is derived, so it is the same job). */
function job(proposalId: string, network: string, step: StepName, attempt: string): ScheduledJob {
  return { name: jobName(proposalId, network, step, attempt), step, proposalId, network, attempt, runAtMs: Date.now() };
}

function nonceOf(network: string): Promise<number> {
  const n = world.networks[network]!;
  return n.provider.getTransactionCount(n.signerAddress, "latest");
}

function eventsOf(entries: AuditEntry[], event: string, network?: string): AuditEntry[] {
  return entries.filter((e) => e.event === event && (network === undefined || e.network === network));
}

/** Block timestamp of the run's activation transaction (from its audit entry). */
async function activationReceipt(entries: AuditEntry[], network: string): Promise<{ receipt: TransactionReceipt; timestamp: number }> {
  const [activated] = eventsOf(entries, "run.activated", network);
  expect(activated?.txHash, `no run.activated entry on ${network}`).toBeDefined();
  const provider = world.networks[network]!.provider;
  const receipt = (await provider.getTransactionReceipt(activated!.txHash!))!;
  return { receipt, timestamp: (await provider.getBlock(receipt.blockNumber))!.timestamp };
}

/** CounterFacetV1's version() called through the network's dispatcher (routed by its fallback). */
async function routedVersion(network: string): Promise<bigint> {
  const n = world.networks[network]!;
  return new Contract(n.dispatcher, loadArtifact("CounterFacetV1").abi as never, n.provider).getFunction("version")() as Promise<bigint>;
}

/** The epoch-2 manifest, built once from devnet-1 after test 1 (identical on devnet-2 by then). */
function epoch2Manifest(): Promise<Manifest> {
  epoch2 ??= deployCounterEverywhere(world).then((facet) => counterManifest(world, NET_1, "e2e-epoch-2", facet));
  return epoch2;
}

/** A journal that "crashes the Lambda" right after the first successful write of `stepId` (signed, not yet broadcast). */
class CrashAfterFirstPutJournal implements TxJournal {
  crashed = 0;
  constructor(private readonly inner: TxJournal, private readonly stepId: string) {}
  get(stepId: string): Promise<TxRecord | undefined> {
    return this.inner.get(stepId);
  }
  async put(record: TxRecord): Promise<TxJournalPutResult> {
    const result = await this.inner.put(record);
    if (result.ok && record.stepId === this.stepId && this.crashed === 0) {
      this.crashed++;
      throw new Error(`simulated crash after journaling ${record.stepId} v${record.version}, before broadcast`);
    }
    return result;
  }
}

describe("scheduler end to end", () => {
  it("activates a multi-batch proposal on two networks, routes calls to the new facet, and keeps a verifiable audit trail", async () => {
    // Prepare
    const deps = schedulerDeps(world);
    const manifest = await counterManifest(world, NET_1, "e2e-epoch-1");
    const started = Date.now();

    // Act
    const { proposal, runs } = await proposeUpgrade({ manifestJson: JSON.stringify(manifest), networks: [NET_1, NET_2], proposer: "e2e" }, deps);
    const final = await driveToTerminal(deps, world.scheduler, proposal.id, [NET_1, NET_2]);

    // Assess
    console.info(`two-network proposal activated in ${Date.now() - started} ms`);
    expect(runs[0]!.batchCount).toBeGreaterThanOrEqual(3);
    const entries = await world.audit.list(proposal.id);
    expect(verifyAuditChain(entries)).toEqual({ ok: true, length: entries.length });
    for (const network of [NET_1, NET_2]) {
      expect(final[network]).toMatchObject({ state: "ACTIVATED", batchesApplied: runs[0]!.batchCount, batchCount: runs[0]!.batchCount });
      expect(eventsOf(entries, "apply.confirmed", network)).toHaveLength(runs[0]!.batchCount);
      expect(await routedVersion(network)).toBe(1n);
      const { timestamp } = await activationReceipt(entries, network);
      expect(timestamp).toBeGreaterThanOrEqual(final[network]!.etaMs! / 1000);
    }
    expect(deps.alerts.alerts).toEqual([]);
  });

  it("sends one commit transaction and records one commit entry when the commit step runs 20 times at once and once more after", async () => {
    // Prepare
    const deps = schedulerDeps(world);
    const manifest = await epoch2Manifest();
    const { proposal } = await proposeUpgrade({ manifestJson: JSON.stringify(manifest), networks: [NET_1], proposer: "e2e" }, deps);
    const commit = job(proposal.id, NET_1, StepName.COMMIT, "0");
    const nonceBefore = await nonceOf(NET_1);

    // Act
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => runStep(commit, deps)));
    const again = await runStep(commit, deps);

    // Assess: one sends; the 19 that find it in progress are told to retry (StepBusyError), never dropped
    expect(outcomes.filter((o) => o.status === "fulfilled" && o.value.outcome === "done")).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === "rejected" && o.reason instanceof StepBusyError)).toHaveLength(19);
    expect(again.outcome).toBe("skipped");
    expect(await nonceOf(NET_1)).toBe(nonceBefore + 1);
    expect(eventsOf(await world.audit.list(proposal.id), "commit.confirmed")).toHaveLength(1);

    // The run goes on from the one commit; every later event is recorded once.
    const final = await driveToTerminal(deps, world.scheduler, proposal.id, [NET_1]);
    expect(final[NET_1]!.state).toBe("ACTIVATED");
    const entries = await world.audit.list(proposal.id);
    expect(verifyAuditChain(entries).ok).toBe(true);
    expect(entries.map((e) => e.event)).toEqual([
      "proposal.created", "commit.confirmed", ...Array<string>(final[NET_1]!.batchCount).fill("apply.confirmed"), "run.activated",
    ]);
    expect(await nonceOf(NET_1)).toBe(nonceBefore + 2 + final[NET_1]!.batchCount);
  });

  it("reschedules an activation triggered before its ETA, sends nothing early, and activates at the ETA", async () => {
    // Prepare: commit and apply every batch at once, so the ETA is still ahead.
    const deps = schedulerDeps(world);
    const manifest = await epoch2Manifest();
    const { proposal, runs } = await proposeUpgrade({ manifestJson: JSON.stringify(manifest), networks: [NET_2], proposer: "e2e" }, deps);
    expect((await runStep(job(proposal.id, NET_2, StepName.COMMIT, "0"), deps)).outcome).toBe("done");
    for (let k = 0; k < runs[0]!.batchCount; k++) expect((await runStep(job(proposal.id, NET_2, StepName.APPLY, String(k)), deps)).outcome).toBe("done");
    const applied = (await world.store.getRun(proposal.id, NET_2))!;
    expect(applied.state).toBe("APPLIED");
    const latest = await world.networks[NET_2]!.provider.getBlock("latest");
    expect(latest!.timestamp + 1).toBeLessThan(applied.activateAtMs! / 1000);
    const nonceBefore = await nonceOf(NET_2);

    // Act: the activation fires early, in an invocation that may not hold for the ETA.
    const early = await runStep(job(proposal.id, NET_2, StepName.ACTIVATE, String(applied.version)), { ...deps, options: { ...E2E_OPTIONS, maxHoldMs: 0 } });

    // Assess
    expect(early.outcome).toBe("rescheduled");
    expect((await world.store.getRun(proposal.id, NET_2))!.state).toBe("APPLIED");
    expect(await nonceOf(NET_2)).toBe(nonceBefore);
    const final = await driveToTerminal(deps, world.scheduler, proposal.id, [NET_2]);
    expect(final[NET_2]!.state).toBe("ACTIVATED");
    const entries = await world.audit.list(proposal.id);
    expect(eventsOf(entries, "run.failed")).toEqual([]);
    expect((await activationReceipt(entries, NET_2)).timestamp).toBeGreaterThanOrEqual(applied.activateAtMs! / 1000);
    expect(await nonceOf(NET_2)).toBe(nonceBefore + 1);
  });

  it("fails only the network whose facet code changed before activation, with a critical codehash-mismatch alert", async () => {
    // Prepare
    const deps = schedulerDeps(world);
    const facet = await deployCounterEverywhere(world);
    const manifest = await counterManifest(world, NET_1, "e2e-epoch-3", facet);
    expect(await counterManifest(world, NET_2, "e2e-epoch-3", facet)).toEqual(manifest);
    const { proposal } = await proposeUpgrade({ manifestJson: JSON.stringify(manifest), networks: [NET_1, NET_2], proposer: "e2e" }, deps);
    const tampered = world.networks[NET_1]!;
    let swapped = false;
    const swapFacetCode = async (fired: ScheduledJob) => {
      if (swapped || fired.step !== StepName.ACTIVATE || fired.network !== NET_1) return;
      swapped = true;
      await tampered.provider.send("anvil_setCode", [facet, loadArtifact("CounterFacetV2").deployedBytecode]);
    };

    // Act
    const final = await driveToTerminal(deps, world.scheduler, proposal.id, [NET_1, NET_2], { beforeStep: swapFacetCode });

    // Assess
    expect(swapped).toBe(true);
    expect(final[NET_1]).toMatchObject({ state: "FAILED", failure: { code: "codehash-mismatch" } });
    expect(final[NET_2]!.state).toBe("ACTIVATED");
    expect(deps.alerts.alerts).toEqual([expect.objectContaining({ type: "codehash-mismatch", severity: "critical", network: NET_1, proposalId: proposal.id })]);
    expect(verifyAuditChain(await world.audit.list(proposal.id)).ok).toBe(true);
  });

  it("resumes an apply step that crashed after journaling its signed transaction, without a second nonce or transaction", async () => {
    // Prepare
    const deps = schedulerDeps(world);
    const manifest = await counterManifest(world, NET_2, "e2e-epoch-4", await deployCounterEverywhere(world));
    const { proposal } = await proposeUpgrade({ manifestJson: JSON.stringify(manifest), networks: [NET_2], proposer: "e2e" }, deps);
    const nonceBefore = await nonceOf(NET_2);
    expect((await runStep(job(proposal.id, NET_2, StepName.COMMIT, "0"), deps)).outcome).toBe("done");
    const stepId = `${proposal.id}:${NET_2}:apply:0`;
    let crashing: CrashAfterFirstPutJournal | undefined;
    // A short lease, so the retry does not wait for a Lambda-sized one to expire.
    const crashDeps = schedulerDeps(world, { wrapJournal: (_, journal) => (crashing = new CrashAfterFirstPutJournal(journal, stepId)), options: { ...E2E_OPTIONS, leaseMs: 1_500 } });
    const apply0 = job(proposal.id, NET_2, StepName.APPLY, "0");

    // Act
    // The sender reports the unknown outcome of its journal write; the cause is our crash.
    await expect(runStep(apply0, crashDeps)).rejects.toMatchObject({ message: expect.stringMatching(/nothing was broadcast/), cause: { message: expect.stringMatching(/simulated crash/) } });
    const journaled = (await world.journal.get(stepId))!;
    const nonceAfterCrash = await nonceOf(NET_2);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const retried = await runStep(apply0, deps);
    const final = await driveToTerminal(deps, world.scheduler, proposal.id, [NET_2]);

    // Assess
    expect(crashing!.crashed).toBe(1);
    expect(nonceAfterCrash).toBe(nonceBefore + 1);
    expect(retried.outcome).toBe("done");
    expect(final[NET_2]!.state).toBe("ACTIVATED");
    const record = (await world.journal.get(stepId))!;
    expect(record.nonce).toBe(journaled.nonce);
    expect(record.attempts.map((a) => a.hash)).toEqual(journaled.attempts.map((a) => a.hash));
    const entries = await world.audit.list(proposal.id);
    const applies = eventsOf(entries, "apply.confirmed");
    expect(applies).toHaveLength(final[NET_2]!.batchCount);
    expect(new Set(applies.map((e) => e.txHash)).size).toBe(applies.length);
    expect(applies[0]!.txHash).toBe(journaled.attempts[0]!.hash);
    expect(await nonceOf(NET_2)).toBe(nonceBefore + 2 + final[NET_2]!.batchCount);
    expect(verifyAuditChain(entries).ok).toBe(true);
  });

  it("resumes an apply step that crashed after its transaction was confirmed and before the run recorded it, without a second transaction", async () => {
    // Prepare
    const deps = schedulerDeps(world);
    const manifest = await counterManifest(world, NET_2, "e2e-epoch-5", await deployCounterEverywhere(world));
    const { proposal } = await proposeUpgrade({ manifestJson: JSON.stringify(manifest), networks: [NET_2], proposer: "e2e" }, deps);
    const nonceBefore = await nonceOf(NET_2);
    expect((await runStep(job(proposal.id, NET_2, StepName.COMMIT, "0"), deps)).outcome).toBe("done");
    const stepId = `${proposal.id}:${NET_2}:apply:0`;
    let firstHash: string | undefined;
    // The Lambda dies between the gateway's confirmed send and the run-store write.
    const crashDeps = schedulerDeps(world, {
      options: { ...E2E_OPTIONS, leaseMs: 1_500 },
      wrapGateway: (gateway) => ({
        readState: (network) => gateway.readState(network),
        latestBlock: (network) => gateway.latestBlock(network),
        resume: (network, id) => gateway.resume(network, id),
        send: async (network, id, call) => {
          const sent = await gateway.send(network, id, call);
          if (id === stepId && firstHash === undefined && sent.ok) {
            firstHash = sent.tx.hash;
            throw new Error(`simulated crash after ${id} was confirmed, before recording`);
          }
          return sent;
        },
      }),
    });
    const apply0 = job(proposal.id, NET_2, StepName.APPLY, "0");

    // Act
    await expect(runStep(apply0, crashDeps)).rejects.toThrow(/simulated crash/);
    const runAfterCrash = (await world.store.getRun(proposal.id, NET_2))!;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const retried = await runStep(apply0, deps);
    const final = await driveToTerminal(deps, world.scheduler, proposal.id, [NET_2]);

    // Assess
    expect(runAfterCrash).toMatchObject({ state: "COMMITTED", batchesApplied: 0 });
    expect(retried.outcome).toBe("done");
    expect(final[NET_2]!.state).toBe("ACTIVATED");
    const entries = await world.audit.list(proposal.id);
    const applies = eventsOf(entries, "apply.confirmed");
    expect(applies).toHaveLength(final[NET_2]!.batchCount);
    expect(applies[0]!.txHash).toBe(firstHash);
    expect(new Set(applies.map((e) => e.txHash)).size).toBe(applies.length);
    expect(await nonceOf(NET_2)).toBe(nonceBefore + 2 + final[NET_2]!.batchCount);
    expect(verifyAuditChain(entries).ok).toBe(true);
  });
});
