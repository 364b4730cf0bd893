/**
 * Loupe pruning: the dispatcher keeps every selector it ever routed in a threaded list until
 * `pruneSelectors(predecessors)` unlinks the dead ones (live removals and disabled selectors). This plans
 * the predecessor hints from the raw list (`listedSelectors` pages) in chunks that fit a transaction.
 */

/** One entry of the dispatcher's raw selector list, as `listedSelectors` reports it. */
export interface ListedSelector {
  selector: string;
  /** Whether `pruneSelectors` would unlink it. */
  dead: boolean;
}

/** The list head's "predecessor" in a hint. */
export const LIST_HEAD = "0x00000000";

/**
 * Gas of unlinking one dead entry (two route slots read and rewritten, the `previous` slot read), rounded
 * up from the contract test's measurement; the planner divides a transaction's budget by it.
 */
export const PRUNE_GAS_PER_ENTRY = 15_000;
/** Fixed part of a `pruneSelectors` transaction (intrinsic, role check, state word, event). */
export const PRUNE_GAS_FIXED = 60_000;

/**
 * Predecessor hints that unlink every dead entry of `list`, in chunks of at most `perTx` hints. A dead
 * entry's predecessor is the last live entry before it (or the head): consecutive dead entries share it,
 * and the hints stay valid across chunks sent in order, since live entries are never unlinked.
 */
export function planPrune(list: readonly ListedSelector[], perTx: number): string[][] {
  if (!Number.isInteger(perTx) || perTx < 1) throw new RangeError(`hints per transaction must be a positive integer, got ${perTx}`);
  const hints: string[] = [];
  let before = LIST_HEAD;
  for (const entry of list) {
    if (entry.dead) hints.push(before);
    else before = entry.selector;
  }
  const chunks: string[][] = [];
  for (let i = 0; i < hints.length; i += perTx) chunks.push(hints.slice(i, i + perTx));
  return chunks;
}

/** How many hints fit one transaction under `gasCap`. */
export function pruneHintsPerTx(gasCap: number): number {
  return Math.max(1, Math.floor((gasCap - PRUNE_GAS_FIXED) / PRUNE_GAS_PER_ENTRY));
}
