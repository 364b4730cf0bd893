/**
 * Errors of the RPC failover provider. They extend @payrox/chain's root {@link ChainError}; they live here
 * (like the gateway's) so failover can be added without touching ../errors.ts. Every one of them is
 * transient for a step: nothing was signed on its strength, and the step can be retried.
 */
import { ChainError } from "../errors.js";

/** Root of the failover provider's errors; carries the network. */
export class RpcFailoverError extends ChainError {
  constructor(
    readonly network: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The failover options are malformed (no URL, a quorum the endpoints can't meet with one of them down…). */
export class RpcFailoverConfigError extends RpcFailoverError {
  constructor(
    network: string,
    readonly problems: readonly string[],
  ) {
    super(network, `invalid RPC failover options for ${network}: ${problems.join("; ")}`);
  }
}

/** One endpoint's failure, as the errors report it (URLs are shown by origin only: paths may hold API keys). */
export interface EndpointFailure {
  endpoint: string;
  reason: string;
}

/** No endpoint answered (all down, timing out, rate-limited or on another chain). */
export class RpcUnavailableError extends RpcFailoverError {
  constructor(
    network: string,
    readonly method: string,
    readonly failures: readonly EndpointFailure[],
  ) {
    const list = failures.map((f) => `${f.endpoint}: ${f.reason}`).join("; ") || "no endpoint is usable";
    super(network, `no RPC endpoint of ${network} answered ${method} (${list}): nothing was decided on it; retry later and check the endpoints`);
  }
}

/** One endpoint's answer to a quorum read, as the errors report it. */
export interface EndpointAnswer {
  endpoint: string;
  /** The compared part of the answer (a short JSON text). */
  answer: string;
}

/**
 * Endpoints answered the same read at the same block differently and no answer reached the quorum: one of
 * them is wrong (tampering, a bug, or a fork). Nothing was decided on it.
 */
export class RpcDisagreementError extends RpcFailoverError {
  constructor(
    network: string,
    readonly method: string,
    /** The block the read was pinned to (a hex number), or its tag when it can't be pinned (`pending`). */
    readonly block: string | undefined,
    readonly quorum: number,
    readonly answers: readonly EndpointAnswer[],
  ) {
    const list = answers.map((a) => `${a.endpoint} → ${a.answer}`).join("; ");
    super(
      network,
      `RPC endpoints of ${network} disagree on ${method}${block ? ` at block ${block}` : ""} and no answer has ${quorum} votes (${list}): ` +
        "nothing was decided on it; see RUNBOOKS.md \"provider disagreement\" — find the endpoint that is wrong and remove it from rpcUrls",
    );
  }
}

/** Fewer endpoints than the quorum answered (the others are down or behind); the ones that did agree. */
export class RpcQuorumUnavailableError extends RpcFailoverError {
  constructor(
    network: string,
    readonly method: string,
    readonly quorum: number,
    readonly answered: number,
    readonly failures: readonly EndpointFailure[],
  ) {
    const list = failures.map((f) => `${f.endpoint}: ${f.reason}`).join("; ");
    super(network, `only ${answered} RPC endpoint(s) of ${network} answered ${method}, ${quorum} must agree${list ? ` (${list})` : ""}: nothing was decided on it; retry later`);
  }
}

/** An endpoint serves another chain than the network's: it is never used. */
export class RpcChainMismatchError extends RpcFailoverError {
  constructor(
    network: string,
    readonly endpoint: string,
    readonly expectedChainId: bigint,
    readonly actualChainId: bigint,
  ) {
    super(network, `RPC endpoint ${endpoint} of ${network} serves chain ${actualChainId}, expected ${expectedChainId}: it is not used; fix its URL in rpcUrls`);
  }
}
