// Logs, metrics and traces of the Lambda handler, in the style of Powertools for AWS Lambda, without importing it:
// the options take any object shaped like Powertools' Logger, Metrics and Tracer. Without a logger, the handler writes
// its own JSON lines with the keys Powertools' logger uses (level, message, timestamp, service, cold_start,
// function_name, function_version, function_request_id, xray_trace_id), filtered by level. Metrics are counted per
// invocation and published at its end: turns by outcome, wake-up lag, the due backlog a tick left.
import type { TurnReport } from "spindle";
import { METRIC, ValidationError } from "spindle";
import type { Settings } from "./options.js";
import { errorFields } from "./outcomes.js";

/**
 * Log levels, lowest first (Powertools' names).
 *
 * @example
 * ```ts
 * createLambdaHandler(engine, { logLevel: "WARN" satisfies LogLevel });
 * ```
 */
export type LogLevel = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "CRITICAL" | "SILENT";
const LEVELS: Record<LogLevel, number> = { TRACE: 6, DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24, SILENT: 28 };

/**
 * One built-in log line: Powertools' keys (level, message, timestamp, service, cold_start, function_name, ...) and the
 * line's own fields.
 *
 * @example
 * ```ts
 * createLambdaHandler(engine, { log: (line: LogLine) => lines.push(line) });
 * ```
 */
export type LogLine = Record<string, unknown> & { level: string; message: string };

/**
 * A Powertools-compatible logger: `@aws-lambda-powertools/logger`'s `Logger` fits.
 *
 * @example
 * ```ts
 * import { Logger } from "@aws-lambda-powertools/logger";
 * const handler = createLambdaHandler(engine, { logger: new Logger({ serviceName: "orders" }) });
 * ```
 */
export interface LambdaLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
  /** Called with the invocation's context at its start (Powertools adds cold start and the function's fields). */
  addContext?(context: never): void;
}

/**
 * A Powertools-compatible metrics sink: `@aws-lambda-powertools/metrics`' `Metrics`, or `emfMetrics()`.
 *
 * @example
 * ```ts
 * import { Metrics } from "@aws-lambda-powertools/metrics";
 * const metrics = new Metrics({ namespace: "Spindle", serviceName: "orders" });
 * ```
 */
export interface LambdaMetrics {
  addMetric(name: string, unit: "Count" | "Milliseconds", value: number): unknown;
  publishStoredMetrics(): unknown;
}

/**
 * A Powertools-compatible tracer: `@aws-lambda-powertools/tracer`'s `Tracer` fits.
 *
 * @example
 * ```ts
 * import { Tracer } from "@aws-lambda-powertools/tracer";
 * const tracer = new Tracer({ serviceName: "orders" });
 * ```
 */
export interface LambdaTracer {
  putAnnotation(key: string, value: string | number | boolean): void;
  putMetadata?(key: string, value: unknown): void;
  annotateColdStart?(): void;
  addServiceNameAnnotation?(): void;
}

/** The count each turn outcome adds to (running, terminated and stuck add none: a turn on a stuck execution runs nothing). */
const OUTCOME_METRIC: Record<string, string> = {
  completed: METRIC.completed,
  suspended: METRIC.suspended,
  failed: METRIC.failed,
  busy: METRIC.busy,
  cancelled: METRIC.cancelled,
};

/** What one invocation did, for its metrics and trace. */
export interface InvocationTelemetry {
  coldStart: boolean;
  requestId: string | undefined;
  functionName: string | undefined;
  functionVersion: string | undefined;
  counts: Map<string, number>;
  lags: number[];
  executions: Set<string>;
}

/** The part of the Lambda context the log lines read. */
interface ContextFields {
  awsRequestId?: string;
  functionName?: string;
  functionVersion?: string;
}

/**
 * The level the built-in lines keep: the option, else Lambda's, Powertools' or the generic environment variable.
 * @throws ValidationError for a level that is not one of LogLevel's.
 */
export function logLevelFrom(option: LogLevel | undefined, env: NodeJS.ProcessEnv): LogLevel {
  const chosen = option ?? env.AWS_LAMBDA_LOG_LEVEL ?? env.POWERTOOLS_LOG_LEVEL ?? env.LOG_LEVEL ?? "INFO";
  const level = chosen.toUpperCase() as LogLevel;
  if (!(level in LEVELS)) {
    throw new ValidationError(`createLambdaHandler: log level '${chosen}' is not one of ${Object.keys(LEVELS).join(", ")}.`);
  }
  return level;
}

/** The X-Ray trace id of the invocation (the Root of `_X_AMZN_TRACE_ID`), as Powertools reports it. */
function traceId(): string | undefined {
  const header = process.env._X_AMZN_TRACE_ID;
  if (!header) return undefined;
  return /(?:^|;)Root=([^;]+)/.exec(header)?.[1] ?? header;
}

/** The handler's logs, metrics and traces. */
export class Telemetry {
  private cold = process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== "provisioned-concurrency";
  private readonly threshold: number;

  constructor(
    private readonly settings: Pick<Settings, "logger" | "log" | "logLevel" | "service" | "metrics" | "tracer">,
  ) {
    this.threshold = LEVELS[settings.logLevel];
  }

  /** An invocation begins: the first of this container is its cold start. */
  begin(context: ContextFields | undefined): InvocationTelemetry {
    const coldStart = this.cold;
    this.cold = false;
    if (context !== undefined) this.settings.logger?.addContext?.(context as never);
    const tracer = this.settings.tracer;
    tracer?.annotateColdStart?.();
    tracer?.addServiceNameAnnotation?.();
    return {
      coldStart,
      requestId: context?.awsRequestId,
      functionName: context?.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: context?.functionVersion ?? process.env.AWS_LAMBDA_FUNCTION_VERSION,
      counts: new Map(),
      lags: [],
      executions: new Set(),
    };
  }

  /** Writes one line at `level`, through the logger when there is one. */
  log(level: "debug" | "info" | "warn" | "error", message: string, fields: Record<string, unknown>, invocation?: InvocationTelemetry): void {
    const logger = this.settings.logger;
    if (logger) {
      logger[level](message, fields);
      return;
    }
    const sink = this.settings.log;
    const upper = level.toUpperCase() as LogLevel;
    if (!sink || LEVELS[upper] < this.threshold) return;
    const line: LogLine = {
      level: upper,
      message,
      timestamp: new Date().toISOString(),
      service: this.settings.service,
      cold_start: invocation?.coldStart ?? false,
      function_name: invocation?.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME,
      function_version: invocation?.functionVersion ?? process.env.AWS_LAMBDA_FUNCTION_VERSION,
      function_request_id: invocation?.requestId,
      xray_trace_id: traceId(),
      ...fields,
    };
    for (const key of Object.keys(line)) if (line[key] === undefined) delete line[key];
    sink(line);
  }

  /** A turn of this invocation: its log line, and its outcome and lag counted. */
  turn(report: TurnReport, invocation: InvocationTelemetry): void {
    const fields: Record<string, unknown> = {
      executionId: report.executionId,
      workflow: report.workflow,
      outcome: report.outcome,
      appended: report.appended,
      replayed: report.replayed,
      durationMs: report.durationMs,
    };
    if (report.outOfTime) fields.outOfTime = true;
    if (report.dueAt !== undefined && report.startedAt !== undefined) {
      const lag = Math.max(0, report.startedAt - report.dueAt);
      fields.wakeupLagMs = lag;
      invocation.lags.push(lag);
    }
    if (report.error !== undefined) fields.error = errorFields(report.error);
    this.log(report.outcome === "failed" ? "error" : "info", "turn", fields, invocation);
    const name = OUTCOME_METRIC[report.outcome];
    if (name !== undefined) this.count(invocation, name);
    if (report.stuck === true) this.count(invocation, METRIC.stuck);
    invocation.executions.add(report.executionId);
  }

  /** Adds to one of the invocation's counts. */
  count(invocation: InvocationTelemetry, name: string, by = 1): void {
    invocation.counts.set(name, (invocation.counts.get(name) ?? 0) + by);
  }

  /** The invocation ends: its metrics are published and its trace annotated. Never throws. */
  end(invocation: InvocationTelemetry, dueBacklog: number | undefined): void {
    const { metrics, tracer } = this.settings;
    try {
      if (metrics) {
        for (const [name, value] of invocation.counts) metrics.addMetric(name, "Count", value);
        for (const lag of invocation.lags) metrics.addMetric(METRIC.wakeupLag, "Milliseconds", lag);
        if (dueBacklog !== undefined) metrics.addMetric(METRIC.dueBacklog, "Count", dueBacklog);
        metrics.publishStoredMetrics();
      }
      if (tracer) {
        tracer.putAnnotation("spindleTurns", [...invocation.counts].filter(([name]) => name.startsWith("Turn")).reduce((sum, [, n]) => sum + n, 0));
        if (invocation.executions.size === 1) tracer.putAnnotation("executionId", [...invocation.executions][0]!);
        tracer.putMetadata?.("spindle", { counts: Object.fromEntries(invocation.counts), executions: [...invocation.executions].slice(0, 50) });
      }
    } catch (error) {
      this.log("warn", "publishing telemetry failed", { error: errorFields(error) }, invocation);
    }
  }
}
