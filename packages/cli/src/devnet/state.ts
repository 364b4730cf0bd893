/**
 * What the devnet's services are and where they listen, as one JSON document: `payrox devnet services`
 * writes it, `payrox devnet up --attach` reads it, so the PayRox process (scheduler + API) can be
 * restarted while the chains, DynamoDB Local and the KMS server keep running.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as z from "zod";
import { DevnetStateError } from "../errors.js";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const url = z.url({ protocol: /^https?$/ });

/** One devnet network: its node, dispatcher, KMS signer and example facets. */
export const DevnetNetworkSchema = z.strictObject({
  id: z.string().min(1),
  chainId: z.number().int().positive(),
  rpcUrl: url,
  /** Hash of the chain's block 0: a restart on kept data refuses a chain whose genesis differs (it was reset). */
  genesisHash: z.string().regex(/^0x[0-9a-f]{64}$/).optional(),
  /** PID of the node (anvil), for whoever stops it. */
  pid: z.number().int().positive().optional(),
  dispatcher: address,
  kmsKeyId: z.string().min(1),
  signerAddress: address,
  /** The local relay in front of this node, where its policy prefers Flashbots or a private RPC. */
  relayUrl: url.optional(),
  /** Example facets by contract name (the same address on every network). */
  facets: z.record(z.string(), address),
});

/** The whole devnet. */
export const DevnetStateSchema = z.strictObject({
  format: z.literal("payrox-devnet/1"),
  tableName: z.string().min(1),
  dynamoEndpoint: url,
  kmsUrl: url,
  kmsRegion: z.string().min(1),
  activationDelaySeconds: z.number().int().positive(),
  networks: z.array(DevnetNetworkSchema).min(1),
  /** The append-only JSON-lines file the audit chains' heads are anchored in (outside DynamoDB Local's data). */
  anchorFile: z.string().min(1).optional(),
  /** The data directory's copy of the deployment (what a restart of the services reads), when data is kept. */
  deploymentFile: z.string().min(1).optional(),
});

/** One devnet network. */
export type DevnetNetwork = z.infer<typeof DevnetNetworkSchema>;
/** The devnet's services and deployments. */
export type DevnetState = z.infer<typeof DevnetStateSchema>;

/** Writes the state file (creating its directory) at once: a reader (the PayRox process reloading it) never sees half of it. */
export function writeDevnetState(path: string, state: DevnetState): void {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(state, null, 2) + "\n");
  renameSync(partial, path);
}

/**
 * Reads and validates a state file.
 * @throws DevnetStateError naming the file and what is wrong with it
 */
export function readDevnetState(path: string): DevnetState {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new DevnetStateError(path, `not readable (${(error as Error).message}); start the services first with "payrox devnet services --state-file ${path}"`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DevnetStateError(path, `not JSON (${(error as Error).message})`);
  }
  const parsed = DevnetStateSchema.safeParse(json);
  if (!parsed.success) throw new DevnetStateError(path, parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
  return parsed.data;
}
