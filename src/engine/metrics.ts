// The names of Spindle's operational metrics, shared by everything that reports them: the Lambda adapter's EMF and
// Powertools metrics (spindle/lambda re-exports this object), the `spindle` CLI's `list` summary, dashboards and alarms.
// One table of names, so a number in a terminal and a number on a CloudWatch graph are called the same.

/**
 * The metric names Spindle emits (namespace `Spindle`, dimension `service`); alarms, dashboards and the `spindle list`
 * summary use them.
 *
 * @example
 * ```ts
 * import { METRIC } from "spindle";
 * new DynamoDBStore({ client, tableName, onRetry: () => metrics.addMetric(METRIC.storeRetries, "Count", 1) });
 * ```
 */
export const METRIC = {
  completed: "TurnCompleted",
  suspended: "TurnSuspended",
  failed: "TurnFailed",
  busy: "TurnBusy",
  cancelled: "TurnCancelled",
  stuck: "StuckExecutions",
  wakeupLag: "WakeupLag",
  dueBacklog: "DueBacklog",
  wakeupsScheduled: "WakeupsScheduled",
  wakeupScheduleFailed: "WakeupScheduleFailed",
  /** Not counted by the handler: count your store's retries into the same metrics (DynamoDBStore's `onRetry`). */
  storeRetries: "StoreRetries",
} as const;
