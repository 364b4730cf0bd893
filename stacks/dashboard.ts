/**
 * The operations dashboard of one stage: step outcomes, gas against the planner's estimate, activation
 * lateness and alerts — PayRox's own metrics, found with SEARCH over exactly the names and dimension sets
 * the functions emit (functions/src/metric-names.ts), so one series appears per network, step or alert
 * type without the stack knowing the networks — next to the AWS metrics of its functions, queues and table.
 */
import { Duration, type Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { METRIC_NAMESPACE, MetricDimension, MetricName, StepOutcomeName } from "@payrox/functions";

const PERIOD = Duration.minutes(5);
const { STEP, NETWORK, OUTCOME, TYPE } = MetricDimension;

/** What the dashboard shows besides PayRox's own metrics. */
export interface OperationsDashboardProps {
  dashboardName: string;
  /** Every PayRox function, by its name in the stacks (commit, apply, activate, watchdog, api, anchor). */
  functions: Record<string, IFunction>;
  delayQueue: IQueue;
  deadLetterQueue: IQueue;
  table: ITable;
}

/**
 * A SEARCH over PayRox metric `metricName` with exactly the dimension set `dimensions` (a metric with
 * another set does not match), optionally narrowed to dimension values.
 */
export function payroxSearch(metricName: string, dimensions: readonly string[], statistic: string, label: string, filter: Record<string, string> = {}): cloudwatch.MathExpression {
  const schema = `{${[METRIC_NAMESPACE, ...dimensions].join(",")}}`;
  const narrow = Object.entries(filter).map(([name, value]) => ` ${name}="${value}"`).join("");
  return new cloudwatch.MathExpression({ expression: `SEARCH('${schema} MetricName="${metricName}"${narrow}', '${statistic}', ${PERIOD.toSeconds()})`, usingMetrics: {}, label, period: PERIOD });
}

/** Creates the dashboard in `stack`. */
export function operationsDashboard(stack: Stack, props: OperationsDashboardProps): cloudwatch.Dashboard {
  const graph = (title: string, left: cloudwatch.IMetric[], options: Partial<cloudwatch.GraphWidgetProps> = {}) => new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, period: PERIOD, ...options });
  const perFunction = (title: string, metric: (fn: IFunction) => cloudwatch.Metric) =>
    graph(title, Object.entries(props.functions).map(([name, fn]) => metric(fn).with({ label: name, period: PERIOD })));
  const outcome = (name: string) =>
    graph(`Step outcomes: ${name} (per network)`, [payroxSearch(MetricName.STEP_OUTCOMES, [NETWORK, OUTCOME], "Sum", "", { [OUTCOME]: name })], { width: 6, stacked: true });

  const dashboard = new cloudwatch.Dashboard(stack, "OperationsDashboard", { dashboardName: props.dashboardName, defaultInterval: Duration.hours(24) });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: `# PayRox operations\nPayRox's own metrics (namespace \`${METRIC_NAMESPACE}\`) appear per network, step or alert type once a function has emitted them. Alarms go to the alerts topic; runbooks: packages/core/RUNBOOKS.md.`,
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(...Object.values(StepOutcomeName).map(outcome));
  dashboard.addWidgets(
    graph("Gas used per step and network vs the planner's estimate", [
      payroxSearch(MetricName.GAS_USED, [STEP, NETWORK], "Maximum", "used"),
      payroxSearch(MetricName.PLANNED_GAS, [STEP, NETWORK], "Maximum", "planned"),
    ]),
    graph("Activation lateness after ETA (s)", [
      new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: MetricName.ACTIVATION_LATENESS_SECONDS, statistic: cloudwatch.Stats.MAXIMUM, label: "max", period: PERIOD }),
      new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: MetricName.ACTIVATION_LATENESS_SECONDS, statistic: cloudwatch.Stats.AVERAGE, label: "average", period: PERIOD }),
    ]),
    graph("Alerts raised by type", [payroxSearch(MetricName.ALERTS_RAISED, [TYPE], "Sum", "")], { stacked: true }),
  );
  dashboard.addWidgets(
    perFunction("Lambda errors", (fn) => fn.metricErrors({ statistic: cloudwatch.Stats.SUM })),
    perFunction("Lambda throttles", (fn) => fn.metricThrottles({ statistic: cloudwatch.Stats.SUM })),
    perFunction("Lambda duration (p99, ms)", (fn) => fn.metricDuration({ statistic: cloudwatch.Stats.p(99) })),
  );
  dashboard.addWidgets(
    graph("Delay queue: age of the oldest step (s)", [props.delayQueue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM, label: "delay queue", period: PERIOD })]),
    graph("Dead-letter queue depth", [props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, label: "dead letters", period: PERIOD })]),
    graph("DynamoDB throttles", [
      props.table.metric("ReadThrottleEvents", { statistic: cloudwatch.Stats.SUM, label: "read", period: PERIOD }),
      props.table.metric("WriteThrottleEvents", { statistic: cloudwatch.Stats.SUM, label: "write", period: PERIOD }),
    ]),
  );
  return dashboard;
}

/** The console address of dashboard `name` in `region`. */
export function dashboardUrl(region: string, name: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${name}`;
}
