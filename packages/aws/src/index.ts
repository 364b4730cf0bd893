/**
 * @payrox/aws — AWS adapters of the core ports: the DynamoDB single-table store (runs, step leases,
 * audit trail, nonces, transaction journal). DynamoDB Local for tests and the devnet lives in
 * `src/testing/dynamodb-local.ts` and is deliberately not re-exported here.
 */
export * from "./errors.js";
export * from "./dynamo/index.js";
// The SDK transports (EventBridgeScheduler, SqsDelayScheduler) are `@payrox/aws/scheduler` (which has all of
// these too), so that a Lambda can defer loading them.
export { RoutingScheduler, type RoutingSchedulerOptions } from "./scheduler/routing-scheduler.js";
export { DeferredScheduler, type SchedulerBuilder } from "./scheduler/deferred-scheduler.js";
export { EVENTBRIDGE_SCHEDULER_PRECISION_MS, MAX_SQS_DELAY_SECONDS, SQS_DELAY_PRECISION_MS } from "./scheduler/precision.js";
export { MAX_SCHEDULE_NAME_LENGTH, isValidScheduleName, jobNameFor, jobPayload, scheduleExpressionFor, scheduleNameFor } from "./scheduler/schedule-name.js";
// The EventBridge publisher and alert sink are `@payrox/aws/events`, the SSM reader `@payrox/aws/ssm`: a
// Lambda loads their SDK clients on first use, and a bundler splitting code would put everything this
// barrel re-exports in the start-up of whoever imports it. What the stacks need of the events is here.
export { DomainEventType, DEFAULT_EVENT_SOURCE, type DomainEvent } from "./events/domain-events.js";
export { AWS_CLIENT_BOUNDS, boundedClientConfig, isServiceUnavailable, type AwsClientBounds, type BoundedClientConfig } from "./config/client-bounds.js";
export * from "./webhooks/index.js";
