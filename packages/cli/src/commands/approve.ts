/** `payrox approve <id>`: sign a proposal's Approve, Reject or Withdraw (EIP-712) and send it to the API. */
import { resolve } from "node:path";
import { ApprovalAction } from "@payrox/core";
import { getAddress } from "ethers/address";
import { API_FLAG_HELP, apiClientFor } from "../api-flag.js";
import { addressFlag, integerFlag, parseCommandArgs } from "../args.js";
import type { Command, CommandResult } from "../command.js";
import { UsageError } from "../errors.js";
import { readApproverKey } from "../approval/key-file.js";
import { describePrepared, prepareApproval, type PreparedApproval } from "../approval/prepare.js";
import { approveWithSigner, describeResult, submitPrepared, type SubmittedApproval } from "../approval/submit.js";

const NAME = "approve";
const USAGE = `payrox approve <proposal-id> --key-file <path> [--reject|--withdraw] [--nonce N] [--api <url>] [--json]
       payrox approve <proposal-id> --print (--approver <0x…> | --nonce N) [--reject|--withdraw] [--api <url>] [--json]
       payrox approve <proposal-id> --signature <0x…> --approver <0x…> [--nonce N] [--reject|--withdraw] [--api <url>] [--json]`;

/** `payrox approve`. */
export const approve: Command = {
  name: NAME,
  usage: USAGE,
  help: `usage: ${USAGE}

Signs one approver's EIP-712 Approve (or Reject, or Withdraw) of a proposal awaiting approval and sends
it (POST /proposals/{id}/approvals). The typed data is built here, by the same code the API verifies with,
from what GET /proposals/{id}/approvals says the proposal will do (root, manifest and policy hashes, every
target network's chain id, dispatcher, delay and expiry, times, deadline) and the approver's next nonce;
it is printed with its EIP-712 domain separator, struct hash and digest before anything is signed, so
they can be compared with what a hardware wallet shows. A Reject cancels the proposal; a Withdraw takes
back an approval that has not yet reached the threshold.

  --key-file <path>     sign with the private key in this file (0x + 64 hex digits; mode 600, as an ssh
                        key: a file others can read is refused). The key is never printed.
  --print               print the typed data (eth_signTypedData_v4 JSON, EIP712Domain included) and its
                        digest for an external wallet or a Safe; sends nothing
  --signature <0x…>     send a signature made elsewhere over the typed data --print showed
  --approver <0x…>      the approver's address (required with --signature; with --print it picks the
                        nonce; an ERC-1271 account such as a Safe is named here)
  --nonce N             the approver's nonce on this proposal (default: its next one, from the API)
  --reject              sign a Reject instead of an Approve
  --withdraw            sign a Withdraw of one's earlier Approve
${API_FLAG_HELP}`,
  async run(argv, context) {
    const { values, positionals } = parseCommandArgs(
      NAME,
      argv,
      {
        api: { type: "string" },
        json: { type: "boolean" },
        "key-file": { type: "string" },
        print: { type: "boolean" },
        signature: { type: "string" },
        approver: { type: "string" },
        nonce: { type: "string" },
        reject: { type: "boolean" },
        withdraw: { type: "boolean" },
      },
      { min: 1, max: 1, names: "<proposal-id>" },
    );
    const proposalId = positionals[0]!;
    const action = actionOf(values.reject, values.withdraw);
    const approver = addressFlag(values.approver, "approver", NAME);
    const nonce = integerFlag(values.nonce, "nonce", NAME);
    const modes = [values["key-file"] !== undefined && "--key-file", values.print && "--print", values.signature !== undefined && "--signature"].filter(Boolean);
    if (modes.length !== 1) throw new UsageError(modes.length === 0 ? "give one of --key-file, --print or --signature" : `${modes.join(" and ")} can't be combined: give one`, NAME);
    const client = apiClientFor(values.api, context.env, NAME);

    if (values.print) {
      if (approver === undefined && nonce === undefined) throw new UsageError("--print needs --approver (whose next nonce to use) or --nonce", NAME);
      return printed(await prepareApproval(client, { proposalId, action, ...(approver && { approver }), ...(nonce !== undefined && { nonce }) }));
    }
    if (values.signature !== undefined) {
      if (approver === undefined) throw new UsageError("--signature needs --approver: the address that signed", NAME);
      if (!/^0x([0-9a-fA-F]{2})+$/.test(values.signature)) throw new UsageError(`--signature must be 0x followed by an even number of hex digits, got "${values.signature.slice(0, 20)}…"`, NAME);
      const prepared = await prepareApproval(client, { proposalId, action, approver, ...(nonce !== undefined && { nonce }) });
      return submitted(await submitPrepared(client, prepared, values.signature));
    }
    const signer = await readApproverKey(resolve(context.cwd, values["key-file"]!));
    if (approver !== undefined && approver !== signer.address) throw new UsageError(`--approver ${approver} is not the key file's address ${signer.address}`, NAME);
    return submitted(await approveWithSigner(client, { proposalId, action, signer, ...(nonce !== undefined && { nonce }) }));
  },
};

function actionOf(reject: boolean | undefined, withdraw: boolean | undefined): ApprovalAction {
  if (reject && withdraw) throw new UsageError("--reject and --withdraw can't be combined", NAME);
  return reject ? ApprovalAction.REJECT : withdraw ? ApprovalAction.WITHDRAW : ApprovalAction.APPROVE;
}

/** The `--print` output: what is signed, the typed data JSON and the command that sends the signature. */
function printed(prepared: PreparedApproval): CommandResult {
  const flag = prepared.action === ApprovalAction.REJECT ? " --reject" : prepared.action === ApprovalAction.WITHDRAW ? " --withdraw" : "";
  const who = prepared.approver ? getAddress(prepared.approver.address) : "<approver>";
  const human = [
    ...describePrepared(prepared),
    "",
    "typed data (eth_signTypedData_v4):",
    JSON.stringify(prepared.payload, null, 2),
    "",
    `sign it, then send the signature: payrox approve ${prepared.proposalId} --signature 0x… --approver ${who} --nonce ${prepared.nonce}${flag}`,
  ].join("\n");
  return { human, json: { ...common(prepared), typedData: prepared.payload } };
}

/** The output after sending: what was signed, and where the proposal stands now. */
function submitted({ prepared, signature, result }: SubmittedApproval): CommandResult {
  const human = [...describePrepared(prepared), `signature                 ${signature}`, `sent; approvals: ${describeResult(result)}`].join("\n");
  return { human, json: { ...common(prepared), signature, result } };
}

function common(prepared: PreparedApproval) {
  return {
    proposalId: prepared.proposalId,
    action: prepared.action,
    nonce: prepared.nonce,
    ...(prepared.approver && { approver: { id: prepared.approver.id, address: getAddress(prepared.approver.address), kind: prepared.approver.kind } }),
    ...prepared.hashes,
  };
}
