/**
 * Every error @payrox/chain throws. A caller can rely on `instanceof ChainError` and walk `cause`.
 */

/** Root of @payrox/chain's errors: sets `name`, keeps `cause`. */
export class ChainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

// ── KMS signer errors ────────────────────────────────────────────────────────

/** What every KMS signer error knows: the key it was about, what KMS or the SDK said, and the cause. */
export interface KmsErrorContext {
  /** The key id, key ARN, alias name or alias ARN the signer was configured with. */
  keyId: string;
  /** What KMS or the SDK said, when it said something. */
  detail?: string;
  cause?: unknown;
}

/** Root of the KMS signer's errors; carries the key id. Thrown as is for KMS failures no subclass covers. */
export class KmsSignerError extends ChainError {
  /** The key id, key ARN, alias name or alias ARN the signer was configured with. */
  readonly keyId: string;
  /** What KMS or the SDK said, when it said something. */
  readonly detail?: string;

  constructor(message: string, context: KmsErrorContext) {
    super(context.detail ? `${message} (KMS: ${context.detail})` : message, { cause: context.cause });
    this.keyId = context.keyId;
    this.detail = context.detail;
  }
}

/** The key cannot sign Ethereum payloads: its spec is not ECC_SECG_P256K1 or its usage is not SIGN_VERIFY. */
export class KmsKeySpecError extends KmsSignerError {
  /** The key's KeySpec, when KMS reported it. */
  readonly keySpec?: string;
  /** The key's KeyUsage, when KMS reported it. */
  readonly keyUsage?: string;

  constructor(context: KmsErrorContext & { keySpec?: string; keyUsage?: string }) {
    const found = context.keySpec || context.keyUsage ? ` is ${context.keySpec ?? "?"} / ${context.keyUsage ?? "?"}, but` : "";
    super(
      `KMS key ${context.keyId}${found} Ethereum signing needs KeySpec ECC_SECG_P256K1 with KeyUsage SIGN_VERIFY: ` +
        "create such a key (aws kms create-key --key-spec ECC_SECG_P256K1 --key-usage SIGN_VERIFY) and configure its id",
      context,
    );
    this.keySpec = context.keySpec;
    this.keyUsage = context.keyUsage;
  }
}

/** No key or alias of that name in the client's account and region. */
export class KmsKeyNotFoundError extends KmsSignerError {
  constructor(context: KmsErrorContext) {
    super(`KMS key ${context.keyId} was not found: check the key id or alias, and that the client's region is the key's region`, context);
  }
}

/** The key exists but is disabled, pending deletion or otherwise not in a usable state. */
export class KmsKeyDisabledError extends KmsSignerError {
  constructor(context: KmsErrorContext) {
    super(
      `KMS key ${context.keyId} is disabled or not in a usable state: enable it (aws kms enable-key --key-id <key>) ` +
        "or cancel its deletion, or configure another key",
      context,
    );
  }
}

/** The caller's credentials are missing, invalid, or not allowed to use the key. */
export class KmsAccessDeniedError extends KmsSignerError {
  constructor(context: KmsErrorContext) {
    super(
      `access to KMS key ${context.keyId} was denied: check the AWS credentials, and allow kms:GetPublicKey, ` +
        "kms:Sign and kms:DescribeKey on the key to this role (key policy or IAM policy)",
      context,
    );
  }
}

/** KMS did not answer in time, could not be reached, or kept throttling after the SDK's retries. */
export class KmsUnavailableError extends KmsSignerError {
  constructor(context: KmsErrorContext) {
    super(
      `KMS did not answer for key ${context.keyId} (timeout, network error, throttling or a KMS fault): nothing was sent; ` +
        "retry later, and check the endpoint (AWS_ENDPOINT_URL_KMS / region) and the network path to KMS",
      context,
    );
  }
}

/** KMS answered with a public key or signature that is malformed or does not belong to the key. */
export class KmsResponseError extends KmsSignerError {
  constructor(context: KmsErrorContext) {
    super(
      `KMS returned an unusable public key or signature for key ${context.keyId}: nothing was sent; ` +
        "check that the endpoint (AWS_ENDPOINT_URL_KMS) is a genuine KMS and the key is ECC_SECG_P256K1",
      context,
    );
  }
}

// ── transaction lifecycle errors ─────────────────────────────────────────────

/** Hints for the dispatcher's and OpenZeppelin's custom errors: what the operator should do. */
const REVERT_HINTS: Record<string, string> = {
  NoPendingRoot: "commit a manifest root before applying or activating",
  ActivationNotReady: "the ETA has not passed; reschedule the activation for the ETA",
  RootExpired: "the activation window passed; cancel the root and commit a new one",
  CodehashMismatch: "a facet's code changed since the manifest was built: halt this network's run and investigate",
  AccessControlUnauthorizedAccount: "the signing key lacks the role: grant it, or sign with the key that holds it",
  PendingRootExists: "a root is already pending; activate or cancel it first",
  ManifestIncomplete: "apply every batch of the manifest before activating",
  EpochMismatch: "the epoch must be the dispatcher's nextEpoch(); read it again and retry the commit",
  ActivationPaused: "the dispatcher is paused: activation waits until it is unpaused (before the root expires)",
  CancelInProgress: "a cancel of the pending root is in progress: finish it (further cancel chunks) before anything else",
  CancelTargetMismatch: "the cancel names another root or epoch than the pending one: read pendingManifest() and name that, or leave it",
  ManifestBindingMismatch: "the activation's facet list or initializer is not the one committed: activate with the manifest's own activateArgs",
  ManifestHeaderMismatch: "the header proof does not prove (leafCount, binding) in the root: commit with the manifest's own commitArgs",
  InitializerFailed: "the manifest's initializer reverted: nothing went live; fix the initializer and propose again",
};

/** The `eth_call` simulation reverted: nothing was signed or sent. Carries the decoded custom error. */
export class SimulationRevertedError extends ChainError {
  constructor(
    readonly stepId: string,
    /** Decoded error name (`"NoPendingRoot"`, `"Error"` for require strings, `"Panic"`), or undefined if unknown. */
    readonly errorName: string | undefined,
    /** Decoded arguments by name (and position), e.g. `{ account, neededRole }`. */
    readonly args: Record<string, unknown>,
    /** Raw revert data (`0x` + 4-byte selector + arguments), `"0x"` when the node gave none. */
    readonly data: string,
    options?: { cause?: unknown },
  ) {
    const what = errorName ? `${errorName}(${formatArgs(args)})` : `unknown revert data ${data.slice(0, 74)}`;
    const hint = (errorName && REVERT_HINTS[errorName]) ?? "fix the call or the chain state; nothing was sent";
    super(`simulation of step ${stepId} reverted with ${what}: ${hint}`, options);
  }
}

/** The simulation reverted with OpenZeppelin's `AccessControlUnauthorizedAccount` (a security alert). */
export class UnauthorizedAccountError extends SimulationRevertedError {
  /** The account that lacked the role. */
  readonly account: string;
  /** The role it needed (bytes32). */
  readonly neededRole: string;
  constructor(stepId: string, args: Record<string, unknown>, data: string) {
    super(stepId, "AccessControlUnauthorizedAccount", args, data);
    this.account = String(args.account);
    this.neededRole = String(args.neededRole);
  }
}

/** The fee the market needs exceeds the network's cap: nothing was signed. */
export class FeeCapExceededError extends ChainError {
  constructor(readonly network: string, readonly requiredMaxFeePerGas: bigint, readonly maxFeePerGasCap: bigint) {
    super(
      `network ${network} needs maxFeePerGas ${requiredMaxFeePerGas} wei, above the cap of ${maxFeePerGasCap} wei: ` +
        `wait for fees to fall or raise the network's fee cap; nothing was signed`,
    );
  }
}

/** The call needs more gas than the network lets one transaction use (EIP-7825 or its block limit); nothing was signed. */
export class TxGasLimitExceededError extends ChainError {
  constructor(readonly stepId: string, readonly network: string, readonly estimatedGas: bigint, readonly maxTxGas: bigint) {
    super(
      `step ${stepId} needs ~${estimatedGas} gas, above ${network}'s per-transaction limit of ${maxTxGas}: ` +
        `nothing was signed; split the call (smaller batches, cancel chunks) to fit`,
    );
  }
}

/** Signing failed (e.g. the KMS refused); the reserved nonce was released, nothing was sent. */
export class SigningFailedError extends ChainError {
  constructor(readonly stepId: string, readonly nonce: number, options?: { cause?: unknown }) {
    super(`signing step ${stepId} (nonce ${nonce}) failed; the nonce was released and nothing was sent: check the signer and retry`, options);
  }
}

/** The write-ahead journal write failed with an unknown outcome; the transaction was not broadcast. */
export class JournalWriteFailedError extends ChainError {
  constructor(readonly stepId: string, readonly nonce: number, options?: { cause?: unknown }) {
    super(
      `writing the journal record of step ${stepId} (nonce ${nonce}) failed, nothing was broadcast: ` +
        `call resume(${JSON.stringify(stepId)}) once the journal is reachable (it re-broadcasts the record if it was written)`,
      options,
    );
  }
}

/** Another writer updated the step's journal record concurrently (two workers on one step). */
export class JournalConflictError extends ChainError {
  constructor(readonly stepId: string, readonly expectedVersion: number, readonly storedVersion: number) {
    super(
      `journal record of step ${stepId} is at version ${storedVersion}, expected ${expectedVersion}: another worker runs this step; ` +
        `stop this one (its run claim should have prevented this)`,
    );
  }
}

/** The step's nonce was used on chain by a transaction that is not in the journal (another sender uses the key). */
export class NonceConsumedError extends ChainError {
  constructor(readonly stepId: string, readonly from: string, readonly nonce: number, readonly network: string) {
    super(
      `nonce ${nonce} of ${from} on ${network} was used by a transaction that is not in step ${stepId}'s journal: ` +
        `another sender uses this key; stop it, then run the step again under a new step id`,
    );
  }
}

/** `resume` found no journal record: the step never signed anything. */
export class NothingToResumeError extends ChainError {
  constructor(readonly stepId: string) {
    super(`no journal record for step ${stepId}: nothing was signed for it, so send it (send() is safe to call)`);
  }
}

/** The journal record was signed by another key than this sender's signer. */
export class SignerMismatchError extends ChainError {
  constructor(readonly stepId: string, readonly recordedFrom: string, readonly signerAddress: string) {
    super(`step ${stepId} was signed by ${recordedFrom}, but this sender signs as ${signerAddress}: resume it with the original key`);
  }
}

/** The journal record belongs to another network or chain than this sender's. */
export class NetworkMismatchError extends ChainError {
  constructor(readonly stepId: string, readonly recorded: string, readonly actual: string) {
    super(`step ${stepId} was journaled for ${recorded}, but this sender is connected to ${actual}: resume it with a sender for that network`);
  }
}

/** Not confirmed within the time given; the journal keeps the record and the transaction may still land. */
export class TxConfirmationTimeoutError extends ChainError {
  constructor(readonly stepId: string, readonly hashes: string[], readonly timeoutMs: number) {
    super(
      `step ${stepId} not confirmed within ${timeoutMs} ms (hashes ${hashes.join(", ")}): ` +
        `call resume(${JSON.stringify(stepId)}) to keep watching; do not send the step again under a new id`,
    );
  }
}

/** The step id is journaled with a different transaction (target or calldata): ids must not be reused. */
export class StepConflictError extends ChainError {
  constructor(readonly stepId: string, readonly detail: string) {
    super(`step ${stepId} is journaled with a different transaction (${detail}): give a new step a new id; resume(${JSON.stringify(stepId)}) continues the journaled one`);
  }
}

function formatArgs(args: Record<string, unknown>): string {
  return Object.entries(args)
    .filter(([key]) => !/^\d+$/.test(key))
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(", ");
}

// ── relay errors ─────────────────────────────────────────────────────────────

/** A relay refused a submission or could not be reached; nothing was accepted by it. */
export class RelayRefusedError extends ChainError {
  constructor(readonly relay: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`relay ${relay} refused the submission: ${reason}`, options);
  }
}

/** Every relay the policy allows refused; the public fallback is off, so nothing was sent anywhere. */
export class RelayUnavailableError extends ChainError {
  constructor(
    readonly network: string,
    readonly failures: ReadonlyArray<{ relay: string; reason: string }>,
    readonly publicFallbackAllowed: boolean,
  ) {
    const list = failures.map((f) => `${f.relay}: ${f.reason}`).join("; ");
    const advice = publicFallbackAllowed
      ? "retry later"
      : `the network's policy forbids the public fallback, so nothing was sent: retry later, or allow the public fallback for ${network} if exposing the transaction to the mempool is acceptable`;
    super(`no relay accepted the transaction on ${network} (${list}): ${advice}`);
  }
}

/** A bundle relay's `eth_callBundle` simulation reverted: sending it anywhere would revert too, so no fallback. */
export class BundleSimulationRevertedError extends ChainError {
  constructor(readonly relay: string, readonly txHash: string, readonly revert: string) {
    super(`bundle simulation at ${relay} reverted in transaction ${txHash}: ${revert}; fix the transaction (nothing was sent)`);
  }
}

/** Why a node rejected a raw transaction. */
export type BroadcastRejection = "underpriced" | "nonce-too-low" | "insufficient-funds" | "rejected";

/** A node rejected a raw transaction (and does not know it): the reason says what to do. */
export class BroadcastRejectedError extends ChainError {
  constructor(readonly relay: string, readonly txHash: string, readonly rejection: BroadcastRejection, readonly detail: string, options?: { cause?: unknown }) {
    const advice: Record<BroadcastRejection, string> = {
      underpriced: "the fees are below what the node accepts; replace it with higher fees",
      "nonce-too-low": "its nonce is used already; check the journal for a mined attempt",
      "insufficient-funds": "fund the signer, then resume the step",
      rejected: "see the node's message",
    };
    super(`${relay} rejected transaction ${txHash} (${rejection}: ${detail}): ${advice[rejection]}`, options);
  }
}

/** A relay or relay policy is misconfigured (missing adapter, auth key reused as transaction key…). */
export class RelayConfigurationError extends ChainError {
  constructor(message: string) {
    super(message);
  }
}
