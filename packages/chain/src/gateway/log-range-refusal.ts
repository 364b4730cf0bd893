/**
 * Recognises an RPC provider refusing an `eth_getLogs` request as too large. There is no standard error:
 * each provider caps block ranges or result counts and says so in its own words (and some reuse EIP-1474's
 * -32005 "limit exceeded" for rate limits too). A refusal is worth splitting the range for; a rate limit or
 * an outage is not (splitting would only send more requests), so those must not match.
 *
 * The wordings below name the known caps, but a list can't know every provider's: a node that *answered*
 * the request with a JSON-RPC error (or HTTP 413) that is not a rate limit refused this request, and is
 * taken as a refusal too. Splitting costs a few more requests when the error was something else (down to
 * one block, where the watcher stops and retries next sweep, as before); not splitting on an unknown
 * wording stalled the watcher on that range for good.
 */
import { errorText } from "../relay/inclusion.js";

/** Wordings of range and result caps, as providers send them (examples in the comments, case-insensitive). */
const REFUSALS: readonly RegExp[] = [
  // "block range is too wide" (Ankr), "exceed maximum block range: 5000" (BSC), "Block range limit exceeded"
  // (Chainstack), "block range greater than 10000 max", "query exceeds max block range 100000" (reth)
  /block range|blocks range|range of blocks/i,
  // "range too large, max range: 1000", "requested range is too big"
  /range (is )?too (large|wide|big|long)/i,
  // "eth_getLogs is limited to a 10,000 range" (QuickNode), "ranges over 10000 blocks are not supported"
  /limited to an? [\d,]+ range|ranges? over [\d,]+ blocks/i,
  // "query returned more than 10000 results" (Infura), "query exceeds max results 20000" (reth)
  /more than [\d,]+ (results|logs)|max(imum)? (number of )?(results|logs)|too many (results|logs|blocks)/i,
  // "Log response size exceeded ..." (Alchemy), "response too large", "result window is too large"
  /response (size|too large)|result (window|set) (is )?too large|log(s)? (response )?(size|limit) exceeded/i,
];

/** Rate limits and quotas: never a reason to split. */
const NOT_A_REFUSAL = /rate limit|too many requests|request rate|requests per|credits|quota|daily/i;

/** Why the provider refused the range, when `error` is such a refusal; undefined for any other failure. */
export function logRangeRefusal(error: unknown): string | undefined {
  const text = errorText(error);
  if (NOT_A_REFUSAL.test(text)) return undefined;
  const bodyText = responseBody(error);
  if (REFUSALS.some((pattern) => pattern.test(text) || (bodyText !== undefined && pattern.test(bodyText)))) return firstLine(text);
  if (nodeAnswered(error)) return `the node refused the request: ${firstLine(text)}`;
  return undefined;
}

/**
 * The node answered this request with an error of its own — a JSON-RPC error object (ethers keeps it as
 * `error` / `info.error`), or HTTP 413 — rather than failing to answer (refused connection, timeout, 5xx).
 */
function nodeAnswered(error: unknown): boolean {
  const e = error as { error?: { code?: unknown }; info?: { error?: { code?: unknown }; responseStatus?: unknown } };
  if (typeof e?.error?.code === "number" || typeof e?.info?.error?.code === "number") return true;
  return typeof e?.info?.responseStatus === "string" ? e.info.responseStatus.startsWith("413") : e?.info?.responseStatus === 413;
}

/** An HTTP error's body (a provider answering 400/413 with its reason), if ethers kept it. */
function responseBody(error: unknown): string | undefined {
  const body = (error as { info?: { responseBody?: unknown } })?.info?.responseBody;
  return typeof body === "string" && !NOT_A_REFUSAL.test(body) ? body.slice(0, 2_000) : undefined;
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.slice(0, 300);
}
