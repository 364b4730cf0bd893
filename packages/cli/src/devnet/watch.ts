/**
 * The progress watch of `payrox devnet up`: polls a proposal through the API until every run is final.
 * The watch must never take the devnet down: the scheduler, the watchdog and the API run in the same
 * process, and a failed read — the API unreachable, a 5xx while DynamoDB Local is busy or paused, a 429,
 * or any other refusal (a 404 or 409 while the table restarts) — is retried with exponential backoff and
 * reported on the output, for as long as it takes, until the runs are final or the caller aborts. A
 * proposal that can't be followed at all (its approval refused for good, a chain read failing) is
 * reported by {@link followEach} and the devnet goes on.
 */
import { TERMINAL_STATES } from "@payrox/core";
import type { ApiClient, AuditView, ProposalView } from "../api-client.js";
import { ApiRequestError, ApiUnreachableError } from "../errors.js";
import type { ProgressDisplay } from "./progress.js";

/** Options of {@link watchProposal} and {@link retryPoll}. */
export interface WatchOptions {
  /** How often progress is read, in ms; also the first retry delay. @default 500 */
  pollMs?: number;
  /** Longest delay between two retries of a failing poll, in ms. @default 30_000 */
  maxBackoffMs?: number;
  /** Aborting stops watching (Ctrl-C), also while a failing poll waits for its retry. */
  signal?: AbortSignal;
}

/** The API calls the watch makes. */
export type ProgressSource = Pick<ApiClient, "proposal" | "audit">;

/** Whether a failed call may succeed if repeated as is: no answer, a 5xx, a 408 or a 429. */
export function isRetryablePollError(error: unknown): boolean {
  if (error instanceof ApiUnreachableError) return true;
  return error instanceof ApiRequestError && (error.status >= 500 || error.status === 408 || error.status === 429);
}

/** Whether `error` is the API's: unreachable, or any refusal. A read the devnet polls retries every one. */
export function isApiError(error: unknown): boolean {
  return error instanceof ApiUnreachableError || error instanceof ApiRequestError;
}

/**
 * Runs `poll` until it succeeds, waiting `pollMs`, then twice as long after each failure (at most
 * `maxBackoffMs`), and reporting every failure and the recovery through `report`.
 * @param retryIf which errors are retried (default: every API error, {@link isApiError})
 * @returns undefined when aborted first
 * @throws the poll's error when `retryIf` refuses it
 */
export async function retryPoll<T>(what: string, poll: () => Promise<T>, report: (message: string) => void, options: WatchOptions = {}, retryIf: (error: unknown) => boolean = isApiError): Promise<T | undefined> {
  const base = options.pollMs ?? 500;
  const max = Math.max(base, options.maxBackoffMs ?? 30_000);
  for (let failures = 0; ; failures++) {
    try {
      const value = await poll();
      if (failures > 0) report(`${what}: the API answers again after ${failures} failed attempt(s)`);
      return value;
    } catch (error) {
      if (!retryIf(error)) throw error;
      const delayMs = Math.min(max, base * 2 ** failures);
      report(`${what} failed (attempt ${failures + 1}; the scheduler and watchdog keep running), retrying in ${(delayMs / 1000).toFixed(1)} s: ${(error as Error).message}`);
      if (!(await pause(delayMs, options.signal))) return undefined;
    }
  }
}

/**
 * Follows each proposal in turn with `follow` (approve, watch, summarise). A proposal whose follow-up
 * throws is reported through `report` and skipped: nothing it does ends the devnet. Stops at the first
 * follow-up that answers undefined (aborted).
 */
export async function followEach<T>(ids: readonly string[], follow: (id: string) => Promise<T | undefined>, report: (message: string) => void): Promise<{ results: T[]; problems: string[] }> {
  const results: T[] = [];
  const problems: string[] = [];
  for (const id of ids) {
    try {
      const result = await follow(id);
      if (result === undefined) break;
      results.push(result);
    } catch (error) {
      const problem = `following ${id} stopped: ${(error as Error).message}`;
      problems.push(problem);
      report(`${problem}; the devnet keeps running (payrox status ${id} shows where it is)`);
    }
  }
  return { results, problems };
}

/** Polls the proposal until every run is final; undefined when aborted first. */
export async function watchProposal(client: ProgressSource, id: string, display: ProgressDisplay, options: WatchOptions = {}): Promise<ProposalView | undefined> {
  const report = (message: string) => display.note(message);
  for (;;) {
    const read = await retryPoll(`progress of ${id}`, () => Promise.all([client.proposal(id), client.audit(id)]), report, options);
    if (!read) return undefined;
    const [view, audit] = read;
    display.update(view, audit.entries);
    if (view.runs.every((r) => TERMINAL_STATES.has(r.state as never))) return view;
    if (!(await pause(options.pollMs ?? 500, options.signal))) return undefined;
  }
}

/** The audit trail of a proposal, retried like a poll; undefined when aborted first. */
export function readAudit(client: ProgressSource, id: string, display: ProgressDisplay, options: WatchOptions = {}): Promise<AuditView | undefined> {
  return retryPoll(`audit of ${id}`, () => client.audit(id), (message) => display.note(message), options);
}

/** Waits `ms`; false when `signal` is aborted (before or during the wait). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
