/**
 * The dispatcher's admin held by a real 2-of-3 Safe (npm @safe-global/safe-contracts 1.4.1) on anvil: the
 * admin rotation drill from an EOA to the Safe, then the Safe administering the dispatcher through Safe
 * transactions its owners sign (EIP-712), built with @payrox/chain's Safe adapters.
 */
import { Contract, Wallet, type JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devWallet, startLocalChain, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../../contracts/lib/deploy.js";
import { adminCallOf, describeAdminCall, DISPATCHER_ROLES, readSafe, safeCall, safeTxHash, SafeReadError, type AdminAction } from "../src/index.js";
import { deploySafe, execBySafe, safeOwners, SAFE_EVENTS } from "./support/safe.js";

const ADMIN_TRANSFER_DELAY = 3_600;
const ACTIVATION_DELAY = 600;

let chain: LocalChain;
let provider: JsonRpcProvider;
let eoaAdmin: Wallet;
let dispatcher: Contract;
let safe: string;
const owners = safeOwners(3);
const signer = Wallet.createRandom().address;

/** Moves the chain's clock `seconds` ahead and mines a block (no wall-clock wait). */
async function warp(seconds: number): Promise<void> {
  await provider.send("evm_increaseTime", [seconds]);
  await provider.send("evm_mine", []);
}

/** Executes `action` through the Safe, signed by `signers`. */
const bySafe = (action: AdminAction, signers: Wallet[]) => execBySafe(eoaAdmin, safe, adminCallOf(dispatcher.target as string, action), signers);

beforeAll(async () => {
  chain = await startLocalChain({ kind: "anvil" });
  ({ provider, wallet: eoaAdmin } = devWallet(chain));
  safe = await deploySafe(eoaAdmin, owners.map((o) => o.address), 2);
  const deployment = await deployDispatcherDeterministic(eoaAdmin, loadArtifact("ManifestDispatcher"), devConfig(eoaAdmin.address, { adminTransferDelay: ADMIN_TRANSFER_DELAY, activationDelay: ACTIVATION_DELAY }));
  dispatcher = new Contract(deployment.address, loadArtifact("DispatcherAdminFacet").abi as never, eoaAdmin);
  await (await dispatcher.getFunction("grantRole")(DISPATCHER_ROLES.EMERGENCY_ROLE, eoaAdmin.address)).wait();
}, 120_000);

afterAll(async () => {
  provider?.destroy();
  await chain?.stop();
});

describe("a dispatcher whose admin is a 2-of-3 Safe", () => {
  it("reads the Safe: version 1.4.1, 2 of its 3 owners, nonce 0; an EOA is refused as a Safe", async () => {
    const state = await readSafe(provider, safe);
    expect(state).toMatchObject({ address: safe, version: "1.4.1", threshold: 2, nonce: 0n, chainId: BigInt(chain.chainId) });
    expect([...state.owners].sort()).toEqual(owners.map((o) => o.address).sort());
    await expect(readSafe(provider, eoaAdmin.address)).rejects.toBeInstanceOf(SafeReadError);
  });

  it("hands the admin from the EOA to the Safe: refused before the delay and with 1 of 3 signatures, accepted by 2 of 3 after it", async () => {
    // Prepare: the EOA admin begins the transfer
    await (await dispatcher.getFunction("beginDefaultAdminTransfer")(safe)).wait();
    const [pending] = await dispatcher.getFunction("pendingDefaultAdmin")();
    expect(pending).toBe(safe);
    const accept: AdminAction = { kind: "acceptDefaultAdminTransfer" };
    // Act / Assess: too early — the dispatcher refuses, so the Safe reverts GS013 and keeps its nonce
    await expect(bySafe(accept, owners.slice(0, 2))).rejects.toThrow(/GS013/);
    expect((await readSafe(provider, safe)).nonce).toBe(0n);
    await warp(ADMIN_TRANSFER_DELAY + 1);
    // Act / Assess: one owner is below the threshold (GS020: signatures too short)
    await expect(bySafe(accept, owners.slice(0, 1))).rejects.toThrow(/GS020/);
    expect(await dispatcher.getFunction("defaultAdmin")()).toBe(eoaAdmin.address);
    // Act: owners 1 and 3 sign
    const receipt = await bySafe(accept, [owners[0]!, owners[2]!]);
    // Assess
    const executed = receipt.logs.map((l) => SAFE_EVENTS.parseLog(l)?.name).filter(Boolean);
    expect(executed).toEqual(["ExecutionSuccess"]);
    expect(await dispatcher.getFunction("defaultAdmin")()).toBe(safe);
    expect(await dispatcher.getFunction("hasRole")(DISPATCHER_ROLES.DEFAULT_ADMIN_ROLE, eoaAdmin.address)).toBe(false);
    expect((await readSafe(provider, safe)).nonce).toBe(1n);
  });

  it("lets the Safe grant and revoke a signer role, schedule an activation-delay decrease and unpause; the old EOA admin is refused", async () => {
    // Act / Assess: grant, then revoke, a PayRox signer's COMMIT_ROLE
    await bySafe({ kind: "grantRole", role: "COMMIT_ROLE", account: signer }, owners.slice(0, 2));
    expect(await dispatcher.getFunction("hasRole")(DISPATCHER_ROLES.COMMIT_ROLE, signer)).toBe(true);
    await bySafe({ kind: "revokeRole", role: "COMMIT_ROLE", account: signer }, owners.slice(1, 3));
    expect(await dispatcher.getFunction("hasRole")(DISPATCHER_ROLES.COMMIT_ROLE, signer)).toBe(false);
    // Act / Assess: a decrease of the activation delay is scheduled (time-locked), and takes effect after it
    const receipt = await bySafe({ kind: "setActivationDelay", seconds: 60n }, owners.slice(0, 2));
    const at = BigInt((await provider.getBlock(receipt.blockNumber))!.timestamp);
    expect([...(await dispatcher.getFunction("pendingActivationDelay")())]).toEqual([60n, at + BigInt(ACTIVATION_DELAY - 60)]);
    expect(await dispatcher.getFunction("activationDelay")()).toBe(BigInt(ACTIVATION_DELAY));
    await warp(ACTIVATION_DELAY - 60 + 1);
    expect(await dispatcher.getFunction("activationDelay")()).toBe(60n);
    // Act / Assess: the emergency role pauses, the Safe unpauses
    await (await dispatcher.getFunction("pause")()).wait();
    await bySafe({ kind: "unpause" }, owners.slice(0, 2));
    expect(await dispatcher.getFunction("paused")()).toBe(false);
    // Assess: the old EOA admin can do none of it
    await (await dispatcher.getFunction("pause")()).wait();
    for (const [fn, args] of [["grantRole", [DISPATCHER_ROLES.COMMIT_ROLE, signer]], ["setActivationDelay", [120n]], ["unpause", []], ["beginDefaultAdminTransfer", [eoaAdmin.address]]] as const) {
      await expect(dispatcher.getFunction(fn)(...args), fn).rejects.toThrow(/AccessControlUnauthorizedAccount|0xe2517d3f/);
    }
    expect(await dispatcher.getFunction("paused")()).toBe(true);
  });

  it("describes the Safe transaction of an admin call: the hash the Safe itself computes, and the decoded function", async () => {
    // Prepare
    const call = adminCallOf(dispatcher.target as string, { kind: "grantRole", role: "APPLY_ROLE", account: signer });
    const state = await readSafe(provider, safe);
    const tx = safeCall(call, state.nonce);
    // Act
    const hash = safeTxHash(safe, state.chainId, tx);
    const onChain = await new Contract(safe, ["function getTransactionHash(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,uint256) view returns (bytes32)"], provider).getFunction("getTransactionHash")(
      tx.to, tx.value, tx.data, tx.operation, tx.safeTxGas, tx.baseGas, tx.gasPrice, tx.gasToken, tx.refundReceiver, tx.nonce,
    );
    // Assess
    expect(hash).toBe(onChain);
    expect(describeAdminCall(call.to, call.data)).toEqual({
      to: dispatcher.target,
      value: 0n,
      data: call.data,
      signature: "grantRole(bytes32,address)",
      args: [{ name: "role", type: "bytes32", value: DISPATCHER_ROLES.APPLY_ROLE, note: "APPLY_ROLE" }, { name: "account", type: "address", value: signer }],
    });
    expect(() => describeAdminCall(call.to, "0xdeadbeef")).toThrow(/not a dispatcher admin function/);
  });
});
