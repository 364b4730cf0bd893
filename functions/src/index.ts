/** @payrox/functions — the Lambda entry points' building blocks, for the stack and tests. */
export { ENV, DEPLOYMENT_SIGNER, readEnv, EnvConfigError, type EnvName, type FunctionsEnv } from "./env.js";
export { buildDeps, containerDeps, once, withDeploymentSigner, unconfiguredGateway, GatewayNotConfiguredError, type CompositionOverrides, type EventSourceFactory, type GatewayContext, type GatewayFactory } from "./composition.js";
export { alertDelivery, alertSink, EVENT_BUS_DESTINATION, MeteredAlertSink, type AlertDeliveryOptions } from "./alerting.js";
export { createApiHandler } from "./api.js";
export { createStepHandler, ScheduledJobSchema, type StepEvent } from "./step.js";
export { createWatchdogHandler } from "./watchdog.js";
export { createAnchorHandler, type AnchorResult } from "./anchor.js";
export { MAX_BODY_BYTES } from "./api/schemas.js";
export { loadBoundSecrets, secretParameterPaths, withBoundSecrets, SecretNotSetError, SST_FETCH_PLACEHOLDER, type ParameterReader } from "./secrets.js";
export { ALARMED_ALERT_TYPES, METRIC_NAMESPACE, METRIC_SERVICE, MetricName, MetricDimension, PagingAlertType, StepOutcomeName } from "./metric-names.js";
export { API_ROUTE_KEYS } from "./api/routes.js";
export { withGovernance, type DeploymentGovernance, type GovernedDeps } from "./governed-deps.js";
export { onceSucceeded } from "./memo.js";
