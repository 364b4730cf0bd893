/**
 * The end-of-run summary of a devnet proposal: per network the transactions PayRox sent, the gas of each
 * step, how late the activation landed after its time (from the activation block's timestamp), what a
 * call routed through the dispatcher now answers, and whether the audit chain verifies.
 */
import { loadArtifact } from "@payrox/contracts/lib/artifacts";
import { Contract, JsonRpcProvider } from "ethers";
import type { AuditView, ProposalView } from "../api-client.js";
import { fmt } from "../command.js";
import type { DevnetState } from "./state.js";

/** Audit events that each stand for one confirmed PayRox transaction. */
const STEP_EVENTS = new Set(["commit.confirmed", "apply.confirmed", "run.activated", "cancel.confirmed"]);

/** The summary of one network. */
export interface NetworkSummary {
  network: string;
  state: string;
  failure?: string;
  /** Transactions PayRox sent and saw confirmed (commit, apply batches, activation). */
  transactions: number;
  gas: { commit?: number; apply: number; applyBatches: number; activate?: number };
  /** Activation block timestamp minus the activation time, in seconds (negative would be early). */
  latenessSeconds?: number;
  /** `version()` of CounterFacetV1 called through the dispatcher, once activated. */
  routedVersion?: string;
}

/** The summary of one proposal. */
export interface DevnetSummary {
  proposalId: string;
  networks: NetworkSummary[];
  audit: { ok: boolean; entries: number; problem?: string };
  allActivated: boolean;
}

/** Reads the chains and builds the summary. */
export async function summarize(state: DevnetState, view: ProposalView, audit: AuditView): Promise<DevnetSummary> {
  const networks = await Promise.all(view.runs.map((run) => summarizeNetwork(state, run, audit)));
  const verification = audit.verification;
  return {
    proposalId: view.proposal.id,
    networks,
    audit: { ok: verification.ok, entries: audit.entries.length, ...(!verification.ok && { problem: `broken at entry ${verification.brokenAt}: ${verification.reason}` }) },
    allActivated: view.runs.every((r) => r.state === "ACTIVATED"),
  };
}

async function summarizeNetwork(state: DevnetState, run: ProposalView["runs"][number], audit: AuditView): Promise<NetworkSummary> {
  const entries = audit.entries.filter((e) => e.network === run.network);
  const gasOf = (event: string) => entries.filter((e) => e.event === event && e.gasUsed !== undefined).map((e) => Number(e.gasUsed));
  const applies = gasOf("apply.confirmed");
  const summary: NetworkSummary = {
    network: run.network,
    state: run.state,
    ...(run.failure && { failure: `${run.failure.code}: ${run.failure.message}` }),
    // One transaction per confirmed step; a step recovered after a crash is confirmed without its hash.
    transactions: entries.filter((e) => STEP_EVENTS.has(e.event)).length,
    gas: { ...(gasOf("commit.confirmed")[0] !== undefined && { commit: gasOf("commit.confirmed")[0] }), apply: applies.reduce((a, b) => a + b, 0), applyBatches: applies.length, ...(gasOf("run.activated")[0] !== undefined && { activate: gasOf("run.activated")[0] }) },
  };
  const activated = entries.find((e) => e.event === "run.activated" && e.txHash);
  const network = state.networks.find((n) => n.id === run.network);
  if (!activated || !network) return summary;
  const provider = new JsonRpcProvider(network.rpcUrl, network.chainId, { staticNetwork: true });
  try {
    const receipt = await provider.getTransactionReceipt(activated.txHash!);
    const block = receipt && (await provider.getBlock(receipt.blockNumber));
    if (block && run.activateAtMs !== undefined) summary.latenessSeconds = block.timestamp - run.activateAtMs / 1000;
    const counter = new Contract(network.dispatcher, loadArtifact("CounterFacetV1").abi as never, provider);
    summary.routedVersion = String(await counter.getFunction("version")());
  } finally {
    provider.destroy();
  }
  return summary;
}

/** The summary as a table. */
export function renderSummary(summary: DevnetSummary): string {
  const header = ["network", "state", "txs", "commit gas", "apply gas (batches)", "activate gas", "late after ETA", "routed version()"];
  const rows = summary.networks.map((n) => [
    n.network,
    n.state,
    String(n.transactions),
    n.gas.commit === undefined ? "-" : fmt(n.gas.commit),
    `${fmt(n.gas.apply)} (${n.gas.applyBatches})`,
    n.gas.activate === undefined ? "-" : fmt(n.gas.activate),
    n.latenessSeconds === undefined ? "-" : `${n.latenessSeconds} s`,
    n.routedVersion ?? "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const failures = summary.networks.filter((n) => n.failure).map((n) => `  ${n.network}: ${n.failure}`);
  return [
    `proposal ${summary.proposalId}`,
    line(header),
    ...rows.map(line),
    ...(failures.length ? ["failures:", ...failures] : []),
    `audit chain: ${summary.audit.ok ? `verified (${summary.audit.entries} entries)` : `BROKEN — ${summary.audit.problem}`}`,
    summary.allActivated ? "every network activated" : "NOT every network activated",
  ].join("\n");
}
