/**
 * The governance composition, loaded on first need (it loads ethers): the approval policy validated with
 * `loadApprovalPolicy`, its change since the last container recorded in the operations audit stream, the
 * DynamoDB approval store, and the chain readers — each target network's dispatcher (bound into a new
 * proposal's approval) and ERC-1271 accounts — built on their first read from the configured RPCs.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoApprovalStore, DynamoPolicyRecordStore } from "@payrox/aws";
import { ApprovalPolicyError, loadApprovalPolicy, recordPolicyChange, type ApprovalPolicy, type ApprovalTargetReader, type AuditLog, type Clock, type Erc1271Reader, type ResolvedNetwork } from "@payrox/core";
import { onceSucceeded } from "./memo.js";
import { ENV, EnvConfigError, type FunctionsEnv } from "./env.js";
import type { DeploymentGovernance } from "./governed-deps.js";

/** The actor of a `policy.changed` audit entry: the deployment itself, not a caller. */
export const POLICY_ACTOR = "deployment";

/** What {@link buildGovernance} builds from. */
export interface GovernanceContext {
  env: FunctionsEnv;
  /** The configured networks (RPC URLs, dispatchers). */
  networks: readonly ResolvedNetwork[];
  table: { client: DynamoDBClient; tableName: string };
  audit: AuditLog;
  clock: Clock;
  /** Whether a network id can be read (an ERC-1271 approver's network must be). */
  isKnownNetwork: (id: string) => boolean;
}

/** Chain readers that replace the ones built from the configured RPCs (tests). */
export interface ApprovalReaderOverrides {
  /** @default each configured network's dispatcher, read through its provider */
  targets?: ApprovalTargetReader;
  /** @default ERC-1271 reads through each configured network's provider (failover with its quorum) */
  erc1271?: Erc1271Reader;
}

/**
 * Validates the policy, audits a change of it once, and builds the governance ports.
 * @throws {EnvConfigError} naming PAYROX_APPROVAL_POLICY when the policy is malformed or not allowed on this stage
 */
export async function buildGovernance(context: GovernanceContext, overrides: ApprovalReaderOverrides = {}): Promise<DeploymentGovernance> {
  const { env } = context;
  const policy = policyOf(env, context.isKnownNetwork);
  await recordPolicyChange({ policy, records: new DynamoPolicyRecordStore(context.table) }, { audit: context.audit, clock: context.clock, actor: POLICY_ACTOR });
  return {
    deploymentId: env.deploymentId,
    policy,
    protectedStage: env.protectedStage,
    approvals: new DynamoApprovalStore(context.table),
    targets: overrides.targets ?? lazyTargets(context),
    erc1271: overrides.erc1271 ?? lazyErc1271(context),
  };
}

/** The validated policy; a policy error becomes an environment error naming the variable. */
function policyOf(env: FunctionsEnv, isKnownNetwork: (id: string) => boolean): ApprovalPolicy {
  try {
    return loadApprovalPolicy(env.approvalPolicy, { protectedStage: env.protectedStage, isKnownNetwork });
  } catch (error) {
    if (!(error instanceof ApprovalPolicyError)) throw error;
    throw new EnvConfigError([{ variable: ENV.APPROVAL_POLICY, message: error.message }], { cause: error });
  }
}

/** The dispatcher reader, with ethers and the chain package loaded on the first proposal under a policy. */
function lazyTargets(context: GovernanceContext): ApprovalTargetReader {
  const reader = onceSucceeded(async () => (await import("./gateway.js")).approvalTargets(context));
  return { target: async (network) => (await reader()).target(network) };
}

/** The ERC-1271 reader, loaded on the first smart-account signature. */
function lazyErc1271(context: GovernanceContext): Erc1271Reader {
  const reader = onceSucceeded(async () => (await import("./gateway.js")).erc1271Reader(context));
  return { isValidSignature: async (network, account, digest, signature) => (await reader()).isValidSignature(network, account, digest, signature) };
}
