// What Spindle hands to a tracing backend: finished spans as plain data (ids, recorded times, attributes), and the
// hook through which `start` and `sendEvent` read the caller's trace context. The engine knows nothing of OpenTelemetry;
// `spindle/otel` turns these into OpenTelemetry spans, and any other backend can implement `Tracing` itself.

/**
 * One finished span. Its ids derive from the execution, run and operation (see `spindle/otel`), its times are the
 * recorded times of the events that opened and closed it (epoch ms), and it is handed over once in its lifetime.
 *
 * @example
 * ```ts
 * const tracing: Tracing = { emit: (span: SpindleSpan) => console.log(span.name, span.endTime - span.startTime) };
 * ```
 */
export interface SpindleSpan {
  /**
   * `workflow <name>`, `turn <name>`, or `<operation kind> <operation name>` (`step charge`, `sleep cool-off`); a group
   * without a name of its own is its kind (`all`).
   */
  name: string;
  /** 32 lowercase hex digits: derived from the execution id, or the caller's trace when one was recorded. */
  traceId: string;
  /** 16 lowercase hex digits, derived from execution, run, operation id (and attempt). */
  spanId: string;
  /** The parent's span id; absent for a run span started outside any trace. */
  parentSpanId?: string;
  /** W3C trace flags of the trace (1: sampled). */
  traceFlags: number;
  /** Recorded start (epoch ms). */
  startTime: number;
  /** Recorded end (epoch ms). */
  endTime: number;
  /** `spindle.workflow`, `spindle.execution_id`, `spindle.run_id`, `spindle.operation.*`, `spindle.attempt`, ... */
  attributes: Record<string, string | number>;
  /** Set when the operation failed: the span's status is an error. */
  error?: { code: string; message: string };
  /** Spans this one follows from: a received event links to the span that sent it. */
  links: { traceId: string; spanId: string; traceFlags: number }[];
}

/**
 * A tracing backend for `createEngine({ tracing })`. `spindle/otel`'s `otelTracing(tracer)` is the OpenTelemetry one.
 *
 * @example
 * ```ts
 * const spans: SpindleSpan[] = [];
 * const engine = createEngine({ store, workflows: [order], tracing: { emit: (span) => spans.push(span) } });
 * ```
 */
export interface Tracing {
  /**
   * Receives a span once, right after the store acknowledged the write that recorded its end. Called synchronously in
   * the turn; an exception is logged and ignored (tracing never fails a turn).
   */
  emit(span: SpindleSpan): void;
  /**
   * The caller's active trace context as a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), or undefined.
   * `start` records it in ExecutionStarted (the execution joins that trace) and `sendEvent` with the event (the wait
   * that receives it links to it).
   */
  traceparent?(): string | undefined;
  /**
   * Runs a step attempt's function with the attempt's span (`traceparent`, its derived ids) as the active context, so
   * spans the step starts (an HTTP client's) are its children. `otelTracing` does so when given `ids`.
   */
  activate?<T>(traceparent: string, fn: () => T): T;
}
