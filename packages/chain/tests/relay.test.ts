/**
 * Relay adapters and the policy router against a real anvil node and the local Flashbots-style relay
 * (packages/devnet). The node automines; the relay mines each bundle's target block itself.
 */
import { Wallet, type HDNodeWallet, type JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devWallet, startLocalChain, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { startLocalRelay, type LocalRelay } from "@payrox/devnet";
import { RelayKind, RelayState, type RelayFallback, type RelayStatus, type RelaySubmission } from "@payrox/core";
import { BundleSimulationRevertedError, RelayConfigurationError, RelayUnavailableError } from "../src/errors.js";
import { FlashbotsRelay, PrivateRpcRelay, PublicMempoolRelay, RelayRouter } from "../src/relay/index.js";
import { InMemoryNonceStore, InMemoryTxJournal, suggestFees, TxSender } from "../src/tx/index.js";
import { devAccount, EventLog, rpc } from "./support/lifecycle-fixtures.js";

const SINK = "0x000000000000000000000000000000000000dEaD";
const REVERTER = "0x00000000000000000000000000000000000000aa";
const NETWORK = "devnet";
let chain: LocalChain;
let provider: JsonRpcProvider;
let relay: LocalRelay;
let flashbots: FlashbotsRelay;
/** The relay identity: its own random key, never a transaction key. */
const authSigner = Wallet.createRandom();

beforeAll(async () => {
  chain = await startLocalChain({ kind: "anvil", extraArgs: ["--accounts", "20"] });
  provider = devWallet(chain).provider;
  relay = await startLocalRelay({ rpcUrl: chain.rpcUrl });
  flashbots = await FlashbotsRelay.create({ provider, authSigner, relayUrl: relay.url });
  await rpc(provider, "anvil_setCode", [REVERTER, "0x60006000fd"]);
});

afterAll(async () => {
  await relay?.stop();
  provider?.destroy();
  await chain?.stop();
});

/** A signed EIP-1559 transfer (or call to `to`) from `signer` at its pending nonce. */
async function signedTx(signer: HDNodeWallet, to = SINK): Promise<string> {
  const fees = await suggestFees(provider);
  const nonce = await provider.getTransactionCount(signer.address, "pending");
  return signer.signTransaction({ type: 2, chainId: chain.chainId, nonce, to, value: 1n, gasLimit: 60_000n, ...fees });
}

/** Polls `status` (about once per pool tick) until the predicate holds; the deadline is only a safety net. */
async function statusUntil(relayUnderTest: { status(s: RelaySubmission): Promise<RelayStatus> }, submission: RelaySubmission, done: (s: RelayStatus) => boolean) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await relayUnderTest.status(submission);
    if (done(status)) return status;
    if (Date.now() > deadline) throw new Error(`submission ${submission.id} still ${status.state}: ${status.detail}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The relay's record of the bundle once it noted the inclusion (it does so just after the block is mined). */
async function includedBundle(predicate: (b: ReturnType<LocalRelay["bundles"]>[number]) => boolean) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = relay.bundles().find((b) => predicate(b) && b.state === "included");
    if (found) return found;
    if (Date.now() > deadline) throw new Error("the relay never recorded the bundle as included");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const mine = () => rpc(provider, "evm_mine");
const pooled = async () => Number(BigInt((await rpc<{ pending: string }>(provider, "txpool_status")).pending));

describe("FlashbotsRelay (local relay)", () => {
  it("simulates, sends and lands a bundle in its target block, signed by a separate auth key", async () => {
    const raw = await signedTx(devAccount(1, provider));
    const submission = await flashbots.submit({ network: NETWORK, signedTransactions: [raw] });
    const status = await statusUntil(flashbots, submission, (s) => s.state === RelayState.INCLUDED);
    expect(status.blockNumber).toBe(submission.targetBlock);
    const bundle = await includedBundle((b) => b.bundleHash === submission.id);
    expect(bundle).toMatchObject({ searcher: authSigner.address, blockNumber: submission.targetBlock, includedIn: submission.targetBlock });
    const stats = await flashbots.bundleStats(submission);
    expect(stats).toMatchObject({ isSimulated: true, sealedByBuildersAt: [{ pubkey: "local-relay" }] });
  });

  it("sends the bundle again for each next block until it is included", async () => {
    relay.setLanding(false);
    const raw = await signedTx(devAccount(2, provider));
    const submission = await flashbots.submit({ network: NETWORK, signedTransactions: [raw] });
    for (let i = 0; i < 2; i++) {
      await mine();
      expect((await flashbots.status(submission)).state).toBe(RelayState.PENDING);
    }
    const targets = relay.bundles().filter((b) => b.bundleHash === submission.id).map((b) => b.blockNumber);
    expect(targets).toEqual([submission.targetBlock!, submission.targetBlock! + 1, submission.targetBlock! + 2]);
    relay.setLanding(true);
    const status = await statusUntil(flashbots, submission, (s) => s.state === RelayState.INCLUDED);
    expect(status.blockNumber).toBe(submission.targetBlock! + 2);
  });

  it("reports EXPIRED once the deadline block passes without inclusion", async () => {
    relay.setLanding(false);
    const submission = await flashbots.submit({ network: NETWORK, signedTransactions: [await signedTx(devAccount(3, provider))], deadlineBlock: (await provider.getBlockNumber()) + 2 });
    await mine();
    await mine();
    expect(await flashbots.status(submission)).toMatchObject({ state: RelayState.EXPIRED });
    relay.setLanding(true);
  });

  it("rejects a bundle whose simulation reverts, without sending it", async () => {
    const sender = devAccount(4, provider);
    const bundlesBefore = relay.bundles().length;
    const error = await flashbots.submit({ network: NETWORK, signedTransactions: [await signedTx(sender, REVERTER)] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BundleSimulationRevertedError);
    expect(relay.bundles()).toHaveLength(bundlesBefore);
    expect(await provider.getTransactionCount(sender.address, "pending")).toBe(0);
  });

  it("refuses to submit transactions signed by its own auth key", async () => {
    const authAsSender = await FlashbotsRelay.create({ provider, authSigner: devAccount(5, provider), relayUrl: relay.url });
    await expect(authAsSender.submit({ network: NETWORK, signedTransactions: [await signedTx(devAccount(5, provider))] })).rejects.toBeInstanceOf(RelayConfigurationError);
  });
});

describe("PrivateRpcRelay", () => {
  it("sends the raw transaction to the private endpoint only", async () => {
    const privateRpc = new PrivateRpcRelay({ provider, url: relay.url });
    const raw = await signedTx(devAccount(6, provider));
    const submission = await privateRpc.submit({ network: NETWORK, signedTransactions: [raw] });
    expect(relay.privateTransactions()).toContain(raw);
    expect(await statusUntil(privateRpc, submission, (s) => s.state === RelayState.INCLUDED)).toMatchObject({ state: RelayState.INCLUDED });
  });
});

describe("RelayRouter", () => {
  const router = (preferred: RelayKind[], allowPublicFallback: boolean, onFallback?: (f: RelayFallback) => void) =>
    new RelayRouter({
      policy: { network: NETWORK, preferred, allowPublicFallback },
      relays: { flashbots, "private-rpc": new PrivateRpcRelay({ provider, url: relay.url }), public: new PublicMempoolRelay({ provider }) },
      onFallback,
    });

  it("falls back to the public mempool when the relay refuses and the policy allows it, and reports the fallback", async () => {
    relay.setRefusing(true);
    try {
      const reported: RelayFallback[] = [];
      const submission = await router([RelayKind.FLASHBOTS, RelayKind.PRIVATE_RPC], true, (f) => reported.push(f)).submit({
        network: NETWORK,
        signedTransactions: [await signedTx(devAccount(7, provider))],
      });
      expect(submission.relay).toBe("public");
      expect(submission.fallbacks).toEqual([
        { from: "flashbots", to: "public", reason: expect.stringMatching(/refuses/) },
        { from: "private-rpc", to: "public", reason: expect.stringMatching(/refuses/) },
      ]);
      expect(reported).toHaveLength(2);
      expect(await provider.getTransactionReceipt(submission.txHashes[0]!)).not.toBeNull();
    } finally {
      relay.setRefusing(false);
    }
  });

  it("throws RelayUnavailableError and sends nothing when the policy forbids the public fallback", async () => {
    relay.setRefusing(true);
    try {
      const sender = devAccount(8, provider);
      const bundlesBefore = relay.bundles().length;
      const error = await router([RelayKind.FLASHBOTS], false).submit({ network: NETWORK, signedTransactions: [await signedTx(sender)] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RelayUnavailableError);
      expect(error).toMatchObject({ publicFallbackAllowed: false, failures: [{ relay: "flashbots" }] });
      expect((error as Error).message).toMatch(/nothing was sent/);
      expect(await provider.getTransactionCount(sender.address, "pending")).toBe(0);
      expect(relay.bundles()).toHaveLength(bundlesBefore);
      expect(await pooled()).toBe(0);
    } finally {
      relay.setRefusing(false);
    }
  });

  it("rejects a policy naming a relay that is not configured", () => {
    expect(() => new RelayRouter({ policy: { network: NETWORK, preferred: [RelayKind.FLASHBOTS], allowPublicFallback: false }, relays: {} })).toThrow(RelayConfigurationError);
  });
});

describe("TxSender through relays", () => {
  const sender = (account: number, relayUnderTest: RelayRouter | FlashbotsRelay, log: EventLog, journal = new InMemoryTxJournal()) => ({
    journal,
    sender: new TxSender({ network: NETWORK, provider, signer: devAccount(account, provider), nonceStore: new InMemoryNonceStore(), journal, relay: relayUnderTest, pollIntervalMs: 50, timeoutMs: 60_000, onEvent: log.listener }),
  });
  const policy = (allowPublicFallback: boolean) =>
    new RelayRouter({ policy: { network: NETWORK, preferred: [RelayKind.FLASHBOTS], allowPublicFallback }, relays: { flashbots, public: new PublicMempoolRelay({ provider }) } });

  it("sends a step as a Flashbots bundle and confirms it", async () => {
    const log = new EventLog();
    const { sender: s } = sender(9, flashbots, log);
    const outcome = await s.send({ stepId: "bundle", to: SINK, data: "0x", value: 1n });
    expect(log.of("submitted")[0]).toMatchObject({ relay: "flashbots", hash: outcome.hash });
    expect(await includedBundle((b) => b.txHashes.includes(outcome.hash))).toMatchObject({ includedIn: outcome.blockNumber });
  });

  it("reports a fallback in its events and journal", async () => {
    relay.setRefusing(true);
    try {
      const log = new EventLog();
      const { sender: s, journal } = sender(10, policy(true), log);
      const outcome = await s.send({ stepId: "fallback", to: SINK, data: "0x", value: 1n });
      expect(log.of("relay-fallback")).toEqual([expect.objectContaining({ hash: outcome.hash, from: "flashbots", to: "public" })]);
      expect((await journal.get("fallback"))!.lastSubmission).toMatchObject({ relay: "public", fallbackFrom: "flashbots" });
    } finally {
      relay.setRefusing(false);
    }
  });

  it("keeps the journaled step unsent when the fallback is forbidden, and lands the same bytes on resume", async () => {
    relay.setRefusing(true);
    const log = new EventLog();
    const account = devAccount(11, provider);
    const { sender: s, journal } = sender(11, policy(false), log);
    await expect(s.send({ stepId: "no-fallback", to: SINK, data: "0x", value: 1n })).rejects.toBeInstanceOf(RelayUnavailableError);
    const record = (await journal.get("no-fallback"))!;
    expect(record.status).toBe("SIGNED");
    expect(await provider.getTransactionCount(account.address, "pending")).toBe(0);
    relay.setRefusing(false);
    const outcome = await sender(11, policy(false), log, journal).sender.resume("no-fallback");
    expect(outcome.hash).toBe(record.attempts[0]!.hash);
    expect(log.of("relay-fallback")).toHaveLength(0);
  });
  it("confirms a step whose earlier submission landed just before the relay's bundle simulation (nonce too low at the relay)", async () => {
    // Prepare: the first submission lands the very bytes publicly first — as a bundle from an earlier,
    // timed-out submission would — then asks the Flashbots-only policy, whose simulation sees the nonce used.
    const log = new EventLog();
    const inner = policy(false);
    const publicRelay = new PublicMempoolRelay({ provider });
    let raced = false;
    const racing = {
      name: inner.name,
      kind: inner.kind,
      submit: async (request: Parameters<RelayRouter["submit"]>[0]) => {
        if (!raced) {
          raced = true;
          const landed = await publicRelay.submit(request);
          await provider.waitForTransaction(landed.txHashes[0]!);
        }
        return inner.submit(request);
      },
      status: (submission: RelaySubmission) => inner.status(submission),
    } as unknown as RelayRouter;
    const { sender: s } = sender(12, racing, log);
    // Act
    const outcome = await s.send({ stepId: "raced", to: SINK, data: "0x", value: 1n });
    // Assess
    expect(raced).toBe(true);
    expect(outcome.status).toBe("success");
    expect(await provider.getTransactionCount(devAccount(12, provider).address, "latest")).toBe(1);
  });
});
