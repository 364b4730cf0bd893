/**
 * Errors of the scheduler's use cases. A caller (the API handler) maps {@link ProposalRejectedError},
 * {@link ProposalNotFoundError} and {@link ProposalFinishedError} to 4xx responses.
 */
import { CoreError } from "../errors.js";
import type { Run } from "../run/types.js";

/** Why a proposal was refused; stable codes for the API. */
export const ProposalRejection = {
  INVALID_MANIFEST: "invalid-manifest",
  MANIFEST_TOO_LARGE: "manifest-too-large",
  NO_NETWORKS: "no-networks",
  TOO_MANY_NETWORKS: "too-many-networks",
  UNKNOWN_NETWORK: "unknown-network",
  DUPLICATE_NETWORK: "duplicate-network",
  INVALID_TIME: "invalid-time",
  INVALID_PROPOSER: "invalid-proposer",
  UNPLANNABLE: "unplannable",
  /** A target network where the dispatcher can't have its canonical CREATE2 address (ZKsync Era). */
  UNSUPPORTED_NETWORK: "unsupported-network",
  /** An apply batch, the commit or the activation can't fit a target network's per-transaction gas limit. */
  OVER_NETWORK_GAS_CAP: "over-network-gas-cap",
  /** A facet of the manifest has no code on a target network: its commit would go through and its apply revert `FacetHasNoCode`. */
  FACET_HAS_NO_CODE: "facet-has-no-code",
  /** A facet's code on a target network has another code hash than the manifest's: apply would revert `CodehashMismatch`. */
  FACET_CODEHASH_MISMATCH: "facet-codehash-mismatch",
  /** The policy forbids self-approval and does not map the proposer to an approver address, so the rule can't be enforced. */
  PROPOSER_NOT_MAPPED: "proposer-not-mapped",
} as const;
/** One of {@link ProposalRejection}. */
export type ProposalRejection = (typeof ProposalRejection)[keyof typeof ProposalRejection];

/** A proposal's input is wrong; nothing was written. `field` names the offending input field. */
export class ProposalRejectedError extends CoreError {
  constructor(
    readonly code: ProposalRejection,
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`proposal rejected (${code}) at ${field}: ${message}`, options);
  }
}

/** The lifecycle transactions PayRox sends, as a gas-cap refusal names them. */
export type LifecycleCall = "apply" | "commit" | "activate";

/** A call of the manifest can't fit a target network's per-transaction gas limit; nothing was written. */
export class NetworkGasCapError extends ProposalRejectedError {
  constructor(
    readonly network: string,
    readonly maxTxGas: number,
    readonly call: LifecycleCall,
    /** What the call needs (estimated); undefined when a single apply leaf already can't fit. */
    readonly gas: number | undefined,
    field: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(ProposalRejection.OVER_NETWORK_GAS_CAP, field, `${network} allows at most ${maxTxGas.toLocaleString("en-US")} gas per transaction and ${detail}; split the upgrade into smaller manifests (fewer facets, a smaller initializer) or drop ${network}`, options);
  }
}

/** A target network's RPC did not answer a read the proposal needs (e.g. a facet's code): retry later. */
export class NetworkReadError extends CoreError {
  constructor(
    readonly network: string,
    options?: ErrorOptions,
  ) {
    super(`network ${network} did not answer while checking the manifest's facets; retry the proposal in a moment`, options);
  }
}

/**
 * A target network is held by another proposal's unfinished run: one proposal at a time per network (and
 * its dispatcher), from the proposal's creation until its run there is final — a second commit would race
 * the first in a private relay, where neither sees the other. Nothing was written.
 */
export class NetworkBusyError extends CoreError {
  readonly code = "NETWORK_BUSY";
  constructor(
    readonly network: string,
    /** The proposal whose unfinished run holds the network. */
    readonly holder: string,
    options?: ErrorOptions,
  ) {
    super(`network ${network} is held by proposal ${holder}, whose run there is not over yet (running, awaiting approval, or its own root still pending there); wait for it to finish (payrox status ${holder}) or cancel it (payrox cancel ${holder}), then propose again`, options);
  }
}

/** Whether `error` is a {@link NetworkBusyError} from any store adapter (matched by code and fields). */
export function isNetworkBusy(error: unknown): error is NetworkBusyError {
  return error instanceof NetworkBusyError || (typeof error === "object" && error !== null && (error as { code?: unknown }).code === "NETWORK_BUSY" && typeof (error as { holder?: unknown }).holder === "string");
}

/** No proposal has this id. */
export class ProposalNotFoundError extends CoreError {
  constructor(readonly proposalId: string) {
    super(`no proposal ${proposalId}; list proposals (GET /proposals) for valid ids`);
  }
}

/** Every run of the proposal is already final: there is nothing left to cancel. */
export class ProposalFinishedError extends CoreError {
  constructor(
    readonly proposalId: string,
    readonly states: Record<string, string>,
  ) {
    super(
      `proposal ${proposalId} is finished on every network (${Object.entries(states)
        .map(([n, s]) => `${n}: ${s}`)
        .join(", ")}); nothing to cancel — propose a new upgrade to change the routing`,
    );
  }
}

/** Code carried by every run-version conflict, whichever store threw it (see packages/aws VersionConflictError). */
export const RUN_VERSION_CONFLICT = "RUN_VERSION_CONFLICT";

/** A conditional `saveRun` lost: the stored run is no longer at the expected version. */
export class RunVersionConflictError extends CoreError {
  readonly code = RUN_VERSION_CONFLICT;
  constructor(
    readonly expectedVersion: number,
    readonly stored: Run | undefined,
  ) {
    super(`run changed concurrently: expected version ${expectedVersion}, stored ${stored?.version ?? "none"}`);
  }
}

/** Whether `error` is a run-version conflict from any store adapter (matched by code, not class). */
export function isRunVersionConflict(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === RUN_VERSION_CONFLICT;
}

/**
 * Another invocation holds the step's lease and the step is not done: this trigger must be retried
 * later (the holder may have crashed; its lease then expires), never dropped — dropping it would lose
 * the step. Thrown so every scheduler retries it (EventBridge retry policy, SQS redelivery, the local loop).
 */
export class StepBusyError extends CoreError {
  constructor(
    readonly proposalId: string,
    readonly network: string,
    readonly step: string,
    readonly attempt: string,
  ) {
    super(`step ${step} ${attempt} of ${proposalId} on ${network} is held by another invocation and not done yet; retry after its lease expires`);
  }
}
