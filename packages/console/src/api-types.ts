/** The shapes of the API answers the console reads (functions/README.md, "API"); only the fields it shows. */

export interface ApprovalSummary {
  status: string;
  threshold: number;
  deadline: string;
}

export interface ProposalSummary {
  id: string;
  name: string;
  root: string;
  networks: string[];
  proposer: string;
  createdAtMs: number;
  earliestCommitAtMs?: number;
  cutoverAtMs?: number;
  approval?: ApprovalSummary;
}

export interface RunView {
  network: string;
  state: string;
  status: string;
  batchesApplied: number;
  batchCount: number;
  etaMs?: number;
  activateAtMs?: number;
  committedEpoch?: number;
  failure?: { code: string; message: string };
  updatedAtMs: number;
}

export interface AuditEntry {
  seq: number;
  event: string;
  actor: string;
  network?: string;
  txHash?: string;
  gasUsed?: string;
  details?: Record<string, unknown>;
  atMs: number;
  hash: string;
  prevHash: string;
}

export interface AuditAnswer {
  entries: AuditEntry[];
  verification: { ok: true; length?: number } | { ok: false; brokenAt: number; reason: string; detail: string };
  anchoring: { configured: boolean; ok?: boolean; reason?: string; detail?: string };
}

export interface NetworkEntry {
  id: string;
  name?: string;
  chainId: number;
  kind: string;
  graceSeconds: number;
  confirmations: number;
  blockTimeSeconds: number;
  relay: { preferred: string[]; allowPublicFallback: boolean };
  nativeSymbol?: string;
  maxTxGas?: number;
  configured: boolean;
}

export interface ApproverView {
  id: string;
  address: string;
  kind: string;
  status: string;
  nextNonce: number;
  digest?: string;
  at?: string;
}

export interface ApprovalsAnswer {
  proposalId: string;
  status: string;
  threshold: number;
  approved: number;
  deadline: string;
  subject: { targets: { network: string; expiryWindowSeconds: number; dispatcher: string; chainId: number }[] } & Record<string, unknown>;
  approvers: ApproverView[];
}
