// Shared by the span tests: an OpenTelemetry SDK provider that keeps finished spans in memory (InMemorySpanExporter
// behind a SimpleSpanProcessor, so a span is exported the moment it ends), with or without Spindle's id generator,
// and a compact view of each span to compare whole sets.
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import { context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import type { Context, ContextManager } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Engine } from "spindle";
import { otelTracing, spindleIdGenerator } from "spindle/otel";
import type { Tracing } from "spindle/otel";
import type { VirtualClock } from "spindle/testing";

/** A provider exporting into memory; `derivedIds` installs spindleIdGenerator. */
export function memoryTracing(options: { derivedIds?: boolean } = {}): {
  exporter: InMemorySpanExporter;
  provider: BasicTracerProvider;
  tracing: Tracing;
} {
  const exporter = new InMemorySpanExporter();
  const ids = options.derivedIds === false ? undefined : spindleIdGenerator();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)], ...(ids ? { idGenerator: ids } : {}) });
  const tracing = otelTracing(provider.getTracer("spindle-test"), ids ? { ids } : {});
  return { exporter, provider, tracing };
}

/** One span as the tests compare it. */
export interface SpanView {
  name: string;
  kind: string;
  opId: string;
  attempt?: number;
  outcome: string;
  error?: string;
  start: number;
  end: number;
  traceId: string;
  spanId: string;
  parent?: string;
}

function ms(time: readonly [number, number]): number {
  return time[0] * 1000 + Math.round(time[1] / 1e6);
}

/** The compact view of a finished span. */
export function view(span: ReadableSpan): SpanView {
  const a = span.attributes;
  const result: SpanView = {
    name: span.name,
    kind: String(a["spindle.operation.kind"]),
    opId: String(a["spindle.operation.id"]),
    outcome: String(a["spindle.outcome"]),
    start: ms(span.startTime),
    end: ms(span.endTime),
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
  };
  if (a["spindle.attempt"] !== undefined) result.attempt = Number(a["spindle.attempt"]);
  if (a["spindle.error.code"] !== undefined) result.error = String(a["spindle.error.code"]);
  const parent = span.parentSpanContext?.spanId;
  if (parent !== undefined) result.parent = parent;
  return result;
}

/** Every span exported so far, in the order they ended. */
export function spans(exporter: InMemorySpanExporter): SpanView[] {
  return exporter.getFinishedSpans().map(view);
}

/**
 * Runs turns, moving the virtual clock to each timer or retry, until the execution is closed or waits for something
 * from outside (an event, a callback, a child).
 */
export async function drive(engine: Engine, clock: VirtualClock, id: string, maxTurns = 50): Promise<string> {
  for (let turns = 0; turns < maxTurns; turns++) {
    const turn = await engine.resume(id);
    if (turn.status !== "suspended" && turn.status !== "running") return turn.status;
    if (turn.status === "suspended") {
      if (turn.wakeAt === undefined || turn.waitingFor.some((wait) => wait.kind !== "timer" && wait.kind !== "retry")) return turn.status;
      clock.set(Math.max(clock.now(), turn.wakeAt));
    }
  }
  throw new Error(`execution '${id}' did not settle`);
}


/**
 * A context manager on AsyncLocalStorage (what @opentelemetry/context-async-hooks does), so `context.active()` follows
 * awaits in the tests; installed once for the whole file.
 */
export function installContextManager(): void {
  const storage = new AsyncLocalStorage<Context>();
  const manager: ContextManager = {
    active: () => storage.getStore() ?? ROOT_CONTEXT,
    with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.call(thisArg, ...args)),
    bind: (_ctx, target) => target,
    enable() {
      return manager;
    },
    disable() {
      storage.disable();
      return manager;
    },
  };
  context.disable();
  context.setGlobalContextManager(manager);
}

/** The derived ids, computed here independently of src/telemetry: SHA-256 over the parts, NUL-separated. */
export function derivedTraceId(executionId: string): string {
  return createHash("sha256").update("spindle.trace").update("\u0000").update(executionId).digest("hex").slice(0, 32);
}

export function derivedSpanId(...parts: (string | number)[]): string {
  const hash = createHash("sha256").update("spindle.span");
  for (const part of parts) hash.update("\u0000").update(String(part));
  return hash.digest("hex").slice(0, 16);
}
