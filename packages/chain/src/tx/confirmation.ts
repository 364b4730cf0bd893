/**
 * Follows one journaled step until it is final: submits, re-broadcasts the same bytes when they are
 * dropped or reorged out, replaces them (same nonce, bumped fees) when stuck, and counts confirmations.
 */
import { Transaction, type TransactionReceipt } from "ethers";
import { RelayState, type Relay, type RelaySubmission } from "@payrox/core";
import { TxRecordStatus, type TxAttempt, type TxRecord } from "@payrox/core";
import { BroadcastRejectedError, BundleSimulationRevertedError, JournalConflictError, NonceConsumedError, RelayRefusedError, RelayUnavailableError, TxConfirmationTimeoutError } from "../errors.js";
import { RpcFailoverError } from "../failover/errors.js";
import { bumpFees, suggestFees } from "./fees.js";
import type { LifecycleContext, RebroadcastReason, TxOutcome } from "./types.js";

/** Looks at the chain every poll interval until the step's transaction has the network's confirmations. */
export class ConfirmationLoop {
  #record: TxRecord;
  #submission?: RelaySubmission;
  /** The relay that took {@link #submission} (the policy's, or the public mempool for a void). */
  #submissionRelay?: Relay;
  /** When (wall clock, block) the current attempt was first submitted: the clock of "stuck". */
  #attemptSince?: { ms: number; block: number };
  #capReachedFor?: string;
  /** Polls in a row that saw the nonce used without a receipt of ours (guards against a lagging receipt index). */
  #foreignSightings = 0;

  constructor(
    private readonly ctx: LifecycleContext,
    record: TxRecord,
  ) {
    this.#record = record;
  }

  /**
   * Runs until confirmed. `send`: the bytes were just journaled, submit them. `resume`: they may or may not
   * have been broadcast. `observe`: another worker owns the step (it won the journal write); only watch
   * the journal and the chain, never submit, replace or write.
   */
  async run(mode: "send" | "resume" | "observe"): Promise<TxOutcome> {
    const deadline = Date.now() + this.ctx.timeoutMs;
    if (mode === "send") await this.#submit(undefined);
    for (;;) {
      let outcome: TxOutcome | undefined;
      try {
        outcome = mode === "observe" ? await this.#observe() : await this.#poll(mode === "resume");
      } catch (error) {
        // An RPC blip must not abandon a transaction in flight: look again on the next poll.
        if (!isTransient(error)) throw error;
      }
      if (outcome) return outcome;
      if (Date.now() > deadline) throw new TxConfirmationTimeoutError(this.#record.stepId, this.#hashes(), this.ctx.timeoutMs);
      await sleep(this.ctx.pollIntervalMs);
    }
  }

  async #poll(resumed: boolean): Promise<TxOutcome | undefined> {
    const { provider } = this.ctx;
    const [head, used] = await Promise.all([provider.getBlockNumber(), provider.getTransactionCount(this.#record.from, "latest")]);
    const receipt = await this.#canonicalReceipt();
    if (receipt) return this.#onReceipt(receipt, head);

    const inclusion = this.#record.inclusion;
    if (inclusion) {
      this.#emit({ type: "reorged", hash: inclusion.hash, blockNumber: inclusion.blockNumber, blockHash: inclusion.blockHash });
      await this.#save({ status: TxRecordStatus.SUBMITTED, inclusion: undefined, reorgs: this.#record.reorgs + 1 });
      await this.#submit("reorg");
      return undefined;
    }
    if (used > this.#record.nonce) {
      if (++this.#foreignSightings >= 2) throw new NonceConsumedError(this.#record.stepId, this.#record.from, this.#record.nonce, this.ctx.network);
      return undefined;
    }
    this.#foreignSightings = 0;
    // A lower nonce of the signer is not mined: our transaction waits behind it, and voiding ours would not help.
    if (used < this.#record.nonce) {
      await this.#unblock(used);
      return undefined;
    }
    const unminedMs = Date.now() - Date.parse(this.#record.attempts[0]!.signedAt);
    if (this.#current().reason !== "void" && unminedMs >= this.ctx.voidAfterMs) {
      await this.#void(`not included ${Math.round(unminedMs / 1000)} s after it was signed (deadline ${Math.round(this.ctx.voidAfterMs / 1000)} s)`);
      return undefined;
    }
    if (!this.#submission) {
      await this.#submit(resumed ? "resume" : "retry");
      return undefined;
    }
    const status = await (this.#submissionRelay ?? this.ctx.relay).status(this.#submission);
    if (status.state === RelayState.DROPPED || status.state === RelayState.EXPIRED) {
      await this.#submit(status.state === RelayState.DROPPED ? "dropped" : "expired");
    } else if (status.state === RelayState.PENDING && this.#isStuck(head)) {
      await this.#replace("stuck");
    }
    return undefined;
  }

  /** One look as an observer: the owner's latest record, and whether one of its attempts is final. */
  async #observe(): Promise<TxOutcome | undefined> {
    this.#record = (await this.ctx.journal.get(this.#record.stepId)) ?? this.#record;
    const [head, receipt] = await Promise.all([this.ctx.provider.getBlockNumber(), this.#canonicalReceipt()]);
    if (!receipt || head - receipt.blockNumber + 1 < this.ctx.confirmations) return undefined;
    return this.#outcome(receipt, head - receipt.blockNumber + 1);
  }

  /** The receipt of any attempt (newest first) whose block is still the canonical one at its height. */
  async #canonicalReceipt(): Promise<TransactionReceipt | undefined> {
    for (const attempt of [...this.#record.attempts].reverse()) {
      const receipt = await this.ctx.provider.getTransactionReceipt(attempt.hash);
      if (!receipt) continue;
      const block = await this.ctx.provider.getBlock(receipt.blockNumber);
      if (block?.hash === receipt.blockHash) return receipt;
    }
    return undefined;
  }

  async #onReceipt(receipt: TransactionReceipt, head: number): Promise<TxOutcome | undefined> {
    const previous = this.#record.inclusion;
    const confirmations = head - receipt.blockNumber + 1;
    const final = confirmations >= this.ctx.confirmations;
    if (previous && (previous.blockHash !== receipt.blockHash || previous.hash !== receipt.hash)) {
      // The block we saw it in was replaced, and the transaction landed again elsewhere.
      this.#emit({ type: "reorged", hash: previous.hash, blockNumber: previous.blockNumber, blockHash: previous.blockHash });
    }
    const moved = !previous || previous.blockHash !== receipt.blockHash || previous.hash !== receipt.hash;
    if (moved || (final && this.#record.status !== TxRecordStatus.CONFIRMED)) {
      const reorgs = this.#record.reorgs + (previous && moved ? 1 : 0);
      const inclusion = { hash: receipt.hash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, status: receipt.status ?? 1, gasUsed: String(receipt.gasUsed) };
      await this.#save({ status: final ? TxRecordStatus.CONFIRMED : TxRecordStatus.MINED, inclusion, reorgs });
      if (moved) this.#emit({ type: "mined", hash: receipt.hash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash });
    }
    if (!final) return undefined;
    return this.#outcome(receipt, confirmations);
  }

  #outcome(receipt: TransactionReceipt, confirmations: number): TxOutcome {
    const landed = this.#record.attempts.find((a) => a.hash.toLowerCase() === receipt.hash.toLowerCase());
    const voided = landed?.reason === "void";
    const status = voided ? "voided" : receipt.status === 0 ? "reverted" : "success";
    this.#emit({ type: "confirmed", hash: receipt.hash, blockNumber: receipt.blockNumber, confirmations, status: receipt.status === 0 ? "reverted" : "success" });
    return {
      stepId: this.#record.stepId,
      network: this.ctx.network,
      hash: receipt.hash,
      nonce: this.#record.nonce,
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash,
      status,
      ...(voided && { voidReason: landed.voidReason ?? "never includable" }),
      gasUsed: receipt.gasUsed,
      attempts: this.#hashes(),
      record: structuredClone(this.#record),
    };
  }

  /**
   * Submits the current attempt (`reason` undefined for its first submission). An "underpriced" rejection
   * is answered with a replacement, at most one per call chain, so fees rise at most once per poll.
   */
  async #submit(reason: RebroadcastReason | undefined, mayReplace = true): Promise<void> {
    const attempt = this.#current();
    const { ctx } = this;
    const relay = attempt.reason === "void" ? ctx.publicRelay : ctx.relay;
    let submission: RelaySubmission;
    try {
      submission = await relay.submit({ network: ctx.network, signedTransactions: [attempt.raw] });
    } catch (error) {
      if (error instanceof BroadcastRejectedError && error.rejection === "underpriced" && mayReplace) return this.#replace("underpriced");
      // The nonce is used: the next poll finds our receipt, or reports the foreign transaction. Relays
      // say so in their own words (a bundle simulation: "nonce too low") when an earlier submission of
      // these very bytes landed after the last look at the chain.
      if (error instanceof BroadcastRejectedError && error.rejection === "nonce-too-low") return;
      if (error instanceof RelayUnavailableError && error.failures.length > 0 && error.failures.every((f) => /nonce too low/i.test(f.reason))) return;
      // A relay that simulates it says it reverts: if the chain agrees (the call reverts at the latest
      // block), these bytes can never land — free the nonce now rather than at the deadline.
      if (attempt.reason !== "void" && (error instanceof BundleSimulationRevertedError || error instanceof RelayUnavailableError || error instanceof RelayRefusedError)) {
        const revert = await this.#revertsNow(attempt);
        if (revert !== undefined) {
          await this.#void(`the relay's simulation reverts (${error.message.slice(0, 300)}) and so does the call at the latest block (${revert})`);
          return;
        }
      }
      // A single relay's hiccup is retried on the next poll; everything else needs the operator.
      const retryable = error instanceof RelayRefusedError || isTransient(error) || (error instanceof BroadcastRejectedError && error.rejection === "underpriced");
      if (!retryable) throw error;
      this.#submission = undefined;
      this.#emit({ type: "submit-failed", hash: attempt.hash, reason: error instanceof Error ? error.message : String(error) });
      return;
    }
    this.#submission = submission;
    this.#submissionRelay = relay;
    if (!this.#attemptSince) this.#attemptSince = { ms: Date.now(), block: submission.submittedAtBlock };
    if (reason) this.#emit({ type: "rebroadcast", hash: attempt.hash, reason });
    this.#emit({ type: "submitted", hash: attempt.hash, relay: submission.relay, submissionId: submission.id });
    for (const f of submission.fallbacks ?? []) this.#emit({ type: "relay-fallback", hash: attempt.hash, from: f.from, to: f.to, reason: f.reason });
    const fallback = submission.fallbacks?.at(-1);
    await this.#save({
      status: this.#record.status === TxRecordStatus.SIGNED ? TxRecordStatus.SUBMITTED : this.#record.status,
      lastSubmission: {
        relay: submission.relay,
        ...(fallback ? { fallbackFrom: fallback.from, fallbackReason: fallback.reason } : {}),
        at: new Date().toISOString(),
      },
    });
  }

  /** Signs the same transaction with the same nonce and bumped fees, journals it, then submits it. */
  async #replace(reason: "stuck" | "underpriced"): Promise<void> {
    const { ctx } = this;
    const current = this.#current();
    const previous = { maxFeePerGas: BigInt(current.maxFeePerGas), maxPriorityFeePerGas: BigInt(current.maxPriorityFeePerGas) };
    const market = await suggestFees(ctx.provider, ctx.fees);
    const fees = bumpFees(previous, market, { ...ctx.fees, bumpPercent: ctx.bumpPercent });
    if (!fees) {
      if (this.#capReachedFor !== current.hash) this.#emit({ type: "fee-cap-reached", hash: current.hash });
      this.#capReachedFor = current.hash;
      this.#attemptSince = { ms: Date.now(), block: await ctx.provider.getBlockNumber() };
      return;
    }
    const tx = Transaction.from(current.raw);
    const raw = await ctx.signer.signTransaction({
      type: 2, chainId: ctx.chainId, nonce: this.#record.nonce, to: tx.to, data: tx.data, value: tx.value, gasLimit: tx.gasLimit, ...fees,
    });
    const attempt: TxAttempt = {
      hash: Transaction.from(raw).hash!, raw, maxFeePerGas: String(fees.maxFeePerGas), maxPriorityFeePerGas: String(fees.maxPriorityFeePerGas),
      // A stuck void is replaced by a void: the step's call is not signed again.
      ...(current.reason === "void" ? { reason: "void" as const, ...(current.voidReason !== undefined && { voidReason: current.voidReason }) } : { reason: "replacement" as const }),
      signedAt: new Date().toISOString(),
    };
    // Write-ahead: the replacement is journaled before any node sees it.
    await this.#save({ attempts: [...this.#record.attempts, attempt] });
    this.#emit({ type: "signed", hash: attempt.hash, nonce: this.#record.nonce, ...fees, reason: "replacement" });
    this.#emit({ type: "replaced", previousHash: current.hash, hash: attempt.hash, ...fees, reason });
    this.#submission = undefined;
    this.#attemptSince = undefined;
    await this.#submit(undefined, false);
  }

  /**
   * Frees the nonce of a transaction that can never be included: signs a 0-value self-transfer at the same
   * nonce (21,000 gas, fees bumped over the current attempt so a node takes it as a replacement; the fee
   * cap does not hold it back — its cost is bounded by its 21,000 gas), journals it as a `void` attempt
   * before sending it to the public mempool (it reveals nothing). Every attempt stays watched: if the
   * original lands after all, the step succeeded; if the void lands, the step's call did not happen.
   */
  async #void(reason: string): Promise<void> {
    const { ctx } = this;
    const current = this.#current();
    const previous = { maxFeePerGas: BigInt(current.maxFeePerGas), maxPriorityFeePerGas: BigInt(current.maxPriorityFeePerGas) };
    const market = await suggestFees(ctx.provider, ctx.fees);
    const fees = bumpFees(previous, market, { ...ctx.fees, bumpPercent: ctx.bumpPercent }) ?? bumpFees(previous, market, { bumpPercent: ctx.bumpPercent })!;
    const raw = await ctx.signer.signTransaction({ type: 2, chainId: ctx.chainId, nonce: this.#record.nonce, to: this.#record.from, value: 0n, data: "0x", gasLimit: 21_000n, ...fees });
    const attempt: TxAttempt = {
      hash: Transaction.from(raw).hash!, raw, maxFeePerGas: String(fees.maxFeePerGas), maxPriorityFeePerGas: String(fees.maxPriorityFeePerGas),
      reason: "void", voidReason: reason, signedAt: new Date().toISOString(),
    };
    // Write-ahead, like every attempt: journaled before any node sees it.
    await this.#save({ attempts: [...this.#record.attempts, attempt] });
    this.#emit({ type: "signed", hash: attempt.hash, nonce: this.#record.nonce, ...fees, reason: "replacement" });
    this.#emit({ type: "voided", previousHash: current.hash, hash: attempt.hash, reason });
    this.#submission = undefined;
    this.#submissionRelay = undefined;
    this.#attemptSince = undefined;
    await this.#submit(undefined, true);
  }

  /**
   * Frees the lowest unmined nonce of the signer when the journal holds a transaction there that nobody
   * follows to its end any more (a best-effort step gave up on it, its run ended): past the network's void
   * deadline it is resumed here — re-broadcast, or voided by a no-op at its nonce — until it is final. A
   * nonce the journal does not know (used outside PayRox, or not broadcast yet) is left to its owner.
   */
  async #unblock(nonce: number): Promise<void> {
    const stepId = await this.ctx.journal.findByNonce?.(this.ctx.network, this.#record.from, nonce);
    const blocker = stepId === undefined ? undefined : await this.ctx.journal.get(stepId);
    if (!blocker || blocker.status === TxRecordStatus.CONFIRMED || blocker.stepId === this.#record.stepId) return;
    if (Date.now() - Date.parse(blocker.attempts[0]!.signedAt) < this.ctx.voidAfterMs) return;
    this.#emit({ type: "unblocking", blockerStepId: blocker.stepId, nonce });
    try {
      await new ConfirmationLoop(this.ctx, blocker).run("resume");
    } catch (error) {
      // Its owner is following it after all (a journal write race), or the chain hiccuped: look again next poll.
      if (!(error instanceof JournalConflictError) && !isTransient(error) && !(error instanceof TxConfirmationTimeoutError)) throw error;
    }
  }

  /** The revert of `attempt`'s call at the latest block (eth_call from the signer), or undefined when it passes. */
  async #revertsNow(attempt: TxAttempt): Promise<string | undefined> {
    const tx = Transaction.from(attempt.raw);
    try {
      await this.ctx.provider.call({ from: this.#record.from, to: tx.to, data: tx.data, value: tx.value, blockTag: "latest" });
      return undefined;
    } catch (error) {
      if ((error as { code?: string })?.code !== "CALL_EXCEPTION") return undefined;
      const data = (error as { data?: string }).data;
      try {
        const parsed = data ? this.ctx.errors.parseError(data) : null;
        if (parsed) return parsed.name;
      } catch {
        // undecodable: the raw data says enough
      }
      return data && data !== "0x" ? data.slice(0, 74) : "execution reverted";
    }
  }

  #isStuck(head: number): boolean {
    const since = this.#attemptSince;
    if (!since) return false;
    if (Date.now() - since.ms >= this.ctx.replaceAfterMs) return true;
    return this.ctx.replaceAfterBlocks !== undefined && head - since.block >= this.ctx.replaceAfterBlocks;
  }

  async #save(patch: Partial<TxRecord>): Promise<void> {
    const next: TxRecord = { ...this.#record, ...patch, version: this.#record.version + 1, updatedAt: new Date().toISOString() };
    if (next.inclusion === undefined) delete next.inclusion;
    const result = await this.ctx.journal.put(next);
    if (!result.ok) throw new JournalConflictError(next.stepId, this.#record.version, result.existing.version);
    this.#record = next;
  }

  #current(): TxAttempt {
    return this.#record.attempts[this.#record.attempts.length - 1]!;
  }

  #hashes(): string[] {
    return this.#record.attempts.map((a) => a.hash);
  }

  #emit(event: DistributiveOmit<Parameters<LifecycleContext["emit"]>[0], "stepId" | "network">): void {
    this.ctx.emit({ ...event, stepId: this.#record.stepId, network: this.ctx.network } as Parameters<LifecycleContext["emit"]>[0]);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Network-level failures (timeouts, refused connections) that a later poll may not see again; with several
 * endpoints, all of them down or a quorum not (yet) met — e.g. one endpoint has the receipt, another not yet.
 */
function isTransient(error: unknown): boolean {
  if (error instanceof RpcFailoverError) return true;
  const code = (error as { code?: string })?.code;
  return code === "TIMEOUT" || code === "NETWORK_ERROR" || code === "SERVER_ERROR" || code === "ECONNREFUSED" || code === "ECONNRESET";
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
