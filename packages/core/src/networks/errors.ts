/** Errors of the network registry and its configuration. */
import { CoreError } from "../errors.js";

/** The registry data itself is inconsistent (a bug in this package, caught when it loads). */
export class NetworkRegistryError extends CoreError {
  constructor(readonly problems: string[]) {
    super(`network registry is invalid: ${problems.join("; ")}`);
  }
}

/** No network has this id (or chain id). */
export class UnknownNetworkError extends CoreError {
  constructor(
    readonly network: string,
    hint: string,
  ) {
    super(`unknown network "${network}": ${hint}`);
  }
}

/** One problem in a network configuration, e.g. `{ path: "networks.base.rpcUrl", network: "base", field: "rpcUrl" }`. */
export interface NetworkConfigIssue {
  /** Dotted path in the configuration document. */
  path: string;
  /** The network the problem belongs to, when it belongs to one. */
  network?: string;
  /** The offending field of that network's entry (or of the document). */
  field?: string;
  message: string;
}

/** The network configuration is malformed; `issues` names every offending network and field. */
export class NetworkConfigError extends CoreError {
  constructor(
    readonly issues: NetworkConfigIssue[],
    options?: { cause?: unknown },
  ) {
    super(`invalid network configuration: ${issues.map((i) => `${i.path || "(document)"}: ${i.message}`).join("; ")}`, options);
  }
}

/** The network does not give the dispatcher its canonical CREATE2 address (e.g. ZKsync Era): PayRox can't deploy or upgrade there. */
export class Create2UnsupportedError extends CoreError {
  constructor(
    readonly network: string,
    readonly networkName: string,
  ) {
    super(`${networkName} (${network}) derives CREATE2 addresses differently, so the dispatcher can't have its one canonical address there; PayRox does not deploy to or upgrade on it — remove it from the target networks`);
  }
}
