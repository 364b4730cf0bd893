/**
 * The audit anchor bucket and its function, synthesised for prod: Object Lock in COMPLIANCE with a
 * default retention, versioning, no public access, TLS only, a policy nobody can delete or unlock
 * through, and least-privilege roles (the anchorer puts and gets objects; the API only reads).
 */
import { ENV } from "@payrox/functions";
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ANCHOR_DENIED_OBJECT_ACTIONS, ANCHOR_SCHEDULE, AnchorStack } from "../AnchorStack.js";
import { ApiStack } from "../ApiStack.js";
import { synthesize, type SynthesizedApp } from "./synth.js";
import { flat, grants, list, resourcesOf, resourceStrings, roleStatements, type Statement } from "./template.js";

let synthesized: SynthesizedApp;
let template: Template;
let bucket: Record<string, any>;
let bucketId: string;
beforeAll(async () => {
  synthesized = await synthesize("prod");
  template = synthesized.template(AnchorStack);
  [bucketId, bucket] = Object.entries(resourcesOf(template, "AWS::S3::Bucket")).find(([, b]) => b.BucketName === "payrox-prod-audit-anchors")!;
});

const anchorStatements = () => roleStatements(template, "payrox-prod-anchor-fn");
const apiStatements = () => roleStatements(synthesized.template(ApiStack), "payrox-prod-api-fn");
const s3Actions = (statements: Statement[]) => statements.filter((s) => s.Effect === "Allow").flatMap((s) => list(s.Action).map(String)).filter((a) => a.startsWith("s3:")).sort();

describe("AnchorStack on stage prod", () => {
  it("locks every anchor in COMPLIANCE mode for 400 days, versioned, private, encrypted, access-logged, retained", () => {
    // Assess
    expect(bucket.ObjectLockEnabled).toBe(true);
    expect(bucket.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "COMPLIANCE", Days: 400 } } });
    expect(bucket.VersioningConfiguration).toEqual({ Status: "Enabled" });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe("AES256");
    expect(bucket.LoggingConfiguration.DestinationBucketName).toBeDefined();
    expect(template.findResources("AWS::S3::Bucket")[bucketId]!.DeletionPolicy).toBe("Retain");
  });

  it("denies every principal deleting, unlocking or bypassing retention, and any PutObject without If-None-Match", () => {
    // Act
    const policy = Object.values(resourcesOf(template, "AWS::S3::BucketPolicy")).find((p) => flat(p.Bucket) === `ref(${bucketId})`)!;
    const denies = (policy.PolicyDocument.Statement as Statement[]).filter((s) => s.Effect === "Deny");
    const bySid = (sid: string) => denies.find((s) => s.Sid === sid)!;

    // Assess
    expect(list(bySid("AnchorsAreNeverDeletedOrUnlocked").Action).sort()).toEqual([...ANCHOR_DENIED_OBJECT_ACTIONS].sort());
    expect(bySid("AnchorsAreNeverDeletedOrUnlocked").Principal).toEqual({ AWS: "*" });
    expect(bySid("AnchorsAreWrittenOnce").Condition).toEqual({ Null: { "s3:if-none-match": "true" } });
    expect(list(bySid("LockConfigurationIsFixed").Action).sort()).toEqual(["s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning"]);
    expect(denies.some((s) => (s.Condition as any)?.Bool?.["aws:SecureTransport"] === "false")).toBe(true);
  });

  it("lets the anchorer only list, get and put anchors, read the table and write alert incidents", () => {
    // Act
    const statements = anchorStatements();
    const incidents = grants(statements, "dynamodb:PutItem");

    // Assess
    expect(s3Actions(statements)).toEqual(["s3:GetObject", "s3:ListBucket", "s3:PutObject"]);
    expect(resourceStrings(grants(statements, "s3:PutObject"))).toEqual([`${bucketId}.Arn/*`]);
    expect(resourceStrings(grants(statements, "s3:ListBucket"))).toEqual([`${bucketId}.Arn`]);
    for (const forbidden of ["s3:DeleteObject", "s3:PutObjectRetention", "s3:BypassGovernanceRetention", "dynamodb:DeleteItem"]) expect(grants(statements, forbidden), forbidden).toEqual([]);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.Condition).toEqual({ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["INCIDENT#*"] } });
  });

  it("lets the API only read anchors, and tells it and the anchorer the bucket", () => {
    // Act
    const apiFn = Object.values(resourcesOf(synthesized.template(ApiStack), "AWS::Lambda::Function")).find((p) => p.FunctionName === "payrox-prod-api")!;
    const anchorFn = Object.values(resourcesOf(template, "AWS::Lambda::Function")).find((p) => p.FunctionName === "payrox-prod-anchor")!;

    // Assess
    expect(s3Actions(apiStatements())).toEqual(["s3:GetObject", "s3:ListBucket"]);
    expect(flat(apiFn.Environment.Variables[ENV.ANCHOR_BUCKET])).toMatch(/AnchorStack.*AnchorBucket/);
    expect(flat(anchorFn.Environment.Variables[ENV.ANCHOR_BUCKET])).toBe(`ref(${bucketId})`);
    expect(anchorFn.ReservedConcurrentExecutions).toBe(1);
  });

  it("runs the anchorer on its schedule", () => {
    // Act
    const rules = Object.values(resourcesOf(template, "AWS::Events::Rule"));

    // Assess
    expect(rules.map((r) => r.ScheduleExpression)).toEqual([ANCHOR_SCHEDULE]);
  });

  it("leaves no cdk-nag finding unsuppressed", () => {
    // Assess
    expect(synthesized.nagFindings(AnchorStack)).toEqual([]);
  });
});
