/**
 * The watchdog's chain watcher: reads each network's dispatcher events since the block it last saw (a
 * cursor per network in the store), in bounded ranges, and raises a critical `unauthorized` alert for
 * every event in a transaction PayRox did not send (a chunked cancel's CancelStarted / RoutesUnstaged /
 * RootCancelled are one incident, see `outOfBandEventRule`). A reorg (the cursor's block no longer canonical)
 * steps back and re-reads; an RPC error leaves the cursor where it was for the next sweep. Re-reading
 * never repeats an alert: the alert sink dedupes by incident.
 */
import { blockRanges, outOfBandEventRule, planScan, resolveWatchOptions } from "../alerts/chain-events.js";
import type { ChainCursorStore, DispatcherEventSource } from "../alerts/ports.js";
import { raise, type SchedulerDeps } from "./deps.js";

/** What one sweep did on one network. */
export type ChainWatchReport =
  | { network: string; ok: true; from: number; to: number; reorged: boolean; events: number; unauthorized: number }
  | { network: string; ok: false; error: string };

/**
 * Watches every network the event source reads.
 * @param ownTxHashes hashes of transactions PayRox recorded (lower-case), besides those from its signers
 */
export async function watchChain(deps: SchedulerDeps, events: DispatcherEventSource, cursors: ChainCursorStore, ownTxHashes: ReadonlySet<string>): Promise<ChainWatchReport[]> {
  const reports: ChainWatchReport[] = [];
  for (const network of events.networks()) {
    try {
      reports.push(await watchNetwork(deps, events, cursors, network, ownTxHashes));
    } catch (error) {
      reports.push({ network, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return reports;
}

async function watchNetwork(deps: SchedulerDeps, events: DispatcherEventSource, cursors: ChainCursorStore, network: string, txHashes: ReadonlySet<string>): Promise<ChainWatchReport> {
  const options = resolveWatchOptions(deps.monitoring?.watch ?? {});
  const head = await events.head(network);
  const cursor = await cursors.get(network);
  const canonical = cursor && (await events.blockHash(network, cursor.blockNumber));
  const plan = planScan(cursor, canonical, head, options);
  const own = { senders: new Set((await events.ownSenders(network)).map((a) => a.toLowerCase())), txHashes };
  let seen = 0;
  let unauthorized = 0;
  let to = plan.from - 1;
  for (const [from, end] of blockRanges(plan.from, plan.to, options.maxBlockRange)) {
    const endHash = await events.blockHash(network, end);
    if (!endHash) break;
    const logs = await events.getLogs(network, from, end);
    // The range changed under us (reorg while reading): leave the cursor; the next sweep re-reads.
    if ((await events.blockHash(network, end)) !== endHash) break;
    const ordinals = new Map<string, number>();
    for (const event of logs) {
      const key = `${event.txHash}:${event.name}`;
      const ordinal = ordinals.get(key) ?? 0;
      ordinals.set(key, ordinal + 1);
      seen++;
      const draft = outOfBandEventRule(event, own, ordinal);
      if (!draft) continue;
      unauthorized++;
      await raise(deps, draft);
    }
    await cursors.put({ network, blockNumber: end, blockHash: endHash, updatedAtMs: deps.clock.now() });
    to = end;
  }
  return { network, ok: true, from: plan.from, to, reorged: plan.reorged, events: seen, unauthorized };
}
