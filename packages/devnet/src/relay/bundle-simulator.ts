/** `eth_callBundle` for the local relay: nonce checks, then `eth_simulateV1` on the node. */
import { getAddress, keccak256, toBeHex, Transaction } from "ethers";
import type { NodeRpc } from "./node-rpc.js";

/** One transaction's result, in the shape Flashbots returns. */
export interface CallBundleTxResult {
  txHash: string;
  fromAddress: string;
  toAddress: string;
  gasUsed: number;
  gasPrice: string;
  gasFees: string;
  coinbaseDiff: string;
  ethSentToCoinbase: string;
  value?: string;
  error?: string;
  revert?: string;
}

/** The `eth_callBundle` result, in the shape Flashbots returns. */
export interface CallBundleResult {
  bundleGasPrice: string;
  bundleHash: string;
  coinbaseDiff: string;
  ethSentToCoinbase: string;
  gasFees: string;
  results: CallBundleTxResult[];
  stateBlockNumber: number;
  totalGasUsed: number;
}

/** The bundle is invalid as a whole (bad encoding, nonce mismatch): a JSON-RPC error, like Flashbots'. */
export class InvalidBundleError extends Error {}

interface SimulatedCall {
  status: string;
  gasUsed: string;
  returnData: string;
  error?: { message: string };
}

/** Bundle hash as Flashbots computes it: keccak256 of the concatenated transaction hashes. */
export function bundleHashOf(txHashes: readonly string[]): string {
  return keccak256("0x" + txHashes.map((h) => h.slice(2)).join(""));
}

/** Decodes signed transactions; throws {@link InvalidBundleError} on anything malformed or unsigned. */
export function decodeBundle(txs: unknown): Transaction[] {
  if (!Array.isArray(txs) || txs.length === 0) throw new InvalidBundleError("txs must be a non-empty array of signed transactions");
  return txs.map((raw, i) => {
    try {
      const tx = Transaction.from(String(raw));
      if (!tx.from) throw new Error("unsigned");
      return tx;
    } catch {
      throw new InvalidBundleError(`txs[${i}] is not a signed transaction`);
    }
  });
}

/** Simulates the bundle on top of the latest block, in order, as the next block. */
export async function simulateBundle(rpc: NodeRpc, txs: Transaction[]): Promise<CallBundleResult> {
  const state = Number(BigInt(await rpc<string>("eth_blockNumber")));
  const expected = new Map<string, number>();
  for (const tx of txs) {
    const from = getAddress(tx.from!);
    const nonce = expected.get(from) ?? Number(BigInt(await rpc<string>("eth_getTransactionCount", [from, "latest"])));
    if (tx.nonce !== nonce) throw new InvalidBundleError(`err: nonce too ${tx.nonce < nonce ? "low" : "high"}: address ${from}, tx: ${tx.nonce} state: ${nonce}`);
    expected.set(from, nonce + 1);
  }
  const calls = txs.map((tx) => ({
    from: tx.from, to: tx.to, data: tx.data, value: toBeHex(tx.value), gas: toBeHex(tx.gasLimit), nonce: toBeHex(tx.nonce),
    maxFeePerGas: toBeHex(tx.maxFeePerGas ?? tx.gasPrice ?? 0n), maxPriorityFeePerGas: toBeHex(tx.maxPriorityFeePerGas ?? tx.gasPrice ?? 0n),
  }));
  const [block] = await rpc<Array<{ baseFeePerGas?: string; calls: SimulatedCall[] }>>("eth_simulateV1", [{ blockStateCalls: [{ calls }], validation: true }, "latest"]);
  const baseFee = BigInt(block?.baseFeePerGas ?? "0x0");
  let fees = 0n;
  let tips = 0n;
  let gas = 0;
  const results = txs.map((tx, i): CallBundleTxResult => {
    const call = block!.calls[i]!;
    const gasUsed = Number(BigInt(call.gasUsed));
    const maxFee = tx.maxFeePerGas ?? tx.gasPrice ?? 0n;
    const headroom = maxFee > baseFee ? maxFee - baseFee : 0n;
    const tip = min(tx.maxPriorityFeePerGas ?? maxFee, headroom);
    const price = baseFee + tip;
    fees += price * BigInt(gasUsed);
    tips += tip * BigInt(gasUsed);
    gas += gasUsed;
    const result: CallBundleTxResult = {
      txHash: tx.hash!, fromAddress: getAddress(tx.from!), toAddress: tx.to ?? "", gasUsed, gasPrice: String(price),
      gasFees: String(price * BigInt(gasUsed)), coinbaseDiff: String(tip * BigInt(gasUsed)), ethSentToCoinbase: "0",
    };
    if (call.status === "0x1") return { ...result, value: call.returnData };
    return { ...result, error: call.error?.message ?? "execution reverted", revert: call.returnData };
  });
  return {
    bundleGasPrice: String(gas > 0 ? fees / BigInt(gas) : 0n),
    bundleHash: bundleHashOf(txs.map((t) => t.hash!)),
    coinbaseDiff: String(tips),
    ethSentToCoinbase: "0",
    gasFees: String(fees),
    results,
    stateBlockNumber: state,
    totalGasUsed: gas,
  };
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
