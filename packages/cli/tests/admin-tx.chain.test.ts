/**
 * `payrox admin tx` against a dispatcher on anvil whose admin moves from an EOA to a real 2-of-3 Safe
 * (npm @safe-global/safe-contracts 1.4.1): what it prints is what the Safe executes — two owners sign the
 * printed safeTxHash and the printed transaction goes through `execTransaction`.
 */
import { Contract, Signature, type InterfaceAbi, type JsonRpcProvider, type Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execTransactionData, packSafeSignatures, type SafeTransaction } from "@payrox/chain/safe";
import { loadArtifact } from "../../../contracts/lib/artifacts.js";
import { deployDispatcherDeterministic, devConfig } from "../../../contracts/lib/deploy.js";
import { devWallet, startLocalChain, type LocalChain } from "../../../contracts/lib/local-chain.js";
import { deploySafe, safeOwners } from "../../chain/tests/support/safe.js";
import { payrox, prepare, stdoutJson } from "./helpers.js";

interface Printed {
  call: { to: string; data: string; function: string; args: { name: string; value: string; note?: string }[] };
  actor: string;
  safe?: { address: string; threshold: number; owners: string[]; transaction: Record<keyof SafeTransaction, string | number>; safeTxHash: string };
  simulation: { ok: boolean; reason?: string };
}

describe("payrox admin tx", () => {
  let chain: LocalChain;
  let provider: JsonRpcProvider;
  let wallet: Wallet;
  let dispatcher: string;
  let safe: string;
  let dir: string;
  const owners = safeOwners(3);
  const adminTx = async (...args: string[]) => stdoutJson<Printed>(await payrox(["admin", "tx", ...args, "--rpc", chain.rpcUrl, "--dispatcher", dispatcher, "--json"], dir));

  beforeAll(async () => {
    dir = await prepare();
    chain = await startLocalChain({ kind: "anvil" });
    ({ provider, wallet } = devWallet(chain));
    safe = await deploySafe(wallet, owners.map((o) => o.address), 2);
    dispatcher = (await deployDispatcherDeterministic(wallet, loadArtifact("ManifestDispatcher"), devConfig(wallet.address, { adminTransferDelay: 3_600 }))).address;
  });

  afterAll(async () => {
    provider?.destroy();
    await chain?.stop();
  });

  it("prints the call for an EOA admin, and a Safe transaction that two owners sign and the Safe executes once the Safe must act", async () => {
    // Act / Assess: the EOA admin begins the transfer — a plain call, no Safe transaction
    const begin = await adminTx("begin-admin-transfer", safe);
    expect(begin).toMatchObject({ actor: wallet.address, call: { to: dispatcher, function: "beginDefaultAdminTransfer(address)", args: [{ name: "newAdmin", value: safe }] }, simulation: { ok: true } });
    expect(begin.safe).toBeUndefined();
    await (await wallet.sendTransaction({ to: begin.call.to, data: begin.call.data })).wait();
    // Act / Assess: accepting is the Safe's action; too early, the simulation names the delay
    const early = await adminTx("accept-admin-transfer");
    expect(early).toMatchObject({ actor: safe, safe: { address: safe, threshold: 2, safeTxHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) }, simulation: { ok: false, reason: expect.stringMatching(/^AccessControlEnforcedDefaultAdminDelay/) } });
    await provider.send("evm_increaseTime", [3_601]);
    await provider.send("evm_mine", []);
    const accept = await adminTx("accept-admin-transfer");
    expect(accept.simulation).toEqual({ ok: true });
    // Act: two owners sign the printed hash; the printed transaction is executed
    const printed = accept.safe!;
    const signatures = packSafeSignatures(owners.slice(1).map((o) => ({ owner: o.address, signature: Signature.from(o.signingKey.sign(printed.safeTxHash)).serialized })));
    const t = printed.transaction;
    const tx: SafeTransaction = { to: String(t.to), value: BigInt(t.value), data: String(t.data), operation: Number(t.operation) as 0, safeTxGas: BigInt(t.safeTxGas), baseGas: BigInt(t.baseGas), gasPrice: BigInt(t.gasPrice), gasToken: String(t.gasToken), refundReceiver: String(t.refundReceiver), nonce: BigInt(t.nonce) };
    await (await wallet.sendTransaction({ to: safe, data: execTransactionData(tx, signatures) })).wait();
    // Assess
    const facet = new Contract(dispatcher, loadArtifact("DispatcherAdminFacet").abi as InterfaceAbi, provider);
    expect(await facet.getFunction("defaultAdmin")()).toBe(safe);
    const grant = await adminTx("grant-role", "COMMIT_ROLE", owners[0]!.address);
    expect(grant).toMatchObject({ actor: safe, safe: { transaction: { nonce: "1", to: dispatcher, operation: 0 } }, simulation: { ok: true } });
    expect(grant.call.args).toEqual([{ name: "role", type: "bytes32", value: await facet.getFunction("COMMIT_ROLE")(), note: "COMMIT_ROLE" }, { name: "account", type: "address", value: owners[0]!.address }]);
  });

  it("prints the decoded function and the owners' threshold in its human output", async () => {
    const run = await payrox(["admin", "tx", "set-activation-delay", "60", "--rpc", chain.rpcUrl, "--dispatcher", dispatcher], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`to be sent by the Safe ${safe} (Safe 1.4.1, 2 of 3 owners must sign`);
    expect(run.stdout).toMatch(/safeTxHash +0x[0-9a-f]{64}/);
    expect(run.stdout).toContain("setActivationDelay(uint64 newDelay)");
    expect(run.stdout).toMatch(/newDelay +60/);
  });

  it("refuses an unknown action or role, and accepting when no transfer is pending", async () => {
    const unknown = await payrox(["admin", "tx", "pause-forever", "--rpc", chain.rpcUrl, "--dispatcher", dispatcher], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown action "pause-forever"/);
    const role = await payrox(["admin", "tx", "grant-role", "ROOT", owners[0]!.address, "--rpc", chain.rpcUrl, "--dispatcher", dispatcher], dir);
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/unknown role "ROOT"/);
    const none = await payrox(["admin", "tx", "accept-admin-transfer", "--rpc", chain.rpcUrl, "--dispatcher", dispatcher], dir);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no admin transfer is pending/);
  });
});
