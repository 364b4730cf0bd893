/** A {@link Relay} that applies a network's {@link RelayPolicy}: preferred relays in order, public fallback only if allowed. */
import { RelayKind, type Relay, type RelayFallback, type RelayPolicy, type RelayStatus, type RelaySubmission, type RelaySubmitRequest } from "@payrox/core";
import { RelayConfigurationError, RelayRefusedError, RelayUnavailableError } from "../errors.js";

/** Options of {@link RelayRouter}. */
export interface RelayRouterOptions {
  policy: RelayPolicy;
  /** The adapters available on this network, by kind. */
  relays: Partial<Record<RelayKind, Relay>>;
  /** Told about every fallback as it happens (in addition to the submission's `fallbacks`). */
  onFallback?: (fallback: RelayFallback & { network: string }) => void;
}

/**
 * Tries the policy's preferred relays in order; a relay that refuses ({@link RelayRefusedError}) is skipped
 * for the next one, and each skip is reported — in the returned submission's `fallbacks` and through
 * `onFallback`. The public mempool is appended last only when `allowPublicFallback` is set. Any other error
 * (a rejected transaction, a reverting bundle) is thrown at once: another relay would not help.
 */
export class RelayRouter implements Relay {
  readonly name: string;
  readonly kind: RelayKind;
  readonly #chain: Relay[];
  readonly #byName: Map<string, Relay>;

  constructor(private readonly options: RelayRouterOptions) {
    const { policy, relays } = options;
    if (policy.preferred.length === 0) throw new RelayConfigurationError(`relay policy of ${policy.network} prefers no relay; list at least one kind`);
    const kinds = [...policy.preferred];
    if (policy.allowPublicFallback && !kinds.includes(RelayKind.PUBLIC)) kinds.push(RelayKind.PUBLIC);
    this.#chain = kinds.map((kind) => {
      const relay = relays[kind];
      if (!relay) throw new RelayConfigurationError(`relay policy of ${policy.network} uses ${kind}, but no ${kind} relay is configured for it`);
      return relay;
    });
    this.#byName = new Map(this.#chain.map((r) => [r.name, r]));
    this.kind = this.#chain[0]!.kind;
    this.name = `policy(${this.#chain.map((r) => r.name).join(" > ")})`;
  }

  /** Submits through the first relay that accepts; throws {@link RelayUnavailableError} when none does. */
  async submit(request: RelaySubmitRequest): Promise<RelaySubmission> {
    const failures: Array<{ relay: string; reason: string }> = [];
    for (const relay of this.#chain) {
      let submission: RelaySubmission;
      try {
        submission = await relay.submit(request);
      } catch (error) {
        if (!(error instanceof RelayRefusedError)) throw error;
        failures.push({ relay: relay.name, reason: error.reason });
        continue;
      }
      const fallbacks = failures.map((f) => ({ from: f.relay, to: relay.name, reason: f.reason }));
      for (const fallback of fallbacks) this.options.onFallback?.({ ...fallback, network: this.options.policy.network });
      return { ...submission, fallbacks: [...(submission.fallbacks ?? []), ...fallbacks] };
    }
    throw new RelayUnavailableError(this.options.policy.network, failures, this.options.policy.allowPublicFallback);
  }

  /** Asks the relay that accepted the submission. */
  async status(submission: RelaySubmission): Promise<RelayStatus> {
    const relay = this.#byName.get(submission.relay);
    if (!relay) throw new RelayConfigurationError(`submission ${submission.id} was made through ${submission.relay}, which this router does not have`);
    return relay.status(submission);
  }
}
