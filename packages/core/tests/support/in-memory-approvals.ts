/**
 * An in-memory ApprovalStore for UNIT tests of the governance use cases, with the conditional writes of
 * the DynamoDB adapter (packages/aws/src/dynamo/approval-store.ts): one record per (proposal, approver),
 * nonce and status preconditions, and the proposal's approval status moved out of AWAITING_APPROVAL once.
 * Proposals live in the InMemoryRunStore it is given. Every method yields first, so concurrent calls interleave.
 */
import type { ApprovalBasis, ApprovalStore, ApprovalWriteResult, CloseApprovalResult, StoredApproval } from "../../src/index.js";
import type { InMemoryRunStore } from "./in-memory-ports.js";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** ApprovalStore over a map, sharing the run store's proposals. */
export class InMemoryApprovalStore implements ApprovalStore {
  readonly records = new Map<string, StoredApproval>();

  constructor(private readonly runs: InMemoryRunStore) {}

  async putApproval(next: StoredApproval): Promise<ApprovalWriteResult> {
    await tick();
    const key = `${next.proposalId}|${next.approver.toLowerCase()}`;
    const stored = this.records.get(key);
    const nonceOk = stored ? stored.nonce === next.nonce - 1 : next.nonce === 0;
    const statusOk = next.status === "approved" ? stored?.status !== "approved" && stored?.status !== "rejected" : next.status === "withdrawn" ? stored?.status === "approved" : stored?.status !== "rejected";
    if (!nonceOk || !statusOk) return { ok: false, stored: stored && structuredClone(stored) };
    this.records.set(key, structuredClone(next));
    return { ok: true };
  }

  async listApprovals(proposalId: string): Promise<StoredApproval[]> {
    await tick();
    return [...this.records.values()].filter((r) => r.proposalId === proposalId).map((r) => structuredClone(r));
  }

  async closeApproval(proposalId: string, to: "APPROVED" | "REJECTED", atMs: number, basis: readonly ApprovalBasis[] = []): Promise<CloseApprovalResult> {
    await tick();
    const proposal = this.runs.proposals.get(proposalId);
    if (!proposal?.approval || proposal.approval.status !== "AWAITING_APPROVAL") return { closed: false, reason: "not-awaiting" };
    for (const expected of basis) {
      const stored = this.records.get(`${proposalId}|${expected.approver.toLowerCase()}`);
      if (!stored || stored.nonce !== expected.nonce || stored.status !== expected.status) return { closed: false, reason: "basis-changed" };
    }
    proposal.approval = { ...proposal.approval, status: to, decidedAtMs: atMs };
    return { closed: true };
  }
}
