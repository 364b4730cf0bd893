/**
 * What an admin action on a live dispatcher needs from whoever holds the admin: the account that must
 * act (the default admin, or the pending admin for accepting a transfer), the call, a simulation of it
 * from that account, and — when that account is a Safe — the Safe transaction at the Safe's next nonce
 * and its hash, which the owners check and sign in their Safe app.
 */
import { getAddress, Interface, isError, ZeroAddress, type Provider } from "ethers";
import { adminCallOf, type AdminAction, type AdminCall } from "./admin-call.js";
import { AdminActionError, SafeReadError } from "./errors.js";
import { readSafe, safeCall, safeTxHash, type SafeAccount, type SafeTransaction } from "./safe-transaction.js";

const VIEWS = new Interface(["function defaultAdmin() view returns (address)", "function pendingDefaultAdmin() view returns (address newAdmin, uint48 schedule)"]);

/** The reverts an admin call can meet, so a simulation names them. */
const ADMIN_ERRORS = new Interface([
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
  "error AccessControlBadConfirmation()",
  "error AccessControlEnforcedDefaultAdminRules()",
  "error AccessControlEnforcedDefaultAdminDelay(uint48 schedule)",
  "error AccessControlInvalidDefaultAdmin(address defaultAdmin)",
  "error PauseStateUnchanged(bool paused)",
  "error ActivationDelayOutOfRange(uint64 delay, uint64 min, uint64 max)",
]);

/** Input of {@link prepareAdminTransaction}. */
export interface PrepareAdminTransactionParameters {
  provider: Provider;
  dispatcher: string;
  action: AdminAction;
  /** The Safe nonce to prepare the transaction at (e.g. the next one's + 1 for a second transaction). @default the Safe's next nonce */
  safeNonce?: bigint;
}

/** The admin action ready for its signer: a Safe transaction when the account that must act is a Safe. */
export interface PrepareAdminTransactionReturnType {
  call: AdminCall;
  /** The account that must send `call`: the default admin (or, to accept a transfer, the pending admin). */
  actor: string;
  /** Set when `actor` is a Safe: its state, the transaction at its next nonce, and the transaction hash. */
  safe?: { account: SafeAccount; transaction: SafeTransaction; safeTxHash: string };
  /** `call` simulated from `actor` at the latest block: would it succeed now? */
  simulation: { ok: true } | { ok: false; reason: string };
}

/**
 * Prepares `action` on `dispatcher` for whoever holds its admin.
 * @throws AdminActionError when accepting a transfer while none is pending
 * @example const prepared = await prepareAdminTransaction({ provider, dispatcher, action: { kind: "unpause" } }); prepared.safe?.safeTxHash
 */
export async function prepareAdminTransaction(input: PrepareAdminTransactionParameters): Promise<PrepareAdminTransactionReturnType> {
  const { provider } = input;
  const call = adminCallOf(input.dispatcher, input.action);
  const actor = await actorOf(provider, call.to, input.action);
  let safe: PrepareAdminTransactionReturnType["safe"];
  if ((await provider.getCode(actor)) !== "0x") {
    const account = await readSafe(provider, actor).catch((error: unknown) => {
      if (error instanceof SafeReadError) throw new AdminActionError(`the admin ${actor} is a contract but not a Safe this command can prepare transactions for: send ${call.signature} to ${call.to} with data ${call.data} from it`, { cause: error });
      throw error;
    });
    const transaction = safeCall(call, input.safeNonce ?? account.nonce);
    safe = { account, transaction, safeTxHash: safeTxHash(account.address, account.chainId, transaction) };
  }
  return { call, actor, ...(safe && { safe }), simulation: await simulate(provider, actor, call) };
}

async function actorOf(provider: Provider, dispatcher: string, action: AdminAction): Promise<string> {
  const view = async (fn: string) => VIEWS.decodeFunctionResult(fn, await provider.call({ to: dispatcher, data: VIEWS.encodeFunctionData(fn) }));
  if (action.kind !== "acceptDefaultAdminTransfer") return getAddress((await view("defaultAdmin"))[0] as string);
  const [pending] = await view("pendingDefaultAdmin");
  if (pending === ZeroAddress) throw new AdminActionError(`no admin transfer is pending on ${dispatcher}: the current admin begins one first (begin-admin-transfer)`);
  return getAddress(pending as string);
}

async function simulate(provider: Provider, from: string, call: AdminCall): Promise<PrepareAdminTransactionReturnType["simulation"]> {
  try {
    await provider.call({ from, to: call.to, data: call.data });
    return { ok: true };
  } catch (error) {
    if (!isError(error, "CALL_EXCEPTION")) throw error;
    const parsed = error.data ? ADMIN_ERRORS.parseError(error.data) : null;
    return { ok: false, reason: parsed ? `${parsed.name}(${parsed.args.join(", ")})` : error.shortMessage };
  }
}
