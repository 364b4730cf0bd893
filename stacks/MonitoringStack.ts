/**
 * The stage's operations dashboard (dashboard.ts), and alarms to the alerts topic: each paging alert type
 * (`AlertsRaised` by `type`), an alert that could not be delivered (`AlertDeliveriesFailed`), an RPC
 * endpoint the quorum outvoted (`RpcDisagreements`), a chain watcher failing sweep after sweep
 * (`ChainWatchFailures`), every
 * function's errors and throttles, and the dead-letter queue's depth. Metric names come from
 * functions/src/metric-names.ts, the module the functions emit with.
 */
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import { METRIC_NAMESPACE, MetricDimension, MetricName, PagingAlertType } from "@payrox/functions";
import { use, type StackContext } from "sst/constructs";
import { AnchorStack } from "./AnchorStack.js";
import { dashboardUrl, operationsDashboard } from "./dashboard.js";
import { ApiStack } from "./ApiStack.js";
import { EventsStack } from "./EventsStack.js";
import { FunctionsStack } from "./FunctionsStack.js";
import { resourceName } from "./naming.js";
import { SchedulerStack } from "./SchedulerStack.js";
import { StorageStack } from "./StorageStack.js";

/** The metric of one alert type, with exactly the dimensions the functions emit it with (`type`). */
export function alertMetric(type: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: MetricName.ALERTS_RAISED,
    dimensionsMap: { [MetricDimension.TYPE]: type },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(1),
  });
}

/** The operations dashboard, and alarms on alerts, function health and the DLQ. */
export function MonitoringStack({ app, stack }: StackContext) {
  const { topic } = use(EventsStack);
  const { deadLetterQueue, delayQueue } = use(SchedulerStack);
  const { table } = use(StorageStack);
  const { steps, watchdog } = use(FunctionsStack);
  const { handler: apiHandler } = use(ApiStack);
  const { anchor } = use(AnchorStack);
  const notify = new actions.SnsAction(topic);
  const alarms: cloudwatch.Alarm[] = [];
  const alarm = (id: string, metric: cloudwatch.IMetric, description: string) => {
    const created = new cloudwatch.Alarm(stack, id, {
      alarmName: resourceName(app, id),
      alarmDescription: description,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    created.addAlarmAction(notify);
    alarms.push(created);
    return created;
  };

  for (const type of Object.values(PagingAlertType)) alarm(`Alert-${type}`, alertMetric(type), `PayRox raised a ${type} alert`);
  for (const fn of [...Object.values(steps), watchdog, apiHandler, anchor]) {
    const name = fn.node.id;
    alarm(`${name}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }), `${name} function failed`);
    alarm(`${name}Throttles`, fn.metricThrottles({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }), `${name} function was throttled`);
  }
  alarm(
    "AlertDeliveryFailed",
    new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: MetricName.ALERT_DELIVERIES_FAILED, statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
    "an alert could not be delivered to a destination (refused, or out of attempts): see the dead letters and RUNBOOKS.md#alert-delivery-when-alerts-dont-arrive",
  );
  alarm(
    "RpcDisagreement",
    new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: MetricName.RPC_DISAGREEMENTS, statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
    "an RPC endpoint answered a quorum read differently from the others (outvoted: nothing was signed on it): the functions' log names it; see RUNBOOKS.md#provider-disagreement-no-alert-type-a-step-error",
  );
  // One failed sweep is an RPC hiccup; fifteen in a row (the watchdog sweeps every minute) is a watcher that
  // has stopped alerting out-of-band events on some network.
  const watchStalled = new cloudwatch.Alarm(stack, "ChainWatchStalled", {
    alarmName: resourceName(app, "ChainWatchStalled"),
    alarmDescription: "the chain watcher could not read a network in every sweep for 15 minutes: out-of-band dispatcher events there are not alerted until it reads again (the watchdog's log names the network and the error)",
    metric: new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: MetricName.CHAIN_WATCH_FAILURES, statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1) }),
    threshold: 1,
    evaluationPeriods: 15,
    datapointsToAlarm: 15,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  watchStalled.addAlarmAction(notify);
  alarms.push(watchStalled);
  alarm("DeadLetters", deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }), "a step invocation failed every retry and is in the dead-letter queue");

  const dashboard = operationsDashboard(stack, {
    dashboardName: resourceName(app, "operations"),
    functions: Object.fromEntries([...Object.values(steps), watchdog, apiHandler, anchor].map((fn) => [fn.node.id, fn])),
    delayQueue,
    deadLetterQueue,
    table: table.cdk.table,
  });
  stack.addOutputs({ DashboardName: dashboard.dashboardName, DashboardUrl: dashboardUrl(stack.region, resourceName(app, "operations")) });

  return { alarms, dashboard };
}
