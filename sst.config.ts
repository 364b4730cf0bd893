/**
 * SST v2 app: `npx sst deploy --stage <stage>` deploys these stacks in order (README "Deploy to AWS").
 * Stacks are tested offline in stacks/test (the sst CLI itself needs AWS).
 */
import type { SSTConfig } from "sst";
import { AnchorStack } from "./stacks/AnchorStack.js";
import { ApiStack } from "./stacks/ApiStack.js";
import { ConsoleStack } from "./stacks/ConsoleStack.js";
import { EventsStack } from "./stacks/EventsStack.js";
import { FunctionsStack } from "./stacks/FunctionsStack.js";
import { KeysStack } from "./stacks/KeysStack.js";
import { MonitoringStack } from "./stacks/MonitoringStack.js";
import { acknowledgeSstInternals } from "./stacks/nag.js";
import { isProtectedStage } from "./stacks/naming.js";
import { SchedulerStack } from "./stacks/SchedulerStack.js";
import { StorageStack } from "./stacks/StorageStack.js";

export default {
  config() {
    return { name: "payrox", region: process.env.AWS_REGION ?? "us-east-1" };
  },
  stacks(app) {
    // Throwaway stages leave nothing behind; protected stages keep what each stack marks as retained.
    if (!isProtectedStage(app.stage)) app.setDefaultRemovalPolicy("destroy");
    app.stack(StorageStack).stack(KeysStack).stack(SchedulerStack).stack(EventsStack).stack(FunctionsStack).stack(AnchorStack).stack(ApiStack).stack(MonitoringStack).stack(ConsoleStack);
    acknowledgeSstInternals(app);
  },
} satisfies SSTConfig;
