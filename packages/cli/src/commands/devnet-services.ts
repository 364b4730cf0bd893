/** `payrox devnet services`: the devnet's services alone, so the PayRox process can be restarted on them. */
import { resolve } from "node:path";
import { parseCommandArgs } from "../args.js";
import { NO_POSITIONALS, type Command } from "../command.js";
import { devnetSizeFlags } from "./devnet-flags.js";

const NAME = "devnet services";
const USAGE = "payrox devnet services [--networks N] [--delay S] [--state-file F]";

/** `payrox devnet services`. */
export const devnetServices: Command = {
  name: NAME,
  summary: "start only the local chains, DynamoDB Local, KMS server and relays; write their state file",
  usage: USAGE,
  help: `usage: ${USAGE}

Starts and deploys what "payrox devnet up" would (chains, DynamoDB Local, KMS server, relays, the
dispatcher and example facets), writes their endpoints and addresses to the state file, and keeps them
running until Ctrl-C. Then run the PayRox process on them, as often as you like, even after killing it:
  payrox devnet up --attach .payrox/devnet.json            propose the example upgrade and watch it
  payrox devnet up --attach .payrox/devnet.json --no-propose   resume unfinished proposals

  --networks N      networks to start, 1..21 (default 3)
  --delay S         the dispatchers' activation delay in seconds, 1..3600 (default 30)
  --state-file F    where to write the state (default .payrox/devnet.json)`,
  async run(argv, context) {
    const { values } = parseCommandArgs(NAME, argv, { networks: { type: "string" }, delay: { type: "string" }, "state-file": { type: "string" }, json: { type: "boolean" } }, NO_POSITIONALS);
    const { networks, delaySeconds: delay } = devnetSizeFlags(values, NAME);
    const stateFile = resolve(context.cwd, values["state-file"] ?? ".payrox/devnet.json");
    const write = context.stdout ?? (() => undefined);
    const { startDevnetServices } = await import("../devnet/services.js");
    const { writeDevnetState } = await import("../devnet/state.js");
    const services = await startDevnetServices({ networks, activationDelaySeconds: delay, onProgress: (m) => write(m + "\n") });
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
