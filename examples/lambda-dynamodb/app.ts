// The access desk as one Lambda function: the security-approval workflow (examples/security-approval) on a
// DynamoDBStore, in an engine in external mode, behind createLambdaHandler. handler.ts builds it once at module scope
// from the environment; main.ts and the tests build it against DynamoDB Local with a virtual clock, so the same code
// is what runs in both places.
// Outside this repository, import from "spindle", "spindle/dynamodb" and "spindle/lambda".
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStore } from "../../adapters/dynamodb/index.js";
import type { LambdaHandlerOptions, LambdaLogger, LambdaMetrics, LambdaTracer, SpindleLambdaHandler, Wakeup } from "../../adapters/lambda/index.js";
import { createLambdaHandler, METRIC } from "../../adapters/lambda/index.js";
import type { Clock, Engine, Logger } from "../../src/index.js";
import { createEngine } from "../../src/index.js";
import type { AccessServices } from "../security-approval/security-approval.workflow.js";
import { accessRequestWorkflow } from "../security-approval/security-approval.workflow.js";

/**
 * How long a dead invocation's lease keeps others out of its execution. A live turn renews its lease every half of
 * this while its steps run and releases it with its last write, and no turn outlives the function's 60 s timeout
 * (the handler stops it before), so this only bounds how soon an execution whose invocation was killed (timeout,
 * out of memory, a crashed runtime) is picked up again: at the first schedule tick after the lease ends. It must be
 * well above the slowest single store write plus a renewal; 2 minutes is twice the function timeout.
 */
export const STALE_TURN_TIMEOUT = "2m";

/** The handler's options, shared by the deployed function and the local run. */
export const HANDLER_OPTIONS = {
  // Slower than DynamoDB's p99 write with the store's retries; the turn stops this long before Lambda would kill it.
  safetyMargin: "5s",
  // A direct or SQS-triggered turn waits in the invocation for a timer due within 10 s rather than suspending.
  maxWait: "10s",
  // An HTTP caller gets its 202 within about 3 s; a longer turn is finished by the next schedule tick.
  httpTurnBudget: "3s",
  // The wake-up schedule's period (template.yaml: rate(1 minute)); sooner wake-ups go to scheduleWakeup.
  tickPeriod: "60s",
} as const satisfies LambdaHandlerOptions;

/** The most SQS can delay a message. */
const MAX_DELAY_SECONDS = 900;

/**
 * The SQS message that wakes an execution: the resume queue's own message shape, `{ "executionId": "..." }`, held
 * back until `at` (whole seconds, rounded up so it never comes early; at most SQS's 900 s, beyond which the schedule
 * tick wakes it anyway).
 */
export function wakeupMessage(queueUrl: string, wakeup: Wakeup): { QueueUrl: string; MessageBody: string; DelaySeconds: number } {
  const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(wakeup.delayMs / 1000)));
  return { QueueUrl: queueUrl, MessageBody: JSON.stringify({ executionId: wakeup.executionId }), DelaySeconds: delaySeconds };
}

/** What the desk is built from: the table, and (for local runs) a clock, the services and where logs go. */
export interface AccessDeskOptions {
  client: DynamoDBClient;
  tableName: string;
  services: AccessServices;
  clock?: Clock;
  /** The workflows' ctx.log lines. Default: the engine's JSON lines on the console. */
  logger?: Logger;
  /** The handler's built-in JSON lines (one per turn, one per failed request), when there is no `handlerLogger`. */
  log?: LambdaHandlerOptions["log"];
  /** The handler's logger (the deployed function: Powertools' Logger). */
  handlerLogger?: LambdaLogger;
  /** Turn metrics (the deployed function: Powertools' Metrics, namespace Spindle). */
  metrics?: LambdaMetrics;
  /** X-Ray annotations (the deployed function: Powertools' Tracer). */
  tracer?: LambdaTracer;
  /** Delivers near wake-ups (the deployed function: an SQS message with a delay, see `sqsWakeups`). */
  scheduleWakeup?: (wakeup: Wakeup) => Promise<unknown>;
  /** How long closed executions stay in the table (DynamoDB TTL). Default: kept. */
  retentionMs?: number;
}

/** One "container": the engine and the handler built on it. */
export interface AccessDesk {
  engine: Engine;
  handler: SpindleLambdaHandler;
  workflowName: string;
}

/** Builds the engine (external mode: Lambda has no timers of its own) and the handler. */
export function createAccessDesk(options: AccessDeskOptions): AccessDesk {
  const requestWorkflow = accessRequestWorkflow(options.services);
  const engine = createEngine({
    store: new DynamoDBStore({
      client: options.client,
      tableName: options.tableName,
      ...(options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs }),
      // Each retry of a throttled or failed DynamoDB call, published with the invocation's other metrics.
      ...(options.metrics === undefined ? {} : { onRetry: () => void options.metrics!.addMetric(METRIC.storeRetries, "Count", 1) }),
    }),
    workflows: [requestWorkflow],
    mode: "external",
    staleTurnTimeout: STALE_TURN_TIMEOUT,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const handler = createLambdaHandler(engine, {
    ...HANDLER_OPTIONS,
    ...(options.log === undefined ? {} : { log: options.log }),
    ...(options.handlerLogger === undefined ? {} : { logger: options.handlerLogger }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
    ...(options.scheduleWakeup === undefined ? {} : { scheduleWakeup: options.scheduleWakeup }),
  });
  return { engine, handler, workflowName: requestWorkflow.name };
}
