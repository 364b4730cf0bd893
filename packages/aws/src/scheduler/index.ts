/** `@payrox/aws/scheduler` — step scheduling adapters: EventBridge Scheduler (minutes ahead), SQS delay queue (seconds), and a router. */
export { EventBridgeScheduler, createSchedulerClient, type EventBridgeSchedulerOptions, type ScheduleRetryOptions } from "./eventbridge-scheduler.js";
export { SqsDelayScheduler, createSqsClient, MAX_SQS_DELAY_SECONDS, SQS_DELAY_PRECISION_MS, delaySecondsUntil, type SqsDelaySchedulerOptions } from "./sqs-delay-scheduler.js";
export { RoutingScheduler, type RoutingSchedulerOptions } from "./routing-scheduler.js";
export { DeferredScheduler, type SchedulerBuilder } from "./deferred-scheduler.js";
export { EVENTBRIDGE_SCHEDULER_PRECISION_MS } from "./precision.js";
export { MAX_SCHEDULE_NAME_LENGTH, isValidScheduleName, jobNameFor, jobPayload, scheduleExpressionFor, scheduleNameFor } from "./schedule-name.js";
