/**
 * The ApprovalTargetReader with ethers: what an approval binds about each target network — its chain id
 * (as the node reports it, checked against the registry's), the dispatcher's address, and its activation
 * delay and expiry window read at one block when the proposal is made.
 */
import type { ApprovalTarget, ApprovalTargetReader } from "@payrox/core";
import { Contract, getAddress, type Provider } from "ethers";
import { ApprovalTargetReadError } from "./errors.js";

const TIMING_ABI = ["function activationDelay() view returns (uint64)", "function expiryWindow() view returns (uint64)"] as const;

/** One network as {@link DispatcherApprovalTargets} reads it. */
export interface ApprovalTargetNetwork {
  provider: Provider;
  dispatcher: string;
  /** The registry's chain id; the node must report the same. */
  chainId: number;
}

/** {@link ApprovalTargetReader} over ethers providers. */
export class DispatcherApprovalTargets implements ApprovalTargetReader {
  readonly #networks: Readonly<Record<string, ApprovalTargetNetwork>>;

  constructor(networks: Readonly<Record<string, ApprovalTargetNetwork>>) {
    this.#networks = networks;
  }

  /** Reads `network`'s dispatcher timing at its latest block. @throws ApprovalTargetReadError */
  async target(network: string): Promise<ApprovalTarget> {
    const config = this.#networks[network];
    if (!config) throw new ApprovalTargetReadError(network, "no provider and dispatcher are configured for it");
    const dispatcher = getAddress(config.dispatcher);
    try {
      const reported = Number((await config.provider.getNetwork()).chainId);
      if (reported !== config.chainId) throw new ApprovalTargetReadError(network, `its RPC reports chain ${reported}, the registry says ${config.chainId}`);
      const blockTag = await config.provider.getBlockNumber();
      const views = new Contract(dispatcher, TIMING_ABI, config.provider);
      const [delay, expiry] = await Promise.all([views.getFunction("activationDelay")({ blockTag }), views.getFunction("expiryWindow")({ blockTag })]);
      return { network, chainId: reported, dispatcher, activationDelaySeconds: Number(delay), expiryWindowSeconds: Number(expiry) };
    } catch (error) {
      if (error instanceof ApprovalTargetReadError) throw error;
      throw new ApprovalTargetReadError(network, `the dispatcher at ${dispatcher} did not answer activationDelay()/expiryWindow() (${(error as Error).message.split(" (")[0]})`, { cause: error });
    }
  }
}
