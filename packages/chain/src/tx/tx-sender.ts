/**
 * The transaction lifecycle of one signer on one network: simulate → estimate → fees → reserve nonce →
 * sign → write-ahead journal → submit → confirm. See {@link TxSender}.
 */
import { getAddress, Transaction, type TransactionRequest } from "ethers";
import type { NonceReservation, NonceStore } from "@payrox/core";
import { TxRecordStatus, type TxJournal, type TxRecord } from "@payrox/core";
import { JournalWriteFailedError, NetworkMismatchError, NothingToResumeError, SignerMismatchError, SigningFailedError, StepConflictError } from "../errors.js";
import { PublicMempoolRelay } from "../relay/public-mempool.js";
import { ConfirmationLoop } from "./confirmation.js";
import { dispatcherErrorInterface } from "./dispatcher-errors.js";
import { capInitialFees, suggestFees } from "./fees.js";
import { estimateGasWithMargin, simulateCall } from "./simulate.js";
import type { LifecycleContext, TxEvent, TxOutcome, TxSenderOptions, TxStep } from "./types.js";

/**
 * Sends steps for one signer on one network and follows each until it is final.
 *
 * Guarantees: a step id is signed into the journal once; its nonce never changes (replacements reuse it);
 * the signed bytes are journaled before any broadcast, so {@link TxSender.resume} after a crash re-broadcasts
 * them or finds their receipt. A nonce is released only when nothing was journaled with it.
 *
 * @example
 * const sender = new TxSender({ network: "ethereum", provider, signer, nonceStore, journal, confirmations: 3 });
 * const outcome = await sender.send({ stepId: "p1/ethereum/commit", to: dispatcher, data });
 */
export class TxSender {
  readonly #options: TxSenderOptions;
  readonly #nonces: NonceStore;
  readonly #journal: TxJournal;
  #context?: Promise<LifecycleContext>;

  constructor(options: TxSenderOptions) {
    if ((options.bumpPercent ?? 12) < 10) throw new RangeError(`bumpPercent must be at least 10, got ${options.bumpPercent}`);
    this.#options = options;
    this.#nonces = options.nonceStore;
    this.#journal = options.journal;
  }

  /** Sends the step (or, if it is journaled already, resumes it) and resolves once it is confirmed. */
  async send(step: TxStep): Promise<TxOutcome> {
    const ctx = await this.#ctx();
    const existing = await this.#journal.get(step.stepId);
    if (existing) {
      assertSameCall(existing, step);
      return this.#follow(ctx, existing, "resume");
    }
    const from = getAddress(await ctx.signer.getAddress());
    const call = { from, to: step.to, data: step.data, value: step.value ?? 0n };
    await simulateCall(ctx.provider, step.stepId, call, ctx.errors);
    const limit = this.#options.maxTxGas === undefined ? undefined : { network: ctx.network, maxTxGas: this.#options.maxTxGas };
    const gasLimit = step.gasLimit ?? (await estimateGasWithMargin(ctx.provider, step.stepId, call, ctx.errors, this.#options.gasMarginPercent ?? 20, limit));
    ctx.emit({ type: "simulated", stepId: step.stepId, network: ctx.network, gasLimit });
    const fees = capInitialFees(ctx.network, await suggestFees(ctx.provider, ctx.fees), ctx.fees);

    const reservation = await this.#nonces.reserve({
      network: ctx.network,
      signer: from,
      chainPendingNonce: () => ctx.provider.getTransactionCount(from, "pending"),
      holder: step.stepId,
      ...(this.#journal.findByNonce && { isJournaled: async (nonce: number) => (await this.#journal.findByNonce!(ctx.network, from, nonce)) !== undefined }),
    });
    const request: TransactionRequest = { type: 2, chainId: ctx.chainId, nonce: reservation.nonce, ...call, gasLimit, ...fees };
    let raw: string;
    try {
      raw = await ctx.signer.signTransaction(request);
    } catch (error) {
      await this.#nonces.release(reservation);
      throw new SigningFailedError(step.stepId, reservation.nonce, { cause: error });
    }
    const now = new Date().toISOString();
    const record: TxRecord = {
      stepId: step.stepId,
      network: ctx.network,
      chainId: ctx.chainId,
      from,
      nonce: reservation.nonce,
      attempts: [{ hash: Transaction.from(raw).hash!, raw, maxFeePerGas: String(fees.maxFeePerGas), maxPriorityFeePerGas: String(fees.maxPriorityFeePerGas), reason: "initial", signedAt: now }],
      status: TxRecordStatus.SIGNED,
      reorgs: 0,
      version: 1,
      updatedAt: now,
    };
    const winner = await this.#writeAhead(record, reservation);
    // A concurrent trigger of the same step won the write: watch its transaction, send nothing.
    if (winner) return this.#follow(ctx, winner, "observe");
    ctx.emit({ type: "signed", stepId: step.stepId, network: ctx.network, hash: record.attempts[0]!.hash, nonce: record.nonce, ...fees, reason: "initial" });
    return this.#follow(ctx, record, "send");
  }

  /**
   * Continues a journaled step after a crash or timeout: observes its receipt, or re-broadcasts the
   * journaled bytes (replacing them with the same nonce if they are stuck). Never takes a new nonce.
   */
  async resume(stepId: string): Promise<TxOutcome> {
    // The journal first: asking about a step that never signed anything needs no RPC (a cancel asks it of
    // every PROPOSED run).
    const record = await this.#journal.get(stepId);
    if (!record) throw new NothingToResumeError(stepId);
    return this.#follow(await this.#ctx(), record, "resume");
  }

  async #follow(ctx: LifecycleContext, record: TxRecord, mode: "send" | "resume" | "observe"): Promise<TxOutcome> {
    const signer = getAddress(await ctx.signer.getAddress());
    if (getAddress(record.from) !== signer) throw new SignerMismatchError(record.stepId, record.from, signer);
    if (record.network !== ctx.network || record.chainId !== ctx.chainId) {
      throw new NetworkMismatchError(record.stepId, `${record.network} (chain ${record.chainId})`, `${ctx.network} (chain ${ctx.chainId})`);
    }
    return new ConfirmationLoop(ctx, record).run(mode);
  }

  /**
   * Journals the signed transaction. Returns undefined when written, or the record another worker wrote
   * first (our nonce is then released: nothing was journaled or sent with it).
   */
  async #writeAhead(record: TxRecord, reservation: NonceReservation): Promise<TxRecord | undefined> {
    let result: Awaited<ReturnType<TxJournal["put"]>>;
    try {
      result = await this.#journal.put(record);
    } catch (error) {
      // Unknown outcome: look before deciding whether the nonce is ours to give back. If even the look
      // fails, keep the reservation outstanding: a gap is recoverable, a nonce used twice is not.
      const stored = await this.#journal.get(record.stepId).then((r) => ({ r }), () => undefined);
      // Ours, or a same-step worker's at our nonce (it took our reservation over): the nonce is used.
      if (stored?.r) await (stored.r.nonce === record.nonce ? this.#confirmUsed(reservation) : this.#nonces.release(reservation));
      throw new JournalWriteFailedError(record.stepId, record.nonce, { cause: error });
    }
    if (!result.ok) {
      // Another worker journaled this step first. With the same nonce (it took over this step's
      // reservation) the nonce is used by its transaction: never give it back.
      if (result.existing.nonce === reservation.nonce) await this.#confirmUsed(reservation);
      else await this.#nonces.release(reservation);
      return result.existing;
    }
    await this.#confirmUsed(reservation);
    return undefined;
  }

  /**
   * Confirms a reservation whose nonce the journal now holds. A reservation another worker of the same step
   * took over (reserving again after this one looked dead) is no longer outstanding: the nonce is used all
   * the same, so that refusal is not an error.
   */
  async #confirmUsed(reservation: NonceReservation): Promise<void> {
    try {
      await this.#nonces.confirm(reservation);
    } catch (error) {
      if (!/not outstanding/i.test((error as Error)?.message ?? "")) throw error;
    }
  }

  #ctx(): Promise<LifecycleContext> {
    return (this.#context ??= this.#buildContext());
  }

  async #buildContext(): Promise<LifecycleContext> {
    const o = this.#options;
    const { chainId } = await o.provider.getNetwork();
    const listener = o.onEvent;
    return {
      network: o.network,
      chainId: Number(chainId),
      provider: o.provider,
      signer: o.signer,
      journal: o.journal,
      relay: o.relay ?? new PublicMempoolRelay({ provider: o.provider }),
      errors: dispatcherErrorInterface(o.errorAbi),
      confirmations: o.confirmations ?? 1,
      fees: o.fees ?? {},
      bumpPercent: o.bumpPercent ?? 12,
      replaceAfterMs: o.replaceAfterMs ?? 120_000,
      replaceAfterBlocks: o.replaceAfterBlocks,
      voidAfterMs: o.voidAfterMs ?? 1_800_000,
      publicRelay: new PublicMempoolRelay({ provider: o.provider }),
      pollIntervalMs: o.pollIntervalMs ?? 1_000,
      timeoutMs: o.timeoutMs ?? 600_000,
      emit: (event: TxEvent) => {
        try {
          listener?.(event);
        } catch {
          // A failing progress listener must not abandon a transaction in flight.
        }
      },
    };
  }
}

function assertSameCall(record: TxRecord, step: TxStep): void {
  const tx = Transaction.from(record.attempts[0]!.raw);
  if (tx.to?.toLowerCase() !== step.to.toLowerCase()) throw new StepConflictError(record.stepId, `journaled to ${tx.to}, asked for ${step.to}`);
  if (tx.data.toLowerCase() !== step.data.toLowerCase()) throw new StepConflictError(record.stepId, "calldata differs");
  if (tx.value !== (step.value ?? 0n)) throw new StepConflictError(record.stepId, `value ${tx.value} journaled, ${step.value ?? 0n} asked`);
}
