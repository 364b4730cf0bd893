/**
 * The watchdog's chain watcher: reads each network's dispatcher events from the block after its cursor
 * (one per network in the store) up to the last block with the network's confirmations, and raises one
 * alert per privileged event PayRox did not cause (out-of-band.ts says which type and severity).
 *
 * It never skips a block: the cursor moves only past a range that was read whole; a range the provider
 * refuses as too large (block-range or result-count caps, worded differently by each provider: the event
 * source throws LogRangeRefusedError) is read again in halves; an RPC error ends the sweep with the cursor
 * after the last range read, so the next sweep resumes there — after any downtime. A reorg deeper than
 * the confirmations (the cursor's block no longer canonical) steps back `reorgDepth` blocks and re-reads.
 * Re-reading, overlapping sweeps and duplicate invocations never repeat an alert: the alert sink dedupes by
 * incident, and an incident's key is the transaction hash and the event's content, not its block.
 *
 * "PayRox did not cause it" is decided by PayRox's own records, not by the sender: a transaction is
 * PayRox's when its hash is in the write-ahead journal (every transaction PayRox broadcasts is journaled
 * first) or in the audit trail. A transaction from PayRox's signer address that neither knows is an alert —
 * the signer key was used outside PayRox. Only without a journal lookup (`monitoring.journaledTxs`) does
 * the sender count as proof, which can't see a stolen key.
 *
 * Under an approval policy every `RootCommitted` — PayRox's own too — must also have a verified quorum
 * behind it, or it raises `commit-without-quorum` (commit-quorum.ts).
 */
import { narrowedSpan, planScan, resolveWatchOptions, type ResolvedChainWatchOptions } from "../alerts/chain-events.js";
import { outOfBandTransactionAlerts } from "../alerts/out-of-band.js";
import type { ChainCursorStore, DispatcherEvent, DispatcherEventSource, JournaledTxLookup } from "../alerts/ports.js";
import { LogRangeRefusedError } from "../errors.js";
import { raise, type SchedulerDeps } from "./deps.js";
import { CommitQuorumCheck } from "./commit-quorum.js";

/** What one sweep did on one network. */
export type ChainWatchReport =
  | {
      network: string;
      ok: true;
      /** The range planned; `to` is where the cursor now stands (below the plan's end only when the chain moved under the sweep). */
      from: number;
      to: number;
      reorged: boolean;
      events: number;
      /** Alerts raised for events PayRox did not cause (before the sink's dedupe). */
      outOfBand: number;
      /** `commit-without-quorum` alerts raised (before the sink's dedupe). */
      withoutQuorum: number;
      /** Ranges the provider refused and the sweep read again in halves. */
      splits: number;
    }
  | { network: string; ok: false; error: string };

/**
 * Watches every network the event source reads.
 * @param auditedTxHashes hashes of transactions in PayRox's audit trail (lower-case), PayRox's own besides the journaled ones
 */
export async function watchChain(deps: SchedulerDeps, events: DispatcherEventSource, cursors: ChainCursorStore, auditedTxHashes: ReadonlySet<string>): Promise<ChainWatchReport[]> {
  const reports: ChainWatchReport[] = [];
  // One check per sweep: a proposal committed on many networks is read, and its quorum verified, once.
  const quorum = new CommitQuorumCheck(deps, deps.monitoring?.journaledTxs);
  for (const network of events.networks()) {
    try {
      reports.push(await watchNetwork(deps, events, cursors, network, auditedTxHashes, quorum));
    } catch (error) {
      reports.push({ network, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return reports;
}

async function watchNetwork(deps: SchedulerDeps, events: DispatcherEventSource, cursors: ChainCursorStore, network: string, audited: ReadonlySet<string>, quorum: CommitQuorumCheck): Promise<ChainWatchReport> {
  const options = resolveWatchOptions(deps.monitoring?.watch ?? {});
  const head = await events.head(network);
  const cursor = await cursors.get(network);
  const canonical = cursor && (await events.blockHash(network, cursor.blockNumber));
  const plan = planScan(cursor, canonical, head, options, deps.networks(network)?.confirmations ?? 1);
  const ownership = new Ownership(network, audited, deps.monitoring?.journaledTxs, await events.ownSenders(network));
  const report = { network, ok: true as const, from: plan.from, to: plan.from - 1, reorged: plan.reorged, events: 0, outOfBand: 0, withoutQuorum: 0, splits: 0 };
  let span = options.maxBlockRange;
  while (report.to < plan.to) {
    const from = report.to + 1;
    const end = Math.min(plan.to, from + span - 1);
    const read = await readRange(events, network, from, end);
    if (read === "refused") {
      span = narrowedSpan(from, end) ?? span;
      report.splits++;
      continue;
    }
    if (read === "moved") break;
    report.events += read.logs.length;
    // Every commit, PayRox's own included, against the approval policy.
    for (const log of read.logs) {
      const draft = await quorum.check(log);
      if (!draft) continue;
      report.withoutQuorum++;
      await raise(deps, draft);
    }
    for (const txEvents of byTransaction(read.logs)) {
      const origin = await ownership.outside(txEvents[0]!);
      if (!origin) continue;
      for (const draft of outOfBandTransactionAlerts(txEvents, origin)) {
        report.outOfBand++;
        await raise(deps, draft);
      }
    }
    // Only after every alert of the range was raised (a failed delivery throws: the range is read again).
    await cursors.put({ network, blockNumber: end, blockHash: read.endHash, updatedAtMs: deps.clock.now() });
    report.to = end;
  }
  return report;
}

type RangeRead = { logs: DispatcherEvent[]; endHash: string } | "refused" | "moved";

/**
 * The events of `[from, end]` and the hash of `end`, or "moved" when the chain changed under the read (the
 * block is gone or was replaced: the next sweep re-reads), or "refused" when the provider refused the range
 * and it can be split.
 */
async function readRange(events: DispatcherEventSource, network: string, from: number, end: number): Promise<RangeRead> {
  const endHash = await events.blockHash(network, end);
  if (!endHash) return "moved";
  let logs: DispatcherEvent[];
  try {
    logs = await events.getLogs(network, from, end);
  } catch (error) {
    if (error instanceof LogRangeRefusedError && narrowedSpan(from, end) !== undefined) return "refused";
    throw error;
  }
  if ((await events.blockHash(network, end)) !== endHash) return "moved";
  if (logs.some((log) => log.blockNumber === end && log.blockHash.toLowerCase() !== endHash.toLowerCase())) return "moved";
  return { logs, endHash };
}

/** The events grouped by transaction, transactions and events in chain order. */
function byTransaction(logs: readonly DispatcherEvent[]): DispatcherEvent[][] {
  const groups = new Map<string, DispatcherEvent[]>();
  for (const log of logs) {
    const key = log.txHash.toLowerCase();
    const group = groups.get(key);
    if (group) group.push(log);
    else groups.set(key, [log]);
  }
  return [...groups.values()];
}

/** Tells PayRox's transactions from everyone else's on one network (see the module comment). */
class Ownership {
  readonly #senders: ReadonlySet<string>;
  readonly #known = new Map<string, boolean>();

  constructor(
    private readonly network: string,
    private readonly audited: ReadonlySet<string>,
    private readonly journal: JournaledTxLookup | undefined,
    senders: readonly string[],
  ) {
    this.#senders = new Set(senders.map((s) => s.toLowerCase()));
  }

  /** How `event`'s transaction relates to PayRox when PayRox did not cause it; undefined when it did. */
  async outside(event: DispatcherEvent): Promise<{ fromPayRoxSigner: boolean } | undefined> {
    const fromPayRoxSigner = this.#senders.has(event.from.toLowerCase());
    if (await this.#isOwn(event.txHash.toLowerCase(), fromPayRoxSigner)) return undefined;
    return { fromPayRoxSigner };
  }

  async #isOwn(txHash: string, fromPayRoxSigner: boolean): Promise<boolean> {
    if (this.audited.has(txHash)) return true;
    if (!this.journal) return fromPayRoxSigner;
    let own = this.#known.get(txHash);
    if (own === undefined) {
      own = (await this.journal.findByTxHash(this.network, txHash)) !== undefined;
      this.#known.set(txHash, own);
    }
    return own;
  }
}
