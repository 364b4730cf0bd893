/**
 * The audit anchors: an S3 bucket under Object Lock (versioned, default retention COMPLIANCE on
 * protected stages) where the anchor function writes the audit chains' heads every few minutes, outside
 * the table a deployer controls. Its policy denies, to every principal, deleting objects or versions,
 * changing or bypassing retention and legal holds, and any PutObject without `If-None-Match` — an anchor
 * is written once, never replaced.
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import { ENV } from "@payrox/functions";
import { Cron, use, type StackContext } from "sst/constructs";
import { functionEnvironment } from "./environment.js";
import { EventsStack } from "./EventsStack.js";
import { payroxFunction } from "./lambda.js";
import { acknowledgeAccessLogBucket, acknowledgeAnchorObjects } from "./nag.js";
import { FunctionRole, isProtectedStage, resourceName } from "./naming.js";
import { publishingAccess } from "./permissions.js";
import { SchedulerStack } from "./SchedulerStack.js";
import { StorageStack } from "./StorageStack.js";

/** How often the audit heads are anchored: the longest a rewrite of fresh entries could go unanchored. */
export const ANCHOR_SCHEDULE = "rate(5 minutes)";

/** Default Object Lock retention of every anchor: COMPLIANCE (nobody can shorten it) where data is kept. */
export function anchorRetention(stage: string): { mode: "COMPLIANCE" | "GOVERNANCE"; days: number } {
  return isProtectedStage(stage) ? { mode: "COMPLIANCE", days: 400 } : { mode: "GOVERNANCE", days: 1 };
}

/** What nobody may do to an anchor object (explicit deny to every principal). */
export const ANCHOR_DENIED_OBJECT_ACTIONS = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention", "s3:PutObjectLegalHold"];

/** The bucket, its access-log bucket, the anchor function and its schedule. */
export function AnchorStack({ app, stack }: StackContext) {
  const { table, indexNames } = use(StorageStack);
  const scheduler = use(SchedulerStack);
  const { bus } = use(EventsStack);
  const keep = isProtectedStage(app.stage);
  const retention = anchorRetention(app.stage);

  const accessLogs = new s3.Bucket(stack, "AnchorAccessLogs", {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    lifecycleRules: [{ expiration: Duration.days(keep ? 400 : 30) }],
    removalPolicy: keep ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  acknowledgeAccessLogBucket(accessLogs);
  const bucket = new s3.Bucket(stack, "AnchorBucket", {
    bucketName: resourceName(app, "audit-anchors"),
    objectLockEnabled: true,
    objectLockDefaultRetention: retention.mode === "COMPLIANCE" ? s3.ObjectLockRetention.compliance(Duration.days(retention.days)) : s3.ObjectLockRetention.governance(Duration.days(retention.days)),
    versioned: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: "anchor-bucket/",
    // Locked objects can't be deleted: the bucket outlives `sst remove` until their retention ends.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  bucket.addToResourcePolicy(new iam.PolicyStatement({ sid: "AnchorsAreNeverDeletedOrUnlocked", effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()], actions: ANCHOR_DENIED_OBJECT_ACTIONS, resources: [bucket.arnForObjects("*")] }));
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({ sid: "AnchorsAreWrittenOnce", effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()], actions: ["s3:PutObject"], resources: [bucket.arnForObjects("*")], conditions: { Null: { "s3:if-none-match": "true" } } }),
  );
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({ sid: "LockConfigurationIsFixed", effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()], actions: ["s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning"], resources: [bucket.bucketArn] }),
  );

  const anchor = payroxFunction(stack, {
    fn: FunctionRole.ANCHOR,
    handler: "functions/src/anchor.handler",
    description: "PayRox audit anchorer: the audit chains' heads to the Object Lock bucket",
    memorySize: 512,
    timeout: Duration.seconds(60),
    // Two overlapping ticks would race for the same anchor seq (the loser's write is refused).
    reservedConcurrency: 1,
    environment: { ...functionEnvironment(stack, app, { table, scheduler, bus }), [ENV.ANCHOR_BUCKET]: bucket.bucketName },
    statements: [...anchorTableAccess(table.tableArn, indexNames), publishingAccess(bus), ...anchorBucketAccess(bucket, "write")],
  });
  acknowledgeAnchorObjects(anchor.role!);
  const anchorCron = new Cron(stack, "AnchorCron", { schedule: ANCHOR_SCHEDULE, job: anchor });

  stack.addOutputs({ AnchorBucket: bucket.bucketName });
  return { bucket, anchor, anchorCron };
}

/**
 * The anchor bucket for a function: `read` lists and gets (the API's `audit --verify`); `write` also puts
 * new objects (the anchorer). Never delete, retention or bypass: the bucket policy denies those anyway.
 */
export function anchorBucketAccess(bucket: s3.IBucket, access: "read" | "write"): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ sid: "ListAnchors", actions: ["s3:ListBucket"], resources: [bucket.bucketArn] }),
    new iam.PolicyStatement({ sid: access === "write" ? "ReadWriteAnchors" : "ReadAnchors", actions: access === "write" ? ["s3:GetObject", "s3:PutObject"] : ["s3:GetObject"], resources: [bucket.arnForObjects("*")] }),
  ];
}

/** The anchorer reads the table (proposals, audit heads) and writes only alert incidents (dedupe ledger). */
function anchorTableAccess(tableArn: string, indexNames: readonly string[]): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ sid: "ReadTable", actions: ["dynamodb:GetItem", "dynamodb:Query"], resources: [tableArn, ...indexNames.map((index) => `${tableArn}/index/${index}`)] }),
    new iam.PolicyStatement({
      sid: "AlertIncidentsOnly",
      actions: ["dynamodb:PutItem", "dynamodb:UpdateItem"],
      resources: [tableArn],
      conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["INCIDENT#*"] } },
    }),
  ];
}
