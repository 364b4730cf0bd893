/**
 * @payrox/aws — AWS adapters of the core ports: the DynamoDB single-table store (runs, step leases,
 * audit trail, nonces, transaction journal). DynamoDB Local for tests and the devnet lives in
 * `src/testing/dynamodb-local.ts` and is deliberately not re-exported here.
 */
export * from "./errors.js";
export * from "./dynamo/index.js";
export * from "./scheduler/index.js";
export * from "./events/index.js";
export { readSsmParameters } from "./config/ssm-parameters.js";
export { AWS_CLIENT_BOUNDS, boundedClientConfig, isServiceUnavailable, type AwsClientBounds, type BoundedClientConfig } from "./config/client-bounds.js";
export * from "./webhooks/index.js";
