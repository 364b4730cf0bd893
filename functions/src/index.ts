/** @payrox/functions — the Lambda entry points' building blocks, for the stack and tests. */
export { ENV, readEnv, EnvConfigError, type EnvName, type FunctionsEnv } from "./env.js";
export { buildDeps, containerDeps, once, unconfiguredGateway, GatewayNotConfiguredError, type CompositionOverrides, type EventSourceFactory, type GatewayContext, type GatewayFactory } from "./composition.js";
export { alertSink, MeteredAlertSink } from "./alerting.js";
export { ALARMED_ALERT_TYPES, METRIC_NAMESPACE, MetricDimension, MetricName } from "./metric-names.js";
export { createApiHandler } from "./api.js";
export { createStepHandler, ScheduledJobSchema, type StepEvent } from "./step.js";
export { createWatchdogHandler } from "./watchdog.js";
export { MAX_BODY_BYTES } from "./api/schemas.js";
