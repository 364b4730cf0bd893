/**
 * The dispatcher admin's actions as calls a Safe (or any admin account) sends: the target, the calldata
 * and the decoded function, so a team whose admin is a multisig can check what it signs. Only the
 * functions that need DEFAULT_ADMIN_ROLE (or the pending admin, for accepting a transfer) are here.
 */
import { getAddress, id, Interface, ZeroHash } from "ethers";
import { AdminActionError } from "./errors.js";

/** The admin facet's functions an admin account calls (human-readable ABI, ethers v6). */
export const DISPATCHER_ADMIN_ABI = [
  "function grantRole(bytes32 role, address account)",
  "function revokeRole(bytes32 role, address account)",
  "function setActivationDelay(uint64 newDelay)",
  "function unpause()",
  "function beginDefaultAdminTransfer(address newAdmin)",
  "function acceptDefaultAdminTransfer()",
  "function cancelDefaultAdminTransfer()",
  "function changeDefaultAdminDelay(uint48 newDelay)",
] as const;

const admin = new Interface(DISPATCHER_ADMIN_ABI);

/** The dispatcher's roles by name (ids are keccak256 of the name; DEFAULT_ADMIN_ROLE is zero). */
export const DISPATCHER_ROLES = {
  DEFAULT_ADMIN_ROLE: ZeroHash,
  COMMIT_ROLE: id("COMMIT_ROLE"),
  APPLY_ROLE: id("APPLY_ROLE"),
  EMERGENCY_ROLE: id("EMERGENCY_ROLE"),
} as const;

/** A role by name. */
export type DispatcherRoleName = keyof typeof DISPATCHER_ROLES;

/** One admin action on a dispatcher. */
export type AdminAction =
  | { kind: "grantRole" | "revokeRole"; role: DispatcherRoleName; account: string }
  | { kind: "setActivationDelay"; seconds: bigint }
  | { kind: "changeDefaultAdminDelay"; seconds: bigint }
  | { kind: "beginDefaultAdminTransfer"; newAdmin: string }
  | { kind: "unpause" | "acceptDefaultAdminTransfer" | "cancelDefaultAdminTransfer" };

/** A decoded argument: its ABI name and type, its value, and a readable note (a role's name). */
export interface DecodedArgument {
  name: string;
  type: string;
  value: string;
  note?: string;
}

/** The call an admin account makes: `to` the dispatcher, no value, `data`, and what `data` decodes to. */
export interface AdminCall {
  to: string;
  value: bigint;
  data: string;
  /** The function's signature, e.g. `grantRole(bytes32,address)`. */
  signature: string;
  /** The named arguments, as `data` encodes them. */
  args: DecodedArgument[];
}

/** The call that performs `action` on `dispatcher`. */
export function adminCallOf(dispatcher: string, action: AdminAction): AdminCall {
  const args = argumentsOf(action);
  return describeAdminCall(getAddress(dispatcher), admin.encodeFunctionData(action.kind, args));
}

/**
 * Decodes calldata of an admin function sent to `to` (what a Safe owner checks before signing).
 * @throws AdminActionError when `data` is not a call of an admin function
 */
export function describeAdminCall(to: string, data: string): AdminCall {
  const parsed = admin.parseTransaction({ data });
  if (!parsed) throw new AdminActionError(`calldata ${data.slice(0, 10)} is not a dispatcher admin function (${DISPATCHER_ADMIN_ABI.length} known)`);
  const args = parsed.fragment.inputs.map((input, i): DecodedArgument => {
    const value = String(parsed.args[i]);
    const role = input.type === "bytes32" ? roleName(value) : undefined;
    return { name: input.name, type: input.type, value, ...(role && { note: role }) };
  });
  return { to: getAddress(to), value: 0n, data, signature: parsed.signature, args };
}

/** The role name of a role id, if it is one of the dispatcher's. */
export function roleName(roleId: string): DispatcherRoleName | undefined {
  return (Object.keys(DISPATCHER_ROLES) as DispatcherRoleName[]).find((name) => DISPATCHER_ROLES[name] === roleId.toLowerCase());
}

function argumentsOf(action: AdminAction): unknown[] {
  switch (action.kind) {
    case "grantRole":
    case "revokeRole": {
      const role = DISPATCHER_ROLES[action.role];
      if (role === undefined) throw new AdminActionError(`unknown role ${action.role}: use one of ${Object.keys(DISPATCHER_ROLES).join(", ")}`);
      return [role, address(action.account, "account")];
    }
    case "setActivationDelay":
    case "changeDefaultAdminDelay":
      if (action.seconds < 0n) throw new AdminActionError(`${action.kind} needs a non-negative number of seconds, got ${action.seconds}`);
      return [action.seconds];
    case "beginDefaultAdminTransfer":
      return [address(action.newAdmin, "newAdmin")];
    default:
      return [];
  }
}

function address(value: string, name: string): string {
  try {
    return getAddress(value);
  } catch (error) {
    throw new AdminActionError(`${name} ${value} is not an address`, { cause: error });
  }
}
