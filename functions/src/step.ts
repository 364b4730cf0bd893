/**
 * Lambda of the commit / apply / activate steps. Input: an EventBridge Scheduler target input (the
 * scheduled job's JSON) or an SQS event (delay queue) whose bodies are such jobs. Runs `runStep`; a
 * failed SQS record is reported in `batchItemFailures` so only it is retried.
 */
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { StepName, type ScheduledJob, type SchedulerDeps, type StepOutcome } from "@payrox/core/runs";
import { runStep } from "@payrox/core/steps";
import * as z from "zod";
import { containerDeps } from "./composition.js";
import { withGovernance, type GovernedDeps } from "./governed-deps.js";
import { withBoundSecrets } from "./secrets.js";
import { StepOutcomeName } from "./metric-names.js";
import { flushMetrics, logger, recordActivationLateness, recordGasUsed, recordPlannedGas, recordStepOutcome } from "./observability.js";

/** Schema of a scheduled job as a step receives it. */
export const ScheduledJobSchema = z.object({
  name: z.string().min(1),
  step: z.enum([StepName.COMMIT, StepName.APPLY, StepName.ACTIVATE]),
  proposalId: z.string().min(1),
  network: z.string().min(1),
  attempt: z.string(),
  runAtMs: z.number().int().nonnegative(),
});

/** Input of the step Lambda. */
export type StepEvent = SQSEvent | ScheduledJob;

/**
 * Builds the step handler over `getDeps`. Every step runs with the deployment's governance (the commit
 * step re-verifies the approvals before it signs): a policy that can't be used fails the invocation.
 */
export function createStepHandler(getDeps: () => GovernedDeps) {
  return async (event: StepEvent, context?: Pick<Context, "awsRequestId">): Promise<SQSBatchResponse | StepOutcome> => {
    try {
      const deps = await withGovernance({ ...getDeps(), actor: "scheduler", owner: context?.awsRequestId ?? "step" });
      if (!isSqsEvent(event)) return await runJob(event, deps);
      const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
      // One record at a time: the logger's run keys then always match the record being worked on.
      for (const record of event.Records) {
        await runJob(record.body, deps).catch((error: unknown) => {
          logger.error("step failed; SQS will redeliver it", { messageId: record.messageId, error: error as Error });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        });
      }
      return { batchItemFailures };
    } finally {
      flushMetrics();
    }
  };
}

/** Validates one job (an object, or an SQS body's JSON text) and runs its step, with the run's keys on every log line. */
async function runJob(input: unknown, deps: SchedulerDeps): Promise<StepOutcome> {
  const job = ScheduledJobSchema.parse(typeof input === "string" ? JSON.parse(input) : input);
  logger.appendKeys({ proposalId: job.proposalId, network: job.network, step: job.step, attempt: job.attempt });
  try {
    const outcome = await runStep(job, deps);
    logger.info("step finished", { outcome: outcome.outcome, ...(outcome.outcome === "skipped" && { reason: outcome.reason }) });
    recordStepOutcome(job.network, outcome.outcome);
    if (outcome.outcome === "done" && outcome.tx) recordGasUsed(job.step, job.network, outcome.tx.gasUsed);
    if (outcome.outcome === "done" && outcome.tx && outcome.estimatedGas !== undefined) recordPlannedGas(job.step, job.network, outcome.estimatedGas);
    if (outcome.outcome === "done" && outcome.latenessSeconds !== undefined) recordActivationLateness(outcome.latenessSeconds);
    return outcome;
  } catch (error) {
    recordStepOutcome(job.network, StepOutcomeName.ERROR);
    throw error;
  } finally {
    logger.removeKeys(["proposalId", "network", "step", "attempt"]);
  }
}

function isSqsEvent(event: StepEvent): event is SQSEvent {
  return Array.isArray((event as SQSEvent).Records);
}

/** The step Lambda's entry point (commit, apply and activate re-export it under their own names). */
export const handler = withBoundSecrets(createStepHandler(containerDeps));
