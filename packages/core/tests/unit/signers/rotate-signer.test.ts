import { describe, expect, it } from "vitest";
import { OPERATIONS_AUDIT_STREAM, proposeUpgrade, RetiredSignerError, rotateSigner, runStep, SignerBusyError, SignerRotationError, type RotateSignerDeps, type SignerActivity } from "../../../src/index.js";
import { fireDueJobs, InMemoryAuditLog, inMemoryPorts, syntheticManifestJson } from "../../support/in-memory-ports.js";

const OLD = { keyId: "key-old", address: "0x00000000000000000000000000000000000000a1" };
const NEW = { keyId: "key-new", address: "0x00000000000000000000000000000000000000b2" };
const ROLES = ["COMMIT_ROLE", "APPLY_ROLE", "EMERGENCY_ROLE"];

/** A dispatcher's role table, a configuration and a scripted signer activity. */
function rotationDeps(activity: SignerActivity[] = [{ outstanding: [], next: 5, chainLatest: 5, chainPending: 5 }]) {
  const roles = new Map<string, Set<string>>([[OLD.address, new Set(ROLES)]]);
  const txs: string[] = [];
  let signer = OLD;
  let looks = 0;
  let now = 0;
  const audit = new InMemoryAuditLog();
  const deps: RotateSignerDeps = {
    admin: {
      rolesOf: async (_n, account, wanted) => wanted.filter((r) => roles.get(account)?.has(r)),
      grant: async (_n, role, account) => {
        roles.set(account, (roles.get(account) ?? new Set()).add(role));
        txs.push(`grant ${role} ${account}`);
        return { txHash: `0x${txs.length.toString(16).padStart(64, "0")}` };
      },
      revoke: async (_n, role, account) => {
        roles.get(account)!.delete(role);
        txs.push(`revoke ${role} ${account}`);
        return { txHash: `0x${txs.length.toString(16).padStart(64, "0")}` };
      },
    },
    config: { current: async () => signer, switchTo: async (_n, s) => void (txs.push(`switch ${s.keyId}`), (signer = s)) },
    activity: async () => activity[Math.min(looks++, activity.length - 1)]!,
    audit,
    clock: { now: () => now },
    sleep: async (ms) => void (now += ms),
    actor: "operator",
  };
  return { deps, roles, txs, audit, signer: () => signer };
}

describe("rotateSigner", () => {
  it("grants the new signer, switches the configuration, waits for the old one to go quiet, then revokes it — audited", async () => {
    // Prepare: the old signer still has a nonce reservation out on the first look
    const { deps, roles, txs, audit } = rotationDeps([{ outstanding: [5], next: 6, chainLatest: 5, chainPending: 5 }, { outstanding: [], next: 6, chainLatest: 6, chainPending: 6 }]);

    // Act
    const result = await rotateSigner({ network: "devnet-1", next: NEW, signerRoles: ROLES, pollMs: 500 }, deps);

    // Assess
    expect(txs).toEqual([...ROLES.map((r) => `grant ${r} ${NEW.address}`), "switch key-new", ...ROLES.map((r) => `revoke ${r} ${OLD.address}`)]);
    expect([...(roles.get(OLD.address) ?? [])]).toEqual([]);
    expect([...roles.get(NEW.address)!].sort()).toEqual([...ROLES].sort());
    expect(result).toMatchObject({ from: OLD, to: NEW, resumed: false });
    const events = (await audit.list(OPERATIONS_AUDIT_STREAM)).map((e) => [e.event, e.details?.role ?? null, Boolean(e.txHash)]);
    expect(events).toEqual([
      ["signer.rotation-started", null, false],
      ...ROLES.map((r) => ["signer.role-granted", r, true]),
      ["signer.switched", null, false],
      ...ROLES.map((r) => ["signer.role-revoked", r, true]),
      ["signer.retired", null, false],
    ]);
  });

  it("refuses to revoke while the old signer stays busy, and a second run resumes and finishes", async () => {
    // Prepare: a journaled transaction of the old signer is never mined within the wait
    const busy = { outstanding: [], next: 7, chainLatest: 6, chainPending: 6 };
    const ctx = rotationDeps([busy]);

    // Act
    const first = rotateSigner({ network: "devnet-1", next: NEW, signerRoles: ROLES, waitMs: 3_000, pollMs: 1_000 }, ctx.deps);
    await expect(first).rejects.toThrow(SignerBusyError);
    await expect(rotateSigner({ network: "devnet-1", next: NEW, signerRoles: ROLES, waitMs: 1_000 }, { ...ctx.deps, activity: async () => busy })).rejects.toThrow(/journaled nonce\(s\) 6\.\.6 not mined yet/);
    const resumed = await rotateSigner({ network: "devnet-1", next: NEW, signerRoles: ROLES }, { ...ctx.deps, activity: async () => ({ outstanding: [], next: 7, chainLatest: 7, chainPending: 7 }) });

    // Assess: the new key was active and granted from the first run on; the old one lost its roles only at the end
    expect(ctx.signer()).toEqual(NEW);
    expect(resumed.resumed).toBe(true);
    expect(resumed.granted).toEqual([]);
    expect(ctx.txs.filter((t) => t.startsWith("grant"))).toHaveLength(3);
    expect(ctx.txs.filter((t) => t.startsWith("revoke"))).toHaveLength(3);
  });

  it("refuses a rotation to the key already in use", async () => {
    const { deps } = rotationDeps();
    await expect(rotateSigner({ network: "devnet-1", next: OLD, signerRoles: ROLES }, deps)).rejects.toThrow(SignerRotationError);
  });
});

describe("a step signed by a retired signer", () => {
  it("keeps the run, audits signer.refused, raises unauthorized-signer and throws RetiredSignerError", async () => {
    // Prepare: base's signer OLD was rotated out, and this worker still signs with it
    const h = inMemoryPorts();
    const deps = h.deps();
    const { proposal } = await proposeUpgrade({ manifestJson: syntheticManifestJson(), networks: ["base"], proposer: "alice" }, deps);
    await h.audit.append({ proposalId: OPERATIONS_AUDIT_STREAM, actor: "operator", event: "signer.retired", network: "base", details: { network: "base", from: OLD.address, to: NEW.address, fromKeyId: OLD.keyId, toKeyId: NEW.keyId }, atMs: 1 });
    // The stale worker's chain simulation refuses its signer (nothing is signed or journaled).
    const stale = { ...deps, gateway: { readState: (n: string) => h.gateway.readState(n), latestBlock: (n: string) => h.gateway.latestBlock(n), resume: async () => undefined, send: async () => ({ ok: false as const, revert: { name: "AccessControlUnauthorizedAccount", args: [OLD.address, "0x01"] } }) } };
    const job = h.scheduler.takeNext()!;

    // Act
    const attempt = runStep(job, stale);

    // Assess
    await expect(attempt).rejects.toThrow(RetiredSignerError);
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("PROPOSED");
    expect((await h.audit.list(proposal.id)).map((e) => e.event)).toContain("signer.refused");
    expect(h.alerts.alerts).toMatchObject([{ type: "unauthorized-signer", severity: "critical", network: "base" }]);
    // A worker with the current key then commits: the run was not lost.
    await runStep(job, deps);
    await fireDueJobs(h, deps);
    expect((await h.store.getRun(proposal.id, "base"))!.state).toBe("ACTIVATED");
  });
});
