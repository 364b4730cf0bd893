/**
 * TxSender against a real anvil node with automine OFF: blocks are mined by the test (or a miner loop),
 * so every scenario — stuck, dropped, reorged, crashed — is produced on purpose and asserted on state.
 */
import { Contract, id, ZeroAddress, ZeroHash, type JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../../contracts/lib/deploy.js";
import { devWallet, startLocalChain, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { FeeCapExceededError, TxGasLimitExceededError, JournalWriteFailedError, NonceConsumedError, SigningFailedError, SimulationRevertedError, UnauthorizedAccountError } from "../src/errors.js";
import { InMemoryNonceStore, InMemoryTxJournal, TxSender, type TxSenderOptions } from "../src/tx/index.js";
import { CrashAfterSubmitRelay, CrashAfterWriteJournal, devAccount, EventLog, FlakySigner, nonceOf, rpc, SimulatedCrash, startMiner } from "./support/lifecycle-fixtures.js";
import { PublicMempoolRelay } from "../src/relay/index.js";

const SINK = "0x000000000000000000000000000000000000dEaD";
let chain: LocalChain;
let provider: JsonRpcProvider;

beforeAll(async () => {
  chain = await startLocalChain({ kind: "anvil", extraArgs: ["--accounts", "20"] });
  provider = devWallet(chain).provider;
});

afterAll(async () => {
  provider?.destroy();
  await chain?.stop();
});

/** A sender for dev account `account` with fast polling; `log` collects its events. */
function sender(account: number, log: EventLog, overrides: Partial<TxSenderOptions> = {}) {
  const journal = overrides.journal ?? new InMemoryTxJournal();
  const nonceStore = overrides.nonceStore ?? new InMemoryNonceStore();
  const options: TxSenderOptions = { network: "devnet", provider, signer: devAccount(account, provider), nonceStore, journal, pollIntervalMs: 50, timeoutMs: 60_000, onEvent: log.listener, ...overrides };
  return { sender: new TxSender(options), journal, nonceStore, options };
}

const step = (stepId: string, data = "0x") => ({ stepId, to: SINK, data, value: 1n });
const automine = (on: boolean) => rpc(provider, "evm_setAutomine", [on]);
const mine = () => rpc(provider, "evm_mine");
const pooled = async () => Number(BigInt((await rpc<{ pending: string }>(provider, "txpool_status")).pending));

describe("TxSender (anvil, automine off)", () => {
  beforeAll(() => automine(false));

  it("journals the signed bytes before broadcast and confirms after N blocks", async () => {
    const log = new EventLog();
    const { sender: s, journal } = sender(1, log, { confirmations: 3 });
    const sent = s.send(step("basic"));
    const signed = await log.waitFor("signed");
    await log.waitFor("submitted");
    for (let i = 0; i < 3; i++) await mine();
    const outcome = await sent;
    expect(outcome).toMatchObject({ hash: signed.hash, status: "success", attempts: [signed.hash] });
    expect(log.events.map((e) => e.type)).toEqual(["simulated", "signed", "submitted", "mined", "confirmed"]);
    const record = (await journal.get("basic"))!;
    expect(record).toMatchObject({ status: "CONFIRMED", nonce: outcome.nonce, inclusion: { hash: signed.hash, blockNumber: outcome.blockNumber } });
    expect(record.attempts[0]!.raw).toMatch(/^0x02/);
  });

  it("replaces a stuck transaction with the same nonce and bumped fees, recording every hash", async () => {
    const log = new EventLog();
    const { sender: s, journal } = sender(2, log, { replaceAfterMs: 200 });
    const sent = s.send(step("stuck"));
    await log.waitFor("replaced", () => log.of("replaced").length >= 2);
    await mine();
    const outcome = await sent;
    const record = (await journal.get("stuck"))!;
    expect(record.attempts.length).toBeGreaterThanOrEqual(3);
    expect(new Set(record.attempts.map((a) => nonceOf(a.raw)))).toEqual(new Set([outcome.nonce]));
    expect(record.attempts.map((a) => a.hash)).toEqual(log.of("signed").map((e) => e.hash));
    // A replacement may be signed in the very poll in which an earlier attempt is mined: any attempt may land.
    expect(record.attempts.map((a) => a.hash)).toContain(outcome.hash);
    expect(record.inclusion?.hash).toBe(outcome.hash);
    for (let i = 1; i < record.attempts.length; i++) {
      const [prev, next] = [record.attempts[i - 1]!, record.attempts[i]!];
      expect(BigInt(next.maxFeePerGas) * 100n).toBeGreaterThanOrEqual(BigInt(prev.maxFeePerGas) * 110n);
      expect(BigInt(next.maxPriorityFeePerGas) * 100n).toBeGreaterThanOrEqual(BigInt(prev.maxPriorityFeePerGas) * 110n);
    }
  });

  it("stops bumping at the fee cap and reports it", async () => {
    const log = new EventLog();
    const market = BigInt((await rpc<{ baseFeePerGas: string[] }>(provider, "eth_feeHistory", ["0x1", "latest", []])).baseFeePerGas.at(-1)!);
    const cap = market * 2n;
    const { sender: s, journal } = sender(3, log, { replaceAfterMs: 100, fees: { maxFeePerGasCap: cap } });
    const sent = s.send(step("capped"));
    await log.waitFor("fee-cap-reached");
    await mine();
    await sent;
    const record = (await journal.get("capped"))!;
    expect(record.attempts.length).toBeGreaterThanOrEqual(2);
    for (const a of record.attempts) expect(BigInt(a.maxFeePerGas)).toBeLessThanOrEqual(cap);
  });

  it("replaces a transaction the node evicted after a base-fee spike (re-broadcast rejected as underpriced)", async () => {
    const log = new EventLog();
    const { sender: s, journal } = sender(4, log);
    const sent = s.send(step("spike"));
    const first = await log.waitFor("submitted");
    await rpc(provider, "anvil_setNextBlockBaseFeePerGas", [`0x${(50n * 10n ** 9n).toString(16)}`]);
    await mine();
    const replaced = await log.waitFor("replaced");
    expect(replaced).toMatchObject({ previousHash: first.hash, reason: "underpriced" });
    await log.waitFor("submitted", (e) => e.hash === replaced.hash);
    await mine();
    const outcome = await sent;
    expect(outcome.hash).toBe(replaced.hash);
    expect((await journal.get("spike"))!.attempts.map((a) => a.hash)).toEqual([first.hash, replaced.hash]);
  });

  it("re-broadcasts the same bytes when the transaction is dropped from the mempool", async () => {
    const log = new EventLog();
    const { sender: s } = sender(5, log);
    const sent = s.send(step("dropped"));
    const { hash } = await log.waitFor("submitted");
    await rpc(provider, "anvil_dropTransaction", [hash]);
    await log.waitFor("rebroadcast", (e) => e.reason === "dropped");
    await mine();
    const outcome = await sent;
    expect(outcome).toMatchObject({ hash, attempts: [hash] });
  });

  it("detects a reorg that removes the transaction's block, re-broadcasts it and confirms it on the new chain", async () => {
    const log = new EventLog();
    const { sender: s, journal } = sender(6, log, { confirmations: 3 });
    const snapshot = await rpc<string>(provider, "evm_snapshot");
    const sent = s.send(step("reorg"));
    await log.waitFor("submitted");
    await mine();
    const mined = await log.waitFor("mined");
    await rpc(provider, "evm_revert", [snapshot]);
    // A different block at the same height: another account's transfer.
    await devAccount(7, provider).sendTransaction({ to: SINK, value: 2n });
    await mine();
    expect((await provider.getBlock(mined.blockNumber))!.hash).not.toBe(mined.blockHash);
    await log.waitFor("reorged");
    await log.waitFor("rebroadcast", (e) => e.reason === "reorg");
    const miner = startMiner(provider);
    const outcome = await sent.finally(() => miner.stop());
    expect(outcome.hash).toBe(mined.hash);
    expect(outcome.blockHash).not.toBe(mined.blockHash);
    expect((await journal.get("reorg"))!).toMatchObject({ status: "CONFIRMED", reorgs: 1 });
  });

  it("gives 20 concurrent senders on one signer gap-free, duplicate-free nonces, even when some signings fail", async () => {
    const log = new EventLog();
    const wallet = devAccount(8, provider);
    const flaky = new FlakySigner(wallet, new Set([2, 7, 13]), provider);
    const nonceStore = new InMemoryNonceStore();
    const journal = new InMemoryTxJournal();
    const start = await provider.getTransactionCount(wallet.address, "pending");
    const miner = startMiner(provider);
    const worker = async (i: number) => {
      const s = new TxSender({ network: "devnet", provider, signer: flaky, nonceStore, journal, pollIntervalMs: 50, onEvent: log.listener });
      try {
        return await s.send(step(`worker-${i}`, `0x${i.toString(16).padStart(2, "0")}`));
      } catch (error) {
        if (!(error instanceof SigningFailedError)) throw error;
        return s.send(step(`worker-${i}`, `0x${i.toString(16).padStart(2, "0")}`));
      }
    };
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => worker(i))).finally(() => miner.stop());
    const nonces = outcomes.map((o) => o.nonce).sort((a, b) => a - b);
    expect(nonces).toEqual(Array.from({ length: 20 }, (_, i) => start + i));
    expect(await provider.getTransactionCount(wallet.address, "latest")).toBe(start + 20);
    expect(flaky.failures).toBe(3);
    expect(nonceStore.snapshot({ network: "devnet", signer: wallet.address })).toMatchObject({ released: [], outstanding: [] });
  });

  it("resumes after a crash between the journal write and the broadcast by sending the same bytes", async () => {
    const log = new EventLog();
    const journal = new InMemoryTxJournal();
    const wallet = devAccount(9, provider);
    const before = await provider.getTransactionCount(wallet.address, "pending");
    const crashing = sender(9, log, { journal: new CrashAfterWriteJournal(journal, (r) => r.version === 1) });
    await expect(crashing.sender.send(step("crash-1"))).rejects.toBeInstanceOf(JournalWriteFailedError);
    const record = (await journal.get("crash-1"))!;
    expect(record.status).toBe("SIGNED");
    expect(await provider.getTransactionCount(wallet.address, "pending")).toBe(before);

    const restarted = sender(9, log, { journal, nonceStore: new InMemoryNonceStore() });
    const resumed = restarted.sender.resume("crash-1");
    await log.waitFor("rebroadcast", (e) => e.reason === "resume");
    await mine();
    const outcome = await resumed;
    expect(outcome.hash).toBe(record.attempts[0]!.hash);
    expect(log.of("signed")).toHaveLength(0);
    expect(await provider.getTransactionCount(wallet.address, "latest")).toBe(before + 1);
  });

  it("resumes after a crash between the broadcast and the receipt by finding the receipt, signing nothing", async () => {
    const log = new EventLog();
    const journal = new InMemoryTxJournal();
    const wallet = devAccount(10, provider);
    const before = await provider.getTransactionCount(wallet.address, "pending");
    const crashing = sender(10, log, { journal, relay: new CrashAfterSubmitRelay(new PublicMempoolRelay({ provider })) });
    await expect(crashing.sender.send(step("crash-2"))).rejects.toBeInstanceOf(SimulatedCrash);
    const record = (await journal.get("crash-2"))!;
    await mine();

    const afterCrash = new EventLog();
    const restarted = sender(10, afterCrash, { journal, nonceStore: new InMemoryNonceStore() });
    const outcome = await restarted.sender.send(step("crash-2"));
    expect(outcome.hash).toBe(record.attempts[0]!.hash);
    expect(afterCrash.events.map((e) => e.type)).toEqual(["mined", "confirmed"]);
    expect(await provider.getTransactionCount(wallet.address, "latest")).toBe(before + 1);
  });

  it("refuses to resume when the journaled nonce was used by a transaction outside the journal", async () => {
    const log = new EventLog();
    const journal = new InMemoryTxJournal();
    const wallet = devAccount(15, provider);
    const crashing = sender(15, log, { journal: new CrashAfterWriteJournal(journal, (r) => r.version === 1) });
    await expect(crashing.sender.send(step("foreign"))).rejects.toBeInstanceOf(JournalWriteFailedError);
    const { nonce } = (await journal.get("foreign"))!;
    await wallet.sendTransaction({ to: SINK, value: 7n, nonce });
    await mine();
    const error = await sender(15, log, { journal }).sender.resume("foreign").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonceConsumedError);
    expect(log.of("signed")).toHaveLength(0);
    expect(await provider.getTransactionCount(wallet.address, "latest")).toBe(nonce + 1);
  });

  it("sends one transaction when the same step is triggered twice at once", async () => {
    const log = new EventLog();
    const journal = new InMemoryTxJournal();
    const nonceStore = new InMemoryNonceStore();
    const wallet = devAccount(11, provider);
    const before = await provider.getTransactionCount(wallet.address, "pending");
    const miner = startMiner(provider);
    const [a, b] = await Promise.all([sender(11, log, { journal, nonceStore }).sender.send(step("twice")), sender(11, log, { journal, nonceStore }).sender.send(step("twice"))]).finally(() => miner.stop());
    expect(a.hash).toBe(b.hash);
    expect(await provider.getTransactionCount(wallet.address, "latest")).toBe(before + 1);
    expect(nonceStore.snapshot({ network: "devnet", signer: wallet.address }).released).toEqual([before + 1]);
  });

  it("keeps the gas limit within the network's per-transaction limit, and refuses unsigned a call estimated above it", async () => {
    // Prepare: a plain transfer estimates 21,000 gas; its 20% margin would make 25,200
    const log = new EventLog();
    const { sender: capped } = sender(16, log, { maxTxGas: 22_000n, confirmations: 1 });
    const { sender: tooSmall, journal } = sender(16, new EventLog(), { maxTxGas: 20_000n });
    // Act
    const sent = capped.send(step("gas-capped"));
    const signed = await log.waitFor("signed");
    // Mined only once it is in the node's pool (automine is off): a block mined between signing and
    // submitting would be empty, and none would follow.
    await log.waitFor("submitted");
    await mine();
    await sent;
    const refused = await tooSmall.send(step("gas-over-limit")).catch((e: unknown) => e);
    // Assess
    expect(log.of("simulated")[0]!.gasLimit).toBe(22_000n);
    expect((await provider.getTransaction(signed.hash))!.gasLimit).toBe(22_000n);
    expect(refused).toBeInstanceOf(TxGasLimitExceededError);
    expect(refused).toMatchObject({ stepId: "gas-over-limit", estimatedGas: 21_000n, maxTxGas: 20_000n });
    expect(await journal.get("gas-over-limit")).toBeUndefined();
  });

  it("refuses to sign when the market fee exceeds the network's cap", async () => {
    const log = new EventLog();
    const { sender: s, journal } = sender(12, log, { fees: { maxFeePerGasCap: 1n } });
    await expect(s.send(step("over-cap"))).rejects.toBeInstanceOf(FeeCapExceededError);
    expect(await journal.get("over-cap")).toBeUndefined();
    expect(log.of("signed")).toHaveLength(0);
  });
});

describe("TxSender simulation against a deployed ManifestDispatcher", () => {
  let dispatcher: string;
  const router = new Contract(SINK, loadArtifact("ManifestDispatcher").abi as never[]);
  const activate = () => router.interface.encodeFunctionData("activateCommittedRoot", [[], [ZeroAddress, ZeroHash, "0x"]]);

  beforeAll(async () => {
    await automine(true);
    const admin = devAccount(0, provider);
    ({ address: dispatcher } = await deployDispatcherDeterministic(admin, loadArtifact("ManifestDispatcher"), devConfig(admin.address)));
    const roles = new Contract(dispatcher, loadArtifact("DispatcherAdminFacet").abi as never[], admin);
    await (await roles.getFunction("grantRole")(id("APPLY_ROLE"), devAccount(13, provider).address)).wait();
    await automine(false);
  });

  it("decodes NoPendingRoot and signs, reserves and sends nothing", async () => {
    const log = new EventLog();
    const { sender: s, journal, nonceStore } = sender(13, log);
    const error = await s.send({ stepId: "activate", to: dispatcher, data: activate() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimulationRevertedError);
    expect(error).toMatchObject({ errorName: "NoPendingRoot", stepId: "activate" });
    expect(await journal.get("activate")).toBeUndefined();
    expect((nonceStore as InMemoryNonceStore).snapshot({ network: "devnet", signer: devAccount(13, provider).address }).next).toBe(0);
    expect(await pooled()).toBe(0);
  });

  it("decodes AccessControlUnauthorizedAccount for a key without the role", async () => {
    const log = new EventLog();
    const outsider = devAccount(14, provider);
    const { sender: s } = sender(14, log);
    const error = (await s.send({ stepId: "activate-outsider", to: dispatcher, data: activate() }).catch((e: unknown) => e)) as UnauthorizedAccountError;
    expect(error).toBeInstanceOf(UnauthorizedAccountError);
    expect(error).toMatchObject({ errorName: "AccessControlUnauthorizedAccount", account: outsider.address, neededRole: id("APPLY_ROLE") });
    expect(error.message).toMatch(/grant it/);
    expect(await pooled()).toBe(0);
  });
});
