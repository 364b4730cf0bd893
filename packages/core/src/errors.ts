/**
 * Every error @payrox/core throws. A caller can rely on `instanceof CoreError` and walk `cause`.
 */
import { PROTECTED_HINT } from "./manifest/protected.js";

/** Root of @payrox/core's errors: sets `name`, keeps `cause`. */
export class CoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem found in a manifest or build spec, located by its field path (e.g. `entries[3].facet`). */
export interface ManifestIssue {
  path: string;
  message: string;
  /** For a selector conflict: the selector, and what claims it (both sides for a collision). */
  conflict?: ManifestConflict;
}

/** A selector a build can't route: claimed by two facets, or protected by the dispatcher. */
export interface ManifestConflict {
  kind: "collision" | "protected";
  selector: string;
  /** The facet function that claims it (spec path, facet, name, signature). */
  facet: { path: string; facet: string; facetName: string; signature: string };
  /** A collision: the facet function that claimed it first. */
  other?: { path: string; facet: string; facetName: string; signature: string };
  /** Protected: what the dispatcher uses it for. */
  protectedAs?: string;
}

/** A manifest (or build spec) is malformed or inconsistent; `issues` names every offending field. */
export class ManifestInvalidError extends CoreError {
  constructor(
    readonly issues: ManifestIssue[],
    options?: { cause?: unknown },
  ) {
    super(`invalid manifest: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")}`, options);
  }
}

/** The file is an older manifest format (e.g. `payrox-manifest/v1`) that the v2 dispatcher can't commit. */
export class ManifestFormatVersionError extends ManifestInvalidError {
  constructor(readonly found: string) {
    super([
      {
        path: "format",
        message:
          `"${found}" is not supported: dispatcher v2 commits payrox-manifest/v2 (its tree has a header leaf binding ` +
          `the leaf count, facets and initializer, so a v1 root can't be committed); rebuild it as v2 with ` +
          `"payrox manifest build" (or "payrox manifest diff")`,
      },
    ]);
  }
}

/** A rollback can't be built from the manifests given (out of order, target missing, state unknown). */
export class RollbackError extends CoreError {
  constructor(
    readonly problem: "target-not-applied" | "broken-chain" | "unknown-earlier-route" | "live-mismatch" | "no-applied",
    message: string,
  ) {
    super(message);
  }
}

/** One selector is claimed by two facets (or listed twice). */
export class SelectorCollisionError extends CoreError {
  constructor(
    readonly selector: string,
    readonly first: { facet: string; facetName: string; signature: string },
    readonly second: { facet: string; facetName: string; signature: string },
  ) {
    super(
      `selector ${selector} is routed twice: ${describe(first)} and ${describe(second)}; ` +
        `route it to one facet only (rename one function, or drop it from one facet's list)`,
    );
  }
}

/** The selector belongs to the dispatcher itself (or is the reserved 0x00000000). */
export class ProtectedSelectorError extends CoreError {
  constructor(
    readonly selector: string,
    readonly signature: string,
    readonly facetName: string,
    readonly protectedAs: string,
  ) {
    super(
      `selector ${selector} (${signature || "?"} of ${facetName || "?"}) is the dispatcher's own ${protectedAs}; ` +
        `the dispatcher serves it itself and never routes it away. Migrating a diamond? Drop its loupe (DiamondLoupeFacet), ERC-165 and ownership (OwnershipFacet) facets, or "exclude" such functions; otherwise rename the facet function`,
    );
  }
}

/** A facet's code is absent, too large, or hashes differently from what the manifest pins. */
export class FacetCodeError extends CoreError {
  constructor(
    readonly facet: string,
    readonly facetName: string,
    readonly problem: "no-code" | "too-large" | "codehash-mismatch" | "delegated",
    message: string,
  ) {
    super(message);
  }
}

/**
 * A build routes selectors it can't: every selector claimed by two facets and every dispatcher-protected
 * selector, all at once, each as an issue with its `conflict` (spec path, selector, both facets and signatures).
 */
export class ManifestConflictError extends ManifestInvalidError {
  constructor(readonly conflicts: ManifestIssue[]) {
    super(conflicts);
    // One line per conflict; the what-to-do of protected selectors (in each issue) said once at the end.
    const lines = conflicts.map((i) => `  ${i.path}: ${i.message.replace(`; ${PROTECTED_HINT}`, "")}`);
    const hint = conflicts.some((i) => i.conflict?.kind === "protected") ? `\nProtected selectors: ${PROTECTED_HINT}.` : "";
    this.message = `${conflicts.length} selector conflict${conflicts.length === 1 ? "" : "s"}:\n${lines.join("\n")}${hint}`;
  }
}

/** The live dispatcher is not in the state the manifest was built against. */
export class DriftError extends CoreError {
  constructor(
    readonly expected: { epoch: bigint; root: string },
    readonly actual: { epoch: bigint; root: string },
  ) {
    super(
      `dispatcher drifted: manifest expects epoch ${expected.epoch} with root ${expected.root}, ` +
        `the network is at epoch ${actual.epoch} with root ${actual.root}; rebuild the manifest against the live state ` +
        `(payrox manifest diff) instead of committing on top of an unknown state`,
    );
  }
}

/** A manifest can't be split into batches under the given limits. */
export class PlanError extends CoreError {}

function describe(side: { facet: string; facetName: string; signature: string }): string {
  return `${side.facetName || "facet"} ${side.facet} (${side.signature || "?"})`;
}

/** An alert rule or monitoring helper got a value it cannot judge (negative gas, a bad threshold…). */
export class AlertRuleInputError extends CoreError {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/**
 * An RPC provider (or an event source's own bound) refused an `eth_getLogs` range as too large: too many
 * blocks or too many results. Providers word it differently; the adapter recognises it and throws this so
 * the chain watcher splits the range instead of failing the sweep.
 */
export class LogRangeRefusedError extends CoreError {
  constructor(
    readonly network: string,
    readonly fromBlock: number,
    readonly toBlock: number,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${network}: eth_getLogs of blocks ${fromBlock}–${toBlock} refused as too large (${reason}); read it in smaller ranges`, options);
  }
}

/** An alert reached none, or only some, of its sinks; `failures` names each sink that failed and why. */
export class AlertDeliveryError extends CoreError {
  constructor(
    readonly alertId: string,
    readonly failures: readonly { sink: string; error: unknown }[],
  ) {
    super(`alert ${alertId} was not delivered to ${failures.map((f) => `${f.sink} (${f.error instanceof Error ? f.error.message : String(f.error)})`).join(", ")}`, { cause: failures[0]?.error });
  }
}

/** An alert delivery setting (destination id, retry policy) is unusable; `field` names it. */
export class AlertDeliveryConfigError extends CoreError {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`invalid alert delivery setting ${field}: ${problem}`);
  }
}

/** A webhook request's signature header is missing, malformed, stale or does not match its body. */
export class WebhookSignatureError extends CoreError {
  constructor(
    readonly problem: "missing" | "malformed" | "stale" | "mismatch",
    message: string,
  ) {
    super(`webhook signature ${problem}: ${message}`);
  }
}

/** An audit anchor with this seq is already stored: anchors are write-once (another anchorer won the tick). */
export class AnchorExistsError extends CoreError {
  constructor(readonly anchorSeq: number, options?: { cause?: unknown }) {
    super(`audit anchor ${anchorSeq} already exists; anchors are never replaced (another anchorer wrote it first: read the latest and try again)`, options);
  }
}

/**
 * A stored audit anchor (or its per-proposal index record) does not hash, parse or link as it says: the
 * anchor storage itself was written by something other than the anchorer.
 */
export class AnchorIntegrityError extends CoreError {
  constructor(readonly where: string, readonly problem: string, options?: { cause?: unknown }) {
    super(`audit anchor storage is inconsistent at ${where}: ${problem}; treat the audit trail as unverified and check who wrote to the anchor bucket`, options);
  }
}

/**
 * A step was signed by a signer that a key rotation retired (its roles revoked) and the dispatcher
 * refused it: this worker still runs with the old key's configuration. The run is untouched; the step
 * is retried, and a worker with the current configuration signs it.
 */
export class RetiredSignerError extends CoreError {
  constructor(
    readonly network: string,
    readonly signer: string,
    readonly neededRole: string,
    readonly retiredAtMs: number,
  ) {
    super(`signer ${signer} on ${network} was retired by a key rotation at ${new Date(retiredAtMs).toISOString()} and the dispatcher refused it (lacks role ${neededRole}); this worker still signs with the old key: reload its network configuration (the step is retried)`);
  }
}

/** A key rotation can't revoke the old signer yet: it still has transactions or nonce reservations in flight. */
export class SignerBusyError extends CoreError {
  constructor(
    readonly network: string,
    readonly signer: string,
    readonly reasons: readonly string[],
  ) {
    super(`signer ${signer} on ${network} is still in use (${reasons.join("; ")}); the new key is granted and active — let the in-flight steps finish, then run the rotation again to revoke the old key`);
  }
}

/** A key rotation was asked for something that can't be rotated (same key, unknown network, no roles to hand over). */
export class SignerRotationError extends CoreError {
  constructor(readonly network: string, problem: string) {
    super(`key rotation on ${network}: ${problem}`);
  }
}
