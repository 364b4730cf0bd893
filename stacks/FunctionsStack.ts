/**
 * The step functions (commit, apply, activate) and the watchdog. The steps sign with the `scheduler`
 * key; the delay queue feeds the apply function (any step's job runs there: the handler is shared);
 * the watchdog runs every minute, one sweep at a time.
 */
import { Duration } from "aws-cdk-lib";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { ENV } from "@payrox/functions";
import { Cron, use, type StackContext } from "sst/constructs";
import { functionEnvironment } from "./environment.js";
import { EventsStack } from "./EventsStack.js";
import { KeysStack } from "./KeysStack.js";
import { payroxFunction } from "./lambda.js";
import { FunctionRole } from "./naming.js";
import { publishingAccess, schedulingAccess, signingAccess, tableAccess } from "./permissions.js";
import { SchedulerStack, STEP_TIMEOUT } from "./SchedulerStack.js";
import { StorageStack } from "./StorageStack.js";

/** Sizing of each step: memory for ethers + proofs, the timeout covers confirmations and the ETA hold. */
export const STEP_SIZING = {
  // Concurrency caps bound KMS and RPC load; activate gets one per registry network (21) and spare, so
  // simultaneous activations on every network are never throttled.
  [FunctionRole.COMMIT]: { memorySize: 512, reservedConcurrency: 10 },
  [FunctionRole.APPLY]: { memorySize: 1024, reservedConcurrency: 10 },
  [FunctionRole.ACTIVATE]: { memorySize: 1024, reservedConcurrency: 25 },
} as const;

/** How many delay-queue messages the apply function works on at once (≤ its reserved concurrency). */
export const DELAY_QUEUE_CONCURRENCY = 5;

/** Step functions, their delay-queue trigger, the watchdog and its cron. */
export function FunctionsStack({ app, stack }: StackContext) {
  const { table, indexNames } = use(StorageStack);
  const { keys, secrets, alertSecrets } = use(KeysStack);
  const scheduler = use(SchedulerStack);
  const { bus } = use(EventsStack);
  const environment = functionEnvironment(stack, app, { table, scheduler, bus });
  const data = [tableAccess(table, indexNames), publishingAccess(bus)];

  const steps = Object.fromEntries(
    ([FunctionRole.COMMIT, FunctionRole.APPLY, FunctionRole.ACTIVATE] as const).map((step) => [
      step,
      payroxFunction(stack, {
        fn: step,
        handler: `functions/src/${step}.handler`,
        description: `PayRox ${step} step (EventBridge Scheduler / SQS delay queue target)`,
        ...STEP_SIZING[step],
        timeout: STEP_TIMEOUT,
        environment: { ...environment, [ENV.SIGNER_KEY_ID]: keys.scheduler.keyArn },
        statements: [...data, ...schedulingAccess(scheduler), signingAccess(keys.scheduler)],
        bind: [...Object.values(secrets), ...alertSecrets],
        deadLetterQueue: scheduler.deadLetterQueue,
      }),
    ]),
  ) as Record<(typeof FunctionRole)["COMMIT" | "APPLY" | "ACTIVATE"], ReturnType<typeof payroxFunction>>;
  steps.apply.addEventSource(new SqsEventSource(scheduler.delayQueue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency: DELAY_QUEUE_CONCURRENCY }));

  const watchdog = payroxFunction(stack, {
    fn: FunctionRole.WATCHDOG,
    handler: "functions/src/watchdog.handler",
    description: "PayRox watchdog: late activations, stuck runs",
    memorySize: 512,
    timeout: Duration.seconds(50),
    // Two overlapping sweeps would raise every alert twice.
    reservedConcurrency: 1,
    environment,
    statements: data,
    // The watchdog raises alerts and re-sends undelivered ones: it reads the destinations' secrets, not the Flashbots key.
    bind: [secrets[ENV.NETWORK_CONFIG], secrets[ENV.ALERT_WEBHOOKS], ...alertSecrets],
  });
  const watchdogCron = new Cron(stack, "WatchdogCron", { schedule: "rate(1 minute)", job: watchdog });

  return { steps, watchdog, watchdogCron };
}
