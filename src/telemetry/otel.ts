// OpenTelemetry for Spindle (entry point `spindle/otel`; the only module that imports @opentelemetry/api, an optional
// peer dependency). otelTracing() turns the spans the engine emits into OpenTelemetry spans on the user's tracer,
// with their recorded start and end times; spindleIdGenerator() lets a TracerProvider use Spindle's derived ids.
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Attributes, Context, Link, Tracer } from "@opentelemetry/api";
import { randomBytes } from "node:crypto";
import { ValidationError } from "../errors.js";
import { formatTraceparent, parseTraceparent } from "./ids.js";
import type { SpindleSpan, Tracing } from "./span.js";

/**
 * An `IdGenerator` (the interface of `@opentelemetry/sdk-trace-base`) that hands out the ids Spindle derived for the
 * span it is starting, and random ids to every other span. Pass the same object to the TracerProvider
 * (`idGenerator`) and to `otelTracing` (`ids`).
 *
 * @example
 * ```ts
 * const ids = spindleIdGenerator();
 * const provider = new BasicTracerProvider({ idGenerator: ids, spanProcessors: [processor] });
 * const tracing = otelTracing(provider.getTracer("orders"), { ids });
 * ```
 */
export interface SpindleIdGenerator {
  generateTraceId(): string;
  generateSpanId(): string;
}

/** The ids queued for the span being started, per generator (set and cleared around one synchronous startSpan). */
const queued = new WeakMap<SpindleIdGenerator, { traceId?: string; spanId?: string }>();

/**
 * Creates the id generator for a TracerProvider that makes Spindle's span ids deterministic (see SpindleIdGenerator).
 *
 * @example
 * ```ts
 * const ids = spindleIdGenerator();
 * const provider = new NodeTracerProvider({ idGenerator: ids, spanProcessors: [new BatchSpanProcessor(exporter)] });
 * ```
 */
export function spindleIdGenerator(): SpindleIdGenerator {
  const slot: { traceId?: string; spanId?: string } = {};
  const generator: SpindleIdGenerator = {
    generateTraceId() {
      const id = slot.traceId;
      delete slot.traceId;
      return id ?? randomBytes(16).toString("hex");
    },
    generateSpanId() {
      const id = slot.spanId;
      delete slot.spanId;
      return id ?? randomBytes(8).toString("hex");
    },
  };
  queued.set(generator, slot);
  return generator;
}

/**
 * Options of `otelTracing`.
 *
 * @example
 * ```ts
 * const ids = spindleIdGenerator();
 * const options: OtelTracingOptions = { ids }; // the generator the TracerProvider was given as `idGenerator`
 * ```
 */
export interface OtelTracingOptions {
  /**
   * The generator given to the TracerProvider as `idGenerator`: span ids then are Spindle's derived ids, and a run
   * started outside any trace is a true root span. Without it span ids are random (trace ids and parent ids are
   * still derived) and such a run span hangs below a virtual parent span, the trace id's last 16 hex digits.
   */
  ids?: SpindleIdGenerator;
}

/**
 * OpenTelemetry tracing for `createEngine({ tracing })`: every span Spindle emits becomes a span on `tracer`, with
 * its recorded times, attributes, status and links; `start` and `sendEvent` record the active span's context.
 * @throws ValidationError when `tracer` is not a Tracer or `ids` did not come from spindleIdGenerator().
 * @example
 * ```ts
 * import { trace } from "@opentelemetry/api";
 * import { otelTracing } from "spindle/otel";
 * const engine = createEngine({ store, workflows: [order], tracing: otelTracing(trace.getTracer("orders")) });
 * ```
 */
export function otelTracing(tracer: Tracer, options: OtelTracingOptions = {}): Tracing {
  if (typeof tracer?.startSpan !== "function") {
    throw new ValidationError("otelTracing(tracer): `tracer` must be an OpenTelemetry Tracer, e.g. trace.getTracer(\"my-app\").");
  }
  const slot = options.ids === undefined ? undefined : queued.get(options.ids);
  if (options.ids !== undefined && slot === undefined) {
    throw new ValidationError("otelTracing(tracer, { ids }): `ids` must be the object spindleIdGenerator() returned, the one given to the TracerProvider.");
  }
  /** Set once a span came back with another id than the one queued: the provider does not use `ids`. */
  let idsIgnored = false;
  const tracing: Tracing = {
    emit(span: SpindleSpan): void {
      const parentSpanId = span.parentSpanId ?? (slot === undefined ? span.traceId.slice(16) : undefined);
      let parent: Context = ROOT_CONTEXT;
      if (parentSpanId !== undefined) {
        parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: span.traceId, spanId: parentSpanId, traceFlags: span.traceFlags, isRemote: true });
      }
      const links: Link[] = span.links.map((link) => ({ context: { ...link, isRemote: true } }));
      if (slot !== undefined) {
        slot.traceId = span.traceId;
        slot.spanId = span.spanId;
      }
      try {
        const started = tracer.startSpan(
          span.name,
          { kind: SpanKind.INTERNAL, startTime: span.startTime, attributes: span.attributes as Attributes, links, root: parentSpanId === undefined },
          parent,
        );
        if (span.error !== undefined) started.setStatus({ code: SpanStatusCode.ERROR, message: `${span.error.code}: ${span.error.message}` });
        started.end(span.endTime);
        if (slot !== undefined && !idsIgnored && started.spanContext().spanId !== span.spanId) {
          idsIgnored = true; // said once (the engine logs it); the spans still go out, with the provider's ids
          throw new ValidationError(
            `otelTracing(tracer, { ids }): span '${span.name}' of execution '${String(span.attributes["spindle.execution_id"])}' ` +
              "got an id the TracerProvider chose, not Spindle's: give the provider the same generator, " +
              "new BasicTracerProvider({ idGenerator: ids }), or leave `ids` out.",
          );
        }
      } finally {
        if (slot !== undefined) {
          delete slot.traceId;
          delete slot.spanId;
        }
      }
    },
    traceparent(): string | undefined {
      const active = trace.getSpanContext(context.active());
      if (active === undefined || !trace.isSpanContextValid(active)) return undefined;
      return formatTraceparent(active);
    },
  };
  // Only with derived span ids is the attempt's span, emitted later, the parent the step's own spans point to.
  if (slot !== undefined) {
    tracing.activate = <T>(traceparent: string, fn: () => T): T => {
      const parsed = parseTraceparent(traceparent);
      if (parsed === undefined) return fn();
      const attempt = trace.setSpanContext(context.active(), { ...parsed, isRemote: false });
      return context.with(attempt, fn);
    };
  }
  return tracing;
}
