/** `payrox keys rotate`: the KMS key rotation drill of one network's signer, on the devnet. */
import { resolve } from "node:path";
import { integerFlag, parseCommandArgs } from "../args.js";
import { NO_POSITIONALS, type Command } from "../command.js";
import { UsageError } from "../errors.js";

const NAME = "keys rotate";
const USAGE = "payrox keys rotate --network <id> [--new-key-id <kms key id>] [--wait S] [--state-file F] [--json]";

/** `payrox keys rotate`. */
export const keysRotate: Command = {
  name: NAME,
  usage: USAGE,
  help: `usage: ${USAGE}

Rotates the signer of one devnet network to a new KMS key without losing a run:
  1. a new ECC_SECG_P256K1 key on the local KMS server (or --new-key-id), funded for gas;
  2. the dispatcher admin grants it every signer role the old key holds (COMMIT, APPLY, EMERGENCY);
  3. the state file (and the data directory's deployment) names the new key: the running PayRox
     process (devnet up) reloads it and signs new steps with it;
  4. waits until the old key is quiet: no nonce reservation outstanding, every journaled transaction
     mined (at most --wait seconds; otherwise it stops with the new key active and the old one still
     granted — run the same command again to finish);
  5. the admin revokes the old key's roles. A step a stale worker still signs with it is refused on chain,
     alerted as unauthorized-signer, and retried by a worker with the new key.
Every step is audited in the "operations" audit stream (payrox audit operations --verify).
When the dispatcher's admin is a Safe (not the devnet's admin key), steps 2 and 5 print the grants and
then the revocations as Safe transactions and stop (exit 1): execute them in the Safe, then run again
with --new-key-id <the new key> — the rotation resumes where it stopped.

  --network <id>        the devnet network whose signer rotates
  --new-key-id <id>     rotate to this existing KMS key (default: create one)
  --wait S              longest wait for the old key's in-flight steps, in seconds (default 120)
  --state-file F        the devnet's state file (default .payrox/devnet.json)`,
  async run(argv, context) {
    const { values } = parseCommandArgs(NAME, argv, { network: { type: "string" }, "new-key-id": { type: "string" }, wait: { type: "string" }, "state-file": { type: "string" }, json: { type: "boolean" } }, NO_POSITIONALS);
    if (!values.network) throw new UsageError("missing required flag --network", NAME);
    const waitSeconds = integerFlag(values.wait, "wait", NAME, 1);
    const stateFile = resolve(context.cwd, values["state-file"] ?? ".payrox/devnet.json");
    const write = context.stdout ?? (() => undefined);
    const { boundedClientConfig } = await import("@payrox/aws");
    const { createLocalDynamoClient } = await import("@payrox/aws/testing");
    const { devnetKmsClient } = await import("../devnet/kms-client.js");
    const { readDevnetState } = await import("../devnet/state.js");
    const { rotateDevnetSigner } = await import("../devnet/key-rotation.js");
    const state = readDevnetState(stateFile);
    // Bounded like the devnet's own clients: a KMS server or table that stops answering fails the drill instead of hanging it.
    const kms = devnetKmsClient(state.kmsUrl, state.kmsRegion);
    const dynamo = createLocalDynamoClient(state.dynamoEndpoint, boundedClientConfig());
    try {
      const result = await rotateDevnetSigner({
        stateFile,
        network: values.network,
        kms,
        dynamo,
        onProgress: (m) => write(m + "\n"),
        ...(values["new-key-id"] && { newKeyId: values["new-key-id"] }),
        ...(waitSeconds !== undefined && { waitMs: waitSeconds * 1000 }),
      });
      const human = [
        `${result.network}: signer rotated${result.resumed ? " (resumed)" : ""}`,
        `  from ${result.from.address} (KMS key ${result.from.keyId}): roles revoked (${result.revoked.map((r) => r.role).join(", ")})`,
        `  to   ${result.to.address} (KMS key ${result.to.keyId})${result.granted.length ? `: granted ${result.granted.map((r) => r.role).join(", ")}` : ""}`,
      ].join("\n");
      return { human, json: result };
    } finally {
      kms.destroy();
      dynamo.destroy();
    }
  },
};
