/**
 * The chain watcher's pure parts: which block range a sweep reads next (bounded, stepping back on a
 * reorg), and which dispatcher events PayRox did not send (critical `unauthorized` alerts).
 */
import { AlertRuleInputError } from "../errors.js";
import type { BlockRef, ChainCursor, DispatcherEvent } from "./ports.js";
import { AlertType, type AlertDraft } from "./types.js";

/** Tunables of the chain watcher; every field has a default. */
export interface ChainWatchOptions {
  /** Most blocks one `getLogs` call covers (RPC providers cap ranges, often at 1,000–10,000). @default 1_000 */
  maxBlockRange?: number;
  /** Most blocks one sweep reads per network; the rest waits for the next sweep. @default 10_000 */
  maxBlocksPerSweep?: number;
  /** Without a cursor, how far behind the head the first sweep starts. @default 1_000 */
  initialLookbackBlocks?: number;
  /** How far a sweep steps back when the cursor's block is no longer canonical. @default 64 */
  reorgDepth?: number;
}

/** Defaults of {@link ChainWatchOptions}. */
export const CHAIN_WATCH_DEFAULTS = {
  maxBlockRange: 1_000,
  maxBlocksPerSweep: 10_000,
  initialLookbackBlocks: 1_000,
  reorgDepth: 64,
} as const satisfies Required<ChainWatchOptions>;

/** What a sweep reads next: `[from, to]` (empty when `from > to`), and whether it stepped back. */
export interface ScanPlan {
  from: number;
  to: number;
  reorged: boolean;
}

/**
 * The next range to read. Without a cursor: from `head - initialLookbackBlocks`. With one whose block is
 * still canonical: from the block after it. Reorged (the canonical hash differs): from `reorgDepth`
 * blocks before it (re-reading is safe: alerts are deduped). Never more than `maxBlocksPerSweep` blocks.
 * @throws AlertRuleInputError on a non-positive option
 */
export function planScan(cursor: ChainCursor | undefined, canonicalHashAtCursor: string | undefined, head: BlockRef, options: ChainWatchOptions = {}): ScanPlan {
  const o = resolveWatchOptions(options);
  let from: number;
  let reorged = false;
  if (!cursor) from = Math.max(0, head.number - o.initialLookbackBlocks + 1);
  else if (canonicalHashAtCursor !== undefined && canonicalHashAtCursor.toLowerCase() === cursor.blockHash.toLowerCase()) from = cursor.blockNumber + 1;
  else {
    reorged = true;
    from = Math.max(0, cursor.blockNumber - o.reorgDepth + 1);
  }
  return { from, to: Math.min(head.number, from + o.maxBlocksPerSweep - 1), reorged };
}

/** Splits `[from, to]` into ranges of at most `maxBlockRange` blocks. */
export function blockRanges(from: number, to: number, maxBlockRange: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let start = from; start <= to; start += maxBlockRange) ranges.push([start, Math.min(to, start + maxBlockRange - 1)]);
  return ranges;
}

/** Options with their defaults, validated. */
export function resolveWatchOptions(options: ChainWatchOptions): Required<ChainWatchOptions> {
  const resolved = { ...CHAIN_WATCH_DEFAULTS, ...options };
  for (const [field, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new AlertRuleInputError(field, `must be a positive integer, got ${value}`);
  }
  return resolved;
}

/** What PayRox sent on a network: its signers' addresses and the transaction hashes of its audit trail. */
export interface OwnTransactions {
  senders: ReadonlySet<string>;
  txHashes: ReadonlySet<string>;
}

/**
 * The events of one chunked cancel (`CancelStarted`, `RoutesUnstaged` per chunk, `RootCancelled`): a cancel
 * PayRox did not send is one incident, however many chunks and transactions it took.
 */
export const CANCEL_EVENTS: ReadonlySet<string> = new Set(["CancelStarted", "RoutesUnstaged", "RootCancelled"]);

/**
 * Unauthorized: a dispatcher event (role grant/revoke, pause, commit, activation, a cancel, a scheduled
 * delay change, a selector prune…) in a transaction PayRox did not send. `ordinal` numbers same-named
 * events of one transaction, so the dedupe key survives a reorg that moves the transaction (its log index
 * may change, its hash does not). The events of one chunked cancel share one key: its root and epoch.
 * @returns undefined for PayRox's own events
 */
export function outOfBandEventRule(event: DispatcherEvent, own: OwnTransactions, ordinal = 0): AlertDraft | undefined {
  if (own.senders.has(event.from.toLowerCase()) || own.txHashes.has(event.txHash.toLowerCase())) return undefined;
  const args = Object.entries(event.args).map(([k, v]) => `${k}=${v}`).join(", ");
  const incident = CANCEL_EVENTS.has(event.name) && event.args.root !== undefined
    ? `cancel:${event.args.root.toLowerCase()}:${event.args.epoch ?? "?"}`
    : `${event.txHash.toLowerCase()}:${event.name}:${ordinal}`;
  return {
    type: AlertType.UNAUTHORIZED,
    severity: "critical",
    dedupeKey: `${AlertType.UNAUTHORIZED}:${event.network}:${incident}`,
    network: event.network,
    message: `${event.name}(${args}) on ${event.network}'s dispatcher in a transaction PayRox did not send (from ${event.from}, tx ${event.txHash}, block ${event.blockNumber})`,
    evidence: { txHash: event.txHash, blockNumber: event.blockNumber, values: { event: event.name, from: event.from, logIndex: event.logIndex, ...event.args } },
  };
}
