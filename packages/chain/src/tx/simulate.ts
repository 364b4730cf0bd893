/** Simulation (`eth_call`) and gas estimation before signing, with reverts decoded into typed errors. */
import { AbiCoder, isCallException, type Interface, type JsonRpcApiProvider } from "ethers";
import { SimulationRevertedError, TxGasLimitExceededError, UnauthorizedAccountError } from "../errors.js";

/** The call a step will send. */
export interface CallRequest {
  from: string;
  to: string;
  data: string;
  value?: bigint;
}

const ERROR_STRING = "0x08c379a0";
const PANIC = "0x4e487b71";

/**
 * Runs the call with `eth_call` at the latest block and returns its return data; a revert becomes a
 * {@link SimulationRevertedError} (or {@link UnauthorizedAccountError}) decoded with `errors`.
 * Failures that are not reverts (network, node) are rethrown unchanged.
 */
export async function simulateCall(provider: JsonRpcApiProvider, stepId: string, request: CallRequest, errors: Interface): Promise<string> {
  try {
    return await provider.call({ ...request, blockTag: "latest" });
  } catch (error) {
    throw revertError(stepId, error, errors) ?? error;
  }
}

/** `eth_estimateGas` plus `marginPercent`, with reverts decoded like {@link simulateCall}. */
export async function estimateGasWithMargin(
  provider: JsonRpcApiProvider,
  stepId: string,
  request: CallRequest,
  errors: Interface,
  marginPercent: number,
  limit?: { network: string; maxTxGas: bigint },
): Promise<bigint> {
  let estimate: bigint;
  try {
    estimate = await provider.estimateGas(request);
  } catch (error) {
    throw revertError(stepId, error, errors) ?? error;
  }
  const withMargin = (estimate * BigInt(100 + marginPercent) + 99n) / 100n;
  if (!limit) return withMargin;
  if (estimate > limit.maxTxGas) throw new TxGasLimitExceededError(stepId, limit.network, estimate, limit.maxTxGas);
  // A node under EIP-7825 refuses a gas limit above the cap even when the call would use less.
  return withMargin < limit.maxTxGas ? withMargin : limit.maxTxGas;
}

/** Decodes revert data into the typed error (unknown selectors keep `errorName` undefined). */
export function decodeRevert(stepId: string, data: string, errors: Interface, cause?: unknown): SimulationRevertedError {
  const selector = data.slice(0, 10).toLowerCase();
  try {
    if (selector === ERROR_STRING || selector === PANIC) {
      const [value] = AbiCoder.defaultAbiCoder().decode([selector === PANIC ? "uint256" : "string"], "0x" + data.slice(10));
      const name = selector === PANIC ? "Panic" : "Error";
      return new SimulationRevertedError(stepId, name, { [selector === PANIC ? "code" : "reason"]: value, 0: value }, data, { cause });
    }
    const parsed = errors.parseError(data);
    if (parsed) {
      const args: Record<string, unknown> = {};
      parsed.fragment.inputs.forEach((input, i) => {
        args[i] = parsed.args[i];
        if (input.name) args[input.name] = parsed.args[i];
      });
      if (parsed.name === "AccessControlUnauthorizedAccount") return new UnauthorizedAccountError(stepId, args, data);
      return new SimulationRevertedError(stepId, parsed.name, args, data, { cause });
    }
  } catch {
    // Malformed arguments: report the raw data below.
  }
  return new SimulationRevertedError(stepId, undefined, {}, data, { cause });
}

function revertError(stepId: string, error: unknown, errors: Interface): SimulationRevertedError | undefined {
  if (!isCallException(error)) return undefined;
  return decodeRevert(stepId, error.data ?? "0x", errors, error);
}
