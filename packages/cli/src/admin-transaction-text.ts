/**
 * How `payrox` shows an admin transaction it cannot sign (prepared by @payrox/chain/safe): the call, who
 * must send it, a simulation from them, and the Safe transaction with its safeTxHash when that is a Safe.
 */
import type { PrepareAdminTransactionReturnType } from "@payrox/chain/safe";

/** The readable text of `prepared` on chain `chainId`. */
export function adminTransactionText(prepared: PrepareAdminTransactionReturnType, chainId: bigint): string {
  const { call, actor, safe, simulation } = prepared;
  const fn = `${call.signature.split("(")[0]}(${call.args.map((a) => `${a.type} ${a.name}`).join(", ")})`;
  const lines = [
    `admin action ${fn} on dispatcher ${call.to} (chain ${chainId})`,
    safe
      ? `  to be sent by the Safe ${actor} (Safe ${safe.account.version}, ${safe.account.threshold} of ${safe.account.owners.length} owners must sign: ${safe.account.owners.join(", ")})`
      : `  to be sent by ${actor}, an account without code: PayRox holds no admin key — send this call from it`,
    simulation.ok ? "  simulated from it now: succeeds" : `  simulated from it now: would revert ${simulation.reason}`,
    "",
    safe ? `Safe transaction (nonce ${safe.transaction.nonce}):` : "Transaction:",
    `  to              ${call.to}`,
    `  value           0`,
    `  data            ${call.data}`,
    ...(safe
      ? [
          `  operation       0 (CALL)`,
          `  safeTxGas       0   baseGas 0   gasPrice 0   gasToken ${safe.transaction.gasToken}   refundReceiver ${safe.transaction.refundReceiver}`,
          `  safeTxHash      ${safe.safeTxHash}`,
        ]
      : []),
    "decoded:",
    `  ${fn}`,
    ...call.args.map((a) => `    ${a.name.padEnd(10)} ${a.value}${a.note ? ` (${a.note})` : ""}`),
    ...(safe ? ["", `In the Safe app: New transaction → Transaction Builder → address ${call.to}, "Custom data" on, paste the data, value 0;`, `check that the app shows safeTxHash ${safe.safeTxHash} before ${safe.account.threshold} owners sign.`] : []),
  ];
  return lines.join("\n");
}

/** `prepared` as JSON (bigints as decimal strings). */
export function adminTransactionJson(prepared: PrepareAdminTransactionReturnType, chainId: bigint): unknown {
  const { call, actor, safe, simulation } = prepared;
  return {
    chainId: chainId.toString(),
    call: { to: call.to, value: "0", data: call.data, function: call.signature, args: call.args },
    actor,
    ...(safe && {
      safe: {
        address: safe.account.address,
        version: safe.account.version,
        threshold: safe.account.threshold,
        owners: safe.account.owners,
        transaction: Object.fromEntries(Object.entries(safe.transaction).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v])),
        safeTxHash: safe.safeTxHash,
      },
    }),
    simulation,
  };
}
