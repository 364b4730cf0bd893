/**
 * A nonce never stays blocked: a journaled transaction that can never be included is replaced at its nonce
 * by a no-op (0-value self-transfer, bumped fees, public mempool), journaled before it is sent; both stay
 * watched and whichever lands decides the step. Real anvil node and the local Flashbots-style relay.
 */
import { Transaction, Wallet, type JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devWallet, startLocalChain, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { startLocalRelay, type LocalRelay } from "@payrox/devnet";
import { RelayKind, RelayState, TxRecordStatus, type Relay, type RelayStatus, type RelaySubmission, type RelaySubmitRequest } from "@payrox/core";
import { FlashbotsRelay } from "../src/relay/index.js";
import { InMemoryNonceStore, InMemoryTxJournal, suggestFees, TxSender } from "../src/tx/index.js";
import { devAccount, EventLog, rpc } from "./support/lifecycle-fixtures.js";

const REVERTER = "0x00000000000000000000000000000000000000aa";
const SINK = "0x000000000000000000000000000000000000dEaD";
const NETWORK = "devnet";
let chain: LocalChain;
let provider: JsonRpcProvider;
let relay: LocalRelay;
let flashbots: FlashbotsRelay;

/** A relay that takes every submission and never lands anything (a relay that lost it for good). */
class BlackHoleRelay implements Relay {
  readonly name = "black-hole";
  readonly kind = RelayKind.PRIVATE_RPC;
  readonly swallowed: string[] = [];
  async submit(request: RelaySubmitRequest): Promise<RelaySubmission> {
    this.swallowed.push(...request.signedTransactions);
    const txHashes = request.signedTransactions.map((raw) => Transaction.from(raw).hash!);
    return { relay: this.name, kind: this.kind, network: request.network, id: txHashes[0]!, txHashes, submittedAtBlock: await provider.getBlockNumber() };
  }
  async status(): Promise<RelayStatus> {
    return { state: RelayState.PENDING };
  }
}

beforeAll(async () => {
  chain = await startLocalChain({ kind: "anvil", extraArgs: ["--accounts", "20"] });
  provider = devWallet(chain).provider;
  relay = await startLocalRelay({ rpcUrl: chain.rpcUrl });
  flashbots = await FlashbotsRelay.create({ provider, authSigner: Wallet.createRandom(), relayUrl: relay.url });
  await rpc(provider, "anvil_setCode", [REVERTER, "0x60006000fd"]);
}, 120_000);

afterAll(async () => {
  await relay?.stop();
  provider?.destroy();
  await chain?.stop();
});

/** Journals, as a crashed sender would have, a signed call of `signer` at its next nonce that the chain refuses. */
async function journalRevertingCall(journal: InMemoryTxJournal, nonces: InMemoryNonceStore, signerIndex: number, stepId: string) {
  const signer = devAccount(signerIndex, provider);
  const nonce = await provider.getTransactionCount(signer.address, "latest");
  const fees = await suggestFees(provider);
  const raw = await signer.signTransaction({ type: 2, chainId: chain.chainId, nonce, to: REVERTER, data: "0x01", value: 0n, gasLimit: 100_000n, ...fees });
  const now = new Date().toISOString();
  const reservation = await nonces.reserve({ network: NETWORK, signer: signer.address, chainPendingNonce: async () => nonce });
  await nonces.confirm(reservation);
  await journal.put({
    stepId, network: NETWORK, chainId: chain.chainId, from: signer.address, nonce,
    attempts: [{ hash: Transaction.from(raw).hash!, raw, maxFeePerGas: String(fees.maxFeePerGas), maxPriorityFeePerGas: String(fees.maxPriorityFeePerGas), reason: "initial", signedAt: now }],
    status: TxRecordStatus.SIGNED, reorgs: 0, version: 1, updatedAt: now,
  });
  return { signer, nonce, raw };
}

describe("a journaled transaction that can never be included", () => {
  it("is voided at once when the relay's simulation and the chain both revert it; the no-op lands, and the signer's next step goes through", async () => {
    // Prepare: a Flashbots-only signer holds a reverting call at its next nonce
    const journal = new InMemoryTxJournal();
    const nonceStore = new InMemoryNonceStore();
    const { signer, nonce, raw } = await journalRevertingCall(journal, nonceStore, 3, "stuck-commit");
    const log = new EventLog();
    const sender = new TxSender({ network: NETWORK, provider, signer, nonceStore, journal, relay: flashbots, pollIntervalMs: 50, onEvent: log.listener });
    // Act
    const outcome = await sender.resume("stuck-commit");
    const next = await sender.send({ stepId: "next-step", to: SINK, data: "0x" });
    // Assess
    expect(outcome.status).toBe("voided");
    expect(outcome.voidReason).toMatch(/simulation reverts/);
    const record = (await journal.get("stuck-commit"))!;
    expect(record.attempts.map((a) => a.reason)).toEqual(["initial", "void"]);
    expect(outcome.hash).toBe(record.attempts[1]!.hash);
    const landed = (await provider.getTransaction(outcome.hash))!;
    expect({ from: landed.from, to: landed.to, value: landed.value, data: landed.data, nonce: landed.nonce }).toEqual({ from: signer.address, to: signer.address, value: 0n, data: "0x", nonce });
    expect(landed.maxFeePerGas! >= (Transaction.from(raw).maxFeePerGas! * 112n) / 100n).toBe(true);
    expect(log.of("voided")).toHaveLength(1);
    expect(next.status).toBe("success");
    expect(next.nonce).toBe(nonce + 1);
    expect(await provider.getTransactionCount(signer.address, "latest")).toBe(nonce + 2);
  }, 120_000);

  it("is voided past the network's deadline when a relay swallowed it; the no-op goes to the public mempool", async () => {
    // Prepare
    const journal = new InMemoryTxJournal();
    const nonceStore = new InMemoryNonceStore();
    const blackHole = new BlackHoleRelay();
    const signer = devAccount(4, provider);
    const sender = new TxSender({ network: NETWORK, provider, signer, nonceStore, journal, relay: blackHole, pollIntervalMs: 50, voidAfterMs: 1_500 });
    // Act
    const outcome = await sender.send({ stepId: "swallowed", to: SINK, data: "0x", value: 1n });
    // Assess
    expect(outcome.status).toBe("voided");
    expect(outcome.voidReason).toMatch(/not included .* after it was signed/);
    const record = (await journal.get("swallowed"))!;
    expect(blackHole.swallowed).toEqual([record.attempts[0]!.raw]);
    expect(record.attempts.at(-1)!.reason).toBe("void");
    expect(record.inclusion?.hash).toBe(outcome.hash);
    expect(await provider.getTransactionCount(signer.address, "latest")).toBe(record.nonce + 1);
  }, 120_000);

  it("lets the original decide the step when it lands after the void was signed", async () => {
    // Prepare: the relay swallows the original; once the void is journaled, the original reaches the chain first
    const journal = new InMemoryTxJournal();
    const nonceStore = new InMemoryNonceStore();
    const blackHole = new BlackHoleRelay();
    const signer = devAccount(5, provider);
    let original: Promise<unknown> | undefined;
    const sender = new TxSender({
      network: NETWORK, provider, signer, nonceStore, journal, relay: blackHole, pollIntervalMs: 50, voidAfterMs: 1_500,
      // The void is journaled (and this event emitted) before it is submitted: land the original right then.
      onEvent: (e) => void (e.type === "voided" && (original = provider.send("eth_sendRawTransaction", [blackHole.swallowed[0]]))),
    });
    // Act
    const outcome = await sender.send({ stepId: "late-original", to: SINK, data: "0x", value: 7n });
    await original;
    // Assess
    const record = (await journal.get("late-original"))!;
    expect(record.attempts.map((a) => a.reason)).toEqual(["initial", "void"]);
    expect(outcome.status).toBe("success");
    expect(outcome.hash).toBe(record.attempts[0]!.hash);
    expect((await provider.getTransaction(outcome.hash))!.value).toBe(7n);
  }, 120_000);
});

describe("a journaled transaction nobody follows any more", () => {
  it("is voided by the signer's next step once past the deadline, so the nonce below it never stays blocked", async () => {
    // Prepare: a best-effort step (a prune, a cleanup cancel) gave up on its transaction at nonce N, which a
    // relay swallowed; nothing resumes it. The signer's next step signs N+1 through the public mempool.
    const journal = new InMemoryTxJournal();
    const nonceStore = new InMemoryNonceStore();
    const blackHole = new BlackHoleRelay();
    const signer = devAccount(6, provider);
    const abandoner = new TxSender({ network: NETWORK, provider, signer, nonceStore, journal, relay: blackHole, pollIntervalMs: 50, timeoutMs: 300 });
    await expect(abandoner.send({ stepId: "abandoned-prune", to: SINK, data: "0x", value: 3n })).rejects.toThrow(/confirm|timed out|within/i);
    const abandoned = (await journal.get("abandoned-prune"))!;
    const log = new EventLog();
    const sender = new TxSender({ network: NETWORK, provider, signer, nonceStore, journal, pollIntervalMs: 50, voidAfterMs: 1_500, timeoutMs: 60_000, onEvent: log.listener });
    // Act
    const outcome = await sender.send({ stepId: "next-step", to: SINK, data: "0x", value: 5n });
    // Assess: the abandoned nonce was freed by a no-op, and the next step's own call landed after it
    expect(outcome.status).toBe("success");
    expect(outcome.nonce).toBe(abandoned.nonce + 1);
    const record = (await journal.get("abandoned-prune"))!;
    expect(record.attempts.map((a) => a.reason)).toEqual(["initial", "void"]);
    expect(record.status).toBe(TxRecordStatus.CONFIRMED);
    expect(record.inclusion?.hash).toBe(record.attempts[1]!.hash);
    expect((await journal.get("next-step"))!.attempts.map((a) => a.reason)).toEqual(["initial"]);
    expect(log.of("voided")).toHaveLength(1);
    expect(await provider.getTransactionCount(signer.address, "latest")).toBe(abandoned.nonce + 2);
  }, 120_000);
});

describe("a worker that dies between reserving a nonce and journaling", () => {
  it("leaves no nonce gap: the step's retry takes over the reservation and signs at the same nonce", async () => {
    // Prepare: the first worker's journal write never happens (the process died while signing/writing)
    const journal = new InMemoryTxJournal();
    const nonceStore = new InMemoryNonceStore();
    const signer = devAccount(6, provider);
    const start = await provider.getTransactionCount(signer.address, "latest");
    const dying = { get: (id: string) => journal.get(id), put: async () => Promise.reject(new Error("process killed")), findByNonce: journal.findByNonce.bind(journal) };
    const first = new TxSender({ network: NETWORK, provider, signer, nonceStore, journal: dying, pollIntervalMs: 50 });
    await expect(first.send({ stepId: "apply-0", to: SINK, data: "0x" })).rejects.toThrow();
    expect(nonceStore.snapshot({ network: NETWORK, signer: signer.address }).outstanding).toEqual([start]);
    // Act: the retry of the same step, and the next step after it
    const retry = new TxSender({ network: NETWORK, provider, signer, nonceStore, journal, pollIntervalMs: 50 });
    const applied = await retry.send({ stepId: "apply-0", to: SINK, data: "0x" });
    const next = await retry.send({ stepId: "apply-1", to: SINK, data: "0x" });
    // Assess
    expect([applied.nonce, next.nonce]).toEqual([start, start + 1]);
    expect(await provider.getTransactionCount(signer.address, "latest")).toBe(start + 2);
    expect(nonceStore.snapshot({ network: NETWORK, signer: signer.address })).toEqual({ next: start + 2, released: [], outstanding: [] });
  }, 120_000);
});
