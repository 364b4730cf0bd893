/**
 * `npm start` (until the multi-network devnet lands): one real time-locked upgrade on a local chain.
 *
 * Starts anvil on 127.0.0.1, deploys the ManifestDispatcher through the CREATE2 factory, grants one
 * development key per role, deploys CounterFacetV1/V2, then runs two epochs of
 * commit → apply (batches) → activate with a short real-time delay, printing every step with its gas,
 * the early-activation and staged-call rejections, and calls routed through the dispatcher.
 *
 * Usage: npm start -- [--delay <seconds>] [--chain anvil|hardhat]
 */
import { parseArgs } from "node:util";
import { Contract, ContractFactory, HDNodeWallet, Interface, JsonRpcProvider, keccak256, NonceManager, type ContractTransactionResponse } from "ethers";
import { loadArtifact } from "../lib/artifacts.js";
import { activateArgs, buildManifestTree, commitArgs, encodeBatches, removal, type RouteLeaf } from "../lib/batch.js";
import { deployDispatcherDeterministic, devConfig, type DispatcherConfig } from "../lib/deploy.js";
import { DEV_MNEMONIC, startLocalChain, type LocalChainKind } from "../lib/local-chain.js";

const USAGE = "usage: npm start -- [--delay <seconds, 1..600, default 5>] [--chain anvil|hardhat]";

interface Step {
  step: string;
  gas: bigint;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { delay: { type: "string", default: "5" }, chain: { type: "string", default: "anvil" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const delay = Number(values.delay);
  if (!Number.isInteger(delay) || delay < 1 || delay > 600) return usage(`--delay must be an integer number of seconds in 1..600, got "${values.delay}"`);
  if (values.chain !== "anvil" && values.chain !== "hardhat") return usage(`--chain must be anvil or hardhat, got "${values.chain}"`);

  log(`starting a local ${values.chain} node on 127.0.0.1 …`);
  const chain = await startLocalChain({ kind: values.chain as LocalChainKind });
  const stop = () => chain.stop();
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));
  try {
    log(`chain ${chain.chainId} at ${chain.rpcUrl} (pid ${chain.pid})`);
    return await run(chain.rpcUrl, delay);
  } finally {
    await stop();
    log("local chain stopped");
  }
}

async function run(rpcUrl: string, delay: number): Promise<number> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { pollingInterval: 100 });
  // Well-known DEVELOPMENT keys of the local chain's test mnemonic, one per role. Never use them elsewhere.
  const key = (i: number) => new NonceManager(HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).connect(provider));
  const [admin, committer, applier] = [key(0), key(1), key(2)];
  const adminAddress = await admin.getAddress();
  const steps: Step[] = [];
  const record = async (step: string, tx: Promise<ContractTransactionResponse>) => {
    const receipt = (await (await tx).wait())!;
    steps.push({ step, gas: receipt.gasUsed });
    log(`${step.padEnd(44)} gas ${fmt(receipt.gasUsed).padStart(9)}  tx ${receipt.hash.slice(0, 18)}…`);
    return receipt;
  };

  // 1. Deterministic deployment: same address on every chain for the same config.
  const config: DispatcherConfig = devConfig(adminAddress, { activationDelay: delay, minActivationDelay: 1 });
  const deployment = await deployDispatcherDeterministic(admin, loadArtifact("ManifestDispatcher"), config);
  steps.push({ step: "deploy dispatcher (CREATE2)", gas: deployment.gasUsed });
  log(`${"deploy dispatcher (CREATE2)".padEnd(44)} gas ${fmt(deployment.gasUsed).padStart(9)}  at ${deployment.address}${deployment.deployedFactory ? " (factory deployed from its presigned tx)" : ""}`);
  const adminAbi = loadArtifact("DispatcherAdminFacet").abi as never[];
  const routerAbi = loadArtifact("ManifestDispatcher").abi as never[];
  const dispatcher = new Contract(deployment.address, adminAbi, admin);
  const router = new Contract(deployment.address, routerAbi, provider);
  const errors = new Interface([...routerAbi, ...adminAbi.filter((f: { type: string }) => f.type === "error")]);
  log(`admin facet ${await dispatcher.adminFacet()}, activation delay ${await dispatcher.activationDelay()} s`);

  // 2. Roles: one key per role (least privilege).
  await record("grant COMMIT_ROLE", dispatcher.grantRole(await dispatcher.COMMIT_ROLE(), await committer.getAddress()));
  await record("grant APPLY_ROLE", dispatcher.grantRole(await dispatcher.APPLY_ROLE(), await applier.getAddress()));

  // 3. Example facets.
  const deployFacet = async (name: "CounterFacetV1" | "CounterFacetV2") => {
    const artifact = loadArtifact(name);
    const contract = await new ContractFactory(artifact.abi as never[], artifact.bytecode, admin).deploy();
    const receipt = (await contract.deploymentTransaction()!.wait())!;
    const address = await contract.getAddress();
    steps.push({ step: `deploy ${name}`, gas: receipt.gasUsed });
    log(`${`deploy ${name}`.padEnd(44)} gas ${fmt(receipt.gasUsed).padStart(9)}  at ${address}`);
    return { address, abi: artifact.abi as never[], codehash: keccak256(await provider.getCode(address)) };
  };
  const v1 = await deployFacet("CounterFacetV1");
  const v2 = await deployFacet("CounterFacetV2");
  const routes = (facet: typeof v1, names: string[]): RouteLeaf[] => {
    const iface = new Interface(facet.abi);
    return names.map((n) => ({ selector: iface.getFunction(n)!.selector, facet: facet.address, codehash: facet.codehash }));
  };
  const counterV1 = new Contract(deployment.address, v1.abi, admin);
  const counterV2 = new Contract(deployment.address, v2.abi, admin);

  const upgrade = async (label: string, manifest: RouteLeaf[], whilePending: () => Promise<void>) => {
    const tree = buildManifestTree(manifest);
    const epoch: bigint = await dispatcher.nextEpoch();
    const c = commitArgs(tree);
    log(`— epoch ${epoch}: ${label} (${tree.leafCount} leaves + header, root ${tree.root.slice(0, 18)}…)`);
    await record(`commitRoot (epoch ${epoch})`, (router.connect(committer) as Contract).commitRoot(c.root, epoch, c.leafCount, c.binding, c.headerProof));
    const a = activateArgs(tree);
    const eta = await dispatcher.pendingEta();
    const batches = encodeBatches(tree, 2);
    for (const [i, b] of batches.entries()) {
      await record(`applyRoutes batch ${i + 1}/${batches.length} (${b.routes.length} leaves)`, (router.connect(applier) as Contract).applyRoutes(b.facets, b.initHash, b.leaves, b.proof, b.proofFlags));
    }
    await whilePending();
    await expectRejected("early activation", (router.connect(applier) as Contract).activateCommittedRoot.staticCall(a.facets, a.init), errors);
    await waitUntil(eta);
    const receipt = await record(`activateCommittedRoot (epoch ${epoch})`, (router.connect(applier) as Contract).activateCommittedRoot(a.facets, a.init));
    const block = await provider.getBlock(receipt.blockNumber);
    log(`activated in block ${block!.number} at t=${block!.timestamp}, ${block!.timestamp - Number(eta)} s after ETA ${eta}`);
  };

  await upgrade("route CounterFacetV1", routes(v1, ["version", "count", "increment", "greet"]), async () => {
    await expectRejected("routed call to a staged route", counterV1.version.staticCall(), errors);
  });
  log(`routed version() → ${await counterV1.version()}, greet() → "${await counterV1.greet()}"`);
  await record("routed increment() → CounterFacetV1", counterV1.increment());
  log(`routed count() → ${await counterV1.count()}`);

  await upgrade(
    "replace version/increment with V2, add decrement, remove greet",
    [...routes(v2, ["version", "increment", "decrement"]), removal(new Interface(v1.abi).getFunction("greet")!.selector)],
    async () => log(`while pending, routed version() still → ${await counterV1.version()} (the live route keeps its facet)`),
  );
  log(`routed version() → ${await counterV2.version()}`);
  await record("routed increment() → CounterFacetV2", counterV2.increment());
  log(`routed count() → ${await counterV2.count()} (V1's 1 + V2's 10: storage kept across the upgrade)`);
  await expectRejected("routed greet() after its removal", counterV1.greet.staticCall(), errors);

  console.log("");
  console.log("| step | gas |");
  console.log("| ---- | --- |");
  for (const s of steps) console.log(`| ${s.step} | ${fmt(s.gas)} |`);
  console.log("");
  log(`done: dispatcher ${deployment.address} at epoch ${await dispatcher.activeEpoch()}, active root ${await dispatcher.activeRoot()}`);
  return 0;
}

/** Runs a call that must revert and prints the decoded custom error; throws if it succeeded. */
async function expectRejected(what: string, call: Promise<unknown>, errors: Interface): Promise<void> {
  try {
    await call;
  } catch (error) {
    const data = (error as { data?: string }).data;
    const parsed = data ? errors.parseError(data) : null;
    log(`${what} rejected: ${parsed ? `${parsed.name}(${parsed.args.map(String).join(", ")})` : (error as Error).message}`);
    return;
  }
  throw new Error(`${what} unexpectedly succeeded`);
}

/** Waits (printing a countdown) until a block mined now would have timestamp ≥ eta. */
async function waitUntil(eta: bigint): Promise<void> {
  for (;;) {
    const now = BigInt(Math.floor(Date.now() / 1000));
    if (now >= eta) return;
    const left = eta - now;
    log(`waiting for ETA ${eta}: ${left} s left`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(Number(left), 2) * 1000));
  }
}

function usage(message: string): number {
  console.error(message);
  console.error(USAGE);
  return 2;
}

function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function fmt(n: bigint | number): string {
  return n.toLocaleString("en-US");
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
