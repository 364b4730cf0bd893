/**
 * `payrox manifest plan`: split a manifest into `applyRoutes` batches under a gas cap and the batch size
 * limit, with the commit's header arguments and the activation's facet list and initializer.
 */
import { resolve } from "node:path";
import {
  ACTIVATION_GAS,
  activateArgs,
  buildManifestTree,
  commitArgs,
  DEFAULT_GAS_CAP,
  DEFAULT_MAX_BATCH_SIZE,
  manifestInitializer,
  parseManifest,
  planBatches,
  type ActivateArgs,
  type CommitArgs,
  type Manifest,
  type Plan,
} from "@payrox/core";
import { addressFlag, integerFlag, parseCommandArgs, rpcFlag } from "../args.js";
import { fmt, type Command } from "../command.js";
import { UsageError } from "../errors.js";
import { readTextFile, refuseOutputOverInput, writeFileAtomic } from "../files.js";
import { withRpc } from "../network.js";
import { formatInit } from "../summary.js";

const NAME = "manifest plan";
const USAGE = "payrox manifest plan <manifest.json> [--gas-cap <N>] [--max-batch <N>] [--rpc <url> --dispatcher <address>] [--out <plan.json>] [--json]";

/**
 * The plan file: the arguments of every lifecycle call — `commitRoot(root, nextEpoch(), leafCount, binding,
 * headerProof)` (the epoch is read from the dispatcher when committing), each `applyRoutes(facets,
 * initHash, leaves, proof, proofFlags)` and `activateCommittedRoot(facets, init)`.
 */
export interface PlanFile {
  root: string;
  leafCount: number;
  gasCap: number;
  maxBatchSize: number;
  commit: CommitArgs;
  batches: { index: number; estimatedGas: number; facets: { facet: string; codehash: string }[]; initHash: string; leaves: string; proof: string[]; proofFlags: string }[];
  activate: ActivateArgs & {
    /** ACTIVATION_GAS model for the facet list, initializer excluded. */
    estimatedGas: number;
  };
}

/** `payrox manifest plan`. */
export const manifestPlan: Command = {
  name: NAME,
  usage: USAGE,
  help: `usage: ${USAGE}

Verifies the manifest, then splits its route leaves into applyRoutes batches (tree order, greedy) so that
each batch's estimated gas (gas model fitted on anvil + 2% margin) stays under the cap and its size under the
dispatcher's limit. Each batch carries its multiproof. The header leaf is not applied: commitRoot proves
it (leafCount and binding, shown with the initializer). Deterministic.

  --gas-cap <N>           gas cap of one apply transaction (default ${fmt(DEFAULT_GAS_CAP)})
  --max-batch <N>         most leaves per batch (default ${DEFAULT_MAX_BATCH_SIZE}; with --dispatcher, at most its maxBatchSize())
  --rpc <url>             with --dispatcher: read the dispatcher's maxBatchSize() and its live selectors
  --dispatcher <address>  (replacing a live route costs more than adding one; without it every leaf is
                          costed as a replacement, an upper bound)
  --out <file>            write { root, leafCount, gasCap, maxBatchSize, commit: { root, leafCount,
                          binding, headerProof }, batches: [{ index, estimatedGas, facets, initHash, leaves,
                          proof, proofFlags }], activate: { facets, init, estimatedGas } } (atomically, only on
                          success): the arguments of commitRoot (epoch: the dispatcher's nextEpoch()),
                          every applyRoutes and activateCommittedRoot
  --json                  machine-readable output (the plan, plus totalEstimatedGas and assumption:
                          "live-routing" with --rpc, "every-leaf-replaces" offline)

The plan always says what it assumed: with --rpc/--dispatcher the live routing (a selector with no live
route is costed as an add); offline every leaf as a replacement.`,
  async run(argv, { cwd }) {
    const options = { "gas-cap": { type: "string" }, "max-batch": { type: "string" }, rpc: { type: "string" }, dispatcher: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } } as const;
    const { values, positionals } = parseCommandArgs(NAME, argv, options, { min: 1, max: 1, names: "<manifest.json>" });
    const gasCap = integerFlag(values["gas-cap"], "gas-cap", NAME, 1) ?? DEFAULT_GAS_CAP;
    const maxBatchFlag = integerFlag(values["max-batch"], "max-batch", NAME, 1);
    const rpcUrl = rpcFlag(values.rpc, NAME);
    const dispatcher = addressFlag(values.dispatcher, "dispatcher", NAME);
    if ((rpcUrl === undefined) !== (dispatcher === undefined)) throw new UsageError("--rpc and --dispatcher go together", NAME);
    const outPath = values.out === undefined ? undefined : resolve(cwd, values.out);
    await refuseOutputOverInput(outPath, { "<manifest.json>": resolve(cwd, positionals[0]) }, NAME);
    const manifest = parseManifest(await readTextFile(resolve(cwd, positionals[0])));
    const network = rpcUrl && dispatcher ? await withRpc(rpcUrl, (rpc, chain) => readLimits(chain, rpc.provider, dispatcher)) : undefined;
    const maxBatchSize = Math.min(maxBatchFlag ?? network?.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE, network?.maxBatchSize ?? Infinity);
    const plan = planBatches(manifest, { gasCap, maxBatchSize, existingSelectors: network?.existingSelectors });
    const file = planFile(plan, manifest);
    if (outPath) await writeFileAtomic(outPath, JSON.stringify(file, null, 2) + "\n");
    const source = network
      ? `live routing read from dispatcher ${dispatcher}: maxBatchSize ${network.maxBatchSize}, ${network.existingSelectors.size} live selectors (new selectors costed as adds, live ones as replacements)`
      : OFFLINE_ASSUMPTION;
    const human = formatPlan(plan, file, manifest, source);
    const assumption = network ? "live-routing" : "every-leaf-replaces";
    return { human: human + (outPath ? `\nwrote ${outPath}` : ""), json: { ...file, totalEstimatedGas: plan.totalEstimatedGas, assumption, out: outPath ?? null } };
  },
};

/** What an offline plan assumes, printed with it. */
const OFFLINE_ASSUMPTION =
  "assumption (offline): no live routing read, so every leaf is costed as replacing a live route — an upper bound that may need more batches than the chain does; give --rpc and --dispatcher to plan against the live routing";

async function readLimits(chain: typeof import("@payrox/chain/dispatcher"), provider: import("ethers").Provider, dispatcher: string) {
  const live = await chain.readLiveRouting(provider, dispatcher);
  const maxBatchSize = await chain.readMaxBatchSize(provider, dispatcher, { blockTag: live.blockTag });
  return { maxBatchSize, existingSelectors: new Set(live.routes.keys()) };
}

/** The plan as written to --out. */
export function planFile(plan: Plan, manifest: Manifest): PlanFile {
  const tree = buildManifestTree(manifest.entries, manifestInitializer(manifest));
  const activate = activateArgs(tree);
  return {
    root: plan.root,
    leafCount: plan.leafCount,
    gasCap: plan.gasCap,
    maxBatchSize: plan.maxBatchSize,
    commit: commitArgs(tree),
    batches: plan.batches.map((b) => ({ index: b.index, estimatedGas: b.estimatedGas, facets: b.facets, initHash: b.initHash, leaves: b.leaves, proof: b.proof, proofFlags: b.proofFlags })),
    activate: { ...activate, estimatedGas: ACTIVATION_GAS.fixed + ACTIVATION_GAS.perFacet * activate.facets.length },
  };
}

function formatPlan(plan: Plan, file: PlanFile, manifest: Manifest, source?: string): string {
  const header = ["batch", "leaves", "facets", "proof hashes", "estimated gas"];
  const rows = plan.batches.map((b) => [String(b.index), String(b.routes.length), String(b.facets.length), String(b.proof.length), fmt(b.estimatedGas)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join("  ");
  return [
    `root ${plan.root}: ${plan.leafCount} leaves → ${plan.batches.length} batch${plan.batches.length === 1 ? "" : "es"} (gas cap ${fmt(plan.gasCap)}, max batch ${plan.maxBatchSize})`,
    ...(source ? [source] : []),
    `commit: header leaf leafCount ${file.commit.leafCount}, binding ${file.commit.binding} (proof of ${file.commit.headerProof.length} hashes; epoch = the dispatcher's nextEpoch())`,
    line(header),
    ...rows.map(line),
    `total estimated gas ${fmt(plan.totalEstimatedGas)}`,
    `activate: re-verifies ${file.activate.facets.length} facet${file.activate.facets.length === 1 ? "" : "s"} (~${fmt(file.activate.estimatedGas)} gas), ` +
      (manifest.init ? `then runs the initializer ${formatInit(manifest.init)} (its gas on top)` : "no initializer"),
  ].join("\n");
}
