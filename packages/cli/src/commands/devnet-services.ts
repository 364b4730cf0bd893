/** `payrox devnet services`: the devnet's services alone, so the PayRox process can be restarted on them. */
import { resolve } from "node:path";
import { parseCommandArgs } from "../args.js";
import { NO_POSITIONALS, type Command } from "../command.js";
import { devnetSizeFlags } from "./devnet-flags.js";

const NAME = "devnet services";
const USAGE = "payrox devnet services [--networks N] [--delay S] [--state-file F] [--data-dir D] [--fresh]";

/** `payrox devnet services`. */
export const devnetServices: Command = {
  name: NAME,
  usage: USAGE,
  help: `usage: ${USAGE}

Starts and deploys what "payrox devnet up" would (chains, DynamoDB Local, KMS server, relays, the
dispatcher and example facets), writes their endpoints and addresses to the state file, and keeps them
running until Ctrl-C. Then run the PayRox process on them, as often as you like, even after killing it:
  payrox devnet up --attach .payrox/devnet.json            propose the example upgrade and watch it
  payrox devnet up --attach .payrox/devnet.json --no-propose   resume unfinished proposals

The table (DynamoDB Local -dbPath), the KMS keys and each chain's state (anvil --state, saved every 2 s
and on stop) are kept in the data directory: stopped and started again, the services restart with the
same proposals, nonces, keys, chains and addresses. A restart refuses a chain that is not the one the
table knows (a new genesis block, no dispatcher, nonces the table used missing on chain).

  --networks N      networks to start, 1..21 (default 3; on kept data: the data's)
  --delay S         the dispatchers' activation delay in seconds, 1..3600 (default 30; on kept data: the data's)
  --state-file F    where to write the state (default .payrox/devnet.json)
  --data-dir D      where the devnet keeps its data (default .payrox/devnet)
  --fresh           delete the kept data first and start from nothing`,
  async run(argv, context) {
    const { values } = parseCommandArgs(NAME, argv, { networks: { type: "string" }, delay: { type: "string" }, "state-file": { type: "string" }, "data-dir": { type: "string" }, fresh: { type: "boolean" }, json: { type: "boolean" } }, NO_POSITIONALS);
    const stateFile = resolve(context.cwd, values["state-file"] ?? ".payrox/devnet.json");
    const dataDir = resolve(context.cwd, values["data-dir"] ?? ".payrox/devnet");
    const write = context.stdout ?? (() => undefined);
    const { startDevnetServices } = await import("../devnet/services.js");
    const { writeDevnetState } = await import("../devnet/state.js");
    const { openDevnetData } = await import("../devnet/data-dir.js");
    // Kept data decides the size unless a flag asks for another (then the start refuses and says so).
    const saved = values.fresh ? undefined : openDevnetData(dataDir).saved;
    const defaults = { networks: saved?.networks.length ?? 3, delaySeconds: saved?.activationDelaySeconds ?? 30 };
    const { networks, delaySeconds: delay } = devnetSizeFlags(values, NAME, defaults);
    const services = await startDevnetServices({ networks, activationDelaySeconds: delay, dataDir, fresh: values.fresh ?? false, onProgress: (m) => write(m + "\n") });
    writeDevnetState(stateFile, services.state);
    write(`state written to ${stateFile}; Ctrl-C stops every service\n`);
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once("SIGINT", stop).once("SIGTERM", stop);
    });
    await services.stop();
    return { human: "every devnet service stopped", json: { stateFile, state: services.state } };
  },
};
