/**
 * @payrox/aws — AWS adapters of the core ports: the DynamoDB single-table store (runs, step leases,
 * audit trail, nonces, transaction journal). DynamoDB Local for tests and the devnet lives in
 * `src/testing/dynamodb-local.ts` and is deliberately not re-exported here.
 */
export * from "./errors.js";
export * from "./dynamo/index.js";
export * from "./scheduler/index.js";
// The EventBridge publisher and alert sink are `@payrox/aws/events`, the SSM reader `@payrox/aws/ssm`: a
// Lambda loads their SDK clients on first use, and a bundler splitting code would put everything this
// barrel re-exports in the start-up of whoever imports it. What the stacks need of the events is here.
export { DomainEventType, DEFAULT_EVENT_SOURCE, type DomainEvent } from "./events/domain-events.js";
export { AWS_CLIENT_BOUNDS, boundedClientConfig, isServiceUnavailable, type AwsClientBounds, type BoundedClientConfig } from "./config/client-bounds.js";
export * from "./webhooks/index.js";
