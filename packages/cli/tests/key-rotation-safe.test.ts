/**
 * `payrox keys rotate` on a devnet whose dispatcher admin is a real 2-of-3 Safe (npm
 * @safe-global/safe-contracts 1.4.1): PayRox can't sign the grants and revocations, so it prints them as
 * Safe transactions and stops; two owners sign and the Safe executes each; run again, the rotation goes on,
 * and after the revocations it finishes (resumed) with the new key holding the roles and the old none.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadArtifact } from "@payrox/contracts/lib/artifacts";
import { devWallet } from "@payrox/contracts/lib/local-chain";
import { Contract, type JsonRpcProvider, type Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminCallOf } from "@payrox/chain/safe";
import { deploySafe, execBySafe, safeOwners } from "../../chain/tests/support/safe.js";
import { startDevnetServices, type DevnetServices } from "../src/devnet/services.js";
import { readDevnetState, writeDevnetState } from "../src/devnet/state.js";
import { DEVNET_SIGNER_ROLES } from "../src/devnet/key-rotation.js";
import { run } from "../src/run.js";

const NETWORK = "devnet-1";
let services: DevnetServices;
let dir: string;
let stateFile: string;
let provider: JsonRpcProvider;
let devAdmin: Wallet;
let dispatcher: Contract;
let safe: string;
const owners = safeOwners(3);

async function cli(...args: string[]): Promise<{ code: number; output: string }> {
  const out: string[] = [];
  const code = await run(args, { stdout: (t) => out.push(t), stderr: (t) => out.push(t), cwd: dir });
  return { code, output: out.join("") };
}

/** Executes, in order, every Safe transaction `output` printed (its `to` and `data`), signed by two owners. */
async function executePrinted(output: string): Promise<string[]> {
  const printed = [...output.matchAll(/^ {2}to +(0x[0-9a-fA-F]{40})\n {2}value +0\n {2}data +(0x[0-9a-f]+)$/gm)].map((m) => ({ to: m[1]!, data: m[2]! }));
  for (const call of printed) await execBySafe(devAdmin, safe, call, [owners[0]!, owners[2]!]);
  return printed.map((c) => c.data.slice(0, 10));
}

const rolesOf = async (account: string) => {
  const held: string[] = [];
  for (const role of DEVNET_SIGNER_ROLES) if (await dispatcher.getFunction("hasRole")(await dispatcher.getFunction(role)(), account)) held.push(role);
  return held;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "payrox-rotation-safe-"));
  stateFile = join(dir, "devnet.json");
  services = await startDevnetServices({ networks: 1, activationDelaySeconds: 8, automine: true, tableName: "payrox-rotation-safe" });
  writeDevnetState(stateFile, services.state);
  const net = services.state.networks[0]!;
  ({ provider, wallet: devAdmin } = devWallet(net.rpcUrl));
  dispatcher = new Contract(net.dispatcher, loadArtifact("DispatcherAdminFacet").abi as never, devAdmin);
  // The devnet's admin (dev account #0) hands the dispatcher to a 2-of-3 Safe.
  safe = await deploySafe(devAdmin, owners.map((o) => o.address), 2);
  await (await dispatcher.getFunction("beginDefaultAdminTransfer")(safe)).wait();
  await provider.send("evm_increaseTime", [Number(await dispatcher.getFunction("defaultAdminDelay")()) + 1]);
  await provider.send("evm_mine", []);
  await execBySafe(devAdmin, safe, adminCallOf(net.dispatcher, { kind: "acceptDefaultAdminTransfer" }), owners.slice(0, 2));
}, 180_000);

afterAll(async () => {
  provider?.destroy();
  await services?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("payrox keys rotate with the admin in a Safe", () => {
  it("prints the grants, then the revocations, as Safe transactions; once the Safe has executed each, the rotation finishes", async () => {
    // Prepare
    expect(await dispatcher.getFunction("defaultAdmin")()).toBe(safe);
    const old = readDevnetState(stateFile).networks[0]!;
    expect(await rolesOf(old.signerAddress)).toEqual([...DEVNET_SIGNER_ROLES]);

    // Act: first run — a new key, its grants printed, stopped
    const first = await cli("keys", "rotate", "--network", NETWORK, "--state-file", stateFile);
    // Assess
    expect(first.code, first.output).toBe(1);
    const keyId = /--new-key-id (\S+)/.exec(first.output)![1]!;
    const next = /new signer for devnet-1: KMS key \S+, address (0x[0-9a-fA-F]{40})/.exec(first.output)![1]!;
    expect(first.output).toContain(`to be sent by the Safe ${safe} (Safe 1.4.1, 2 of 3 owners must sign`);
    expect(first.output.match(/^ {2}grantRole\(bytes32 role, address account\)$/gm)).toHaveLength(3);
    for (const role of DEVNET_SIGNER_ROLES) expect(first.output).toContain(`(${role})`);
    expect(first.output).toMatch(/execute the 3 Safe transaction\(s\) printed above/);
    expect(readDevnetState(stateFile).networks[0]!.kmsKeyId).toBe(old.kmsKeyId); // not switched: the new key holds nothing yet
    expect(await executePrinted(first.output)).toEqual(Array(3).fill("0x2f2ff15d")); // grantRole
    expect(await rolesOf(next)).toEqual([...DEVNET_SIGNER_ROLES]);

    // Act: second run — switched, old key quiet, its revocations printed, stopped
    const second = await cli("keys", "rotate", "--network", NETWORK, "--state-file", stateFile, "--new-key-id", keyId, "--wait", "30");
    // Assess
    expect(second.code, second.output).toBe(1);
    expect(readDevnetState(stateFile).networks[0]!.kmsKeyId).toBe(keyId);
    expect(second.output.match(/^ {2}revokeRole\(bytes32 role, address account\)$/gm)).toHaveLength(3);
    expect(await rolesOf(old.signerAddress)).toEqual([...DEVNET_SIGNER_ROLES]); // printed, not sent
    expect(await executePrinted(second.output)).toEqual(Array(3).fill("0xd547741f")); // revokeRole

    // Act: third run — nothing left to sign
    const third = await cli("keys", "rotate", "--network", NETWORK, "--state-file", stateFile, "--new-key-id", keyId);
    // Assess
    expect(third.code, third.output).toBe(0);
    expect(third.output).toContain("devnet-1: signer rotated (resumed)");
    expect(await rolesOf(old.signerAddress)).toEqual([]);
    expect(await rolesOf(next)).toEqual([...DEVNET_SIGNER_ROLES]);
  });
});
