/**
 * Monitoring end to end on the real local services (DynamoDB Local, local KMS, two anvil chains, the
 * JournaledDispatcherGateway, the LocalScheduler): alerts go through the DynamoDB incident ledger to a
 * recording sink, the terminal and the devnet's webhook receiver (HMAC verified); the watchdog reads
 * the dispatchers' events with the DispatcherEventReader and a DynamoDB cursor per network.
 */
import { Contract, HDNodeWallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoAlertDeadLetters, DynamoChainCursorStore, DynamoGasHistory, DynamoIncidentLedger, WebhookAlertSink } from "@payrox/aws";
import { DispatcherEventReader, encodeDispatcherCall } from "@payrox/chain";
import { buildManifestTree, commitArgs, DedupingAlertSink, FanOutAlertSink, proposeUpgrade, StepName, watchdogSweep, type Alert, type ScheduledJob, type SchedulerDeps } from "@payrox/core";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { DEV_MNEMONIC } from "../../../contracts/lib/local-chain.js";
import { ConsoleAlertSink, startWebhookReceiver, type WebhookReceiver } from "../src/index.js";
import { counterManifest, deployCounterEverywhere, driveToTerminal, RecordingAlertSink, schedulerDeps, startE2eWorld, type E2eWorld } from "./support/e2e-harness.js";

const NET_1 = "devnet-1";
const NET_2 = "devnet-2";
const SECRET = "alerts-e2e-webhook-secret";

let world: E2eWorld;
let receiver: WebhookReceiver;
let recorded: RecordingAlertSink;
let deps: SchedulerDeps;
const printed: string[] = [];

beforeAll(async () => {
  world = await startE2eWorld([NET_1, NET_2]);
  receiver = await startWebhookReceiver({ secret: SECRET });
  recorded = new RecordingAlertSink();
  const delivery = new FanOutAlertSink([
    recorded,
    new ConsoleAlertSink((line) => printed.push(line)),
    new WebhookAlertSink({ endpoints: [{ id: "devnet", url: receiver.url, secret: SECRET }], deadLetters: new DynamoAlertDeadLetters(world.table) }),
  ]);
  const events = new DispatcherEventReader({
    networks: Object.fromEntries(Object.values(world.networks).map((n) => [n.id, { provider: n.provider, dispatcher: n.dispatcher, senders: [n.signerAddress] }])),
  });
  const cursors = new DynamoChainCursorStore(world.table);
  // The watcher starts at the current heads: the deployment's own role grants are history.
  for (const n of Object.values(world.networks)) {
    const head = (await n.provider.getBlock("latest"))!;
    await cursors.put({ network: n.id, blockNumber: head.number, blockHash: head.hash!, updatedAtMs: Date.now() });
  }
  deps = {
    ...schedulerDeps(world),
    alerts: new DedupingAlertSink({ ledger: new DynamoIncidentLedger(world.table), sink: delivery }),
    monitoring: { events, cursors, gasHistory: new DynamoGasHistory(world.table), journal: world.journal, journaledTxs: world.journal, watch: { maxBlockRange: 20 } },
  };
}, 180_000);

afterAll(async () => {
  await receiver?.stop();
  await world?.stop();
});

const watchdog = () => watchdogSweep({ ...deps, actor: "watchdog" });
const ofType = (alerts: readonly Alert[], type: string) => alerts.filter((a) => a.type === type);

describe("alerts end to end", () => {
  it("raises exactly one critical codehash alert and halts only the network whose facet code was swapped after apply", async () => {
    // Prepare
    const facet = await deployCounterEverywhere(world);
    const manifest = await counterManifest(world, NET_1, "alerts-epoch-1", facet);
    const { proposal } = await proposeUpgrade({ manifestJson: JSON.stringify(manifest), networks: [NET_1, NET_2], proposer: "e2e" }, deps);
    let swapped = false;
    // Every apply batch is confirmed once the activation fires: the code changes after apply.
    const swapAfterApply = async (job: ScheduledJob) => {
      if (swapped || job.step !== StepName.ACTIVATE || job.network !== NET_1) return;
      swapped = true;
      await world.networks[NET_1]!.provider.send("anvil_setCode", [facet, loadArtifact("CounterFacetV2").deployedBytecode]);
    };

    // Act
    const final = await driveToTerminal(deps, world.scheduler, proposal.id, [NET_1, NET_2], { beforeStep: swapAfterApply });
    const sweeps = [await watchdog(), await watchdog()];

    // Assess
    expect(swapped).toBe(true);
    expect(final[NET_1]).toMatchObject({ state: "FAILED", failure: { code: "codehash-mismatch" } });
    expect(final[NET_2]!.state).toBe("ACTIVATED");
    const critical = recorded.alerts.filter((a) => a.severity === "critical");
    expect(critical).toEqual([expect.objectContaining({ type: "codehash-mismatch", status: "raised", network: NET_1, proposalId: proposal.id, evidence: expect.objectContaining({ values: expect.objectContaining({ step: "activate", facet }) }) })]);
    // PayRox's own commits, applies and activation (journaled) are not out-of-band events.
    for (const sweep of sweeps) expect(sweep.chain).toEqual(expect.arrayContaining([expect.objectContaining({ network: NET_1, ok: true, outOfBand: 0 }), expect.objectContaining({ network: NET_2, ok: true, outOfBand: 0 })]));
    expect(sweeps[0]!.chain!.every((c) => c.ok && c.events > 0)).toBe(true);
    expect(ofType(receiver.alerts, "codehash-mismatch")).toEqual([expect.objectContaining({ id: critical[0]!.id })]);
    expect(printed.some((line) => line.startsWith("[ALERT critical] codehash-mismatch devnet-1"))).toBe(true);
  });

  it("raises one out-of-band alert for an outside role grant and one for the commit of that key, and no duplicate across watchdog runs", async () => {
    // Prepare: the admin grants an outside key COMMIT_ROLE (itself out-of-band), and that key commits a root
    const n = world.networks[NET_2]!;
    // Dev account #5 of the public test mnemonic: a key PayRox never uses.
    const outsider = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0/5").connect(n.provider);
    const admin = new Contract(n.dispatcher, loadArtifact("DispatcherAdminFacet").abi as never, n.wallet);
    await (await admin.getFunction("grantRole")(await admin.getFunction("COMMIT_ROLE")(), outsider.address)).wait();
    const epoch = BigInt(await admin.getFunction("nextEpoch")());
    const tree = buildManifestTree([{ selector: "0x5e5e5e5e", facet: outsider.address, codehash: `0x${"5e".repeat(32)}` }]);
    const commit = (await (await outsider.sendTransaction({ to: n.dispatcher, data: encodeDispatcherCall({ kind: "commit", ...commitArgs(tree), epoch }) })).wait())!;
    const outOfBand = (alerts: readonly Alert[]) => alerts.filter((a) => a.type.startsWith("out-of-band-"));
    const before = outOfBand(recorded.alerts).length;

    // Act
    const first = await watchdog();
    const second = await watchdog();
    const third = await watchdog();

    // Assess
    const raised = outOfBand(recorded.alerts).slice(before);
    const commits = ofType(raised, "out-of-band-commit");
    expect(commits).toEqual([expect.objectContaining({ severity: "critical", network: NET_2, evidence: expect.objectContaining({ txHash: commit.hash, blockNumber: commit.blockNumber, values: expect.objectContaining({ from: outsider.address }) }) })]);
    expect(raised.map((a) => [a.type, a.evidence?.values?.event])).toEqual([["out-of-band-role-change", "RoleGranted"], ["out-of-band-commit", "RootCommitted"]]);
    expect(first.chain!.find((c) => c.network === NET_2)).toMatchObject({ ok: true, outOfBand: 2 });
    for (const later of [second, third]) expect(later.chain!.find((c) => c.network === NET_2)).toMatchObject({ ok: true, outOfBand: 0 });
    expect(ofType(receiver.alerts, "out-of-band-commit").filter((a) => a.evidence?.txHash === commit.hash)).toHaveLength(1);
    expect(receiver.deliveries.every((d) => d.status === 200)).toBe(true);
  });
});
