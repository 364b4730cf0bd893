/**
 * PagerDuty and Slack in the stacks: switched on by deploy settings, their credentials SST secrets
 * (SSM SecureStrings) bound only to the functions that deliver alerts — never a value in the template —
 * and an alarm when an alert can't be delivered.
 */
import { ENV, MetricName } from "@payrox/functions";
import { beforeAll, describe, expect, it } from "vitest";
import { ApiStack } from "../ApiStack.js";
import { FunctionsStack } from "../FunctionsStack.js";
import { MonitoringStack } from "../MonitoringStack.js";
import { DEPLOY_ENV, readDeploySettings } from "../settings.js";
import { synthesize, type SynthesizedApp } from "./synth.js";
import { flat, grants, resourcesOf, resourceStrings, roleStatements } from "./template.js";

const RUNBOOKS = "https://github.com/acme/payrox/blob/main/packages/core/RUNBOOKS.md";
const EU = "https://events.eu.pagerduty.com/v2/enqueue";
let synthesized: SynthesizedApp;

beforeAll(async () => {
  synthesized = await synthesize("prod", { [DEPLOY_ENV.ALERT_PAGERDUTY]: "true", [DEPLOY_ENV.ALERT_SLACK]: "true", [DEPLOY_ENV.PAGERDUTY_EVENTS_URL]: EU, [DEPLOY_ENV.RUNBOOK_BASE_URL]: RUNBOOKS });
});

const parameterArns = (names: string[]) =>
  names.flatMap((name) => [`/sst/payrox/prod/Secret/${name}/value`, `/sst/payrox/.fallback/Secret/${name}/value`]).map((path) => `arn:aws:ssm:eu-west-1:123456789012:parameter${path}`).sort();
const ALERT_SECRETS = [ENV.PAGERDUTY_ROUTING_KEY, ENV.SLACK_WEBHOOK_URL];

describe("alert destinations in the stacks", () => {
  it("lets the watchdog read exactly the network config, the webhooks and the two destination secrets", () => {
    // Act
    const parameters = resourceStrings(grants(roleStatements(synthesized.template(FunctionsStack), "payrox-prod-watchdog-fn"), "ssm:GetParameters"));
    // Assess
    expect(parameters.sort()).toEqual(parameterArns([ENV.NETWORK_CONFIG, ENV.ALERT_WEBHOOKS, ...ALERT_SECRETS]));
  });

  it("binds the destination secrets to the steps and the watchdog (the functions that raise alerts), as SSM references only", () => {
    for (const [stack, fn] of [[FunctionsStack, "commit"], [FunctionsStack, "apply"], [FunctionsStack, "activate"], [FunctionsStack, "watchdog"]] as const) {
      // Act
      const template = synthesized.template(stack);
      const lambda = Object.values(resourcesOf(template, "AWS::Lambda::Function")).find((r) => r.FunctionName === `payrox-prod-${fn}`)!;
      const variables = lambda.Environment.Variables as Record<string, unknown>;
      const parameters = resourceStrings(grants(roleStatements(template, `payrox-prod-${fn}-fn`), "ssm:GetParameters"));
      // Assess
      for (const name of ALERT_SECRETS) {
        expect(variables[`SST_Secret_value_${name}`], `${fn} ${name}`).toBe("__FETCH_FROM_SSM__");
        expect(variables[name], `${fn} ${name} as a plain variable`).toBeUndefined();
        expect(parameters, fn).toEqual(expect.arrayContaining(parameterArns([name])));
      }
      expect(variables[ENV.PAGERDUTY_EVENTS_URL]).toBe(EU);
      expect(variables[ENV.RUNBOOK_BASE_URL]).toBe(RUNBOOKS);
    }
  });

  it("keeps them from the API function, which raises no alert", () => {
    const parameters = resourceStrings(grants(roleStatements(synthesized.template(ApiStack), "payrox-prod-api-fn"), "ssm:GetParameters"));
    for (const arn of parameterArns(ALERT_SECRETS)) expect(parameters).not.toContain(arn);
  });

  it("alarms to the alerts topic when an alert delivery fails for good", () => {
    const alarms = Object.values(resourcesOf(synthesized.template(MonitoringStack), "AWS::CloudWatch::Alarm"));
    const failed = alarms.find((a) => a.MetricName === MetricName.ALERT_DELIVERIES_FAILED);
    expect(failed).toMatchObject({ Namespace: "PayRox", Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold" });
    expect(failed?.Dimensions).toBeUndefined();
    expect(flat(failed?.AlarmActions)).toMatch(/Alerts/);
  });

  it("leaves cdk-nag with no new findings", () => {
    expect([FunctionsStack, ApiStack, MonitoringStack].flatMap((s) => synthesized.nagFindings(s))).toEqual([]);
  });
});

describe("readDeploySettings › alert destinations", () => {
  it("switches PagerDuty and Slack on only with \"true\", and refuses an events URL without PagerDuty", () => {
    expect(readDeploySettings({ [DEPLOY_ENV.ALERT_PAGERDUTY]: "true", [DEPLOY_ENV.ALERT_SLACK]: "false" })).toEqual({ apiAuthorization: { kind: "iam" }, alertPagerDuty: true });
    expect(() => readDeploySettings({ [DEPLOY_ENV.ALERT_SLACK]: "yes" })).toThrow(DEPLOY_ENV.ALERT_SLACK);
    expect(() => readDeploySettings({ [DEPLOY_ENV.PAGERDUTY_EVENTS_URL]: EU })).toThrow(/PAYROX_ALERT_PAGERDUTY/);
    expect(() => readDeploySettings({ [DEPLOY_ENV.RUNBOOK_BASE_URL]: `${RUNBOOKS}#x` })).toThrow(/fragment/);
  });
});
