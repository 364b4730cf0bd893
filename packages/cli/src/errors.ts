/**
 * Every error the `payrox` command throws itself (the core's and the chain adapters' typed errors pass
 * through unchanged). A caller can rely on `instanceof CliError` and walk `cause`.
 */
import type { ManifestIssue } from "@payrox/core";

/** Root of @payrox/cli's errors: sets `name`, keeps `cause`. */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The command line itself is wrong (unknown command or flag, missing argument, bad flag value): exit 2. */
export class UsageError extends CliError {
  constructor(
    message: string,
    /** The command whose usage to show, e.g. "manifest build"; empty for the top level. */
    readonly command: string,
  ) {
    super(message);
  }
}

/** A file the command reads is missing or unreadable, or an output file can't be written: exit 1. */
export class FileAccessError extends CliError {
  constructor(
    readonly path: string,
    readonly problem: "read" | "write",
    options?: { cause?: unknown },
  ) {
    const code = (options?.cause as { code?: string } | undefined)?.code;
    super(
      problem === "read"
        ? `cannot read ${path}${code === "ENOENT" ? ": no such file" : code ? ` (${code})` : ""}; check the path`
        : `cannot write ${path}${code ? ` (${code})` : ""}; check that its directory is writable (nothing was written)`,
      options,
    );
  }
}

/** An input file is refused before or while it is read: not a regular file, over the size limit, not UTF-8. */
export class InputFileRefusedError extends CliError {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`refusing input ${path}: it ${problem}`);
  }
}

/** `manifest diff` would remove more than half of the live selectors; `--allow-mass-removal` accepts it. */
export class MassRemovalError extends CliError {
  constructor(
    readonly remove: number,
    readonly live: number,
  ) {
    super(
      `the desired routing would remove ${remove} of the ${live} live selectors (more than half): is it the COMPLETE desired routing? ` +
        `(a desired manifest lists every route that should stay live, not just changes). If the removal is intended, add --allow-mass-removal`,
    );
  }
}

/** A build spec is malformed or names artifacts that can't be used; `issues` names each bad field. */
export class BuildSpecInvalidError extends CliError {
  constructor(
    readonly specPath: string,
    readonly issues: ManifestIssue[],
    options?: { cause?: unknown },
  ) {
    super(`invalid build spec ${specPath}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")}`, options);
  }
}

/** A devnet state file is missing, unreadable or malformed. */
export class DevnetStateError extends CliError {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`devnet state file ${path}: ${problem}`);
  }
}

/** A devnet service could not be started or deployed to; everything started so far was stopped. */
export class DevnetStartError extends CliError {
  constructor(
    readonly service: string,
    options?: { cause?: unknown },
  ) {
    super(`could not start the devnet (${service}): ${(options?.cause as Error | undefined)?.message ?? "unknown failure"}; nothing is left running`, options);
  }
}

/** The devnet's kept data does not match the chains or the flags it is restarted with; nothing is left running. */
export class DevnetDataError extends CliError {
  constructor(
    readonly dataDir: string,
    problem: string,
    /** The network whose chain does not match, if one. */
    readonly network?: string,
  ) {
    super(`the devnet data in ${dataDir} can't be used: ${problem}; nothing is left running. Start from nothing with "payrox devnet services --fresh" (deletes the kept table, keys and chains)`);
  }
}

/** The PayRox API answered with an error (`code` and `message` from its `{ error }` body). */
export class ApiRequestError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly url: string,
  ) {
    super(`the PayRox API refused the request (${status} ${code}): ${message}`);
  }
}

/** The PayRox API could not be reached or answered something that is not its JSON. */
export class ApiUnreachableError extends CliError {
  constructor(
    readonly url: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot use the PayRox API at ${url}: ${problem}; is it running (payrox devnet up), and is --api right?`, options);
  }
}

/** A devnet run ended with networks that did not activate (`payrox devnet up --exit` exits 1). */
export class DevnetIncompleteError extends CliError {
  constructor(
    readonly states: Record<string, string>,
    /** What the devnet could not do (the example not proposed, a proposal not followed to the end). */
    readonly problems: readonly string[] = [],
  ) {
    super([`not every network activated: ${Object.entries(states).map(([n, s]) => `${n} ${s}`).join(", ") || "none followed"}`, ...problems].join("; "));
  }
}

/** The devnet's dispatchers disagree on their live epoch or root: no single manifest fits them all. */
export class DevnetDriftError extends CliError {
  constructor(readonly live: Record<string, string>) {
    super(`the devnet's dispatchers disagree on their live routing (${Object.entries(live).map(([n, s]) => `${n}: ${s}`).join(", ")}); start a fresh devnet`);
  }
}

/** `payrox audit --verify` found a broken hash chain: the trail was altered. */
/** The table's audit chain contradicts a head anchored outside it, or can't be checked against them (`audit --verify`). */
export class AuditAnchorMismatchError extends CliError {
  constructor(
    readonly proposalId: string,
    readonly anchoring: { seq?: number; anchorSeq?: number; reason: string; detail: string },
  ) {
    super(
      anchoring.reason === "anchor-store-unreadable"
        ? `the audit trail of ${proposalId} can't be checked against its anchors: ${anchoring.detail}`
        : `the audit trail of ${proposalId} contradicts its anchor${anchoring.seq ? ` at entry ${anchoring.seq}` : ""}${anchoring.anchorSeq ? ` (anchor ${anchoring.anchorSeq})` : ""}: ${anchoring.detail}`,
    );
  }
}

/** The audit chain does not verify (`audit --verify`): exit 1. */
export class AuditBrokenError extends CliError {
  constructor(
    readonly proposalId: string,
    readonly verification: { brokenAt?: number; reason?: string },
  ) {
    super(`the audit chain of ${proposalId} is BROKEN at entry ${verification.brokenAt} (${verification.reason}); the trail was altered`);
  }
}

/** An approver key file can't be used: too open, or not one 0x private key. The key itself is never shown. */
export class ApproverKeyError extends CliError {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`approver key file ${path} ${problem}`);
  }
}

/** The address that would sign is not an approver of the proposal's policy: nothing was signed or sent. */
export class NotAnApproverError extends CliError {
  constructor(
    readonly address: string,
    readonly proposalId: string,
    /** The policy's approvers, as the API listed them. */
    readonly approvers: readonly { id: string; address: string; kind?: string }[],
  ) {
    const smartAccounts = approvers.some((a) => a.kind === "erc1271") ? '; a smart account (a Safe) signs with "--print", then "--signature … --approver <account>"' : "";
    super(`${address} is not an approver of proposal ${proposalId}'s policy (approvers: ${approvers.map((a) => `${a.id} ${a.address}`).join(", ") || "none"}); use the key of one of them${smartAccounts}`);
  }
}

/** The API's approval view can't be signed over (another proposal's subject, an unreadable shape): nothing was signed. */
export class ApprovalViewError extends CliError {
  constructor(
    readonly proposalId: string,
    problem: string,
  ) {
    super(`refusing to sign for proposal ${proposalId}: ${problem}`);
  }
}

/** A signature made elsewhere (`--signature`) is not the approver's over the typed data this command built: nothing was sent. */
export class SignatureMismatchError extends CliError {
  constructor(
    readonly approver: string,
    readonly signer: string | undefined,
    readonly digest: string,
  ) {
    super(`the signature is not ${approver}'s over digest ${digest}${signer ? ` (it recovers to ${signer})` : ""}; sign the typed data "payrox approve --print" shows, with the approver's key and the same action and nonce`);
  }
}

/**
 * An admin action the dispatcher's admin must sign, and PayRox can't: the admin is a Safe (or another
 * account). The Safe transactions were printed; once the Safe has executed them, the same command resumes.
 */
export class AdminSignatureRequiredError extends CliError {
  constructor(
    readonly admin: string,
    readonly safeTxHashes: readonly string[],
    then: string,
  ) {
    super(`the dispatcher admin ${admin} is not a key PayRox holds: execute the ${safeTxHashes.length} Safe transaction(s) printed above (${safeTxHashes.join(", ")}) in the Safe, then ${then}`);
  }
}
