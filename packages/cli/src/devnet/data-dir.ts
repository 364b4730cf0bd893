/**
 * The devnet's data directory (default `.payrox/devnet/`): DynamoDB Local's files, the KMS key file,
 * each anvil node's state and the deployment they hold, so `payrox devnet services` restarted on it
 * continues where it stopped. A restart checks that each chain is the one the table knows — same genesis
 * block, dispatcher still deployed, every nonce the table handed out still on chain — and refuses
 * otherwise: a table that remembers nonces of a chain that forgot them jams every send.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DynamoNonceKeySnapshot } from "@payrox/aws";
import type { JsonRpcProvider } from "ethers";
import { DevnetDataError } from "../errors.js";
import { readDevnetState, type DevnetNetwork, type DevnetState } from "./state.js";

/** Where each part of the devnet's data lives. */
export interface DevnetDataPaths {
  root: string;
  /** DynamoDB Local's `-dbPath`. */
  dynamo: string;
  /** The local KMS server's key file (DEVELOPMENT keys). */
  kmsKeys: string;
  /** The deployment the chains and the table hold (a state file with the last endpoints). */
  deployment: string;
  /** One anvil `--state` file per network. */
  chainState(network: string): string;
  /** The audit anchors (append-only JSON lines). */
  anchors: string;
}

/** The paths under `root` (made absolute). */
export function devnetDataPaths(root: string): DevnetDataPaths {
  const dir = resolve(root);
  return {
    root: dir,
    dynamo: join(dir, "dynamodb"),
    kmsKeys: join(dir, "kms-keys.json"),
    deployment: join(dir, "deployment.json"),
    chainState: (network) => join(dir, "chains", `${network}.json`),
    anchors: join(dir, "audit-anchors.jsonl"),
  };
}

/**
 * Opens the data directory: with `fresh`, first deletes what the devnet keeps there (only its own
 * entries). @returns the paths and the saved deployment, undefined when there is none yet
 */
export function openDevnetData(root: string, fresh = false): { paths: DevnetDataPaths; saved?: DevnetState } {
  const paths = devnetDataPaths(root);
  if (fresh) for (const entry of [paths.dynamo, paths.kmsKeys, paths.deployment, paths.anchors, join(paths.root, "chains")]) rmSync(entry, { recursive: true, force: true });
  mkdirSync(join(paths.root, "chains"), { recursive: true });
  return existsSync(paths.deployment) ? { paths, saved: readDevnetState(paths.deployment) } : { paths };
}

/**
 * Refuses a restart whose networks or delay differ from the saved deployment's.
 * @throws DevnetDataError saying what differs
 */
export function checkSavedShape(paths: DevnetDataPaths, saved: DevnetState, networks: number, activationDelaySeconds: number): void {
  if (saved.networks.length !== networks || saved.activationDelaySeconds !== activationDelaySeconds) {
    throw new DevnetDataError(paths.root, `it holds a devnet of ${saved.networks.length} network(s) with a ${saved.activationDelaySeconds} s delay, not ${networks} with ${activationDelaySeconds} s`);
  }
}

/**
 * Checks that a restarted node is the chain the saved deployment and the table know.
 * @param nonces the table's nonce record of the network's KMS signer
 * @throws DevnetDataError naming the network and what it lost
 */
export async function checkChainContinuity(paths: DevnetDataPaths, saved: DevnetNetwork, provider: JsonRpcProvider, nonces: DynamoNonceKeySnapshot): Promise<void> {
  const genesis = await provider.getBlock(0);
  if (saved.genesisHash !== undefined && genesis?.hash !== saved.genesisHash) {
    throw new DevnetDataError(paths.root, `${saved.id}'s chain was reset (genesis block ${genesis?.hash ?? "none"}, the table's chain had ${saved.genesisHash}; is ${paths.chainState(saved.id)} missing?)`, saved.id);
  }
  if ((await provider.getCode(saved.dispatcher)) === "0x") {
    throw new DevnetDataError(paths.root, `${saved.id}'s chain has no dispatcher at ${saved.dispatcher} (its state file ${paths.chainState(saved.id)} is older than the deployment)`, saved.id);
  }
  const highest = highestUsedNonce(nonces);
  const onChain = await provider.getTransactionCount(saved.signerAddress, "pending");
  if (highest !== undefined && onChain <= highest) {
    throw new DevnetDataError(paths.root, `${saved.id}'s chain lost transactions the table knows: the signer ${saved.signerAddress} used nonce ${highest}, the chain counts ${onChain} (the node was killed before it saved its state?)`, saved.id);
  }
}

/** The highest nonce the table handed to the journal (neither released nor still reserved). */
function highestUsedNonce(nonces: DynamoNonceKeySnapshot): number | undefined {
  for (let n = nonces.next - 1; n >= 0; n--) if (!nonces.released.includes(n) && !nonces.outstanding.includes(n)) return n;
  return undefined;
}
