/**
 * The cdk-nag (AwsSolutions) findings PayRox accepts, each with its reason. Every other finding fails
 * the stack tests.
 */
import { Stack } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { NagSuppressions } from "cdk-nag";

/** Why the functions stay on nodejs22.x while aws-cdk-lib knows a newer Node runtime. */
const RUNTIME_REASON =
  "Issue #7 fixes the runtime at nodejs22.x: the newest runtime SST 2.49's bundler and the pinned Powertools/AWS SDK releases are validated on here; moving to nodejs24.x is a deliberate upgrade, not a drift.";

/** Suppressions for SST's own per-stack custom-resource handler, on every stack of `app`. */
export function acknowledgeSstInternals(app: IConstruct): void {
  for (const stack of app.node.children) {
    if (!(stack instanceof Stack)) continue;
    const handler = stack.node.tryFindChild("CustomResourceHandler");
    if (!handler) continue;
    NagSuppressions.addResourceSuppressions(
      handler,
      [
        { id: "AwsSolutions-IAM4", reason: "SST v2 creates this handler in every stack (stack metadata, secret prefetch); its role writes only its own logs via AWSLambdaBasicExecutionRole, which SST does not let us replace.", appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"] },
        { id: "AwsSolutions-L1", reason: "SST v2 pins this internal handler's runtime; it runs only at deploy time, never on the request or signing path." },
      ],
      true,
    );
  }
}

/** Suppression for a PayRox function's runtime finding. */
export function acknowledgeFunctionRuntime(fn: IConstruct): void {
  NagSuppressions.addResourceSuppressions(fn, [{ id: "AwsSolutions-L1", reason: RUNTIME_REASON }]);
}

/** Suppression for a role that manages the step schedules of its stage's group (`schedule/<group>/*`). */
export function acknowledgeScheduleWildcard(role: IConstruct): void {
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: "AwsSolutions-IAM5",
        reason: "Schedule names are made per job at run time (proposal.network.step.attempt); the resource is limited to this stage's schedule group, and the scheduler role it passes may only invoke the step functions.",
        appliesTo: [{ regex: "/^Resource::arn:<AWS::Partition>:scheduler:[^:]+:[^:]+:schedule\\/[^/]+-steps\\/\\*$/g" }],
      },
    ],
    true,
  );
}

/** Suppression for the webhook token secret, which rotates only together with its receiver. */
export function acknowledgeWebhookTokenRotation(secret: IConstruct): void {
  NagSuppressions.addResourceSuppressions(secret, [
    {
      id: "AwsSolutions-SMG4",
      reason: "A static shared token the webhook receiver checks: rotating it must update the receiver at the same moment, so it is rotated by hand (README: Deploy to AWS → webhook token).",
    },
  ]);
}

/** Suppression for the bucket that receives the anchor bucket's server access logs (logging it would recurse). */
export function acknowledgeAccessLogBucket(bucket: IConstruct): void {
  NagSuppressions.addResourceSuppressions(bucket, [
    { id: "AwsSolutions-S1", reason: "This bucket receives the audit anchor bucket's server access logs; logging the log bucket into itself or a third bucket would only repeat the same records." },
  ]);
}

/** Suppression for a function that reads (or writes new) anchor objects: anchors are named per tick and per proposal. */
export function acknowledgeAnchorObjects(role: IConstruct): void {
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: "AwsSolutions-IAM5",
        reason: "Anchor objects are named at run time (anchors/<seq>.json, heads/<proposal>/<seq>.json); the resource is this one bucket's objects, and the bucket policy denies deleting, unlocking or overwriting any of them.",
        appliesTo: [{ regex: "/^Resource::.*AnchorBucket.*\\/\\*$/g" }],
      },
    ],
    true,
  );
}

/**
 * Suppressions for the console's deploy-time handlers, which CDK creates once per stack: the file
 * deployment (copies the built console into its bucket) and the SDK call that sets the browser API's CORS.
 */
export function acknowledgeConsoleDeployment(stack: IConstruct): void {
  for (const child of stack.node.children) {
    if (child.node.id.startsWith("Custom::CDKBucketDeployment")) {
      NagSuppressions.addResourceSuppressions(
        child,
        [
          { id: "AwsSolutions-IAM4", reason: "CDK's file-deployment handler runs at deploy time only; the managed policy lets it write its own logs.", appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"] },
          {
            id: "AwsSolutions-IAM5",
            reason: "CDK grants the file deployment object-level wildcards on exactly two buckets: reading its uploaded build from the CDK asset bucket and writing the console's files bucket (the console's files are named by the build).",
            appliesTo: ["Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*", "Action::s3:DeleteObject*", "Action::s3:Abort*", { regex: "/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-[^/]+\\/\\*$/g" }, { regex: "/^Resource::<ConsoleFiles[A-Za-z0-9]+\\.Arn>\\/\\*$/g" }],
          },
          { id: "AwsSolutions-L1", reason: "CDK pins the runtime of its file-deployment handler (Python with the AWS CLI layer); it runs only at deploy time, never on a request." },
        ],
        true,
      );
    }
    if (child.node.id.startsWith("AWS679f53fac002430cb0da5b7982bd2287")) {
      NagSuppressions.addResourceSuppressions(
        child,
        [
          { id: "AwsSolutions-IAM4", reason: "CDK's SDK-call handler runs at deploy time only; the managed policy lets it write its own logs. Its one grant is apigateway:PATCH on the browser API.", appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"] },
          { id: "AwsSolutions-L1", reason: "CDK pins the runtime of its SDK-call handler; it runs only at deploy time, never on a request." },
        ],
        true,
      );
    }
  }
}

/** Suppressions for the console's distribution: its default domain and certificate, worldwide, static files only. */
export function acknowledgeConsoleDistribution(distribution: IConstruct): void {
  NagSuppressions.addResourceSuppressions(distribution, [
    {
      id: "AwsSolutions-CFR4",
      reason: "The console is served on CloudFront's default *.cloudfront.net domain, whose certificate CloudFront pins at TLSv1 minimum; browsers that open it negotiate TLS 1.2+ anyway, and a custom domain with its own certificate (TLSv1.2_2021) lifts it.",
    },
    { id: "AwsSolutions-CFR1", reason: "Operators of a protocol upgrade sit anywhere; the site holds static files only, and every data request goes to the browser API, which checks the OIDC token." },
    {
      id: "AwsSolutions-CFR2",
      reason: "The site serves static files only (no data, no writes); the browser API behind it is JWT-authorized and throttled (20 req/s, burst 40). A WAF web ACL can be attached where policy requires one.",
    },
  ]);
}
