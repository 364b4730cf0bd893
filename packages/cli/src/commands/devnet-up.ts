/** `payrox devnet up` (what `npm start` runs): the whole multi-network upgrade on this machine. */
import { resolve } from "node:path";
import { DEVNET_API_PORT } from "../api-flag.js";
import { integerFlag, parseCommandArgs } from "../args.js";
import { NO_POSITIONALS, type Command } from "../command.js";
import { DevnetIncompleteError, UsageError } from "../errors.js";
import { devnetSizeFlags } from "./devnet-flags.js";

const NAME = "devnet up";
const USAGE = "payrox devnet up [--networks N] [--delay S] [--selectors N] [--batch-size N] [--jitter none|eventbridge] [--api-port P] [--exit] [--attach <state.json> [--no-propose]]";

/** `payrox devnet up`. */
export const devnetUp: Command = {
  name: NAME,
  usage: USAGE,
  help: `usage: ${USAGE}

Starts on 127.0.0.1: one anvil node per network (devnet-1 Ethereum-like behind a local Flashbots relay,
devnet-2 L2-like, devnet-3 Polygon-like behind a private-RPC relay, cycling), DynamoDB Local, the local
KMS server (one key per network), the local scheduler and the PayRox API. Deploys the dispatcher through
CREATE2 (one address everywhere), grants its roles to the KMS signers, proposes the example upgrade
(CounterFacetV1 + BenchFacet, 68 selectors) through the API under a 2-of-3 approval policy, signs it
with two DEVELOPMENT approver keys through the API as "payrox approve" does (AWAITING_APPROVAL 0/2 →
2/2 → APPROVED), and shows each network's progress: state, batch k/n, countdown to the activation,
transactions. Ends with a summary (transactions, gas per step, activation lateness after ETA, the EIP-712
digest the approvers signed, audit chain) and keeps everything up for the CLI until Ctrl-C.

  --networks N      networks to start, 1..21 (default 3)
  --delay S         the dispatchers' activation delay in seconds, 1..3600 (default 30)
  --selectors N     selectors of the upgrade, 68..10000 (default 68); those beyond the example facets'
                    68 are synthetic wide<i>() functions routed to BenchFacet (load testing)
  --batch-size N    largest apply batch, in selectors (default 24: the example takes 3 batches)
  --jitter MODE     none (default) or eventbridge: fire jobs with EventBridge Scheduler's 60 s precision
  --api-port P      port of the API (default ${DEVNET_API_PORT}; 0 = any free port)
  --state-file F    where to write the services' state (default .payrox/devnet.json)
  --exit            exit after the summary: 0 when every network activated, 1 otherwise
  --attach F        use running services (see "payrox devnet services") instead of starting them
  --no-propose      (with --attach) propose nothing: resume and watch the unfinished proposals

The dev keys, the approver keys (anvil accounts 7, 8, 9) and KMS key material are DEVELOPMENT material,
for these throwaway local chains only.`,
  async run(argv, context) {
    const { values } = parseCommandArgs(NAME, argv, {
      networks: { type: "string" },
      delay: { type: "string" },
      "batch-size": { type: "string" },
      selectors: { type: "string" },
      jitter: { type: "string" },
      "api-port": { type: "string" },
      "state-file": { type: "string" },
      exit: { type: "boolean" },
      attach: { type: "string" },
      "no-propose": { type: "boolean" },
      json: { type: "boolean" },
    }, NO_POSITIONALS);
    const { networks, delaySeconds } = devnetSizeFlags(values, NAME);
    const selectors = integerFlag(values.selectors, "selectors", NAME, 68) ?? 68;
    if (selectors > 10_000) throw new UsageError(`--selectors must be at most 10000 (a proposal's limit), got ${selectors}`, NAME);
    const maxBatchSize = integerFlag(values["batch-size"], "batch-size", NAME, 1) ?? 24;
    const jitter = values.jitter ?? "none";
    if (jitter !== "none" && jitter !== "eventbridge") throw new UsageError(`--jitter must be none or eventbridge, got "${jitter}"`, NAME);
    const apiPort = integerFlag(values["api-port"], "api-port", NAME, 0) ?? DEVNET_API_PORT;
    if (values["no-propose"] && !values.attach) throw new UsageError("--no-propose needs --attach (a fresh devnet has nothing to resume)", NAME);
    if (values.attach && (values.networks || values.delay)) throw new UsageError("--networks and --delay describe new services; with --attach they are the state file's", NAME);

    const out = { write: context.stdout ?? (() => undefined), isTTY: context.isTTY ?? false };
    const interrupt = new AbortController();
    const onSignal = () => {
      if (interrupt.signal.aborted) process.exit(130);
      out.write("\nstopping… (Ctrl-C again to force)\n");
      interrupt.abort();
    };
    process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
    const { devnetUp: up } = await import("../devnet/up.js");
    try {
      const devnet = await up({
        ...(values.attach ? { attach: resolve(context.cwd, values.attach), propose: !values["no-propose"] } : { networks, delaySeconds, stateFile: resolve(context.cwd, values["state-file"] ?? ".payrox/devnet.json") }),
        maxBatchSize, selectors, jitter, apiPort, out, signal: interrupt.signal,
      });
      const states = Object.fromEntries(devnet.summaries.flatMap((s) => s.networks.map((n) => [`${s.proposalId.slice(0, 8)}/${n.network}`, n.state])));
      const ok = devnet.problems.length === 0 && devnet.summaries.every((s) => s.allActivated && s.audit.ok);
      if (!values.exit && !interrupt.signal.aborted) {
        out.write(`\nThe API (${devnet.apiUrl}) and every service stay up: try "payrox status <id>", "payrox audit <id> --verify", "payrox networks". Ctrl-C stops them.\n`);
        await new Promise((resolve) => interrupt.signal.addEventListener("abort", resolve, { once: true }));
      }
      await devnet.stop();
      if (!ok && !interrupt.signal.aborted) throw new DevnetIncompleteError(states, devnet.problems);
      return { human: interrupt.signal.aborted ? "stopped every process the devnet started" : "devnet stopped", json: { apiUrl: devnet.apiUrl, summaries: devnet.summaries, problems: devnet.problems } };
    } finally {
      process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
    }
  },
};
