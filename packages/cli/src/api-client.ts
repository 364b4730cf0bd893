/**
 * Client of the PayRox HTTP API (the routes of functions/src/api). Requests to a deployed stack are
 * SigV4-signed for `execute-api` with the caller's AWS credentials (the stack's routes use IAM auth);
 * requests to a loopback address (the devnet) are sent unsigned.
 */
import * as z from "zod";
import type { ReviewProposalReturnType } from "@payrox/core";
import { ApiRequestError, ApiUnreachableError } from "./errors.js";

/** Signs a request (SigV4 in production); returns the headers to send. */
export type RequestSigner = (request: { method: string; url: URL; headers: Record<string, string>; body?: string }) => Promise<Record<string, string>>;

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
  proposal: { id: string; name: string; root: string; networks: string[]; createdAtMs: number; proposer: string; cutoverAtMs?: number; earliestCommitAtMs?: number };
  runs: RunView[];
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
