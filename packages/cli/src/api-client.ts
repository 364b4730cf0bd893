/**
 * Client of the PayRox HTTP API (the routes of functions/src/api). Requests to a deployed stack are
 * SigV4-signed for `execute-api` with the caller's AWS credentials (the stack's routes use IAM auth);
 * requests to a loopback address (the devnet) are sent unsigned.
 */
import * as z from "zod";
import type { ReviewProposalReturnType } from "@payrox/core";
import { ApiRequestError, ApiUnreachableError } from "./errors.js";
// The signer's type lives with its SigV4 implementation (the lower module) and is imported as a type only:
// sigv4.ts's SDK code still loads on first need, and the two files no longer import each other.
import type { RequestSigner } from "./sigv4.js";

export type { RequestSigner };

/** Options of {@link ApiClient}. */
export interface ApiClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8787` or `https://abc.execute-api.eu-west-1.amazonaws.com`. */
  baseUrl: string;
  /** @default SigV4 with the default AWS credential chain for non-loopback URLs, none for loopback */
  signer?: RequestSigner | "none";
  /** Per-request timeout, in ms. @default 30_000 */
  timeoutMs?: number;
}

/** A proposal's state as `GET /proposals/{id}` returns it. */
export interface ProposalView {
  proposal: { id: string; name: string; root: string; networks: string[]; createdAtMs: number; proposer: string; cutoverAtMs?: number; earliestCommitAtMs?: number; approval?: ProposalApprovalView };
  runs: RunView[];
}

/** A proposal's approval as its summary states it (absent when it was made without an approval policy). */
export interface ProposalApprovalView {
  status: string;
  threshold: number;
  deadline?: number | string;
}

/** One run in a {@link ProposalView}. */
export interface RunView {
  network: string;
  state: string;
  status: string;
  batchesApplied: number;
  batchCount: number;
  etaMs?: number;
  activateAtMs?: number;
  failure?: { code: string; message: string };
  updatedAtMs: number;
}

/** One audit entry as `GET /proposals/{id}/audit` returns it. */
export interface AuditEntryView {
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

/**
 * The chain checked against the heads anchored outside the table (`anchoring` of `GET /proposals/{id}/audit`),
 * validated on receipt: `--verify` decides on it.
 */
export const AnchoringViewSchema = z.union([
  z.object({ configured: z.literal(false) }),
  z.object({ configured: z.literal(true), ok: z.literal(true), anchoredSeq: z.number().int().nonnegative(), anchorSeq: z.number().int().positive().optional(), anchoredAtMs: z.number().optional(), unanchored: z.number().int().nonnegative() }),
  z.object({ configured: z.literal(true), ok: z.literal(false), proposalId: z.string(), seq: z.number().int().positive().optional(), anchorSeq: z.number().int().positive().optional(), reason: z.string(), detail: z.string() }),
]);
/** See {@link AnchoringViewSchema}. */
export type AnchoringView = z.infer<typeof AnchoringViewSchema>;

/** `GET /proposals/{id}/audit`. */
export interface AuditView {
  entries: AuditEntryView[];
  verification: { ok: boolean; length?: number; brokenAt?: number; reason?: string };
  /** Absent from an API that predates anchoring. */
  anchoring?: AnchoringView;
}

/** What an approval binds, as `GET /proposals/{id}/approvals` states it: the CLI builds the typed data it signs from this. */
const ApprovalSubjectSchema = z.object({
  deploymentId: z.string().min(1),
  proposalId: z.string().min(1),
  root: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  leafCount: z.number().int().nonnegative(),
  manifestHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  policyHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  targets: z.array(
    z.object({
      network: z.string(),
      chainId: z.number().int().positive(),
      dispatcher: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
      activationDelaySeconds: z.number().int().nonnegative(),
      expiryWindowSeconds: z.number().int().nonnegative(),
    }),
  ),
  earliestCommitAt: z.number().int().nonnegative(),
  cutoverAt: z.number().int().nonnegative(),
  deadline: z.number().int().nonnegative(),
});

/** One approver of the policy and where it stands on one proposal. */
const ApproverViewSchema = z.object({
  id: z.string(),
  address: z.string(),
  kind: z.enum(["eoa", "erc1271"]),
  network: z.string().optional(),
  /** Its last accepted signature's effect (`approved`, `withdrawn`, `rejected`), or none yet. */
  status: z.string().optional(),
  /** The nonce its next signature must use. */
  nextNonce: z.number().int().nonnegative(),
  digest: z.string().optional(),
  at: z.union([z.number(), z.string()]).optional(),
});

/** `GET /proposals/{id}/approvals`, validated on receipt: the typed data a signature covers is built from `subject`. */
export const ApprovalsViewSchema = z.object({
  proposalId: z.string(),
  status: z.string(),
  threshold: z.number().int().positive(),
  /** Approvers whose approval counts now. */
  approved: z.number().int().nonnegative(),
  deadline: z.union([z.number(), z.string()]).optional(),
  subject: ApprovalSubjectSchema,
  approvers: z.array(ApproverViewSchema),
  approvals: z.array(z.unknown()).optional(),
});
/** See {@link ApprovalsViewSchema}. */
export type ApprovalsView = z.infer<typeof ApprovalsViewSchema>;
/** One approver in an {@link ApprovalsView}. */
export type ApproverView = ApprovalsView["approvers"][number];

/** The body of `POST /proposals/{id}/approvals`. */
export interface ApprovalSubmission {
  action: "Approve" | "Reject" | "Withdraw";
  nonce: number;
  signature: string;
  approver?: string;
}

/** `POST /proposals/{id}/approvals` (201). */
export interface ApprovalSubmitResult {
  approval: { approver: string; approverId: string; status: string; action: string; nonce: number; digest: string; atMs?: number };
  /** The proposal's approval status after this signature: AWAITING_APPROVAL, APPROVED or REJECTED. */
  status: string;
  /** Approvers whose approval counts now. */
  approvals: number;
  threshold: number;
  /** This signature crossed the threshold: the commits are scheduled. */
  scheduled: boolean;
  /** This signature's Reject cancelled the proposal. */
  rejected: boolean;
}

/** `GET /policy`. */
export interface PolicyView {
  deploymentId: string;
  policyHash: string;
  protectedStage: boolean;
  policy: unknown;
}

/** Whether `url` points at this machine (the devnet), where requests go unsigned. */
export function isLoopback(url: URL): boolean {
  return ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

/** Typed calls of the PayRox API. */
export class ApiClient {
  readonly baseUrl: string;
  readonly #signer: RequestSigner | undefined;
  readonly #timeoutMs: number;
  #defaultSigner: Promise<RequestSigner> | undefined;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#signer = options.signer === "none" ? undefined : options.signer;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    if (options.signer === undefined && !isLoopback(new URL(this.baseUrl))) this.#defaultSigner = import("./sigv4.js").then((m) => m.sigV4Signer(new URL(this.baseUrl)));
  }

  /** `POST /proposals`. */
  propose(body: { manifest: unknown; networks: string[]; earliestCommitAt?: string; cutoverAt?: string }): Promise<{ id: string; proposal: ProposalView["proposal"]; runs: RunView[] }> {
    return this.request("POST", "/proposals", body);
  }

  /** `GET /proposals/{id}`. */
  proposal(id: string): Promise<ProposalView> {
    return this.request("GET", `/proposals/${encodeURIComponent(id)}`);
  }

  /** `GET /proposals` (newest first). */
  proposals(limit = 20): Promise<{ proposals: ProposalView["proposal"][]; cursor?: string }> {
    return this.request("GET", `/proposals?limit=${limit}`);
  }

  /** `GET /proposals/{id}/audit`. */
  async audit(id: string): Promise<AuditView> {
    const view = await this.request<AuditView>("GET", `/proposals/${encodeURIComponent(id)}/audit`);
    if (view.anchoring === undefined) return view;
    const anchoring = AnchoringViewSchema.safeParse(view.anchoring);
    if (!anchoring.success) throw new ApiUnreachableError(this.baseUrl, `GET /proposals/${id}/audit answered an anchoring it can't read (${anchoring.error.issues[0]?.message})`);
    return { ...view, anchoring: anchoring.data };
  }

  /** `POST /proposals/{id}/cancel`. */
  cancel(id: string): Promise<{ proposalId: string; runs: { network: string; outcome: string; chunks?: number; revert?: string; state?: string }[] }> {
    return this.request("POST", `/proposals/${encodeURIComponent(id)}/cancel`);
  }

  /** `GET /proposals/{id}/review`. */
  review(id: string): Promise<ReviewProposalReturnType> {
    return this.request("GET", `/proposals/${encodeURIComponent(id)}/review`);
  }

  /** `GET /policy`: the deployment's approval policy and its hash. */
  policy(): Promise<PolicyView> {
    return this.request("GET", "/policy");
  }

  /** `GET /proposals/{id}/approvals`, validated: what an approval of the proposal binds, and where each approver stands. */
  async approvals(id: string): Promise<ApprovalsView> {
    const raw = await this.request<unknown>("GET", `/proposals/${encodeURIComponent(id)}/approvals`);
    const view = ApprovalsViewSchema.safeParse(raw);
    if (!view.success) {
      const issue = view.error.issues[0]!;
      throw new ApiUnreachableError(this.baseUrl, `GET /proposals/${id}/approvals answered a view it can't read (${issue.path.join(".")}: ${issue.message})`);
    }
    return view.data;
  }

  /** `POST /proposals/{id}/approvals`: one signed Approve, Reject or Withdraw. */
  submitApproval(id: string, body: ApprovalSubmission): Promise<ApprovalSubmitResult> {
    return this.request("POST", `/proposals/${encodeURIComponent(id)}/approvals`, body);
  }

  /** `GET /networks`. */
  networks(): Promise<{ networks: Array<Record<string, unknown> & { id: string; name: string; chainId: number; kind: string; graceSeconds: number; configured?: boolean }> }> {
    return this.request("GET", "/networks");
  }

  /**
   * Sends one request and parses the JSON answer.
   * @throws ApiRequestError for an `{ error }` answer; ApiUnreachableError when there is no JSON answer
   */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(this.baseUrl + path);
    const text = body === undefined ? undefined : JSON.stringify(body);
    let headers: Record<string, string> = { accept: "application/json", ...(text !== undefined && { "content-type": "application/json" }) };
    const signer = this.#signer ?? (await this.#defaultSigner);
    if (signer) headers = await signer({ method, url, headers, ...(text !== undefined && { body: text }) });
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(text !== undefined && { body: text }), signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error) {
      throw new ApiUnreachableError(this.baseUrl, `${method} ${path} failed (${(error as Error).cause ? String((error as Error).cause) : (error as Error).message})`, { cause: error });
    }
    const raw = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ApiUnreachableError(this.baseUrl, `${method} ${path} answered ${response.status} with non-JSON (${raw.slice(0, 120)})`);
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string } }).error;
      // API Gateway's own refusals (IAM: {"message": "Forbidden"}) carry no PayRox error body.
      const message = error?.message ?? (json as { message?: string }).message ?? raw.slice(0, 200);
      throw new ApiRequestError(response.status, error?.code ?? `http-${response.status}`, message, url.toString());
    }
    return json as T;
  }
}
