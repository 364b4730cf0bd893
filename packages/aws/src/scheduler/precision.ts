/** How precisely each scheduling transport delivers (no SDK here: a deferred transport answers with these before it is built). */

/** Longest per-message delay SQS accepts. */
export const MAX_SQS_DELAY_SECONDS = 900;
/** How late a delayed SQS message may arrive: `DelaySeconds` is whole seconds, rounded up. */
export const SQS_DELAY_PRECISION_MS = 1_000;
/** How late a one-time EventBridge Scheduler schedule may fire: anywhere in its minute (Scheduler user guide, "Schedule types"). */
export const EVENTBRIDGE_SCHEDULER_PRECISION_MS = 60_000;
