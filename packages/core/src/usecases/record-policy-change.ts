/**
 * `recordPolicyChange`: audits a change of the deployment's approval policy once. Each function container
 * calls it when it first builds its governance; the policy it runs with is compared with the one last
 * recorded, and a difference is appended to the operations audit stream as `policy.changed`. However many
 * containers start at once, the change is recorded once: the entry is keyed by the record's next version
 * and the new hash, and the record moves with a conditional write.
 */
import { GovernanceConfigError } from "../governance/errors.js";
import { policyHash, type ApprovalPolicy } from "../governance/policy.js";
import type { PolicyRecordStore } from "../governance/ports.js";
import { OPERATIONS_AUDIT_STREAM } from "../signers/rotation.js";
import type { SchedulerDeps } from "./deps.js";

/** The audit event of a policy change (in the {@link OPERATIONS_AUDIT_STREAM}). */
export const POLICY_CHANGED_EVENT = "policy.changed";

/** Times one call reads the record again after losing its move to another container. */
const MAX_ROUNDS = 5;

/** Input of {@link recordPolicyChange}. */
export interface RecordPolicyChangeParameters {
  /** The validated policy this container runs with. */
  policy: ApprovalPolicy;
  records: PolicyRecordStore;
}

/** Result of {@link recordPolicyChange}. */
export interface RecordPolicyChangeReturnType {
  policyHash: string;
  /** The hash recorded before (undefined: this is the deployment's first recorded policy, or it was unchanged). */
  from?: string;
  /** This call found the policy changed (its entry may have been written by a concurrent container). */
  changed: boolean;
}

/**
 * Compares the policy with the recorded one and audits a difference once.
 * @throws {GovernanceConfigError} when the record keeps moving under it (two policies live at once)
 * @example await recordPolicyChange({ policy, records: new DynamoPolicyRecordStore(table) }, deps)
 */
export async function recordPolicyChange(input: RecordPolicyChangeParameters, deps: Pick<SchedulerDeps, "audit" | "clock" | "actor">): Promise<RecordPolicyChangeReturnType> {
  const hash = policyHash(input.policy);
  let found: Omit<RecordPolicyChangeReturnType, "policyHash"> = { changed: false };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const current = await input.records.current();
    if (current?.policyHash === hash) return { policyHash: hash, ...found };
    const version = (current?.version ?? 0) + 1;
    found = { changed: true, ...(current && { from: current.policyHash }) };
    // The entry first, then the record: a crash between the two leaves the record behind, and the next
    // container appends the same key again, which writes nothing.
    await deps.audit.append({
      proposalId: OPERATIONS_AUDIT_STREAM,
      actor: deps.actor,
      event: POLICY_CHANGED_EVENT,
      key: `${POLICY_CHANGED_EVENT}:${version}:${hash}`,
      details: { from: current?.policyHash ?? null, to: hash, policyHash: hash, version, policy: input.policy },
      atMs: deps.clock.now(),
    });
    if (await input.records.advance(current, { policyHash: hash, version })) return { policyHash: hash, ...found };
  }
  throw new GovernanceConfigError(`the recorded approval policy kept changing while policy ${hash} was being recorded: are two deployments with different policies sharing one table?`);
}
