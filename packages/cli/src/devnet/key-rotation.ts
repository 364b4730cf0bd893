/**
 * The devnet's adapters of a signer key rotation (`rotateSigner` in core): the local KMS server makes the
 * new key, the dispatcher admin (dev account #0 of the public test mnemonic — the devnet's admin; in
 * production the admin's multisig) grants and revokes roles, the state file (and the data directory's
 * copy of the deployment) is the configuration, and the nonce store plus the chain tell whether the old
 * signer is quiet. DEVELOPMENT ONLY: the admin key is public. When the admin is a Safe instead, the
 * grants (or the revocations) are printed as Safe transactions and the rotation stops with
 * AdminSignatureRequiredError; run again once the Safe has executed them and it resumes.
 */
import { CreateKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { DynamoAuditLog, DynamoNonceStore } from "@payrox/aws";
import { KmsSigner } from "@payrox/chain";
import type { DispatcherRoleName } from "@payrox/chain/safe";
import { rotateSigner, SignerRotationError, type RotateSignerReturnType, type SignerActivity, type SignerIdentity } from "@payrox/core";
import { loadArtifact } from "@payrox/contracts/lib/artifacts";
import { devWallet } from "@payrox/contracts/lib/local-chain";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Contract, JsonRpcProvider, parseEther } from "ethers";
import { AdminSignatureRequiredError } from "../errors.js";
import { adminTransactionText } from "../admin-transaction-text.js";
import { readDevnetState, writeDevnetState, type DevnetState } from "./state.js";

/** The roles a devnet signer holds (services.ts grants these to each network's KMS signer). */
export const DEVNET_SIGNER_ROLES = ["COMMIT_ROLE", "APPLY_ROLE", "EMERGENCY_ROLE"] as const;

/** Options of {@link rotateDevnetSigner}. */
export interface RotateDevnetSignerOptions {
  /** The devnet's state file (its configuration: which key each network signs with). */
  stateFile: string;
  network: string;
  /** An existing KMS key to rotate to. @default a new ECC_SECG_P256K1 key on the local KMS server */
  newKeyId?: string;
  /** Longest wait for the old signer to go quiet. @default 120_000 */
  waitMs?: number;
  /** Who rotates, for the audit trail. @default "operator" */
  actor?: string;
  /** Told about each phase. */
  onProgress?: (message: string) => void;
  kms: KMSClient;
  dynamo: DynamoDBClient;
}

/**
 * Rotates `network`'s signer on the devnet: a new KMS key (funded for gas), granted the old signer's roles,
 * switched into the state file, the old key's roles revoked once it is quiet.
 * @throws SignerBusyError / SignerRotationError from `rotateSigner`; SignerRotationError for an unknown network
 */
export async function rotateDevnetSigner(options: RotateDevnetSignerOptions): Promise<RotateSignerReturnType> {
  const say = options.onProgress ?? (() => undefined);
  const state = readDevnetState(options.stateFile);
  const net = state.networks.find((n) => n.id === options.network);
  if (!net) throw new SignerRotationError(options.network, `not a network of the devnet in ${options.stateFile} (it has ${state.networks.map((n) => n.id).join(", ")})`);
  const { provider, wallet: admin } = devWallet(net.rpcUrl);
  try {
    const keyId = options.newKeyId ?? (await createSigningKey(options.kms, options.network));
    const address = await new KmsSigner({ keyId, client: options.kms }, provider).getAddress();
    say(`new signer for ${options.network}: KMS key ${keyId}, address ${address}`);
    if ((await provider.getBalance(address)) === 0n) await (await admin.sendTransaction({ to: address, value: parseEther("100") })).wait();
    const dispatcher = new Contract(net.dispatcher, loadArtifact("DispatcherAdminFacet").abi as never, admin);
    const roleId = async (name: string) => (await dispatcher.getFunction(name)()) as string;
    const nonces = new DynamoNonceStore({ client: options.dynamo, tableName: state.tableName });
    const rolesOf = async (account: string, roles: readonly string[]) => {
      const held: string[] = [];
      for (const role of roles) if ((await dispatcher.getFunction("hasRole")(await roleId(role), account)) as boolean) held.push(role);
      return held;
    };
    const defaultAdmin = (await dispatcher.getFunction("defaultAdmin")()) as string;
    // The admin is not the dev key (a Safe took it over): print every grant (or revocation) the rotation needs, and stop.
    const safeRequired = async (kind: "grantRole" | "revokeRole", account: string, roles: readonly string[]): Promise<never> => {
      const { prepareAdminTransaction } = await import("@payrox/chain/safe");
      const hashes: string[] = [];
      let nonce: bigint | undefined; // consecutive Safe nonces: the transactions are executed in order
      for (const role of roles) {
        const prepared = await prepareAdminTransaction({ provider, dispatcher: net.dispatcher, action: { kind, role: role as DispatcherRoleName, account }, ...(nonce !== undefined && { safeNonce: nonce }) });
        if (prepared.safe) nonce = prepared.safe.transaction.nonce + 1n;
        say(adminTransactionText(prepared, BigInt(net.chainId)) + "\n");
        hashes.push(prepared.safe?.safeTxHash ?? prepared.call.data);
      }
      throw new AdminSignatureRequiredError(defaultAdmin, hashes, `run again: payrox keys rotate --network ${options.network} --new-key-id ${keyId}`);
    };
    const selfSigned = defaultAdmin.toLowerCase() === admin.address.toLowerCase();
    return await rotateSigner(
      { network: options.network, next: { keyId, address }, signerRoles: DEVNET_SIGNER_ROLES, ...(options.waitMs !== undefined && { waitMs: options.waitMs }) },
      {
        admin: {
          rolesOf: async (_n, account, roles) => rolesOf(account, roles),
          grant: async (_n, role, account) => {
            if (!selfSigned) {
              // Every role the current signer holds and the new one lacks, at once (rotateSigner asks for them one by one).
              const current = signerOf(readDevnetState(options.stateFile), options.network).address;
              const held = await rolesOf(account, DEVNET_SIGNER_ROLES);
              return safeRequired("grantRole", account, (await rolesOf(current, DEVNET_SIGNER_ROLES)).filter((r) => !held.includes(r)));
            }
            say(`granting ${role} to ${account}`);
            return { txHash: (await (await dispatcher.getFunction("grantRole")(await roleId(role), account)).wait()).hash as string };
          },
          revoke: async (_n, role, account) => {
            if (!selfSigned) return safeRequired("revokeRole", account, await rolesOf(account, DEVNET_SIGNER_ROLES));
            say(`revoking ${role} from ${account}`);
            return { txHash: (await (await dispatcher.getFunction("revokeRole")(await roleId(role), account)).wait()).hash as string };
          },
        },
        config: {
          current: async (network) => signerOf(readDevnetState(options.stateFile), network),
          switchTo: async (network, signer) => {
            switchSigner(options.stateFile, network, signer);
            say(`${network} now signs with ${signer.keyId} (${options.stateFile}); waiting for the old signer's steps to finish`);
          },
        },
        activity: (network, signer) => signerActivity(nonces, provider, network, signer),
        audit: new DynamoAuditLog({ client: options.dynamo, tableName: state.tableName }),
        clock: { now: () => Date.now() },
        actor: options.actor ?? "operator",
      },
    );
  } finally {
    provider.destroy();
  }
}

async function createSigningKey(kms: KMSClient, network: string): Promise<string> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: "ECC_SECG_P256K1", KeyUsage: "SIGN_VERIFY", Description: `payrox devnet signer ${network} (rotated)` }));
  return KeyMetadata!.KeyId!;
}

function signerOf(state: DevnetState, network: string): SignerIdentity {
  const net = state.networks.find((n) => n.id === network);
  if (!net) throw new SignerRotationError(network, "the network left the state file during the rotation");
  return { keyId: net.kmsKeyId, address: net.signerAddress };
}

/** Writes the new signer into the state file and, when data is kept, into the data directory's deployment. */
function switchSigner(stateFile: string, network: string, signer: SignerIdentity): void {
  const state = readDevnetState(stateFile);
  const apply = (s: DevnetState): DevnetState => ({ ...s, networks: s.networks.map((n) => (n.id === network ? { ...n, kmsKeyId: signer.keyId, signerAddress: signer.address } : n)) });
  writeDevnetState(stateFile, apply(state));
  if (state.deploymentFile && state.deploymentFile !== stateFile) writeDevnetState(state.deploymentFile, apply(readDevnetState(state.deploymentFile)));
}

async function signerActivity(nonces: DynamoNonceStore, provider: JsonRpcProvider, network: string, signer: string): Promise<SignerActivity> {
  const [snapshot, chainLatest, chainPending] = await Promise.all([nonces.snapshot({ network, signer }), provider.getTransactionCount(signer, "latest"), provider.getTransactionCount(signer, "pending")]);
  return { outstanding: snapshot.outstanding, next: snapshot.next, chainLatest, chainPending };
}
