// The spans of a saga with a retry, a timer, a wait, a callback, a child and a group: exactly one per step attempt,
// operation, turn and run, with the recorded times, the attributes and a parent tree whose ids derive from execution,
// run and operation id; nothing new on replay, in a later turn, or from another engine; the same trace and parents
// without spindleIdGenerator; a tracing backend that throws never fails a turn, and a provider that ignores the
// generator is reported.
import { SpanStatusCode } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import type { Engine, Tracing } from "spindle";
import { all, callback, child, createEngine, MemoryStore, silentLogger, sleep, step, waitForEvent, workflow } from "spindle";
import { otelTracing, spindleIdGenerator } from "spindle/otel";
import type { HistoryStore } from "spindle/store";
import { VirtualClock } from "spindle/testing";
import type { SpanView } from "./kit.js";
import { derivedSpanId, derivedTraceId, drive, memoryTracing, spans } from "./kit.js";

/** The saga: each step makes the virtual clock move, so every span has its own recorded times. */
function saga(clock: VirtualClock) {
  const tokens: string[] = [];
  const busy = (ms: number) => clock.set(clock.now() + ms);
  const pay = workflow("pay", async function* (input: { n: number }) {
    return yield* step("debit", () => {
      busy(30);
      return input.n * 2;
    });
  });
  const order = workflow("order", async function* () {
    yield* step("reserve", () => {
      busy(100);
      return "r";
    });
    yield* step(
      "charge",
      ({ attempt }) => {
        busy(50);
        if (attempt === 1) throw new Error("card declined");
        return "c";
      },
      { retry: { maxAttempts: 3, initialInterval: "1s" } },
    );
    yield* sleep("cool-off", "1m");
    yield* waitForEvent("approve", { timeout: "1h" });
    yield* callback("confirm", (token) => void tokens.push(token));
    const paid = yield* child(pay, { n: 2 }, { id: "order-1-pay" });
    const parts = yield* all([
      step("pack", () => {
        busy(10);
        return 1;
      }),
      step("label", () => 2),
    ]);
    return { paid, parts };
  });
  return { workflows: [order, pay], order, tokens, busy };
}

type Saga = ReturnType<typeof saga>;

/** Runs the saga to its end; `engineFor` gives the engine of each call (one engine, or a new one each time). */
async function runSaga(clock: VirtualClock, definitions: Saga, engineFor: (workflows: Saga["workflows"]) => Engine) {
  const { workflows, order, tokens, busy } = definitions;
  await engineFor(workflows).start(order, undefined, { id: "order-1" });
  await drive(engineFor(workflows), clock, "order-1");
  busy(5 * 60_000);
  await engineFor(workflows).sendEvent("order-1", "approve", { ok: true });
  await drive(engineFor(workflows), clock, "order-1");
  busy(2 * 60_000);
  await engineFor(workflows).completeCallback(tokens[0]!, "yes");
  await drive(engineFor(workflows), clock, "order-1");
  await drive(engineFor(workflows), clock, "order-1-pay");
  return drive(engineFor(workflows), clock, "order-1");
}

/** The saga run to its end on one traced engine over a MemoryStore: what the tests read afterwards. */
async function tracedSaga(options: { derivedIds?: boolean } = {}) {
  const { exporter, tracing } = memoryTracing(options);
  const clock = new VirtualClock();
  const t0 = clock.now();
  const store = new MemoryStore();
  const definitions = saga(clock);
  const engine = createEngine({ store, workflows: definitions.workflows, clock, mode: "external", logger: silentLogger, tracing });
  const status = await runSaga(clock, definitions, () => engine);
  return { exporter, tracing, clock, t0, store, definitions, engine, status, run: (await store.get("order-1"))!.runId };
}

/** A span as one line: name, operation id, attempt, outcome, error code, start and end (ms after `t0`). */
function line(span: SpanView, t0: number): string {
  return `${span.name} #${span.opId} a${span.attempt ?? "-"} ${span.outcome}${span.error ? ` ${span.error}` : ""} ${span.start - t0}..${span.end - t0}`;
}

/** Every span of the saga, in the order they end (ms after the start). */
const SAGA_SPANS = [
  "step reserve #0 a1 completed 0..100",
  "step charge #1 a1 retried Error 100..150",
  "turn order #- a- suspended 0..150",
  "step charge #1 a2 completed 1150..1200",
  "turn order #- a- suspended 1150..1200",
  "sleep cool-off #2 a- fired 1200..61200",
  "turn order #- a- suspended 61200..61200",
  "waitForEvent approve #3 a- received 61200..361200",
  "step confirm:send #4.0 a1 completed 361200..361200",
  "turn order #- a- suspended 361200..361200",
  "callback confirm #4 a- completed 361200..481200",
  "turn order #- a- suspended 481200..481200",
  "step debit #0 a1 completed 481200..481230",
  "workflow pay #- a- completed 481200..481230",
  "turn pay #- a- completed 481200..481230",
  "child pay #5 a- completed 481200..481230",
  "step pack #6.0.0 a1 completed 481230..481240",
  "step label #6.1.0 a1 completed 481240..481240",
  "all #6 a- completed 481230..481240",
  "workflow order #- a- completed 0..481240",
  "turn order #- a- completed 481230..481240",
];

describe("spans of a saga", () => {
  it("gives one span per step attempt, timer, wait, callback, child, group, turn and run, at the recorded times", async () => {
    const { exporter, t0, status, store } = await tracedSaga();
    expect(status).toBe("completed");
    const all = spans(exporter);
    expect(all.map((span) => line(span, t0))).toEqual(SAGA_SPANS);

    // One trace, derived from the execution id; ids derived from execution, run, operation id and attempt.
    const run = (await store.get("order-1"))!.runId;
    const childRun = (await store.get("order-1-pay"))!.runId;
    expect(new Set(all.map((span) => span.traceId))).toEqual(new Set([derivedTraceId("order-1")]));
    const byName = (name: string, attempt?: number) => all.find((span) => span.name === name && (attempt === undefined || span.attempt === attempt))!;
    const root = byName("workflow order");
    expect(root.spanId).toBe(derivedSpanId("order-1", run, "run"));
    expect(root.parent).toBeUndefined();
    expect(byName("step charge", 2).spanId).toBe(derivedSpanId("order-1", run, "1", 2));
    expect(byName("sleep cool-off").spanId).toBe(derivedSpanId("order-1", run, "2"));
    for (const name of ["step reserve", "step charge", "sleep cool-off", "waitForEvent approve", "callback confirm", "child pay", "all", "turn order"]) {
      expect(byName(name).parent, name).toBe(root.spanId);
    }
    expect(byName("step confirm:send").parent).toBe(byName("callback confirm").spanId);
    expect(byName("step pack").parent).toBe(byName("all").spanId);
    expect(byName("step label").parent).toBe(byName("all").spanId);
    // The child execution is in its parent's trace, under the operation that started it.
    expect(byName("workflow pay").parent).toBe(byName("child pay").spanId);
    expect(byName("workflow pay").spanId).toBe(derivedSpanId("order-1-pay", childRun, "run"));
    expect(byName("step debit").parent).toBe(byName("workflow pay").spanId);
  });

  it("sets the attributes and an error status on a failed attempt", async () => {
    const { exporter, run } = await tracedSaga();
    const failed = exporter.getFinishedSpans().find((span) => span.name === "step charge" && span.attributes["spindle.attempt"] === 1)!;
    expect(failed.attributes).toEqual({
      "spindle.workflow": "order",
      "spindle.execution_id": "order-1",
      "spindle.run_id": run,
      "spindle.operation.kind": "step",
      "spindle.operation.name": "charge",
      "spindle.operation.id": "1",
      "spindle.attempt": 1,
      "spindle.outcome": "retried",
      "spindle.error.code": "Error",
    });
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: "Error: card declined" });
    const completed = exporter.getFinishedSpans().find((span) => span.name === "step charge" && span.attributes["spindle.attempt"] === 2)!;
    expect(completed.status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe("spans are emitted once", () => {
  it("emits nothing when a finished execution is resumed, replayed by another engine, or its history read", async () => {
    const { exporter, tracing, clock, store, definitions, engine } = await tracedSaga();
    const workflows = definitions.workflows;
    const before = exporter.getFinishedSpans().length;
    const other = createEngine({ store, workflows, clock, mode: "external", logger: silentLogger, tracing, cacheSize: 0 });
    for (const id of ["order-1", "order-1-pay"]) {
      await engine.resume(id);
      await other.resume(id);
      await other.history(id);
      await other.describe(id);
    }
    expect(exporter.getFinishedSpans()).toHaveLength(before);
  });

  it("gives the same spans when every turn replays the history on a new engine (a new process)", async () => {
    const clock = new VirtualClock();
    const t0 = clock.now();
    const { exporter, tracing } = memoryTracing();
    const store: HistoryStore = new MemoryStore();
    const engines: Engine[] = [];
    const status = await runSaga(clock, saga(clock), (workflows) => {
      const engine = createEngine({ store, workflows, clock, mode: "external", logger: silentLogger, tracing, cacheSize: 0 });
      engines.push(engine);
      return engine;
    });
    expect(status).toBe("completed");
    expect(engines.length).toBeGreaterThan(5);
    const all = spans(exporter);
    expect(all.map((span) => line(span, t0))).toEqual(SAGA_SPANS);
    expect(new Set(all.map((span) => span.spanId)).size).toBe(all.length);
    // Every parent is a span of the set (the run spans excepted): the processes agree on every id.
    const ids = new Set(all.map((span) => span.spanId));
    for (const span of all) if (span.name !== "workflow order") expect(ids.has(span.parent!), span.name).toBe(true);
  });

  it("a span whose start and end were written by different engines is emitted once, by the one that wrote its end", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const first = memoryTracing();
    const second = memoryTracing();
    const timer = workflow("timer", async function* () {
      yield* sleep("wait", "1m");
      return yield* step("after", () => 1);
    });
    const engineA = createEngine({ store, workflows: [timer], clock, mode: "external", logger: silentLogger, tracing: first.tracing });
    const engineB = createEngine({ store, workflows: [timer], clock, mode: "external", logger: silentLogger, tracing: second.tracing });
    await engineA.start(timer, undefined, { id: "timer-1" });
    const turn = await engineA.resume("timer-1");
    clock.set(turn.wakeAt!);
    await engineB.resume("timer-1");
    expect(spans(first.exporter).map((span) => span.name)).toEqual(["turn timer"]);
    expect(spans(second.exporter).map((span) => span.name)).toEqual(["sleep wait", "step after", "workflow timer", "turn timer"]);
    const [sleepSpan] = spans(second.exporter);
    expect(sleepSpan!.end - sleepSpan!.start).toBe(60_000);
  });
});

describe("ids without spindleIdGenerator", () => {
  it("keeps the derived trace id and parent ids; span ids are the SDK's own", async () => {
    const { exporter, run } = await tracedSaga({ derivedIds: false });
    const all = spans(exporter);
    expect(all).toHaveLength(SAGA_SPANS.length);
    const traceId = derivedTraceId("order-1");
    expect(new Set(all.map((span) => span.traceId))).toEqual(new Set([traceId]));
    const reserve = all.find((span) => span.name === "step reserve")!;
    expect(reserve.parent).toBe(derivedSpanId("order-1", run, "run"));
    expect(reserve.spanId).not.toBe(derivedSpanId("order-1", run, "0", 1));
    // The run span hangs below a virtual parent (the trace id's last 16 digits): only so can the API set its trace.
    expect(all.find((span) => span.name === "workflow order")!.parent).toBe(traceId.slice(16));
  });
});

describe("a tracing backend that fails", () => {
  it("never fails a turn: the error is logged and the run goes on", async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const tracing: Tracing = {
      emit() {
        throw new Error("exporter down");
      },
    };
    const clock = new VirtualClock();
    const definitions = saga(clock);
    const engine = createEngine({ store: new MemoryStore(), workflows: definitions.workflows, clock, mode: "external", logger, tracing });
    expect(await runSaga(clock, definitions, () => engine)).toBe("completed");
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatch(/^Tracing of execution 'order-1' failed to emit a span: exporter down/);
  });

  it("is refused at createEngine when it has no emit function", () => {
    expect(() => createEngine({ store: new MemoryStore(), workflows: [], tracing: {} as Tracing })).toThrow(/`tracing` must have an emit\(span\) function/);
  });
});

describe("a provider that ignores the ids generator", () => {
  it("is reported once through the engine's logger; the spans still go out", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }); // no idGenerator
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const clock = new VirtualClock();
    const definitions = saga(clock);
    const tracing = otelTracing(provider.getTracer("t"), { ids: spindleIdGenerator() });
    const engine = createEngine({ store: new MemoryStore(), workflows: definitions.workflows, clock, mode: "external", logger, tracing });
    await runSaga(clock, definitions, () => engine);
    expect(exporter.getFinishedSpans()).toHaveLength(SAGA_SPANS.length);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/got an id the TracerProvider chose, not Spindle's: give the provider the same generator/);
  });
});
