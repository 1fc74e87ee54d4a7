// The options of createLambdaHandler, checked once when the handler is made and turned into the settings it runs on.
import type { Duration } from "spindle";
import { toMillis, ValidationError } from "spindle";
import type { Route } from "./route.js";
import type { LambdaLogger, LambdaMetrics, LambdaTracer, LogLevel, LogLine } from "./telemetry.js";
import { logLevelFrom } from "./telemetry.js";

/**
 * A wake-up the handler asks the stack to deliver: resume `executionId` at `at` (epoch ms, the engine's clock).
 *
 * @example
 * ```ts
 * const scheduleWakeup = ({ executionId, delayMs }: Wakeup) =>
 *   sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ executionId }), DelaySeconds: Math.min(900, Math.ceil(delayMs / 1000)) }));
 * ```
 */
export interface Wakeup {
  executionId: string;
  at: number;
  /** `at` minus the engine's clock now, at least 0: what an SQS `DelaySeconds` is computed from. */
  delayMs: number;
}

/**
 * Options of `createLambdaHandler`.
 *
 * @example
 * ```ts
 * const options: LambdaHandlerOptions = { safetyMargin: "5s", maxWait: "10s", tickPeriod: "60s", logger, metrics, route, scheduleWakeup };
 * ```
 */
export interface LambdaHandlerOptions {
  /**
   * Time kept back at the end of every invocation: no step starts, and no running step is waited for, once less than
   * this remains; the turn writes what it has and the execution stays due. Cover your slowest store write. Default 5 s.
   */
  safetyMargin?: Duration;
  /**
   * A direct or SQS-triggered turn waits in the invocation for a timer due this soon (and before the margin) instead of
   * suspending, saving a cold resume. HTTP requests and schedule ticks never wait. Default 10 s; 0 turns it off.
   */
  maxWait?: Duration;
  /** Time an HTTP request may spend on the turn that follows its write, before it answers 202. Default 3 s. */
  httpTurnBudget?: Duration;
  /** After start, sendEvent, completeCallback, failCallback or cancel, run the execution's turn now. Default true. */
  runTurns?: boolean;
  /**
   * Most executions one schedule tick (or `resumeDue` invocation) takes. Default: none — a tick drains due executions
   * until its time budget (the invocation's remaining time less the safety margin) runs out.
   */
  resumeDueLimit?: number;
  /** Due executions a tick reads per page. Default 100. */
  resumeDuePageSize?: number;
  /** Turns a schedule tick runs at once. Default 10. */
  resumeDueConcurrency?: number;
  /** SQS messages of a standard queue handled at once. Default 10 (FIFO queues: one at a time, in order). */
  sqsConcurrency?: number;
  /** A prefix of every HTTP route (a custom domain's base path), e.g. `"/orders"`. Default none. */
  basePath?: string;
  /**
   * Maps events that are none of Spindle's own shapes (EventBridge rule events, S3 notifications, DynamoDB stream and
   * SQS records with your own bodies) to engine actions. An event nobody routes is thrown (a record of a batch is
   * reported failed), so it is retried and reaches the dead-letter queue or OnFailure destination. See `rule`.
   */
  route?: Route;
  /**
   * Asked to deliver a wake-up when a turn suspends on a timer due sooner than `tickPeriod` (or runs out of time), so
   * the execution does not wait for the next tick. Awaited before the invocation ends, bounded by `wakeupTimeout`; a
   * failure is logged and counted (`WakeupScheduleFailed`), never fails the invocation: the tick is the backstop.
   */
  scheduleWakeup?: (wakeup: Wakeup) => Promise<unknown> | unknown;
  /** The wake-up schedule's period: wake-ups due sooner go to `scheduleWakeup`. Default 60 s (`rate(1 minute)`). */
  tickPeriod?: Duration;
  /** How long a `scheduleWakeup` call may take before it counts as failed. Default 2 s. */
  wakeupTimeout?: Duration;
  /**
   * A Powertools-compatible logger (`@aws-lambda-powertools/logger`'s `Logger`, or anything with `debug`, `info`,
   * `warn` and `error`); it gets the invocation's context through `addContext` when it has one. Default: the built-in
   * JSON lines (see `log`).
   */
  logger?: LambdaLogger;
  /** Where the built-in JSON log lines go (one per turn, one per failure). Default: stdout; `false` for none. */
  log?: ((line: LogLine) => void) | false;
  /**
   * Lowest level the built-in lines keep. Default: `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls), else
   * `POWERTOOLS_LOG_LEVEL`, else `LOG_LEVEL`, else `INFO`.
   */
  logLevel?: LogLevel;
  /** The `service` of the built-in lines. Default: `POWERTOOLS_SERVICE_NAME`, else the function's name. */
  service?: string;
  /**
   * Where turn metrics go: `@aws-lambda-powertools/metrics`' `Metrics` (namespace `Spindle`), or `emfMetrics()`.
   * Stored metrics are published at the end of every invocation. Default: none.
   */
  metrics?: LambdaMetrics;
  /** `@aws-lambda-powertools/tracer`'s `Tracer`: cold start, service and execution id annotations. Default: none. */
  tracer?: LambdaTracer;
}

/** The options, checked. */
export interface Settings {
  safetyMarginMs: number;
  maxWaitMs: number;
  httpTurnBudgetMs: number;
  runTurns: boolean;
  resumeDueLimit: number | undefined;
  resumeDuePageSize: number;
  resumeDueConcurrency: number;
  sqsConcurrency: number;
  basePath: string;
  route: Route | undefined;
  scheduleWakeup: LambdaHandlerOptions["scheduleWakeup"];
  tickPeriodMs: number;
  wakeupTimeoutMs: number;
  logger: LambdaLogger | undefined;
  log: ((line: LogLine) => void) | false;
  logLevel: LogLevel;
  service: string;
  metrics: LambdaMetrics | undefined;
  tracer: LambdaTracer | undefined;
}

/**
 * Checks the options once, when the handler is made.
 * @throws ValidationError naming the option and what it takes.
 */
export function readOptions(options: LambdaHandlerOptions): Settings {
  const count = (value: number | undefined, fallback: number, what: string) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 1) throw new ValidationError(`createLambdaHandler: ${what} must be a whole number of at least 1, got ${value}.`);
    return value;
  };
  const basePath = (options.basePath ?? "").replace(/\/+$/, "");
  if (basePath !== "" && !basePath.startsWith("/")) {
    throw new ValidationError(`createLambdaHandler: basePath must start with "/", got '${options.basePath}'.`);
  }
  const route = options.route;
  if (route !== undefined && typeof route !== "function" && !Array.isArray(route)) {
    throw new ValidationError("createLambdaHandler: route must be a list of rules (rule(schema, to)) or a function (event) => action | undefined.");
  }
  for (const [name, value] of [["scheduleWakeup", options.scheduleWakeup], ["log", options.log || undefined]] as const) {
    if (value !== undefined && typeof value !== "function") throw new ValidationError(`createLambdaHandler: ${name} must be a function.`);
  }
  if (options.logger !== undefined && options.log !== undefined) {
    throw new ValidationError("createLambdaHandler: pass either logger (your own logger) or log (where the built-in lines go), not both.");
  }
  // Defaults are written in milliseconds: as text ("60s") each would be parsed, regular expression and all, on every
  // cold start.
  const tickPeriodMs = toMillis(options.tickPeriod ?? 60_000, "tickPeriod");
  if (tickPeriodMs <= 0) throw new ValidationError(`createLambdaHandler: tickPeriod must be longer than 0, got ${String(options.tickPeriod)}.`);
  const env = process.env;
  return {
    safetyMarginMs: toMillis(options.safetyMargin ?? 5_000, "safetyMargin"),
    maxWaitMs: toMillis(options.maxWait ?? 10_000, "maxWait"),
    httpTurnBudgetMs: toMillis(options.httpTurnBudget ?? 3_000, "httpTurnBudget"),
    runTurns: options.runTurns ?? true,
    resumeDueLimit: options.resumeDueLimit === undefined ? undefined : count(options.resumeDueLimit, 1, "resumeDueLimit"),
    resumeDuePageSize: count(options.resumeDuePageSize, 100, "resumeDuePageSize"),
    resumeDueConcurrency: count(options.resumeDueConcurrency, 10, "resumeDueConcurrency"),
    sqsConcurrency: count(options.sqsConcurrency, 10, "sqsConcurrency"),
    basePath,
    route,
    scheduleWakeup: options.scheduleWakeup,
    tickPeriodMs,
    wakeupTimeoutMs: toMillis(options.wakeupTimeout ?? 2_000, "wakeupTimeout"),
    logger: options.logger,
    log: options.log === false ? false : (options.log ?? ((line) => void process.stdout.write(`${JSON.stringify(line)}\n`))),
    logLevel: logLevelFrom(options.logLevel, env),
    service: options.service ?? env.POWERTOOLS_SERVICE_NAME ?? env.AWS_LAMBDA_FUNCTION_NAME ?? "spindle",
    metrics: options.metrics,
    tracer: options.tracer,
  };
}
