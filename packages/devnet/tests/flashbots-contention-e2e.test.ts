/**
 * Two proposals contending for one network behind a Flashbots-style relay (the local relay on a real anvil
 * node, KMS signer, DynamoDB Local): identical proposals at once are refused but one; two different proposals
 * that race anyway (the network lock lost) end with every run final and the signer usable — the loser's
 * commit, never includable once the winner's root is pending, is voided at its nonce by a no-op.
 */
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlashbotsRelay } from "@payrox/chain";
import { isNetworkBusy, proposeUpgrade, runStep, TERMINAL_STATES, type SchedulerDeps } from "@payrox/core";
import { startLocalRelay, type LocalRelay } from "../src/index.js";
import { counterManifest, deployCounterEverywhere, schedulerDeps, startE2eWorld, type E2eWorld } from "./support/e2e-harness.js";

const NET = "devnet-1";
let world: E2eWorld;
let relay: LocalRelay;
let deps: SchedulerDeps & { alerts: { alerts: { type: string; network?: string; proposalId?: string }[] } };

beforeAll(async () => {
  world = await startE2eWorld([NET]);
  const n = world.networks[NET]!;
  relay = await startLocalRelay({ rpcUrl: n.chain.rpcUrl });
  const flashbots = await FlashbotsRelay.create({ provider: n.provider, authSigner: Wallet.createRandom(), relayUrl: relay.url });
  deps = schedulerDeps(world, { relays: { [NET]: flashbots } }) as typeof deps;
}, 180_000);

afterAll(async () => {
  await relay?.stop();
  await world?.stop();
});

/** Runs the scheduler until every run of the proposals is final; returns their states. */
async function untilFinal(proposalIds: string[], timeoutMs = 150_000): Promise<Record<string, string>> {
  const errors: string[] = [];
  world.scheduler.start({ dispatch: (job) => runStep(job, deps).then(() => undefined), pollMs: 100, onError: (e) => void errors.push(String(e)) });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const runs = await Promise.all(proposalIds.map((id) => world.store.getRun(id, NET)));
      if (runs.every((r) => r && TERMINAL_STATES.has(r.state))) return Object.fromEntries(runs.map((r) => [r!.proposalId, r!.state]));
      if (Date.now() > deadline) throw new Error(`not final: ${runs.map((r) => `${r?.proposalId}: ${r?.state}`).join(", ")}; errors: ${errors.slice(-5).join(" | ")}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await world.scheduler.stop();
  }
}

async function until(probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The signer can send: nothing pending, every nonce it used is a journaled attempt of a step. */
async function expectSignerUsable() {
  const n = world.networks[NET]!;
  const [latest, pending] = await Promise.all([n.provider.getTransactionCount(n.signerAddress, "latest"), n.provider.getTransactionCount(n.signerAddress, "pending")]);
  expect(pending).toBe(latest);
  const snapshot = await world.nonceStore.snapshot({ network: NET, signer: n.signerAddress });
  expect(snapshot.next).toBe(latest);
  expect(snapshot.outstanding).toEqual([]);
}

describe("contention on a Flashbots network", () => {
  it("accepts one of 20 identical proposals made at once; it activates and the signer stays usable", async () => {
    // Prepare
    const manifestJson = JSON.stringify(await counterManifest(world, NET, "identical"));
    // Act
    const settled = await Promise.allSettled(Array.from({ length: 20 }, () => proposeUpgrade({ manifestJson, networks: [NET], proposer: "e2e" }, deps)));
    const accepted = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value.proposal.id] : []));
    const states = await untilFinal(accepted);
    // Assess
    expect(accepted).toHaveLength(1);
    for (const s of settled) if (s.status === "rejected") expect(isNetworkBusy(s.reason) && s.reason.holder).toBe(accepted[0]);
    expect(states).toEqual({ [accepted[0]!]: "ACTIVATED" });
    await expectSignerUsable();
  }, 240_000);

  it("ends two different proposals racing anyway (lock lost) with both runs final, the loser's commit voided, and the signer usable", async () => {
    // Prepare: two manifests on the same live state, with different facet instances (different roots)
    const facet = await deployCounterEverywhere(world);
    const a = await proposeUpgrade({ manifestJson: JSON.stringify(await counterManifest(world, NET, "racer-a")), networks: [NET], proposer: "e2e" }, deps);
    await world.store.releaseNetwork(NET, a.proposal.id); // the lock lost: the race the lock prevents
    const b = await proposeUpgrade({ manifestJson: JSON.stringify(await counterManifest(world, NET, "racer-b", facet)), networks: [NET], proposer: "e2e" }, deps);
    expect(a.proposal.root).not.toBe(b.proposal.root);
    // Act: both commits are signed while the relay holds bundles back (neither sees the other: a private
    // relay's pending transactions are invisible to \`latest\`), then the relay lands again
    relay.setLanding(false);
    const commit = (id: string) => runStep({ name: `race-${id}`, step: "commit", proposalId: id, network: NET, attempt: "0", runAtMs: Date.now() }, deps);
    const commits = [commit(a.proposal.id), commit(b.proposal.id)];
    for (const id of [a.proposal.id, b.proposal.id]) await until(async () => (await world.journal.get(`${id}:${NET}:commit`)) !== undefined);
    relay.setLanding(true);
    await Promise.allSettled(commits);
    const states = await untilFinal([a.proposal.id, b.proposal.id]);
    // Assess: one root went live; the other run's commit could never land and was voided at its nonce
    const activated = Object.entries(states).filter(([, s]) => s === "ACTIVATED").map(([id]) => id);
    expect(activated).toHaveLength(1);
    const loser = activated[0] === a.proposal.id ? b.proposal.id : a.proposal.id;
    const lost = (await world.store.getRun(loser, NET))!;
    expect(lost).toMatchObject({ state: "FAILED", failure: { code: "tx-voided" } });
    const record = (await world.journal.get(`${loser}:${NET}:commit`))!;
    expect(record.attempts.at(-1)!.reason).toBe("void");
    await expectSignerUsable();
    // Every nonce the signer spent is audited once under one of the two proposals (the void too).
    const n = world.networks[NET]!;
    const entries = [...(await world.audit.list(a.proposal.id)), ...(await world.audit.list(b.proposal.id))].filter((e) => e.txHash);
    const nonces = await Promise.all(entries.map(async (e) => (await n.provider.getTransaction(e.txHash!))!.nonce));
    expect(new Set(nonces).size).toBe(nonces.length);
    expect(entries.filter((e) => e.event === "tx.voided" && e.proposalId === loser).map((e) => e.txHash)).toEqual([record.inclusion!.hash]);
    expect(deps.alerts.alerts.filter((al) => al.type === "tx-voided" && al.proposalId === loser)).toHaveLength(1);
    // The nonces the signer used are exactly 0..latest-1, each audited once.
    expect(nonces.sort((x, y) => x - y)).toEqual(Array.from({ length: nonces.length }, (_, i) => nonces[0]! + i));
  }, 240_000);
});
