/**
 * `proposeUpgrade`: validates a manifest and its target networks, stores the proposal with one run per
 * network, and schedules each network's commit. Validation happens before any write, so a rejected
 * proposal leaves the store, the audit trail and the scheduler untouched.
 */
import { randomUUID } from "node:crypto";
import { CoreError } from "../errors.js";
import { manifestInitializer, ZeroAddress, type Manifest } from "../manifest/format.js";
import { buildManifestTree } from "../manifest/merkle.js";
import { DEFAULT_GAS_CAP, DEFAULT_MAX_BATCH_SIZE, DEFAULT_PLAN_MARGIN, lifecycleGas, planBatches } from "../manifest/planner.js";
import { Create2UnsupportedError } from "../networks/errors.js";
import { assertCanonicalCreate2 } from "../networks/registry.js";
import type { Network } from "../networks/types.js";
import { parseManifest } from "../manifest/validate.js";
import { createRun } from "../run/state-machine.js";
import { StepName, type Proposal, type ProposalPlanLimits, type Run } from "../run/types.js";
import { approvalSubject } from "../governance/approval.js";
import { ApprovalAction, approvalHashes, approvalTypedData } from "../governance/typed-data.js";
import { openApproval } from "./approval-gate.js";
import { record, recordProposalCreated, SCHEDULER_DEFAULTS, scheduleStep, type SchedulerDeps } from "./deps.js";
import { isNetworkBusy, NetworkGasCapError, NetworkReadError, ProposalRejectedError, ProposalRejection } from "./errors.js";
import { endHolderIfUncommittable } from "./end-uncommittable.js";

/** Most networks one proposal may target (every public network of the registry a dispatcher can be on). */
export const MAX_PROPOSAL_NETWORKS = 21;

/** Input of {@link proposeUpgrade}. */
export interface ProposeUpgradeParameters {
  /** The manifest file (format v2) as JSON text. */
  manifestJson: string;
  /** Registry ids of the target networks, 1–21, no repeats. */
  networks: string[];
  /** Do not commit before this time (unix ms). @default now */
  earliestCommitAtMs?: number;
  /** Coordinated cut-over (unix ms): no network activates before it. @default each network's own ETA */
  cutoverAtMs?: number;
  /** Who proposes (IAM principal, CLI user). */
  proposer: string;
}

/** Result of {@link proposeUpgrade}. */
export interface ProposeUpgradeReturnType {
  proposal: Proposal;
  runs: Run[];
}

/**
 * Creates a proposal and schedules its commits.
 *
 * The id is a random UUID, not a hash of the input: the same manifest may legitimately be proposed twice
 * (after a cancel), and a hash including `createdAt` would not make client retries idempotent anyway.
 * @throws {ProposalRejectedError} on bad input; nothing is written then. Among them
 * `unsupported-network` (a network without the canonical CREATE2 address, e.g. ZKsync Era) and
 * {@link NetworkGasCapError} (an apply batch, the commit or the activation over a network's gas limit),
 * `facet-has-no-code` and `facet-codehash-mismatch` (checked when the gateway can read code).
 * @example const { proposal } = await proposeUpgrade({ manifestJson, networks: ["base"], proposer: "alice" }, deps)
 */
export async function proposeUpgrade(input: ProposeUpgradeParameters, deps: SchedulerDeps): Promise<ProposeUpgradeReturnType> {
  const now = deps.clock.now();
  const manifest = checkManifest(input.manifestJson, deps.options?.maxManifestEntries ?? SCHEDULER_DEFAULTS.maxManifestEntries);
  checkNetworks(input.networks, deps);
  checkTimes(input);
  if (typeof input.proposer !== "string" || input.proposer.trim() === "") {
    throw new ProposalRejectedError(ProposalRejection.INVALID_PROPOSER, "proposer", "must name who proposes (a non-empty string)");
  }
  const planLimits = planLimitsOf(deps);
  const batchCounts = checkNetworkFit(manifest, input.networks, planLimits, deps);
  await checkFacetCode(manifest, input.networks, deps);
  const liveAtProposal = await readLiveAtProposal(input.networks, deps);
  const approval = await openApproval({ manifestJson: input.manifestJson, tree: buildManifestTree(manifest.entries, manifestInitializer(manifest)), networks: input.networks, proposer: input.proposer, nowMs: now }, deps);

  const proposal: Proposal = {
    id: randomUUID(),
    manifestJson: input.manifestJson,
    root: manifest.root,
    name: manifest.name,
    networks: [...input.networks],
    ...(input.earliestCommitAtMs !== undefined && { earliestCommitAtMs: input.earliestCommitAtMs }),
    ...(input.cutoverAtMs !== undefined && { cutoverAtMs: input.cutoverAtMs }),
    createdAtMs: now,
    proposer: input.proposer,
    plan: planLimits,
    ...(approval && { approval }),
    ...(Object.keys(liveAtProposal).length > 0 && { liveAtProposal }),
  };
  const runs = proposal.networks.map((network) => createRun({ proposalId: proposal.id, network, batchCount: batchCounts.get(network)!, nowMs: now }));
  const batchCount = Math.max(...batchCounts.values());
  try {
    await deps.store.createProposal(proposal, runs);
  } catch (error) {
    // A holder that can never commit (its approval window closed, or rejected) gives its networks up now.
    if (!isNetworkBusy(error) || !(await endHolderIfUncommittable(error.holder, deps))) throw error;
    await deps.store.createProposal(proposal, runs);
  }
  await recordProposalCreated(deps, proposal, batchCount);
  if (approval) {
    // Under a policy nothing is scheduled: the M-th approval schedules the commits (approveProposal).
    const { domainSeparator } = approvalHashes(approvalTypedData(approvalSubject({ ...proposal, approval }), ApprovalAction.APPROVE, 0));
    await record(deps, {
      proposalId: proposal.id,
      event: "proposal.awaiting-approval",
      details: { policyHash: approval.policyHash, threshold: approval.threshold, deadlineMs: approval.deadlineMs, manifestHash: approval.manifestHash, domainSeparator, targets: approval.targets },
    });
    return { proposal, runs };
  }
  await scheduleCommits(deps, proposal, runs, now);
  return { proposal, runs };
}

/** Schedules every run's commit at the proposal's earliest commit time (or now). Idempotent by job name. */
export async function scheduleCommits(deps: SchedulerDeps, proposal: Pick<Proposal, "earliestCommitAtMs">, runs: readonly Pick<Run, "proposalId" | "network">[], now: number): Promise<void> {
  const commitAt = Math.max(now, proposal.earliestCommitAtMs ?? now);
  for (const run of runs) await scheduleStep(deps, run, StepName.COMMIT, "0", commitAt);
}

function checkManifest(manifestJson: string, maxEntries: number): Manifest {
  const reject = (code: ProposalRejection, message: string, cause?: unknown) => new ProposalRejectedError(code, "manifest", message, { cause });
  if (typeof manifestJson !== "string") throw reject(ProposalRejection.INVALID_MANIFEST, "must be the manifest file's JSON text");
  // ~400 bytes per entry in canonical form: refuse absurd bodies before parsing them.
  if (manifestJson.length > maxEntries * 1_000 + 10_000) throw reject(ProposalRejection.MANIFEST_TOO_LARGE, `is ${manifestJson.length} characters; split the upgrade (at most ${maxEntries} entries)`);
  let value: unknown;
  try {
    value = JSON.parse(manifestJson);
  } catch (error) {
    throw reject(ProposalRejection.INVALID_MANIFEST, `is not valid JSON (${(error as Error).message})`, error);
  }
  const entries = (value as { entries?: unknown } | null)?.entries;
  if (Array.isArray(entries) && entries.length > maxEntries) {
    throw reject(ProposalRejection.MANIFEST_TOO_LARGE, `has ${entries.length} entries, the limit is ${maxEntries}; split the upgrade into several manifests`);
  }
  try {
    return parseManifest(value);
  } catch (error) {
    if (error instanceof CoreError) throw reject(ProposalRejection.INVALID_MANIFEST, `${error.message} (check it with \`payrox manifest verify\`)`, error);
    throw error;
  }
}

function checkNetworks(networks: unknown, deps: SchedulerDeps): void {
  const reject = (code: ProposalRejection, field: string, message: string) => new ProposalRejectedError(code, field, message);
  if (!Array.isArray(networks) || networks.length === 0) throw reject(ProposalRejection.NO_NETWORKS, "networks", "name at least one target network (GET /networks lists them)");
  if (networks.length > MAX_PROPOSAL_NETWORKS) throw reject(ProposalRejection.TOO_MANY_NETWORKS, "networks", `${networks.length} networks; at most ${MAX_PROPOSAL_NETWORKS} per proposal`);
  const seen = new Set<string>();
  networks.forEach((id: unknown, i) => {
    if (typeof id !== "string" || !deps.networks(id)) throw reject(ProposalRejection.UNKNOWN_NETWORK, `networks[${i}]`, `unknown network ${String(id)}; GET /networks lists the known ids`);
    if (seen.has(id)) throw reject(ProposalRejection.DUPLICATE_NETWORK, `networks[${i}]`, `${id} is listed twice; list each network once`);
    seen.add(id);
  });
}

function checkTimes(input: ProposeUpgradeParameters): void {
  for (const field of ["earliestCommitAtMs", "cutoverAtMs"] as const) {
    const value = input[field];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new ProposalRejectedError(ProposalRejection.INVALID_TIME, field, `must be a unix time in milliseconds (a non-negative integer), got ${String(value)}`);
    }
  }
  if (input.cutoverAtMs !== undefined && input.earliestCommitAtMs !== undefined && input.cutoverAtMs < input.earliestCommitAtMs) {
    throw new ProposalRejectedError(ProposalRejection.INVALID_TIME, "cutoverAtMs", "is before earliestCommitAtMs; a cut-over must follow the commit (and its timelock)");
  }
}

/** The limits this proposal is planned with, stored with it (the deps' options with the planner's defaults). */
function planLimitsOf(deps: SchedulerDeps): ProposalPlanLimits {
  const options = deps.options?.planOptions;
  return { gasCap: options?.gasCap ?? DEFAULT_GAS_CAP, maxBatchSize: options?.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE, margin: options?.margin ?? DEFAULT_PLAN_MARGIN };
}

/**
 * Checks every target network can take the manifest: the canonical CREATE2 address, and each call under
 * the network's per-transaction gas limit. Batches are planned per network under min(cap, its limit).
 * @returns the apply batch count of each network
 */
function checkNetworkFit(manifest: Manifest, networkIds: readonly string[], limits: ProposalPlanLimits, deps: SchedulerDeps): Map<string, number> {
  const tree = buildManifestTree(manifest.entries, manifestInitializer(manifest));
  const gas = lifecycleGas(tree);
  const counts = new Map<string, number>();
  networkIds.forEach((id, i) => {
    const network = deps.networks(id)!;
    const field = `networks[${i}]`;
    try {
      assertCanonicalCreate2(network);
    } catch (error) {
      if (!(error instanceof Create2UnsupportedError)) throw error;
      throw new ProposalRejectedError(ProposalRejection.UNSUPPORTED_NETWORK, field, error.message, { cause: error });
    }
    for (const call of ["commit", "activate"] as const) {
      if (gas[call] > network.maxTxGas) throw new NetworkGasCapError(id, network.maxTxGas, call, gas[call], field, `the manifest's ${call} needs ~${gas[call].toLocaleString("en-US")}`);
    }
    counts.set(id, planOrReject(manifest, limits, network, field, deps));
  });
  return counts;
}

function planOrReject(manifest: Manifest, limits: ProposalPlanLimits, network: Network, field: string, deps: SchedulerDeps): number {
  try {
    planBatches(manifest, { ...deps.options?.planOptions, ...limits });
  } catch (error) {
    throw new ProposalRejectedError(ProposalRejection.UNPLANNABLE, "manifest", `cannot be split into apply batches: ${(error as Error).message}`, { cause: error });
  }
  try {
    return planBatches(manifest, { ...deps.options?.planOptions, ...limits, maxTxGas: network.maxTxGas }).batches.length;
  } catch (error) {
    throw new NetworkGasCapError(network.id, network.maxTxGas, "apply", undefined, field, `an apply batch can't fit: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Each network's active epoch and root now, so a review can report the drift since the proposal. Best
 * effort: a network whose state can't be read is left out (the commit checks drift itself).
 */
async function readLiveAtProposal(networkIds: readonly string[], deps: SchedulerDeps): Promise<NonNullable<Proposal["liveAtProposal"]>> {
  const reads = await Promise.allSettled(networkIds.map((network) => deps.gateway.readState(network)));
  const live: NonNullable<Proposal["liveAtProposal"]> = {};
  reads.forEach((read, i) => {
    if (read.status === "fulfilled") live[networkIds[i]!] = { activeEpoch: Number(read.value.activeEpoch), activeRoot: read.value.activeRoot.toLowerCase() };
  });
  return live;
}

/** Code reads in flight at once while checking a proposal's facets. */
const CODE_READS_IN_FLIGHT = 16;

/**
 * Refuses a manifest whose facet (or initializer) has no code, or code with another hash, on a target
 * network: its commit would go through and its apply or activation revert, leaving the root pending.
 * Skipped when the gateway can't read code.
 */
async function checkFacetCode(manifest: Manifest, networkIds: readonly string[], deps: SchedulerDeps): Promise<void> {
  const codeHash = deps.gateway.codeHash?.bind(deps.gateway);
  if (!codeHash) return;
  const expected = new Map<string, string>();
  for (const entry of [...manifest.entries, ...(manifest.init ? [manifest.init] : [])]) {
    if (entry.facet.toLowerCase() !== ZeroAddress) expected.set(entry.facet.toLowerCase(), entry.codehash.toLowerCase());
  }
  // Every (network, facet) read at once, a bounded number in flight: a 255-facet manifest on 21
  // networks must still answer within an API request's time.
  const reads = networkIds.flatMap((network, i) => [...expected.keys()].map((facet) => ({ network, i, facet })));
  const live = new Map<string, string | undefined>();
  let next = 0;
  const worker = async () => {
    while (next < reads.length) {
      const { network, facet } = reads[next++]!;
      try {
        live.set(`${network}:${facet}`, await codeHash(network, facet));
      } catch (error) {
        throw new NetworkReadError(network, { cause: error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CODE_READS_IN_FLIGHT, reads.length) }, worker));
  for (const [i, network] of networkIds.entries()) {
    for (const [facet, codehash] of expected) {
      const found = live.get(`${network}:${facet}`);
      const field = `networks[${i}]`;
      if (found === undefined) {
        throw new ProposalRejectedError(ProposalRejection.FACET_HAS_NO_CODE, field, `facet ${facet} has no code on ${network}; deploy it there (or fix the manifest's address) and propose again`);
      }
      if (found.toLowerCase() !== codehash) {
        throw new ProposalRejectedError(ProposalRejection.FACET_CODEHASH_MISMATCH, field, `facet ${facet} on ${network} has code hash ${found}, the manifest says ${codehash}; rebuild the manifest against the deployed code`);
      }
    }
  }
}
