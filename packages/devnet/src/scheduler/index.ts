/** The local scheduler: due jobs in the single table, fired by a polling loop, with optional EventBridge-like jitter. */
export {
  LocalScheduler,
  type JobDispatch,
  type JobFiring,
  type JobOutcome,
  type LocalSchedulerOptions,
  type LocalSchedulerRetryOptions,
  type LocalSchedulerStartOptions,
} from "./local-scheduler.js";
export { fireTimeFor, minuteFloor, retryDelayMs, seededRandom, type JitterOption, type RandomSource } from "./fire-time.js";
export { ManualJobQueue } from "./manual-queue.js";
