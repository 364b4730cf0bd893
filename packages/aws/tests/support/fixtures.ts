/** Domain objects for the store tests. */
import { RunState, type Proposal, type Run } from "@payrox/core";

/** A proposal on `networks` (default: two networks of its own, so proposals don't contend for network locks), created at `createdAtMs`. */
export function aProposal(id: string, overrides: Partial<Proposal> = {}): Proposal {
  return {
    id,
    manifestJson: JSON.stringify({ format: "payrox-manifest/v2", name: `m-${id}`, entries: [] }),
    root: `0x${"ab".repeat(32)}`,
    name: `upgrade ${id}`,
    networks: [`${id}-net-1`, `${id}-net-2`],
    createdAtMs: 1_800_000_000_000,
    proposer: "arn:aws:iam::123456789012:user/alice",
    ...overrides,
  };
}

/** The initial (PROPOSED, version 1) run of a proposal on a network. */
export function aRun(proposalId: string, network: string, overrides: Partial<Run> = {}): Run {
  return { proposalId, network, state: RunState.PROPOSED, batchesApplied: 0, batchCount: 3, version: 1, updatedAtMs: 1_800_000_000_000, ...overrides };
}

/** A proposal and one initial run per network. */
export function aProposalWithRuns(id: string, overrides: Partial<Proposal> = {}): { proposal: Proposal; runs: Run[] } {
  const proposal = aProposal(id, overrides);
  return { proposal, runs: proposal.networks.map((network) => aRun(id, network)) };
}
