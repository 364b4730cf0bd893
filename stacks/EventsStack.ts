/**
 * Where alerts go: the EventBridge bus the functions publish domain events on, a rule matching
 * `alert.raised`, the alerts SNS topic (encrypted with a key CloudWatch and EventBridge may use), and
 * — when a webhook URL is configured — an API destination posting each alert to it with a token header.
 */
import { Duration, RemovalPolicy, SecretValue } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { DEFAULT_EVENT_SOURCE, DomainEventType } from "@payrox/aws";
import type { StackContext } from "sst/constructs";
import { acknowledgeWebhookTokenRotation } from "./nag.js";
import { isProtectedStage, resourceName } from "./naming.js";
import { readDeploySettings } from "./settings.js";

/** Header carrying the webhook token on every alert the API destination posts. */
export const WEBHOOK_TOKEN_HEADER = "X-PayRox-Webhook-Token";

/** The event pattern of alerts on the bus (what `EventBridgeAlertSink` publishes). */
export const ALERT_EVENT_PATTERN: events.EventPattern = { source: [DEFAULT_EVENT_SOURCE], detailType: [DomainEventType.ALERT_RAISED] };

/** Bus, alert rule, alerts topic and optional webhook destination. */
export function EventsStack({ app, stack }: StackContext) {
  const settings = readDeploySettings(process.env);
  const removalPolicy = isProtectedStage(app.stage) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

  const topicKey = new kms.Key(stack, "AlertsTopicKey", {
    description: `PayRox ${app.stage} alerts topic encryption`,
    enableKeyRotation: true,
    alias: `alias/${resourceName(app, "alerts-topic")}`,
    removalPolicy,
  });
  // Alarms and the alert rule publish to the encrypted topic: their services need the key.
  for (const service of ["cloudwatch.amazonaws.com", "events.amazonaws.com"]) {
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(service)],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
      }),
    );
  }
  const topic = new sns.Topic(stack, "Alerts", { topicName: resourceName(app, "alerts"), masterKey: topicKey, enforceSSL: true });
  if (settings.alertEmail) topic.addSubscription(new subscriptions.EmailSubscription(settings.alertEmail));

  const bus = new events.EventBus(stack, "Bus", { eventBusName: resourceName(app, "events") });
  const alertRule = new events.Rule(stack, "AlertRaised", { eventBus: bus, eventPattern: ALERT_EVENT_PATTERN, description: "PayRox alerts to the alerts topic and the webhook" });
  alertRule.addTarget(new targets.SnsTopic(topic, { retryAttempts: 8, maxEventAge: Duration.hours(24) }));

  let webhook: { destination: events.ApiDestination; token: secretsmanager.Secret } | undefined;
  if (settings.alertWebhookUrl) {
    const token = new secretsmanager.Secret(stack, "WebhookToken", {
      description: `PayRox ${app.stage}: value of the ${WEBHOOK_TOKEN_HEADER} header on alert webhooks; give it to the receiver`,
      generateSecretString: { excludePunctuation: true, passwordLength: 48 },
      removalPolicy,
    });
    acknowledgeWebhookTokenRotation(token);
    const connection = new events.Connection(stack, "WebhookConnection", {
      description: "PayRox alert webhook authentication",
      authorization: events.Authorization.apiKey(WEBHOOK_TOKEN_HEADER, SecretValue.secretsManager(token.secretArn)),
    });
    const destination = new events.ApiDestination(stack, "Webhook", {
      connection,
      endpoint: settings.alertWebhookUrl,
      httpMethod: events.HttpMethod.POST,
      rateLimitPerSecond: 10,
      description: "PayRox alerts webhook",
    });
    alertRule.addTarget(new targets.ApiDestination(destination, { retryAttempts: 8, maxEventAge: Duration.hours(24) }));
    webhook = { destination, token };
    stack.addOutputs({ WebhookTokenSecretArn: token.secretArn });
  }

  stack.addOutputs({ EventBusName: bus.eventBusName, AlertsTopicArn: topic.topicArn });
  return { bus, topic, alertRule, webhook };
}
