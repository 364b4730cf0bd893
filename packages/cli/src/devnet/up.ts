/**
 * `payrox devnet up` as a function: start (or attach to) the devnet's services, start the PayRox process
 * on them, propose the example upgrade on every network through the API, approve it with the devnet's
 * DEVELOPMENT approvers (2 of 3, through the API as `payrox approve` does), show its progress until every
 * run is final, and summarise. The command wraps it with flags, Ctrl-C and the exit code.
 */
import { TERMINAL_STATES, type Alert } from "@payrox/core";
import { ApiClient } from "../api-client.js";
import { approveAsDevnet } from "./approve.js";
import { exampleManifest } from "./example-manifest.js";
import { startLocalPayRox, type LocalPayRox, type LocalPayRoxInstrumentation } from "./local-payrox.js";
import { ProgressDisplay, type ProgressOutput } from "./progress.js";
import { startDevnetServices, type DevnetServices } from "./services.js";
import { readDevnetState, writeDevnetState, type DevnetState } from "./state.js";
import { renderSummary, summarize, type DevnetSummary } from "./summary.js";
import { followEach, isRetryablePollError, readAudit, retryPoll, watchProposal } from "./watch.js";

/** Options of {@link devnetUp}. */
export interface DevnetUpOptions {
  /** Networks to start (ignored with `attach`). @default 3 */
  networks?: number;
  /** Activation delay of the dispatchers, in seconds (ignored with `attach`). @default 30 */
  delaySeconds?: number;
  /** Use running services described by this state file instead of starting them. */
  attach?: string;
  /** Where to write the state file of services this call starts. @default none */
  stateFile?: string;
  /** Propose the example upgrade; false only resumes and watches unfinished proposals. @default true */
  propose?: boolean;
  /** Selectors of the example manifest (see `exampleManifest`). @default 68 */
  selectors?: number;
  /** Largest apply batch. @default 24, so the example's 68 selectors take 3 batches */
  maxBatchSize?: number;
  /** @default "none" */
  jitter?: "none" | "eventbridge";
  /** @default a free port */
  apiPort?: number;
  out: ProgressOutput;
  /** Aborting stops watching (Ctrl-C). */
  signal?: AbortSignal;
  /** How often progress is read from the API, in ms; also the first retry delay of a failed read. @default 500 */
  pollMs?: number;
  /** Longest delay between retries of a failing progress read (it is retried until it succeeds). @default 30_000 */
  maxBackoffMs?: number;
  /** Hooks of a meter into the PayRox process (see `startLocalPayRox`). @default none */
  instrument?: LocalPayRoxInstrumentation;
  /** How often the watchdog sweeps, in ms. @default 10_000 */
  watchdogIntervalMs?: number;
}

/** What {@link devnetUp} leaves running, and what it saw. */
export interface DevnetUp {
  state: DevnetState;
  /** The services this call started (undefined when attached). */
  services?: DevnetServices;
  apiUrl: string;
  summaries: DevnetSummary[];
  /** What could not be done (the example not proposed, a proposal not followed to the end): reported, the devnet kept running. */
  problems: string[];
  /** Stops the PayRox process and the services this call started (not attached ones). Idempotent. */
  stop(): Promise<void>;
}

/** Runs the devnet up to the summary; the caller decides how long it stays up afterwards. */
export async function devnetUp(options: DevnetUpOptions): Promise<DevnetUp> {
  const display = new ProgressDisplay(options.out);
  const say = (message: string) => display.note(message);
  let services: DevnetServices | undefined;
  let payrox: LocalPayRox | undefined;
  const stop = async () => {
    await payrox?.stop();
    await services?.stop();
  };
  let state: DevnetState;
  try {
    // The console's address first, so it can be opened while the services start.
    if (options.apiPort) say(`console: http://127.0.0.1:${options.apiPort}/ (served by the PayRox API once it is up, in a few seconds)`);
    if (options.attach) {
      state = readDevnetState(options.attach);
      say(`attached to the devnet of ${options.attach} (${state.networks.length} networks)`);
    } else {
      say(`starting ${options.networks ?? 3} local network(s), DynamoDB Local, the KMS server and relays…`);
      services = await startDevnetServices({ networks: options.networks ?? 3, activationDelaySeconds: options.delaySeconds ?? 30, onProgress: say });
      state = services.state;
      if (options.stateFile) writeDevnetState(options.stateFile, state);
    }
    payrox = await startLocalPayRox(state, {
      maxBatchSize: options.maxBatchSize ?? 24,
      ...(options.jitter && { jitter: options.jitter }),
      ...(options.apiPort !== undefined && { apiPort: options.apiPort }),
      ...(options.instrument && { instrument: options.instrument }),
      ...(options.watchdogIntervalMs !== undefined && { watchdogIntervalMs: options.watchdogIntervalMs }),
      onAlert: (alert: Alert) => say(`${alert.status === "resolved" ? "RESOLVED" : "ALERT"} ${alert.severity} ${alert.type}${alert.network ? ` on ${alert.network}` : ""}: ${alert.message}`),
      onStepError: (error) => say(`step error: ${(error as Error).message}`),
      ...((options.attach ?? options.stateFile) && { stateFile: options.attach ?? options.stateFile }),
      onSignerSwitch: (network, signer) => say(`${network} now signs with ${signer} (state file reloaded)`),
    });
    say(`PayRox API on ${payrox.apiUrl} (scheduler and watchdog running)`);
    say(payrox.consoleUrl ? `console: ${payrox.consoleUrl}` : "console: not built (npm run build), not served");
  } catch (error) {
    await stop();
    throw error;
  }
  // From here on the scheduler, the watchdog and the API run: nothing the API answers stops them.
  const client = new ApiClient({ baseUrl: payrox.apiUrl, signer: "none" });
  const problems: string[] = [];
  let ids: string[] = [];
  try {
    // Resuming only reads, so a failing read is retried like the progress polls; proposing is not retried (not idempotent).
    ids = options.propose === false ? ((await retryPoll("listing unfinished proposals", () => unfinishedProposals(client), say, options)) ?? []) : [await proposeExample(client, state, options.selectors, say)];
  } catch (error) {
    problems.push(`proposing the example upgrade failed: ${(error as Error).message}`);
    say(`${problems[0]}; the devnet keeps running (propose with "payrox propose", see "payrox proposals")`);
  }
  if (ids.length === 0 && problems.length === 0) say("no unfinished proposal to resume");
  const followed = await followEach(ids, async (id): Promise<DevnetSummary | undefined> => {
    // Under the devnet's 2-of-3 policy nothing is committed before two approvers have signed. Retried
    // whole like a poll: it re-reads who has signed, so a signature sent before a failure is not resent.
    const consoleUrl = payrox!.consoleUrl;
    if (consoleUrl) say(`console: ${consoleUrl}#/proposals/${encodeURIComponent(id)}`);
    if ((await retryPoll(`approving ${id}`, () => approveAsDevnet(client, id, say), say, options, isRetryablePollError)) === undefined) return undefined;
    const view = await watchProposal(client, id, display, options);
    if (!view) return undefined;
    const audit = await readAudit(client, id, display, options);
    if (!audit) return undefined;
    const summary = await summarize(state, view, audit);
    options.out.write(renderSummary(summary) + "\n");
    return summary;
  }, say);
  return { state, ...(services && { services }), apiUrl: payrox.apiUrl, summaries: followed.results, problems: [...problems, ...followed.problems], stop };
}

async function proposeExample(client: ApiClient, state: DevnetState, selectors: number | undefined, say: (m: string) => void): Promise<string> {
  const name = `devnet-example-${new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}`;
  const manifest = await exampleManifest(state, name, selectors === undefined ? {} : { selectors });
  const networks = state.networks.map((n) => n.id);
  const { id, runs } = await client.propose({ manifest, networks });
  say(`proposal ${id}: ${manifest.entries.length} selectors, root ${manifest.root.slice(0, 10)}…, ${runs[0]?.batchCount ?? "?"} batches per network, on ${networks.join(", ")}`);
  // Each batch waits for its block and then 5 s before the next (APPLY_BATCH_GAP_MS): about 6 s a batch here.
  const applySeconds = (runs[0]?.batchCount ?? 0) * 6;
  if (applySeconds > state.activationDelaySeconds) say(`note: applying ${runs[0]!.batchCount} batches takes about ${applySeconds} s, longer than the ${state.activationDelaySeconds} s delay: each network activates right after its last batch, after its ETA (use a longer --delay or a larger --batch-size)`);
  return id;
}

/** Proposals with a run that is not final (newest first). */
async function unfinishedProposals(client: ApiClient): Promise<string[]> {
  const { proposals } = await client.proposals(100);
  const views = await Promise.all(proposals.map((p) => client.proposal(p.id)));
  return views.filter((v) => v.runs.some((r) => !TERMINAL_STATES.has(r.state as never))).map((v) => v.proposal.id).reverse();
}
