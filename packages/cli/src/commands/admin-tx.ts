/**
 * `payrox admin tx`: an admin action on a dispatcher as the transaction its admin must send. PayRox holds
 * no admin key, so it prints the call — and, when the admin is a Safe, the Safe transaction at the Safe's
 * next nonce and its hash — for the team to check and sign in their Safe app.
 */
import { addressFlag, integerFlag, parseCommandArgs, required, rpcFlag } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { withRpc } from "../network.js";
import type { AdminAction } from "@payrox/chain/safe";
import { adminTransactionJson, adminTransactionText } from "../admin-transaction-text.js";

const NAME = "admin tx";
const ACTIONS = "grant-role <ROLE> <account> | revoke-role <ROLE> <account> | set-activation-delay <seconds> | unpause |\n" +
  "                begin-admin-transfer <new admin> | accept-admin-transfer | cancel-admin-transfer | change-admin-delay <seconds>";
const USAGE = `payrox admin tx <action> [arguments] --rpc <url> --dispatcher <address> [--json]\n  actions: ${ACTIONS}`;
/** The roles an admin grants and revokes (DEFAULT_ADMIN_ROLE moves only by a transfer). */
const ROLES = ["COMMIT_ROLE", "APPLY_ROLE", "EMERGENCY_ROLE"] as const;

/** `payrox admin tx`. */
export const adminTx: Command = {
  name: NAME,
  usage: USAGE,
  help: `usage: ${USAGE}

Prints the transaction the dispatcher's admin must send for one admin action: the target, the calldata and
the decoded function, and whether it would succeed from the admin now (a simulation). The account that must
act is read from the dispatcher: its default admin, or the pending admin for accept-admin-transfer.
When that account is a Safe, it also prints the Safe transaction at the Safe's next nonce (operation CALL,
no refund) and its safeTxHash, and the owners' threshold: create it in the Safe app (Transaction Builder:
the address, "Custom data", the data), check that the app shows the same safeTxHash, and sign.
This command signs nothing.

  ROLE                    COMMIT_ROLE, APPLY_ROLE or EMERGENCY_ROLE (DEFAULT_ADMIN_ROLE moves only by transfer)
  --rpc <url>             JSON-RPC endpoint of the network
  --dispatcher <address>  the ManifestDispatcher
  --json                  print the call, the Safe transaction and the simulation as JSON`,
  async run(argv, _context) {
    const { values, positionals } = parseCommandArgs(NAME, argv, { rpc: { type: "string" }, dispatcher: { type: "string" }, json: { type: "boolean" } }, { min: 1, max: 3, names: "<action>" });
    const rpcUrl = required(rpcFlag(values.rpc, NAME), "rpc", NAME);
    const dispatcher = required(addressFlag(values.dispatcher, "dispatcher", NAME), "dispatcher", NAME);
    const action = actionOf(positionals);
    return withRpc(rpcUrl, async (rpc) => {
      const { prepareAdminTransaction } = await import("@payrox/chain/safe");
      const prepared = await prepareAdminTransaction({ provider: rpc.provider, dispatcher, action });
      return { human: adminTransactionText(prepared, rpc.chainId), json: adminTransactionJson(prepared, rpc.chainId) };
    });
  },
};

/** The action named by the positional arguments. */
function actionOf([name, first, second, ...rest]: string[]): AdminAction {
  const expect = (count: number) => {
    const given = [first, second].filter((a) => a !== undefined).length + rest.length;
    if (given !== count) throw new UsageError(`${name} takes ${count} argument${count === 1 ? "" : "s"}, got ${given}`, NAME);
  };
  const seconds = (value: string) => BigInt(integerFlag(value, `${name} <seconds>`, NAME)!);
  const account = (value: string, what: string) => addressFlag(value, `${name} <${what}>`, NAME)!;
  switch (name) {
    case "grant-role":
    case "revoke-role": {
      expect(2);
      const role = first as (typeof ROLES)[number];
      if (!ROLES.includes(role)) throw new UsageError(`unknown role "${first}": use one of ${ROLES.join(", ")}`, NAME);
      return { kind: name === "grant-role" ? "grantRole" : "revokeRole", role, account: account(second!, "account") };
    }
    case "set-activation-delay":
      expect(1);
      return { kind: "setActivationDelay", seconds: seconds(first!) };
    case "change-admin-delay":
      expect(1);
      return { kind: "changeDefaultAdminDelay", seconds: seconds(first!) };
    case "begin-admin-transfer":
      expect(1);
      return { kind: "beginDefaultAdminTransfer", newAdmin: account(first!, "new admin") };
    case "unpause":
      expect(0);
      return { kind: "unpause" };
    case "accept-admin-transfer":
      expect(0);
      return { kind: "acceptDefaultAdminTransfer" };
    case "cancel-admin-transfer":
      expect(0);
      return { kind: "cancelDefaultAdminTransfer" };
    default:
      throw new UsageError(`unknown action "${name}": use one of ${ACTIONS.replace(/\s+/g, " ")}`, NAME);
  }
}
