/**
 * DispatcherAdminFacet: roles (and the router's role checks that read the same table), the default-admin
 * key rotation, pause, emergency disable, the activation delay, the views and the facet's own routing.
 */
import { Contract, FunctionFragment, getCreateAddress, id, Interface, ZeroAddress, ZeroHash, type ContractTransactionResponse } from "ethers";
import { describe, expect, it } from "vitest";
import { removal } from "../lib/batch.js";
import {
  activate,
  activateArgs,
  ADMIN_TRANSFER_DELAY,
  applyAll,
  buildManifestTree,
  commit,
  commitArgs,
  DELAY,
  deployDispatcher,
  encodeBatches,
  ethers,
  expectRevert,
  EXPIRY,
  hre,
  MAX_BATCH,
  routed,
  routesTo,
  sendActivate,
  time,
  upgrade,
  type DispatcherFixture,
  type ManifestTree,
} from "./fixtures.js";

const DEFAULT_ADMIN_ROLE = ZeroHash;
const COMMIT_ROLE = id("COMMIT_ROLE");
const APPLY_ROLE = id("APPLY_ROLE");
const EMERGENCY_ROLE = id("EMERGENCY_ROLE");
/** MAX_ACTIVATION_DELAY (v2: 30 days). */
const MAX_DELAY = 30n * 24n * 3600n;
/** v1's maximum, now out of range. */
const YEAR = 365n * 24n * 3600n;

/** Selector of `name` in `contract`'s ABI. */
function sel(contract: Contract, name: string): string {
  return contract.interface.getFunction(name)!.selector;
}

/** Sends `tx`, waits, and returns the args of every log named `name` (decoded with the facet's or router's ABI). */
async function eventsOf(f: DispatcherFixture, tx: Promise<ContractTransactionResponse>, name: string): Promise<unknown[][]> {
  const receipt = (await (await tx).wait())!;
  const found: unknown[][] = [];
  for (const log of receipt.logs) {
    const parsed = f.dispatcher.interface.parseLog(log) ?? f.router.interface.parseLog(log);
    if (parsed?.name === name) found.push([...parsed.args]);
  }
  return found;
}

/** Block timestamp of the receipt of `tx`. */
async function timestampOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = (await (await tx).wait())!;
  return BigInt((await ethers.provider.getBlock(receipt.blockNumber))!.timestamp);
}

/** The first apply batch of `tree` (all leaves), ready to send. */
function batchOf(tree: ManifestTree) {
  const [b] = encodeBatches(tree, MAX_BATCH);
  return [b.facets, b.initHash, b.leaves, b.proof, b.proofFlags] as const;
}

/** `commitRoot` arguments for `tree` at the dispatcher's next epoch. */
async function commitCall(f: DispatcherFixture, tree: ManifestTree) {
  const a = commitArgs(tree);
  return [a.root, await f.dispatcher.nextEpoch(), a.leafCount, a.binding, a.headerProof] as const;
}

/** `activateCommittedRoot` arguments for `tree` (its facet list and initializer). */
function activateCall(tree: ManifestTree) {
  const a = activateArgs(tree);
  return [a.facets.map((p) => [p.facet, p.codehash]), [a.init.facet, a.init.codehash, a.init.data]] as const;
}

/** `cancelCommittedRoot` arguments naming the pending root and epoch, unstaging up to `chunk` routes. */
async function cancelCall(f: DispatcherFixture, chunk = 1000) {
  return [await f.dispatcher.pendingRoot(), await f.dispatcher.pendingEpoch(), chunk] as const;
}

describe("DispatcherAdminFacet roles", () => {
  it("exposes role ids equal to keccak256 of their names, with DEFAULT_ADMIN_ROLE as the admin of each", async () => {
    // Prepare
    const f = await deployDispatcher();
    // Assess
    expect(await f.dispatcher.DEFAULT_ADMIN_ROLE()).toBe(DEFAULT_ADMIN_ROLE);
    expect(await f.dispatcher.COMMIT_ROLE()).toBe(COMMIT_ROLE);
    expect(await f.dispatcher.APPLY_ROLE()).toBe(APPLY_ROLE);
    expect(await f.dispatcher.EMERGENCY_ROLE()).toBe(EMERGENCY_ROLE);
    for (const role of [COMMIT_ROLE, APPLY_ROLE, EMERGENCY_ROLE]) {
      expect(await f.dispatcher.getRoleAdmin(role)).toBe(DEFAULT_ADMIN_ROLE);
    }
    expect(await f.dispatcher.defaultAdmin()).toBe(f.admin.address);
    expect(await f.dispatcher.owner()).toBe(f.admin.address);
    expect(await f.dispatcher.defaultAdminDelay()).toBe(BigInt(ADMIN_TRANSFER_DELAY));
    expect(await f.dispatcher.hasRole(COMMIT_ROLE, f.committer.address)).toBe(true);
    expect(await f.dispatcher.hasRole(APPLY_ROLE, f.applier.address)).toBe(true);
    expect(await f.dispatcher.hasRole(EMERGENCY_ROLE, f.emergency.address)).toBe(true);
    expect(await f.dispatcher.hasRole(COMMIT_ROLE, f.outsider.address)).toBe(false);
  });

  it("rejects commitRoot without COMMIT_ROLE with AccessControlUnauthorizedAccount(account, COMMIT_ROLE)", async () => {
    // Prepare
    const f = await deployDispatcher();
    const tree = buildManifestTree(await routesTo(f.v1));
    const args = await commitCall(f, tree);
    // Act / Assess
    for (const signer of [f.outsider, f.applier, f.emergency, f.admin]) {
      await expectRevert(
        f.router.connect(signer).getFunction("commitRoot")(...args),
        "AccessControlUnauthorizedAccount",
        [signer.address, COMMIT_ROLE],
      );
    }
    expect(await f.dispatcher.nextEpoch()).toBe(1n); // a refused commit takes no epoch
    await (await f.router.connect(f.committer).getFunction("commitRoot")(...args)).wait();
    expect(await f.dispatcher.pendingRoot()).toBe(tree.root);
  });

  it("rejects applyRoutes without APPLY_ROLE with AccessControlUnauthorizedAccount(account, APPLY_ROLE)", async () => {
    // Prepare
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    const args = batchOf(tree);
    // Act / Assess
    for (const signer of [f.outsider, f.committer, f.emergency, f.admin]) {
      await expectRevert(
        f.router.connect(signer).getFunction("applyRoutes")(...args),
        "AccessControlUnauthorizedAccount",
        [signer.address, APPLY_ROLE],
      );
    }
    await (await f.router.connect(f.applier).getFunction("applyRoutes")(...args)).wait();
    expect([...(await f.dispatcher.pendingProgress())]).toEqual([4n, 4n]);
  });

  it("rejects activateCommittedRoot without APPLY_ROLE with AccessControlUnauthorizedAccount(account, APPLY_ROLE)", async () => {
    // Prepare
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    await applyAll(f, tree);
    await time.increaseTo(await f.dispatcher.pendingEta());
    const args = activateCall(tree);
    // Act / Assess
    for (const signer of [f.outsider, f.committer, f.emergency, f.admin]) {
      await expectRevert(
        f.router.connect(signer).getFunction("activateCommittedRoot")(...args),
        "AccessControlUnauthorizedAccount",
        [signer.address, APPLY_ROLE],
      );
    }
    await (await f.router.connect(f.applier).getFunction("activateCommittedRoot")(...args)).wait();
    expect(await f.dispatcher.activeEpoch()).toBe(1n);
  });

  it("rejects cancelCommittedRoot without COMMIT_ROLE or EMERGENCY_ROLE (reporting COMMIT_ROLE)", async () => {
    // Prepare
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    // Act / Assess
    for (const signer of [f.outsider, f.applier, f.admin]) {
      await expectRevert(
        f.dispatcher.connect(signer).getFunction("cancelCommittedRoot")(tree.root, 1n, 100),
        "AccessControlUnauthorizedAccount",
        [signer.address, COMMIT_ROLE],
      );
    }
    expect(await f.dispatcher.pendingRoot()).toBe(tree.root);
  });

  it("lets either COMMIT_ROLE or EMERGENCY_ROLE cancel a pending root", async () => {
    // Prepare
    const f = await deployDispatcher();
    const first = await commit(f, await routesTo(f.v1));
    // Act
    const byCommitter = await eventsOf(f, f.dispatcher.connect(f.committer).getFunction("cancelCommittedRoot")(...(await cancelCall(f))), "RootCancelled");
    const second = await commit(f, await routesTo(f.v2));
    const byEmergency = await eventsOf(f, f.dispatcher.connect(f.emergency).getFunction("cancelCommittedRoot")(...(await cancelCall(f))), "RootCancelled");
    // Assess: RootCancelled(root, epoch); the second commit took a new epoch
    expect(byCommitter).toEqual([[first.root, 1n]]);
    expect(byEmergency).toEqual([[second.root, 2n]]);
    expect(await f.dispatcher.pendingRoot()).toBe(ZeroHash);
    expect(await f.dispatcher.nextEpoch()).toBe(3n);
  });

  it("rejects disableSelector and pause without EMERGENCY_ROLE", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    const greet = sel(f.v1, "greet");
    // Act / Assess
    for (const signer of [f.outsider, f.committer, f.applier, f.admin]) {
      await expectRevert(
        f.dispatcher.connect(signer).getFunction("disableSelector")(greet),
        "AccessControlUnauthorizedAccount",
        [signer.address, EMERGENCY_ROLE],
      );
      await expectRevert(f.dispatcher.connect(signer).getFunction("pause")(), "AccessControlUnauthorizedAccount", [
        signer.address,
        EMERGENCY_ROLE,
      ]);
    }
    expect(await f.dispatcher.paused()).toBe(false);
    expect(await f.dispatcher.facetAddress(greet)).toBe(await f.v1.getAddress());
  });

  it("rejects unpause, setActivationDelay, grantRole and revokeRole without DEFAULT_ADMIN_ROLE", async () => {
    // Prepare
    const f = await deployDispatcher();
    await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
    // Act / Assess
    for (const signer of [f.outsider, f.committer, f.applier, f.emergency]) {
      const admin = f.dispatcher.connect(signer);
      const denied = [signer.address, DEFAULT_ADMIN_ROLE];
      await expectRevert(admin.getFunction("unpause")(), "AccessControlUnauthorizedAccount", denied);
      await expectRevert(admin.getFunction("setActivationDelay")(120n), "AccessControlUnauthorizedAccount", denied);
      await expectRevert(admin.getFunction("grantRole")(COMMIT_ROLE, f.outsider.address), "AccessControlUnauthorizedAccount", denied);
      await expectRevert(admin.getFunction("revokeRole")(COMMIT_ROLE, f.committer.address), "AccessControlUnauthorizedAccount", denied);
    }
    expect(await f.dispatcher.paused()).toBe(true);
    expect(await f.dispatcher.activationDelay()).toBe(BigInt(DELAY));
    expect(await f.dispatcher.hasRole(COMMIT_ROLE, f.outsider.address)).toBe(false);
    expect(await f.dispatcher.hasRole(COMMIT_ROLE, f.committer.address)).toBe(true);
  });

  it("makes the router follow grantRole and revokeRole done through the facet", async () => {
    // Prepare
    const f = await deployDispatcher();
    const first = buildManifestTree(await routesTo(f.v1));
    const second = buildManifestTree(await routesTo(f.v2));
    const commitAs = async (tree: ManifestTree) => f.router.connect(f.outsider).getFunction("commitRoot")(...(await commitCall(f, tree)));
    await expectRevert(commitAs(first), "AccessControlUnauthorizedAccount", [f.outsider.address, COMMIT_ROLE]);
    // Act: grant
    const granted = await eventsOf(f, f.dispatcher.connect(f.admin).getFunction("grantRole")(COMMIT_ROLE, f.outsider.address), "RoleGranted");
    await (await commitAs(first)).wait();
    // Assess
    expect(granted).toEqual([[COMMIT_ROLE, f.outsider.address, f.admin.address]]);
    expect(await f.dispatcher.pendingRoot()).toBe(first.root);
    // Act: the outsider can now also cancel (COMMIT_ROLE), then loses the role
    await (await f.dispatcher.connect(f.outsider).getFunction("cancelCommittedRoot")(first.root, 1n, 100)).wait();
    await (await f.dispatcher.connect(f.admin).getFunction("revokeRole")(COMMIT_ROLE, f.outsider.address)).wait();
    // Assess
    expect(await f.dispatcher.hasRole(COMMIT_ROLE, f.outsider.address)).toBe(false);
    await expectRevert(commitAs(second), "AccessControlUnauthorizedAccount", [f.outsider.address, COMMIT_ROLE]);
    expect(await f.dispatcher.pendingRoot()).toBe(ZeroHash);
  });

  it("makes the router follow renounceRole: a renounced committer or applier is rejected at once", async () => {
    // Prepare
    const f = await deployDispatcher();
    const tree = await commit(f, await routesTo(f.v1));
    await applyAll(f, tree);
    await time.increaseTo(await f.dispatcher.pendingEta());
    // Act
    await (await f.dispatcher.connect(f.applier).getFunction("renounceRole")(APPLY_ROLE, f.applier.address)).wait();
    await (await f.dispatcher.connect(f.committer).getFunction("renounceRole")(COMMIT_ROLE, f.committer.address)).wait();
    // Assess
    await expectRevert(f.router.connect(f.applier).getFunction("activateCommittedRoot")(...activateCall(tree)), "AccessControlUnauthorizedAccount", [
      f.applier.address,
      APPLY_ROLE,
    ]);
    await expectRevert(
      f.router.connect(f.committer).getFunction("commitRoot")(...(await commitCall(f, buildManifestTree(await routesTo(f.v2))))),
      "AccessControlUnauthorizedAccount",
      [f.committer.address, COMMIT_ROLE],
    );
    await expectRevert(f.dispatcher.connect(f.committer).getFunction("cancelCommittedRoot")(tree.root, 1n, 100), "AccessControlUnauthorizedAccount", [
      f.committer.address,
      COMMIT_ROLE,
    ]);
    // a fresh grant to another account restores the lifecycle
    await (await f.dispatcher.connect(f.admin).getFunction("grantRole")(APPLY_ROLE, f.outsider.address)).wait();
    await (await f.router.connect(f.outsider).getFunction("activateCommittedRoot")(...activateCall(tree))).wait();
    expect(await f.dispatcher.activeEpoch()).toBe(1n);
  });

  it("rejects renounceRole for another account with AccessControlBadConfirmation", async () => {
    // Prepare
    const f = await deployDispatcher();
    // Act / Assess
    await expectRevert(
      f.dispatcher.connect(f.outsider).getFunction("renounceRole")(COMMIT_ROLE, f.committer.address),
      "AccessControlBadConfirmation",
      [],
    );
    expect(await f.dispatcher.hasRole(COMMIT_ROLE, f.committer.address)).toBe(true);
  });
});

describe("DispatcherAdminFacet default-admin rotation", () => {
  it("transfers DEFAULT_ADMIN_ROLE only after the delay, then the old admin is rejected and the new one administers", async () => {
    // Prepare
    const f = await deployDispatcher();
    const started = await timestampOf(f.dispatcher.connect(f.admin).getFunction("beginDefaultAdminTransfer")(f.newAdmin.address));
    const schedule = started + BigInt(ADMIN_TRANSFER_DELAY);
    expect([...(await f.dispatcher.pendingDefaultAdmin())]).toEqual([f.newAdmin.address, schedule]);

    // Act / Assess: too early
    await expectRevert(
      f.dispatcher.connect(f.newAdmin).getFunction("acceptDefaultAdminTransfer")(),
      "AccessControlEnforcedDefaultAdminDelay",
      [schedule],
    );
    // Act / Assess: only the pending admin may accept
    await time.increase(ADMIN_TRANSFER_DELAY + 1);
    await expectRevert(
      f.dispatcher.connect(f.outsider).getFunction("acceptDefaultAdminTransfer")(),
      "AccessControlInvalidDefaultAdmin",
      [f.outsider.address],
    );
    await (await f.dispatcher.connect(f.newAdmin).getFunction("acceptDefaultAdminTransfer")()).wait();

    // Assess: new admin in place
    expect(await f.dispatcher.defaultAdmin()).toBe(f.newAdmin.address);
    expect(await f.dispatcher.owner()).toBe(f.newAdmin.address);
    expect(await f.dispatcher.hasRole(DEFAULT_ADMIN_ROLE, f.newAdmin.address)).toBe(true);
    expect(await f.dispatcher.hasRole(DEFAULT_ADMIN_ROLE, f.admin.address)).toBe(false);
    expect([...(await f.dispatcher.pendingDefaultAdmin())]).toEqual([ZeroAddress, 0n]);

    // Assess: old admin rejected
    const old = f.dispatcher.connect(f.admin);
    const denied = [f.admin.address, DEFAULT_ADMIN_ROLE];
    await expectRevert(old.getFunction("grantRole")(COMMIT_ROLE, f.outsider.address), "AccessControlUnauthorizedAccount", denied);
    await expectRevert(old.getFunction("setActivationDelay")(120n), "AccessControlUnauthorizedAccount", denied);
    await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
    await expectRevert(old.getFunction("unpause")(), "AccessControlUnauthorizedAccount", denied);
    await expectRevert(old.getFunction("beginDefaultAdminTransfer")(f.admin.address), "AccessControlUnauthorizedAccount", denied);

    // Assess: new admin administers, and the router follows its grants
    const admin = f.dispatcher.connect(f.newAdmin);
    await (await admin.getFunction("unpause")()).wait();
    await (await admin.getFunction("setActivationDelay")(120n)).wait();
    await (await admin.getFunction("grantRole")(COMMIT_ROLE, f.outsider.address)).wait();
    const tree = buildManifestTree(await routesTo(f.v1));
    await (await f.router.connect(f.outsider).getFunction("commitRoot")(...(await commitCall(f, tree)))).wait();
    expect(await f.dispatcher.pendingRoot()).toBe(tree.root);
    expect(await f.dispatcher.activationDelay()).toBe(120n);
    expect(await f.dispatcher.paused()).toBe(false);
  });

  it("rejects granting DEFAULT_ADMIN_ROLE through grantRole with AccessControlEnforcedDefaultAdminRules", async () => {
    // Prepare
    const f = await deployDispatcher();
    // Act / Assess: current admin
    await expectRevert(
      f.dispatcher.connect(f.admin).getFunction("grantRole")(DEFAULT_ADMIN_ROLE, f.outsider.address),
      "AccessControlEnforcedDefaultAdminRules",
      [],
    );
    // Act / Assess: after a rotation, the new admin too
    await (await f.dispatcher.connect(f.admin).getFunction("beginDefaultAdminTransfer")(f.newAdmin.address)).wait();
    await time.increase(ADMIN_TRANSFER_DELAY + 1);
    await (await f.dispatcher.connect(f.newAdmin).getFunction("acceptDefaultAdminTransfer")()).wait();
    await expectRevert(
      f.dispatcher.connect(f.newAdmin).getFunction("grantRole")(DEFAULT_ADMIN_ROLE, f.outsider.address),
      "AccessControlEnforcedDefaultAdminRules",
      [],
    );
    await expectRevert(
      f.dispatcher.connect(f.newAdmin).getFunction("revokeRole")(DEFAULT_ADMIN_ROLE, f.newAdmin.address),
      "AccessControlEnforcedDefaultAdminRules",
      [],
    );
    expect(await f.dispatcher.hasRole(DEFAULT_ADMIN_ROLE, f.outsider.address)).toBe(false);
    expect(await f.dispatcher.defaultAdmin()).toBe(f.newAdmin.address);
  });

  it("keeps the old admin in charge when the transfer is cancelled", async () => {
    // Prepare
    const f = await deployDispatcher();
    await (await f.dispatcher.connect(f.admin).getFunction("beginDefaultAdminTransfer")(f.newAdmin.address)).wait();
    // Act
    await (await f.dispatcher.connect(f.admin).getFunction("cancelDefaultAdminTransfer")()).wait();
    await time.increase(ADMIN_TRANSFER_DELAY + 1);
    // Assess
    await expectRevert(
      f.dispatcher.connect(f.newAdmin).getFunction("acceptDefaultAdminTransfer")(),
      "AccessControlInvalidDefaultAdmin",
      [f.newAdmin.address],
    );
    expect(await f.dispatcher.defaultAdmin()).toBe(f.admin.address);
  });
});

describe("DispatcherAdminFacet.pause / unpause", () => {
  it("makes routed calls revert FunctionNotFound while paused and serve again after unpause, with Paused/Unpaused events", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    const counter = routed(f, f.v1);
    await (await counter.increment()).wait();
    // Act
    const paused = await eventsOf(f, f.dispatcher.connect(f.emergency).getFunction("pause")(), "Paused");
    // Assess
    expect(paused).toEqual([[f.emergency.address]]);
    expect(await f.dispatcher.paused()).toBe(true);
    for (const fn of ["version", "count", "greet"]) {
      await expectRevert(counter.getFunction(fn).staticCall(), "FunctionNotFound", [sel(f.v1, fn)]);
    }
    await expectRevert(counter.increment(), "FunctionNotFound", [sel(f.v1, "increment")]);
    // Act
    const unpaused = await eventsOf(f, f.dispatcher.connect(f.admin).getFunction("unpause")(), "Unpaused");
    // Assess
    expect(unpaused).toEqual([[f.admin.address]]);
    expect(await f.dispatcher.paused()).toBe(false);
    expect(await counter.version()).toBe(1n);
    expect(await counter.count()).toBe(1n);
  });

  it("keeps the admin facet's views, grantRole, disableSelector and cancelCommittedRoot callable while paused", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    const tree = await commit(f, await routesTo(f.v2, ["decrement"]));
    await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
    // Act / Assess: views
    expect(await f.dispatcher.activeEpoch()).toBe(1n);
    expect(await f.dispatcher.pendingRoot()).toBe(tree.root);
    expect(await f.dispatcher.facetAddress(sel(f.v1, "greet"))).toBe(await f.v1.getAddress());
    expect(await f.dispatcher.hasRole(EMERGENCY_ROLE, f.emergency.address)).toBe(true);
    expect(await f.dispatcher.supportsInterface("0x01ffc9a7")).toBe(true);
    expect((await f.dispatcher.facetAddresses()).length).toBe(3);
    // Act / Assess: writes
    await (await f.dispatcher.connect(f.admin).getFunction("grantRole")(COMMIT_ROLE, f.outsider.address)).wait();
    expect(await f.dispatcher.hasRole(COMMIT_ROLE, f.outsider.address)).toBe(true);
    const disabled = await eventsOf(f, f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.v1, "greet")), "SelectorDisabled");
    expect(disabled).toEqual([[sel(f.v1, "greet"), await f.v1.getAddress()]]);
    const cancelled = await eventsOf(f, f.dispatcher.connect(f.emergency).getFunction("cancelCommittedRoot")(tree.root, 2n, 100), "RootCancelled");
    expect(cancelled).toEqual([[tree.root, 2n]]);
    const increased = await eventsOf(f, f.dispatcher.connect(f.admin).getFunction("setActivationDelay")(120n), "ActivationDelaySet");
    expect(increased).toEqual([[BigInt(DELAY), 120n]]);
    expect(await f.dispatcher.activationDelay()).toBe(120n);
    const decreasedAt = await timestampOf(f.dispatcher.connect(f.admin).getFunction("setActivationDelay")(30n));
    expect([...(await f.dispatcher.pendingActivationDelay())]).toEqual([30n, decreasedAt + 90n]); // scheduled 120 − 30 s later
    expect(await f.dispatcher.activationDelay()).toBe(120n);
    expect(await f.dispatcher.paused()).toBe(true);
    // Assess: after unpause the disable stuck, the rest serves
    await (await f.dispatcher.connect(f.admin).getFunction("unpause")()).wait();
    await expectRevert(routed(f, f.v1).greet(), "FunctionNotFound", [sel(f.v1, "greet")]);
    expect(await routed(f, f.v1).version()).toBe(1n);
  });

  it("reverts PauseStateUnchanged(true) on a second pause and PauseStateUnchanged(false) on unpause when not paused", async () => {
    // Prepare
    const f = await deployDispatcher();
    // Act / Assess
    await expectRevert(f.dispatcher.connect(f.admin).getFunction("unpause")(), "PauseStateUnchanged", [false]);
    await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
    await expectRevert(f.dispatcher.connect(f.emergency).getFunction("pause")(), "PauseStateUnchanged", [true]);
    await (await f.dispatcher.connect(f.admin).getFunction("unpause")()).wait();
    await expectRevert(f.dispatcher.connect(f.admin).getFunction("unpause")(), "PauseStateUnchanged", [false]);
    expect(await f.dispatcher.paused()).toBe(false);
  });

  it("lets commit and apply run while paused but refuses activation (ActivationPaused) until unpause", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
    // Act: commit and apply while paused, then try to activate at the ETA
    const tree = await commit(f, await routesTo(f.v2, ["version", "decrement"]));
    await applyAll(f, tree);
    await time.increaseTo(await f.dispatcher.pendingEta());
    // Assess: staged, not activated, nothing callable, paused kept
    await expectRevert(sendActivate(f, tree), "ActivationPaused", []);
    expect([...(await f.dispatcher.pendingProgress())]).toEqual([2n, 2n]);
    expect(await f.dispatcher.activeEpoch()).toBe(1n);
    expect(await f.dispatcher.pendingRoot()).toBe(tree.root);
    expect(await f.dispatcher.paused()).toBe(true);
    expect(await f.dispatcher.facetAddress(sel(f.v2, "decrement"))).toBe(ZeroAddress);
    expect(await f.dispatcher.facetAddress(sel(f.v2, "version"))).toBe(await f.v1.getAddress());
    await expectRevert(routed(f, f.v2).version(), "FunctionNotFound", [sel(f.v2, "version")]);
    await expectRevert(routed(f, f.v2).decrement(), "FunctionNotFound", [sel(f.v2, "decrement")]);
    await expectRevert(routed(f, f.v1).greet(), "FunctionNotFound", [sel(f.v1, "greet")]);
    // Act: unpause, then activate within the window
    await (await f.dispatcher.connect(f.admin).getFunction("unpause")()).wait();
    await (await sendActivate(f, tree)).wait();
    // Assess
    expect(await f.dispatcher.activeEpoch()).toBe(2n);
    expect(await f.dispatcher.activeRoot()).toBe(tree.root);
    expect(await routed(f, f.v2).version()).toBe(2n);
    await expectRevert(routed(f, f.v2).decrement(), "CounterUnderflow", []);
    expect(await routed(f, f.v1).greet()).toBe("hello from CounterFacetV1");
  });

  it("keeps a pause set during a pending manifest across its cancellation", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    const tree = await commit(f, await routesTo(f.v2, ["version"]));
    await applyAll(f, tree);
    await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
    // Act
    await (await f.dispatcher.connect(f.committer).getFunction("cancelCommittedRoot")(tree.root, 2n, 100)).wait();
    // Assess
    expect(await f.dispatcher.paused()).toBe(true);
    await expectRevert(routed(f, f.v1).version(), "FunctionNotFound", [sel(f.v1, "version")]);
  });
});

describe("DispatcherAdminFacet.disableSelector", () => {
  it("disables a live selector at once and emits SelectorDisabled(selector, facet)", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    const counter = routed(f, f.v1);
    expect(await counter.greet()).toBe("hello from CounterFacetV1");
    // Act
    const events = await eventsOf(f, f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.v1, "greet")), "SelectorDisabled");
    // Assess
    expect(events).toEqual([[sel(f.v1, "greet"), await f.v1.getAddress()]]);
    await expectRevert(counter.greet(), "FunctionNotFound", [sel(f.v1, "greet")]);
    expect(await f.dispatcher.facetAddress(sel(f.v1, "greet"))).toBe(ZeroAddress);
    expect(await counter.version()).toBe(1n);
  });

  it("disables a selector while paused, and it stays disabled after unpause", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    await (await f.dispatcher.connect(f.emergency).getFunction("pause")()).wait();
    // Act
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.v1, "increment"))).wait();
    await (await f.dispatcher.connect(f.admin).getFunction("unpause")()).wait();
    // Assess
    await expectRevert(routed(f, f.v1).increment(), "FunctionNotFound", [sel(f.v1, "increment")]);
    expect(await routed(f, f.v1).count()).toBe(0n);
  });

  it("rejects every protected selector and 0x00000000 with ProtectedSelector", async () => {
    // Prepare
    const f = await deployDispatcher();
    const adminSelectors: string[] = [...(await new Contract(f.adminFacet, f.dispatcher.interface, ethers.provider).routedSelectors())];
    const protectedSelectors = [
      ...adminSelectors,
      sel(f.router, "commitRoot"),
      sel(f.router, "applyRoutes"),
      sel(f.router, "activateCommittedRoot"),
      "0x00000000",
    ];
    expect(protectedSelectors).toContain(sel(f.dispatcher, "grantRole"));
    expect(protectedSelectors).toContain(sel(f.dispatcher, "disableSelector"));
    // Act / Assess
    for (const selector of protectedSelectors) {
      await expectRevert(f.dispatcher.connect(f.emergency).getFunction("disableSelector")(selector), "ProtectedSelector", [selector]);
    }
    expect(await f.dispatcher.facetAddress(sel(f.dispatcher, "grantRole"))).toBe(f.adminFacet);
    expect(await f.dispatcher.facetAddress(sel(f.router, "commitRoot"))).toBe(f.address);
  });

  it("reverts FunctionNotFound for an unknown, staged-only, removed or already-disabled selector", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, [...(await routesTo(f.v1)), ...(await routesTo(f.bench, ["f00"]))]);
    await upgrade(f, [removal(sel(f.bench, "f00"))]);
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.v1, "greet"))).wait();
    const tree = await commit(f, await routesTo(f.v2, ["decrement"]));
    await applyAll(f, tree);
    const disable = (selector: string) => f.dispatcher.connect(f.emergency).getFunction("disableSelector")(selector);
    // Act / Assess
    await expectRevert(disable("0x12345678"), "FunctionNotFound", ["0x12345678"]); // unknown
    await expectRevert(disable(sel(f.v2, "decrement")), "FunctionNotFound", [sel(f.v2, "decrement")]); // staged only
    await expectRevert(disable(sel(f.bench, "f00")), "FunctionNotFound", [sel(f.bench, "f00")]); // removed
    await expectRevert(disable(sel(f.v1, "greet")), "FunctionNotFound", [sel(f.v1, "greet")]); // already disabled
    await expectRevert(disable(sel(f.dispatcher, "initialize")), "FunctionNotFound", [sel(f.dispatcher, "initialize")]);
    // the staged route still activates normally
    await activate(f, tree);
    await expectRevert(routed(f, f.v2).decrement(), "CounterUnderflow", []);
  });

  it("lets a later manifest re-add a disabled selector", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.v1, "greet"))).wait();
    const tree = await commit(f, await routesTo(f.v1, ["greet"]));
    await applyAll(f, tree);
    await expectRevert(routed(f, f.v1).greet(), "FunctionNotFound", [sel(f.v1, "greet")]); // staged, not live
    expect(await f.dispatcher.facetAddress(sel(f.v1, "greet"))).toBe(ZeroAddress);
    // Act
    await activate(f, tree);
    // Assess
    expect(await routed(f, f.v1).greet()).toBe("hello from CounterFacetV1");
    expect(await f.dispatcher.facetAddress(sel(f.v1, "greet"))).toBe(await f.v1.getAddress());
  });

  it("keeps a disabled selector disabled when the manifest re-adding it is cancelled; the next one re-adds it", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.v1, "greet"))).wait();
    const tree = await commit(f, [...(await routesTo(f.v1, ["greet"])), ...(await routesTo(f.v2, ["decrement"]))]);
    await applyAll(f, tree);
    // Act
    const cancel = f.dispatcher.connect(f.emergency).getFunction("cancelCommittedRoot")(tree.root, 2n, 100);
    const receipt = (await (await cancel).wait())!;
    const logs = receipt.logs.map((l: never) => f.dispatcher.interface.parseLog(l)!);
    // Assess: both staged routes unstaged, the root cancelled
    expect(logs.map((l: { name: string }) => l.name)).toEqual(["CancelStarted", "RoutesUnstaged", "RootCancelled"]);
    expect([...logs[1].args]).toEqual([tree.root, 2n, 2n, 0n]);
    expect([...logs[2].args]).toEqual([tree.root, 2n]);
    await expectRevert(routed(f, f.v1).greet(), "FunctionNotFound", [sel(f.v1, "greet")]);
    await expectRevert(f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.v1, "greet")), "FunctionNotFound", [
      sel(f.v1, "greet"),
    ]);
    // Act / Assess: the next manifest (a new epoch: 3) re-adds it
    await upgrade(f, await routesTo(f.v1, ["greet"]));
    expect(await f.dispatcher.activeEpoch()).toBe(3n);
    expect(await routed(f, f.v1).greet()).toBe("hello from CounterFacetV1");
    await expectRevert(routed(f, f.v2).decrement(), "FunctionNotFound", [sel(f.v2, "decrement")]);
  });

  it("stops the old facet at once when a replacement is pending, and the replacement goes live at activation", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    const tree = await commit(f, await routesTo(f.v2, ["version", "increment"]));
    await applyAll(f, tree);
    expect(await routed(f, f.v1).version()).toBe(1n); // still v1 while pending
    // Act
    const events = await eventsOf(f, f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.v1, "version")), "SelectorDisabled");
    // Assess: stopped at once
    expect(events).toEqual([[sel(f.v1, "version"), await f.v1.getAddress()]]);
    await expectRevert(routed(f, f.v1).version(), "FunctionNotFound", [sel(f.v1, "version")]);
    expect(await f.dispatcher.facetAddress(sel(f.v1, "version"))).toBe(ZeroAddress);
    expect(await f.dispatcher.facetAddress(sel(f.v1, "increment"))).toBe(await f.v1.getAddress());
    await expectRevert(f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.v1, "version")), "FunctionNotFound", [
      sel(f.v1, "version"),
    ]);
    // Act
    await activate(f, tree);
    // Assess: the replacement is live
    expect(await routed(f, f.v2).version()).toBe(2n);
    expect(await f.dispatcher.facetAddress(sel(f.v2, "version"))).toBe(await f.v2.getAddress());
    await (await routed(f, f.v2).increment()).wait();
    expect(await routed(f, f.v2).count()).toBe(10n);
  });

  it("keeps a selector disabled when the manifest replacing it is cancelled", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    const tree = await commit(f, await routesTo(f.v2, ["version", "increment"]));
    await applyAll(f, tree);
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.v1, "version"))).wait();
    // Act
    const cancel = f.dispatcher.connect(f.committer).getFunction("cancelCommittedRoot")(tree.root, 2n, 100);
    const receipt = (await (await cancel).wait())!;
    const logs = receipt.logs.map((l: never) => f.dispatcher.interface.parseLog(l)!);
    // Assess: both replaced routes restored (one of them as disabled), the root cancelled
    expect(logs.map((l: { name: string }) => l.name)).toEqual(["CancelStarted", "RoutesUnstaged", "RootCancelled"]);
    expect([...logs[1].args]).toEqual([tree.root, 2n, 2n, 0n]);
    expect([...logs[2].args]).toEqual([tree.root, 2n]);
    await expectRevert(routed(f, f.v1).version(), "FunctionNotFound", [sel(f.v1, "version")]);
    expect(await f.dispatcher.facetAddress(sel(f.v1, "version"))).toBe(ZeroAddress);
    await (await routed(f, f.v1).increment()).wait(); // the other replaced selector is back on v1
    expect(await routed(f, f.v1).count()).toBe(1n);
    expect(await f.dispatcher.facetAddress(sel(f.v1, "increment"))).toBe(await f.v1.getAddress());
    // a following manifest (a new epoch: 3) that doesn't touch it leaves it disabled
    await upgrade(f, await routesTo(f.v2, ["decrement"]));
    expect(await f.dispatcher.activeEpoch()).toBe(3n);
    await expectRevert(routed(f, f.v1).version(), "FunctionNotFound", [sel(f.v1, "version")]);
    expect(await f.dispatcher.facetAddress(sel(f.v1, "version"))).toBe(ZeroAddress);
  });

  it("disables the live route of a selector whose pending manifest removes it; activation keeps it removed", async () => {
    // Prepare
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    const tree = await commit(f, [removal(sel(f.v1, "greet"))]);
    await applyAll(f, tree);
    expect(await routed(f, f.v1).greet()).toBe("hello from CounterFacetV1");
    // Act
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.v1, "greet"))).wait();
    // Assess
    await expectRevert(routed(f, f.v1).greet(), "FunctionNotFound", [sel(f.v1, "greet")]);
    await activate(f, tree);
    await expectRevert(routed(f, f.v1).greet(), "FunctionNotFound", [sel(f.v1, "greet")]);
    expect(await f.dispatcher.facetAddress(sel(f.v1, "greet"))).toBe(ZeroAddress);
  });

  it("keeps a selector disabled after an earlier replacement of it was activated (no stale fallback)", async () => {
    // Prepare: version v1 → v2 (activated), then disabled
    const f = await deployDispatcher();
    await upgrade(f, await routesTo(f.v1));
    await upgrade(f, await routesTo(f.v2, ["version"]));
    expect(await routed(f, f.v2).version()).toBe(2n);
    // Act
    await (await f.dispatcher.connect(f.emergency).getFunction("disableSelector")(sel(f.v2, "version"))).wait();
    // Assess: neither v2 nor the earlier v1 route answers, also across a pending manifest and its cancel
    await expectRevert(routed(f, f.v2).version(), "FunctionNotFound", [sel(f.v2, "version")]);
    const tree = await commit(f, await routesTo(f.v2, ["decrement"]));
    await applyAll(f, tree);
    await expectRevert(routed(f, f.v2).version(), "FunctionNotFound", [sel(f.v2, "version")]);
    await (await f.dispatcher.connect(f.committer).getFunction("cancelCommittedRoot")(tree.root, 3n, 100)).wait();
    await expectRevert(routed(f, f.v2).version(), "FunctionNotFound", [sel(f.v2, "version")]);
    expect(await f.dispatcher.facetAddress(sel(f.v2, "version"))).toBe(ZeroAddress);
  });
});

describe("DispatcherAdminFacet.setActivationDelay", () => {
  it("applies an increase up to MAX_ACTIVATION_DELAY at once (ActivationDelaySet(old, new)) and schedules a decrease down to the minimum", async () => {
    // Prepare
    const f = await deployDispatcher();
    const admin = f.dispatcher.connect(f.admin);
    expect(await f.dispatcher.MAX_ACTIVATION_DELAY()).toBe(MAX_DELAY);
    // Act / Assess: an increase to the maximum takes effect at once
    expect(await eventsOf(f, admin.getFunction("setActivationDelay")(MAX_DELAY), "ActivationDelaySet")).toEqual([[BigInt(DELAY), MAX_DELAY]]);
    expect(await f.dispatcher.activationDelay()).toBe(MAX_DELAY);
    expect([...(await f.dispatcher.pendingActivationDelay())]).toEqual([0n, 0n]);
    // Act: a decrease to the minimum
    const decrease = admin.getFunction("setActivationDelay")(1n);
    const receipt = (await (await decrease).wait())!;
    const at = BigInt((await ethers.provider.getBlock(receipt.blockNumber))!.timestamp);
    const effect = at + MAX_DELAY - 1n;
    // Assess: scheduled old − new seconds later, not applied
    const names = receipt.logs.map((l: never) => f.dispatcher.interface.parseLog(l)!.name);
    expect(names).toEqual(["ActivationDelayChangeScheduled"]);
    expect([...f.dispatcher.interface.parseLog(receipt.logs[0])!.args]).toEqual([1n, effect]);
    expect([...(await f.dispatcher.pendingActivationDelay())]).toEqual([1n, effect]);
    expect(await f.dispatcher.activationDelay()).toBe(MAX_DELAY);
    // Act / Assess: a commit made at the effect time gets the new delay, and the schedule is settled
    await time.setNextBlockTimestamp(effect);
    await commit(f, await routesTo(f.v1));
    expect(await f.dispatcher.pendingEta()).toBe(effect + 1n);
    expect(await f.dispatcher.activationDelay()).toBe(1n);
    expect([...(await f.dispatcher.pendingActivationDelay())]).toEqual([0n, 0n]);
  });

  it("reverts ActivationDelayOutOfRange(delay, min, max) below the minimum and above the 30-day maximum", async () => {
    // Prepare
    const f = await deployDispatcher();
    const admin = f.dispatcher.connect(f.admin);
    // Act / Assess
    await expectRevert(admin.getFunction("setActivationDelay")(0n), "ActivationDelayOutOfRange", [0n, 1n, MAX_DELAY]);
    await expectRevert(admin.getFunction("setActivationDelay")(MAX_DELAY + 1n), "ActivationDelayOutOfRange", [MAX_DELAY + 1n, 1n, MAX_DELAY]);
    await expectRevert(admin.getFunction("setActivationDelay")(YEAR), "ActivationDelayOutOfRange", [YEAR, 1n, MAX_DELAY]); // v1's maximum
    await expectRevert(admin.getFunction("setActivationDelay")(2n ** 64n - 1n), "ActivationDelayOutOfRange", [2n ** 64n - 1n, 1n, MAX_DELAY]);
    expect(await f.dispatcher.activationDelay()).toBe(BigInt(DELAY));
    expect([...(await f.dispatcher.pendingActivationDelay())]).toEqual([0n, 0n]);
  });

  it("sets the ETA of later commits to the commit's timestamp + the new delay, leaving a pending ETA alone", async () => {
    // Prepare
    const f = await deployDispatcher();
    const first = buildManifestTree(await routesTo(f.v1));
    const committedAt = await timestampOf(f.router.connect(f.committer).getFunction("commitRoot")(...(await commitCall(f, first))));
    // Act: change the delay (an increase: at once) while a root is pending
    await (await f.dispatcher.connect(f.admin).getFunction("setActivationDelay")(7200n)).wait();
    // Assess: pending ETA unchanged
    expect(await f.dispatcher.pendingEta()).toBe(committedAt + BigInt(DELAY));
    // Act: next commit (epoch 2)
    await (await f.dispatcher.connect(f.committer).getFunction("cancelCommittedRoot")(first.root, 1n, 100)).wait();
    const second = buildManifestTree(await routesTo(f.v2));
    const secondAt = await timestampOf(f.router.connect(f.committer).getFunction("commitRoot")(...(await commitCall(f, second))));
    // Assess
    const eta = secondAt + 7200n;
    expect(await f.dispatcher.pendingEpoch()).toBe(2n);
    expect(await f.dispatcher.pendingEta()).toBe(eta);
    await applyAll(f, second);
    await time.setNextBlockTimestamp(eta - 1n);
    // fixed gas limit: the transaction is mined (at eta - 1) and reverts there
    const activateSecond = () => f.router.connect(f.applier).getFunction("activateCommittedRoot")(...activateCall(second), { gasLimit: 1_000_000 });
    await expectRevert(activateSecond(), "ActivationNotReady", [eta, eta - 1n]);
    await time.setNextBlockTimestamp(eta);
    await (await activateSecond()).wait();
    expect(await routed(f, f.v2).version()).toBe(2n);
  });
});

describe("DispatcherAdminFacet views", () => {
  it("report the configuration and an empty lifecycle after construction", async () => {
    // Prepare
    const f = await deployDispatcher();
    const d = f.dispatcher;
    // Assess
    expect(await d.activeRoot()).toBe(ZeroHash);
    expect(await d.activeEpoch()).toBe(0n);
    expect(await d.pendingRoot()).toBe(ZeroHash);
    expect(await d.pendingEpoch()).toBe(0n);
    expect(await d.pendingEta()).toBe(0n);
    expect([...(await d.pendingProgress())]).toEqual([0n, 0n]);
    expect(await d.activationDelay()).toBe(BigInt(DELAY));
    expect(await d.minActivationDelay()).toBe(1n);
    expect(await d.expiryWindow()).toBe(BigInt(EXPIRY));
    expect(await d.maxBatchSize()).toBe(BigInt(MAX_BATCH));
    expect(await d.paused()).toBe(false);
    // v2: no commit yet, so the first commit must name epoch 1; nothing scheduled, bound or cancelling
    expect(await d.nextEpoch()).toBe(1n);
    expect([...(await d.pendingActivationDelay())]).toEqual([0n, 0n]);
    expect(await d.pendingBinding()).toBe(ZeroHash);
    expect(await d.cancelInProgress()).toBe(false);
    expect([...(await d.pendingManifest())]).toEqual([ZeroHash, 0n, 0n, 0n, 0n, ZeroHash, false]);
    const adminFacet = await d.adminFacet();
    expect(adminFacet).toBe(f.adminFacet);
    expect(adminFacet).not.toBe(f.address);
    expect(adminFacet).toBe(getCreateAddress({ from: f.address, nonce: 1 }));
    expect((await ethers.provider.getCode(adminFacet)).length).toBeGreaterThan(2);
  });

  it("track commit → apply → activate → commit → chunked cancel → recommit as a new epoch", async () => {
    // Prepare
    const f = await deployDispatcher();
    const d = f.dispatcher;
    const first = buildManifestTree(await routesTo(f.v1));

    // Act: commit
    const at = await timestampOf(f.router.connect(f.committer).getFunction("commitRoot")(...(await commitCall(f, first))));
    // Assess
    const eta = at + BigInt(DELAY);
    expect(await d.pendingRoot()).toBe(first.root);
    expect(await d.pendingEpoch()).toBe(1n);
    expect(await d.pendingEta()).toBe(eta);
    expect([...(await d.pendingProgress())]).toEqual([0n, 4n]);
    expect(await d.pendingBinding()).toBe(first.binding);
    expect([...(await d.pendingManifest())]).toEqual([first.root, 1n, eta, 0n, 4n, first.binding, false]);
    expect(await d.nextEpoch()).toBe(2n);
    expect(await d.activeRoot()).toBe(ZeroHash);
    expect(await d.activeEpoch()).toBe(0n);

    // Act: apply in two batches
    const [b1, b2] = encodeBatches(first, 3);
    await (await f.router.connect(f.applier).getFunction("applyRoutes")(b1.facets, b1.initHash, b1.leaves, b1.proof, b1.proofFlags)).wait();
    // Assess
    expect([...(await d.pendingProgress())]).toEqual([3n, 4n]);
    expect(await d.pendingRoot()).toBe(first.root);
    await (await f.router.connect(f.applier).getFunction("applyRoutes")(b2.facets, b2.initHash, b2.leaves, b2.proof, b2.proofFlags)).wait();
    expect([...(await d.pendingProgress())]).toEqual([4n, 4n]);
    expect(await d.pendingEta()).toBe(eta);

    // Act: activate
    await activate(f, first);
    // Assess
    expect(await d.activeRoot()).toBe(first.root);
    expect(await d.activeEpoch()).toBe(1n);
    expect(await d.pendingRoot()).toBe(ZeroHash);
    expect(await d.pendingEpoch()).toBe(0n);
    expect(await d.pendingEta()).toBe(0n);
    expect([...(await d.pendingProgress())]).toEqual([0n, 0n]);
    expect(await d.pendingBinding()).toBe(ZeroHash);
    expect(await d.nextEpoch()).toBe(2n);

    // Act: commit a second manifest, apply part of it, cancel it one route at a time
    const second = await commit(f, [...(await routesTo(f.v2, ["version", "decrement"])), removal(sel(f.v1, "greet"))]);
    const [c1] = encodeBatches(second, 2);
    await (await f.router.connect(f.applier).getFunction("applyRoutes")(c1.facets, c1.initHash, c1.leaves, c1.proof, c1.proofFlags)).wait();
    expect(await d.pendingEpoch()).toBe(2n);
    expect(await d.pendingBinding()).toBe(second.binding);
    expect([...(await d.pendingProgress())]).toEqual([2n, 3n]);
    await (await d.connect(f.committer).getFunction("cancelCommittedRoot")(second.root, 2n, 1)).wait();
    // Assess: mid-cancel
    expect(await d.cancelInProgress()).toBe(true);
    expect(await d.pendingRoot()).toBe(second.root);
    expect([...(await d.pendingProgress())]).toEqual([1n, 3n]);
    expect((await d.pendingManifest())[6]).toBe(true);
    // Act: last chunk
    await (await d.connect(f.committer).getFunction("cancelCommittedRoot")(second.root, 2n, 1)).wait();
    // Assess
    expect(await d.cancelInProgress()).toBe(false);
    expect(await d.activeRoot()).toBe(first.root);
    expect(await d.activeEpoch()).toBe(1n);
    expect(await d.pendingRoot()).toBe(ZeroHash);
    expect(await d.pendingEpoch()).toBe(0n);
    expect(await d.pendingEta()).toBe(0n);
    expect([...(await d.pendingProgress())]).toEqual([0n, 0n]);
    expect(await d.pendingBinding()).toBe(ZeroHash);
    expect(await d.nextEpoch()).toBe(3n);
    expect(await routed(f, f.v1).version()).toBe(1n);
    expect(await routed(f, f.v1).greet()).toBe("hello from CounterFacetV1");

    // Act / Assess: the cancelled (root, epoch 2) can't be committed again; the same root can, as epoch 3
    const secondArgs = commitArgs(second);
    const recommit = (epoch: bigint) =>
      f.router.connect(f.committer).getFunction("commitRoot")(second.root, epoch, secondArgs.leafCount, secondArgs.binding, secondArgs.headerProof);
    await expectRevert(recommit(2n), "EpochMismatch", [3n, 2n]);
    await (await recommit(3n)).wait();
    expect(await d.pendingRoot()).toBe(second.root);
    expect(await d.pendingEpoch()).toBe(3n);
    expect([...(await d.pendingProgress())]).toEqual([0n, 3n]);
    expect(await d.nextEpoch()).toBe(4n);
  });
});

describe("DispatcherAdminFacet.routedSelectors", () => {
  it("lists exactly the facet ABI's functions except initialize and routedSelectors, each live on the admin facet", async () => {
    // Prepare
    const f = await deployDispatcher();
    const abi = new Interface((await hre.artifacts.readArtifact("DispatcherAdminFacet")).abi);
    const expected = abi.fragments
      .filter((x): x is FunctionFragment => x.type === "function")
      .filter((x) => x.name !== "initialize" && x.name !== "routedSelectors")
      .map((x) => x.selector)
      .sort();
    // Act
    const listed: string[] = [...(await new Contract(f.adminFacet, abi, ethers.provider).routedSelectors())];
    // Assess
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(expected);
    expect(listed.length).toBe(50);
    // v2: the new views and pruneSelectors are routed; isRootConsumed is gone
    for (const name of ["pruneSelectors", "pendingActivationDelay", "nextEpoch", "cancelInProgress", "pendingBinding", "pendingManifest", "listedSelectors"]) {
      expect(listed, name).toContain(abi.getFunction(name)!.selector);
    }
    expect(abi.getFunction("isRootConsumed")).toBeNull();
    const isRootConsumed = id("isRootConsumed(bytes32)").slice(0, 10);
    expect(await f.dispatcher.facetAddress(isRootConsumed)).toBe(ZeroAddress);
    await expectRevert(ethers.provider.call({ to: f.address, data: isRootConsumed + "00".repeat(32) }), "FunctionNotFound", [isRootConsumed]);
    for (const selector of listed) {
      expect(await f.dispatcher.facetAddress(selector), selector).toBe(f.adminFacet);
    }
  });

  it("does not route initialize or routedSelectors through the dispatcher", async () => {
    // Prepare
    const f = await deployDispatcher();
    const asOutsider = f.dispatcher.connect(f.outsider);
    // Act / Assess
    await expectRevert(asOutsider.getFunction("initialize")(f.outsider.address, 0n), "FunctionNotFound", [sel(f.dispatcher, "initialize")]);
    await expectRevert(asOutsider.getFunction("routedSelectors").staticCall(), "FunctionNotFound", [sel(f.dispatcher, "routedSelectors")]);
    expect(await f.dispatcher.facetAddress(sel(f.dispatcher, "initialize"))).toBe(ZeroAddress);
    expect(await f.dispatcher.defaultAdmin()).toBe(f.admin.address);
  });

  it("rejects initialize called on the admin facet directly with InvalidInitialization", async () => {
    // Prepare
    const f = await deployDispatcher();
    const facet = new Contract(f.adminFacet, f.dispatcher.interface, f.outsider);
    // Act / Assess
    await expectRevert(facet.getFunction("initialize")(f.outsider.address, 0n), "InvalidInitialization", []);
    expect(await facet.defaultAdmin()).toBe(ZeroAddress); // the facet's own storage was never initialised
  });
});
