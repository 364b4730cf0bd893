/**
 * Public AWS list prices, US East (N. Virginia), on-demand, without free tiers, savings plans or volume
 * tiers beyond the first — the only place `npm run bench:cost` takes a price from.
 *
 * Read on 2026-12-06 ({@link PRICES_READ_ON}) as the pricing pages cited per constant state them. This
 * machine has no internet: re-check the pages before quoting a figure to a customer, and change a
 * constant here (with its date) when AWS changes a price.
 */

/** When these prices were read from the pages below. */
export const PRICES_READ_ON = "2026-12-06";

/** The region every price is for. */
export const PRICES_REGION = "us-east-1";

/** USD prices, each per the unit its name says. */
export const PRICES = {
  /**
   * Lambda requests: $0.20 per 1M (https://aws.amazon.com/lambda/pricing/). Since 2025-08-01 the init
   * phase of a cold start is billed as duration too (same page).
   */
  lambdaPerRequest: 0.2 / 1e6,
  /** Lambda duration on Arm (the stacks' `arm_64`), first 7.5 billion GB-s/month: $0.0000133334 per GB-s (https://aws.amazon.com/lambda/pricing/). */
  lambdaArmPerGbSecond: 0.0000133334,

  /** DynamoDB on-demand write request units: $0.625 per 1M (https://aws.amazon.com/dynamodb/pricing/on-demand/, since 2024-11-01). */
  dynamoPerWriteUnit: 0.625 / 1e6,
  /** DynamoDB on-demand read request units: $0.125 per 1M (https://aws.amazon.com/dynamodb/pricing/on-demand/). */
  dynamoPerReadUnit: 0.125 / 1e6,
  /** DynamoDB Standard table storage: $0.25 per GB-month (https://aws.amazon.com/dynamodb/pricing/on-demand/). */
  dynamoStoragePerGbMonth: 0.25,
  /** Continuous backups (point-in-time recovery, on for the table): $0.20 per GB-month (https://aws.amazon.com/dynamodb/pricing/on-demand/). */
  dynamoPitrPerGbMonth: 0.2,

  /** EventBridge Scheduler: $1.00 per 1M scheduled invocations (https://aws.amazon.com/eventbridge/pricing/, "Scheduler"). Creating and deleting schedules is not charged. */
  schedulerPerInvocation: 1.0 / 1e6,
  /** EventBridge custom events put on a bus: $1.00 per 1M, each 64 KB chunk one event (https://aws.amazon.com/eventbridge/pricing/). */
  eventBridgePerEvent: 1.0 / 1e6,

  /** SQS standard queue: $0.40 per 1M requests, each 64 KB chunk one request (https://aws.amazon.com/sqs/pricing/). */
  sqsPerRequest: 0.4 / 1e6,

  /** KMS: $1.00 per customer managed key per month, asymmetric keys included (https://aws.amazon.com/kms/pricing/). */
  kmsPerKeyMonth: 1.0,
  /** KMS requests on asymmetric keys (Sign, GetPublicKey …), except RSA key-pair generation: $0.15 per 10,000 (https://aws.amazon.com/kms/pricing/). */
  kmsPerAsymmetricRequest: 0.15 / 10_000,

  /** CloudWatch custom metrics, first 10,000: $0.30 per metric-month, prorated by the hour a metric is sent (https://aws.amazon.com/cloudwatch/pricing/). */
  cloudWatchPerMetricMonth: 0.3,
  /** CloudWatch standard-resolution alarm: $0.10 per alarm-month (https://aws.amazon.com/cloudwatch/pricing/). */
  cloudWatchPerAlarmMonth: 0.1,
  /** CloudWatch Logs ingestion (standard class; Lambda logs and EMF documents): $0.50 per GB (https://aws.amazon.com/cloudwatch/pricing/). */
  cloudWatchLogsPerGbIngested: 0.5,

  /** S3 Standard PUT, COPY, POST and LIST requests: $0.005 per 1,000 (https://aws.amazon.com/s3/pricing/). */
  s3PerPutOrListRequest: 0.005 / 1_000,
  /** S3 Standard GET and other requests: $0.0004 per 1,000 (https://aws.amazon.com/s3/pricing/). */
  s3PerGetRequest: 0.0004 / 1_000,

  /** API Gateway HTTP API, first 300M requests: $1.00 per 1M (https://aws.amazon.com/api-gateway/pricing/). */
  apiGatewayHttpPerRequest: 1.0 / 1e6,
} as const;

/** A price table with {@link PRICES}' shape (tests pass round numbers). */
export type PriceTable = { readonly [K in keyof typeof PRICES]: number };

/** Hours in a billing month as AWS prorates them (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;
