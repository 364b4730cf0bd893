/** Helpers shared by the relay adapters: inclusion checks and node rejection messages. */
import type { JsonRpcApiProvider } from "ethers";
import type { BroadcastRejection } from "../errors.js";

/** The highest block holding the transactions when every one of them has a receipt, else undefined. */
export async function includedAt(provider: JsonRpcApiProvider, hashes: readonly string[]): Promise<number | undefined> {
  const receipts = await Promise.all(hashes.map((hash) => provider.getTransactionReceipt(hash)));
  if (receipts.some((r) => r === null)) return undefined;
  return Math.max(...receipts.map((r) => r!.blockNumber));
}

/** Every message an ethers / JSON-RPC error carries, joined (node messages hide in `error.error.message`). */
export function errorText(error: unknown): string {
  const e = error as { message?: string; shortMessage?: string; error?: { message?: string }; info?: { error?: { message?: string } } };
  return [e?.error?.message, e?.info?.error?.message, e?.shortMessage, e?.message].filter(Boolean).join(" | ") || String(error);
}

/** True when the node says it has the transaction already (a re-broadcast of the same bytes). */
export function isAlreadyKnown(error: unknown): boolean {
  return /already known|already imported|known transaction|already exists/i.test(errorText(error));
}

/** Classifies a node's rejection of `eth_sendRawTransaction` (geth, anvil, hardhat, ethers codes). */
export function classifyRejection(error: unknown): BroadcastRejection {
  const code = (error as { code?: string })?.code;
  const text = errorText(error);
  if (code === "NONCE_EXPIRED" || /nonce too low|nonce has already been used|nonce.*expired/i.test(text)) return "nonce-too-low";
  if (code === "INSUFFICIENT_FUNDS" || /insufficient funds/i.test(text)) return "insufficient-funds";
  if (code === "REPLACEMENT_UNDERPRICED" || /underpriced|less than (the )?block base fee|fee cap|max fee per gas less|tip too low|fee too low/i.test(text)) {
    return "underpriced";
  }
  return "rejected";
}
