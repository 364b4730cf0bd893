/**
 * Every `payrox` command, in help order: its name and one-line summary, and how to load it. Each command
 * is loaded only when it runs (in the compiled bin, each is its own chunk), so `payrox --help` and one
 * command's run load nothing another command needs.
 */
import type { Command } from "../command.js";

/** A command as `payrox --help` lists it; `load` brings in the command itself. */
export interface CommandEntry {
  /** The words after `payrox`, e.g. "manifest build". */
  name: string;
  /** One line for `payrox --help`. */
  summary: string;
  load(): Promise<Command>;
}

/** Every command, in help order. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: "devnet up", summary: "run a real time-locked upgrade across local networks (what `npm start` runs)", load: async () => (await import("./devnet-up.js")).devnetUp },
  { name: "devnet services", summary: "start only the local chains, DynamoDB Local, KMS server and relays; write their state file", load: async () => (await import("./devnet-services.js")).devnetServices },
  { name: "propose", summary: "propose a manifest on networks (POST /proposals)", load: async () => (await import("./api-commands.js")).propose },
  { name: "status", summary: "a proposal's state per network (GET /proposals/{id}); without an id, the recent proposals", load: async () => (await import("./api-commands.js")).status },
  { name: "audit", summary: "a proposal's audit trail (GET /proposals/{id}/audit); --verify checks its hash chain", load: async () => (await import("./api-commands.js")).audit },
  { name: "review", summary: "what a proposal will change per network, its plan, cost, timeline and approval digest (GET /proposals/{id}/review)", load: async () => (await import("./review.js")).review },
  { name: "approve", summary: "sign a proposal's EIP-712 approval (or --reject, --withdraw) and send it (POST /proposals/{id}/approvals); --print for a wallet or a Safe", load: async () => (await import("./approve.js")).approve },
  { name: "cancel", summary: "cancel a proposal on every network where it is not final (POST /proposals/{id}/cancel)", load: async () => (await import("./api-commands.js")).cancel },
  { name: "networks", summary: "the networks PayRox knows and which are configured (GET /networks)", load: async () => (await import("./api-commands.js")).networks },
  { name: "keys rotate", summary: "rotate a network's signer to a new KMS key: grant, switch, wait for in-flight steps, revoke (devnet)", load: async () => (await import("./keys-rotate.js")).keysRotate },
  { name: "admin tx", summary: "print the transaction (a Safe transaction when the admin is a Safe) for a dispatcher admin action", load: async () => (await import("./admin-tx.js")).adminTx },
  { name: "manifest build", summary: "build a manifest from a build spec and compiled facets", load: async () => (await import("./manifest-build.js")).manifestBuild },
  { name: "manifest verify", summary: "check a manifest file (schema, entries, root) and, with --rpc, its facets and drift", load: async () => (await import("./manifest-verify.js")).manifestVerify },
  { name: "manifest diff", summary: "compute the next manifest that takes a live dispatcher to a desired routing", load: async () => (await import("./manifest-diff.js")).manifestDiff },
  { name: "manifest plan", summary: "split a manifest into applyRoutes batches under a gas cap", load: async () => (await import("./manifest-plan.js")).manifestPlan },
  { name: "manifest import", summary: "write the manifest of an EIP-2535 diamond's (or a dispatcher's) live routing, read through its loupe", load: async () => (await import("./manifest-import.js")).manifestImport },
  { name: "manifest rollback", summary: "build the manifest that returns a dispatcher to an earlier manifest's route set", load: async () => (await import("./manifest-rollback.js")).manifestRollback },
];
