/**
 * `rotateSigner`: moves a network's signer roles from its current KMS key to a new one without losing a
 * run — grant the new signer every role the old one holds, switch the configuration so new steps sign
 * with it, wait until the old signer has nothing in flight (no nonce reservation, every journaled
 * transaction mined), then revoke the old signer's roles. Every action is audited in the `operations`
 * stream with its transaction. Re-running it after a {@link SignerBusyError} resumes where it stopped.
 */
import { SignerBusyError, SignerRotationError } from "../errors.js";
import type { AuditLog, Clock } from "../run/ports.js";
import { OPERATIONS_AUDIT_STREAM, SignerRotationDetailsSchema, SignerRotationEvent, signerBusyReasons, type SignerActivity, type SignerRotationDetails } from "../signers/rotation.js";
import { realSleep } from "./deps.js";

/** A signer: its KMS key and the address derived from it. */
export interface SignerIdentity {
  keyId: string;
  address: string;
}

/** The dispatcher admin's side of a rotation (on the devnet the dev admin key; in production the admin's multisig). */
export interface SignerRoleAdmin {
  /** Which of `roles` `account` holds on the network's dispatcher. */
  rolesOf(network: string, account: string, roles: readonly string[]): Promise<string[]>;
  grant(network: string, role: string, account: string): Promise<{ txHash: string }>;
  revoke(network: string, role: string, account: string): Promise<{ txHash: string }>;
}

/** Where the deployment's configuration names each network's signer. */
export interface SignerConfig {
  current(network: string): Promise<SignerIdentity>;
  /** From now on, new steps on the network sign with `signer`. */
  switchTo(network: string, signer: SignerIdentity): Promise<void>;
}

/** What {@link rotateSigner} works with. */
export interface RotateSignerDeps {
  admin: SignerRoleAdmin;
  config: SignerConfig;
  /** The signer's nonce state and chain counts (nonce store per (network, signer) + the chain). */
  activity(network: string, signer: string): Promise<SignerActivity>;
  audit: AuditLog;
  clock: Clock;
  /** Who rotates, for the audit trail. */
  actor: string;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

/** Input of {@link rotateSigner}. */
export interface RotateSignerParameters {
  network: string;
  /** The new key and its address. */
  next: SignerIdentity;
  /** The signer roles a PayRox signer may hold (bytes32 ids or names the admin understands). */
  signerRoles: readonly string[];
  /** Longest wait for the old signer to go quiet before giving up with SignerBusyError. @default 120_000 */
  waitMs?: number;
  /** Between looks at the old signer. @default 1_000 */
  pollMs?: number;
}

/** What a rotation did. */
export interface RotateSignerReturnType {
  network: string;
  from: SignerIdentity;
  to: SignerIdentity;
  granted: { role: string; txHash: string }[];
  revoked: { role: string; txHash: string }[];
  /** True when an earlier, interrupted rotation to the same key was resumed. */
  resumed: boolean;
}

/**
 * Rotates the network's signer to `next`.
 * @throws SignerBusyError when the old signer stays busy for `waitMs` (the new key is active; run it again)
 * @throws SignerRotationError when `next` is already the signer and no rotation to it is unfinished, or the old signer holds no role
 * @example await rotateSigner({ network: "devnet-1", next: { keyId, address }, signerRoles }, deps)
 */
export async function rotateSigner(input: RotateSignerParameters, deps: RotateSignerDeps): Promise<RotateSignerReturnType> {
  const { network, next } = input;
  const current = await deps.config.current(network);
  const sameKey = current.address.toLowerCase() === next.address.toLowerCase();
  const resumedFrom = sameKey ? await unfinishedRotation(deps.audit, network, next) : undefined;
  if (sameKey && !resumedFrom) throw new SignerRotationError(network, `${next.keyId} (${next.address}) is already the signer and no rotation to it is unfinished`);
  const from = resumedFrom ?? current;
  const base: SignerRotationDetails = { network, from: from.address, to: next.address, fromKeyId: from.keyId, toKeyId: next.keyId };
  const audit = (event: string, extra: { role?: string; txHash?: string } = {}) =>
    deps.audit.append({ proposalId: OPERATIONS_AUDIT_STREAM, actor: deps.actor, event, network, ...(extra.txHash && { txHash: extra.txHash }), details: { ...base, ...(extra.role && { role: extra.role }) }, atMs: deps.clock.now() });

  const roles = await deps.admin.rolesOf(network, from.address, input.signerRoles);
  const held = await deps.admin.rolesOf(network, next.address, input.signerRoles);
  if (!resumedFrom && roles.length === 0) throw new SignerRotationError(network, `the current signer ${from.address} holds none of the signer roles: nothing to hand over`);
  if (!resumedFrom) await audit(SignerRotationEvent.STARTED);
  const granted: RotateSignerReturnType["granted"] = [];
  for (const role of roles.filter((r) => !held.includes(r))) {
    const { txHash } = await deps.admin.grant(network, role, next.address);
    granted.push({ role, txHash });
    await audit(SignerRotationEvent.GRANTED, { role, txHash });
  }
  if (!sameKey) {
    await deps.config.switchTo(network, next);
    await audit(SignerRotationEvent.SWITCHED);
  }
  await waitUntilQuiet(input, from.address, deps);
  const revoked: RotateSignerReturnType["revoked"] = [];
  for (const role of roles) {
    const { txHash } = await deps.admin.revoke(network, role, from.address);
    revoked.push({ role, txHash });
    await audit(SignerRotationEvent.REVOKED, { role, txHash });
  }
  await audit(SignerRotationEvent.RETIRED);
  return { network, from, to: next, granted, revoked, resumed: resumedFrom !== undefined };
}

/** Polls the old signer until it is quiet on two looks in a row (a step that was about to reserve has done so). */
async function waitUntilQuiet(input: RotateSignerParameters, signer: string, deps: RotateSignerDeps): Promise<void> {
  const sleep = deps.sleep ?? realSleep;
  const pollMs = input.pollMs ?? 1_000;
  const deadline = deps.clock.now() + (input.waitMs ?? 120_000);
  let quietLooks = 0;
  for (;;) {
    const reasons = signerBusyReasons(await deps.activity(input.network, signer));
    quietLooks = reasons.length === 0 ? quietLooks + 1 : 0;
    if (quietLooks >= 2) return;
    if (deps.clock.now() >= deadline) throw new SignerBusyError(input.network, signer, reasons.length ? reasons : ["not yet quiet on two looks in a row"]);
    await sleep(pollMs);
  }
}

/** The old signer of a rotation to `next` that switched but never retired the old key, if any. */
async function unfinishedRotation(audit: AuditLog, network: string, next: SignerIdentity): Promise<SignerIdentity | undefined> {
  let from: SignerIdentity | undefined;
  for (const entry of await audit.list(OPERATIONS_AUDIT_STREAM)) {
    const details = SignerRotationDetailsSchema.safeParse(entry.details);
    if (!details.success || details.data.network !== network || details.data.to.toLowerCase() !== next.address.toLowerCase()) continue;
    if (entry.event === SignerRotationEvent.STARTED) from = { keyId: details.data.fromKeyId, address: details.data.from };
    if (entry.event === SignerRotationEvent.RETIRED) from = undefined;
  }
  return from;
}
