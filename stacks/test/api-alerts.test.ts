import { API_ROUTE_KEYS, METRIC_NAMESPACE, MetricName, PagingAlertType } from "@payrox/functions";
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { API_THROTTLE, ApiStack } from "../ApiStack.js";
import { EventsStack, WEBHOOK_TOKEN_HEADER } from "../EventsStack.js";
import { MonitoringStack } from "../MonitoringStack.js";
import { synthesize, type SynthesizedApp } from "./synth.js";
import { flat, resourcesOf } from "./template.js";

const WEBHOOK = "https://hooks.example.com/payrox";
let synthesized: SynthesizedApp;
beforeAll(async () => {
  synthesized = await synthesize("prod", { PAYROX_ALERT_WEBHOOK_URL: WEBHOOK, PAYROX_ALERT_EMAIL: "oncall@example.com" });
});

describe("ApiStack", () => {
  let template: Template;
  beforeAll(() => {
    template = synthesized.template(ApiStack);
  });

  it("declares every route of the API function, each with IAM authorization", () => {
    // Act
    const routes = Object.values(resourcesOf(template, "AWS::ApiGatewayV2::Route"));

    // Assess
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([...API_ROUTE_KEYS].sort());
    for (const route of routes) expect(route.AuthorizationType).toBe("AWS_IAM");
    expect(Object.values(resourcesOf(template, "AWS::ApiGatewayV2::Api"))[0]!.ProtocolType).toBe("HTTP");
  });

  it("throttles the default stage and writes access logs to a retained log group", () => {
    // Act
    const [stage] = Object.values(resourcesOf(template, "AWS::ApiGatewayV2::Stage"));

    // Assess
    expect(stage!.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: API_THROTTLE.rate, ThrottlingBurstLimit: API_THROTTLE.burst });
    expect(flat(stage!.AccessLogSettings.DestinationArn)).toMatch(/^ApiLogGroup.*\.Arn$/);
    expect(stage!.AccessLogSettings.Format).toContain("requestId");
    const groups = Object.values(resourcesOf(template, "AWS::Logs::LogGroup"));
    expect(groups.every((g) => g.RetentionInDays === 365)).toBe(true);
  });

  it("runs the API function within API Gateway's 30 s and signs only with the emergency key", () => {
    // Act
    const fn = Object.values(resourcesOf(template, "AWS::Lambda::Function")).find((p) => p.FunctionName === "payrox-prod-api")!;

    // Assess
    expect(fn).toMatchObject({ Runtime: "nodejs22.x", Architectures: ["arm64"], Timeout: 29 });
    expect(flat(fn.Environment.Variables.PAYROX_SIGNER_KEY_ID)).toMatch(/KeysStack.*EmergencySigner/);
  });
});

describe("EventsStack", () => {
  let template: Template;
  beforeAll(() => {
    template = synthesized.template(EventsStack);
  });

  it("routes alert.raised events from the payrox source on the stage's bus to SNS and the webhook", () => {
    // Act
    const [rule] = Object.values(resourcesOf(template, "AWS::Events::Rule"));

    // Assess
    expect(Object.values(resourcesOf(template, "AWS::Events::EventBus")).map((b) => b.Name)).toEqual(["payrox-prod-events"]);
    expect(rule!.EventPattern).toEqual({ source: ["payrox"], "detail-type": ["alert.raised"] });
    expect(rule!.Targets.map((t: { Arn: unknown }) => flat(t.Arn)).sort()).toEqual([expect.stringMatching(/^Webhook.*\.Arn$/), expect.stringMatching(/^ref\(Alerts/)]);
  });

  it("posts to the configured webhook with a token header from Secrets Manager", () => {
    // Act
    const [destination] = Object.values(resourcesOf(template, "AWS::Events::ApiDestination"));
    const [connection] = Object.values(resourcesOf(template, "AWS::Events::Connection"));

    // Assess
    expect(destination).toMatchObject({ InvocationEndpoint: WEBHOOK, HttpMethod: "POST" });
    expect(connection!.AuthorizationType).toBe("API_KEY");
    expect(connection!.AuthParameters.ApiKeyAuthParameters.ApiKeyName).toBe(WEBHOOK_TOKEN_HEADER);
    expect(flat(connection!.AuthParameters.ApiKeyAuthParameters.ApiKeyValue)).toMatch(/resolve:secretsmanager:/);
  });

  it("encrypts the alerts topic with a rotating key and subscribes the on-call address", () => {
    // Act
    const [topic] = Object.values(resourcesOf(template, "AWS::SNS::Topic"));
    const [subscription] = Object.values(resourcesOf(template, "AWS::SNS::Subscription"));

    // Assess
    expect(flat(topic!.KmsMasterKeyId)).toMatch(/^AlertsTopicKey.*\.Arn$/);
    expect(Object.values(resourcesOf(template, "AWS::KMS::Key"))[0]!.EnableKeyRotation).toBe(true);
    expect(subscription).toMatchObject({ Protocol: "email", Endpoint: "oncall@example.com" });
  });
});

describe("MonitoringStack", () => {
  let alarms: Record<string, any>[];
  beforeAll(() => {
    alarms = Object.values(resourcesOf(synthesized.template(MonitoringStack), "AWS::CloudWatch::Alarm"));
  });

  it("alarms on AlertsRaised for each paging alert type with exactly the dimensions the functions emit (type only)", () => {
    // Act
    const onAlerts = alarms.filter((a) => a.MetricName === MetricName.ALERTS_RAISED);

    // Assess
    expect(onAlerts.map((a) => a.Dimensions.find((d: { Name: string }) => d.Name === "type").Value).sort()).toEqual(Object.values(PagingAlertType).sort());
    for (const alarm of onAlerts) {
      expect(alarm).toMatchObject({ Namespace: METRIC_NAMESPACE, Statistic: "Sum", Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold", TreatMissingData: "notBreaching" });
      expect(alarm.Dimensions).toEqual([{ Name: "type", Value: expect.any(String) }]);
    }
  });

  it("alarms on every function's errors and throttles and on the dead-letter queue's depth", () => {
    // Act
    const byMetric = (name: string) => alarms.filter((a) => a.MetricName === name).map((a) => a.AlarmName).sort();

    // Assess
    const fns = ["Activate", "Anchor", "Api", "Apply", "Commit", "Watchdog"];
    expect(byMetric("Errors")).toEqual(fns.map((f) => `payrox-prod-${f}FunctionErrors`));
    expect(byMetric("Throttles")).toEqual(fns.map((f) => `payrox-prod-${f}FunctionThrottles`));
    expect(byMetric("ApproximateNumberOfMessagesVisible")).toEqual(["payrox-prod-DeadLetters"]);
  });

  it("alarms on an RPC endpoint the quorum outvoted (RpcDisagreements, no dimensions: the log names it)", () => {
    const outvoted = alarms.find((a) => a.MetricName === MetricName.RPC_DISAGREEMENTS);
    expect(outvoted).toMatchObject({ Namespace: METRIC_NAMESPACE, Statistic: "Sum", Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold" });
    expect(outvoted?.Dimensions).toBeUndefined();
  });

  it("alarms when the chain watcher fails every sweep for 15 minutes (ChainWatchFailures), not on one failed sweep", () => {
    const stalled = alarms.find((a) => a.MetricName === MetricName.CHAIN_WATCH_FAILURES);
    expect(stalled).toMatchObject({ Namespace: METRIC_NAMESPACE, Statistic: "Sum", Period: 60, Threshold: 1, EvaluationPeriods: 15, DatapointsToAlarm: 15, TreatMissingData: "notBreaching" });
    expect(stalled?.Dimensions).toBeUndefined();
  });

  it("sends every alarm to the alerts topic", () => {
    for (const alarm of alarms) expect(alarm.AlarmActions.map(flat)).toEqual([expect.stringMatching(/^import\(prod-payrox-EventsStack:.*Alerts/)]);
  });
});
