// Trace context across start, sendEvent, children and continueAsNew: an execution started inside a span joins that
// trace (ExecutionStarted.traceparent), a child records its parent operation's span, a run continued as new stays in
// the trace, and an event sent inside a span is linked from the wait that receives it (EventReceived.link). Also the
// spans a terminate ends, and what an engine without tracing records (no context at all).
import { beforeAll, describe, expect, it } from "vitest";
import { child, continueAsNew, createEngine, MemoryStore, silentLogger, sleep, step, waitForEvent, workflow } from "spindle";
import { createTestEngine, VirtualClock } from "spindle/testing";
import { context, trace } from "@opentelemetry/api";
import { derivedSpanId, drive, installContextManager, memoryTracing, spans } from "./kit.js";

beforeAll(() => installContextManager());

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

describe("trace context", () => {
  it("an execution started inside a span joins that trace, under that span; a continued run stays in it", async () => {
    const { exporter, provider, tracing } = memoryTracing();
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const loop = workflow("loop", async function* (round: number) {
      yield* step("work", () => round);
      if (round < 2) return yield* continueAsNew(round + 1);
      return round;
    });
    const engine = createEngine({ store, workflows: [loop], clock, mode: "external", logger: silentLogger, tracing });
    const request = provider.getTracer("http").startSpan("POST /loops");
    const caller = request.spanContext();
    await context.with(trace.setSpan(context.active(), request), () => engine.start(loop, 1, { id: "loop-1" }));
    request.end();
    const [started] = await engine.history("loop-1");
    expect(started).toMatchObject({ type: "ExecutionStarted", traceparent: `00-${caller.traceId}-${caller.spanId}-01` });
    expect(await drive(engine, clock, "loop-1")).toBe("completed");
    const [next] = await engine.history("loop-1");
    expect(next).toMatchObject({ type: "ExecutionStarted", traceparent: `00-${caller.traceId}-${caller.spanId}-01` });

    const runs = spans(exporter).filter((span) => span.name === "workflow loop");
    expect(runs.map((span) => span.outcome)).toEqual(["continued-as-new", "completed"]);
    for (const run of runs) {
      expect(run.traceId).toBe(caller.traceId);
      expect(run.parent).toBe(caller.spanId);
    }
    const works = spans(exporter).filter((span) => span.name === "step work");
    expect(works.map((span) => span.parent)).toEqual(runs.map((run) => run.spanId));
    expect(new Set(spans(exporter).map((span) => span.traceId))).toEqual(new Set([caller.traceId]));
  });

  it("outside any span, nothing is recorded and the trace id derives from the execution id", async () => {
    const { tracing } = memoryTracing();
    const engine = createEngine({ store: new MemoryStore(), workflows: [workflow("plain", async function* () {})], mode: "external", logger: silentLogger, tracing });
    await engine.start("plain", undefined, { id: "plain-1" });
    const [started] = await engine.history("plain-1");
    expect(started).not.toHaveProperty("traceparent");
  });

  it("a child records its parent operation's span as its parent, in the parent's trace", async () => {
    const { exporter, tracing } = memoryTracing();
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const leaf = workflow("leaf", async function* () {
      return yield* step("leaf-step", () => "x");
    });
    const parent = workflow("parent", async function* () {
      return yield* child(leaf, undefined, { id: "parent-1-leaf" });
    });
    const engine = createEngine({ store, workflows: [parent, leaf], clock, mode: "external", logger: silentLogger, tracing });
    await engine.start(parent, undefined, { id: "parent-1" });
    await drive(engine, clock, "parent-1");
    await drive(engine, clock, "parent-1-leaf");
    expect(await drive(engine, clock, "parent-1")).toBe("completed");
    const parentRun = (await store.get("parent-1"))!.runId;
    const [started] = await engine.history("parent-1-leaf");
    const childOp = derivedSpanId("parent-1", parentRun, "0");
    expect(started).toMatchObject({ type: "ExecutionStarted" });
    expect((started as { traceparent: string }).traceparent).toMatch(TRACEPARENT);
    expect((started as { traceparent: string }).traceparent.split("-")[2]).toBe(childOp);
    const all = spans(exporter);
    expect(all.find((span) => span.name === "child leaf")!.spanId).toBe(childOp);
    expect(all.find((span) => span.name === "workflow leaf")!.parent).toBe(childOp);
    expect(new Set(all.map((span) => span.traceId)).size).toBe(1);
  });

  it("an event sent inside a span is linked from the wait that receives it", async () => {
    const { exporter, provider, tracing } = memoryTracing();
    const clock = new VirtualClock();
    const waiter = workflow("waiter", async function* () {
      return yield* waitForEvent<string>("go");
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [waiter], clock, mode: "external", logger: silentLogger, tracing });
    await engine.start(waiter, undefined, { id: "waiter-1" });
    await drive(engine, clock, "waiter-1");
    const sender = provider.getTracer("webhook").startSpan("POST /go");
    await context.with(trace.setSpan(context.active(), sender), () => engine.sendEvent("waiter-1", "go", "now"));
    sender.end();
    expect(await drive(engine, clock, "waiter-1")).toBe("completed");
    const received = (await engine.history("waiter-1")).find((event) => event.type === "EventReceived");
    const { traceId, spanId } = sender.spanContext();
    expect(received).toMatchObject({ link: `00-${traceId}-${spanId}-01` });
    const wait = exporter.getFinishedSpans().find((span) => span.name === "waitForEvent go")!;
    expect(wait.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([[traceId, spanId]]);
    // The wait stays in the execution's own trace: a link, not a parent.
    expect(wait.spanContext().traceId).not.toBe(traceId);
  });

  it("an engine without tracing records no context, even inside a span", async () => {
    const { provider } = memoryTracing();
    const waiter = workflow("waiter", async function* () {
      return yield* waitForEvent<string>("go");
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [waiter], mode: "external", logger: silentLogger });
    const span = provider.getTracer("http").startSpan("POST");
    await context.with(trace.setSpan(context.active(), span), async () => {
      await engine.start(waiter, undefined, { id: "waiter-2" });
      await engine.resume("waiter-2");
      await engine.sendEvent("waiter-2", "go", "now");
    });
    await engine.resume("waiter-2");
    const history = await engine.history("waiter-2");
    expect(history.some((event) => "traceparent" in event || "link" in event)).toBe(false);
  });
});

describe("terminate", () => {
  it("ends the run's span (terminated) and what was open (cancelled), once", async () => {
    const { exporter, tracing } = memoryTracing();
    const clock = new VirtualClock();
    const napper = workflow("napper", async function* () {
      yield* sleep("nap", "1h");
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [napper], clock, mode: "external", logger: silentLogger, tracing });
    await engine.start(napper, undefined, { id: "napper-1" });
    await engine.resume("napper-1");
    clock.set(clock.now() + 60_000);
    await engine.terminate("napper-1", "no longer needed");
    await engine.resume("napper-1");
    const ended = spans(exporter).filter((span) => span.kind !== "turn");
    expect(ended.map((span) => `${span.name} ${span.outcome} ${span.end - span.start}`)).toEqual([
      "sleep nap cancelled 60000",
      "workflow napper terminated 60000",
    ]);
  });
});

describe("the test engine", () => {
  it("emits spans at the virtual clock's recorded times", async () => {
    const { exporter, tracing } = memoryTracing();
    const timer = workflow("timer", async function* () {
      yield* sleep("day", "1d");
      return yield* step("after", () => 1);
    });
    const engine = createTestEngine({ workflows: [timer], tracing });
    const run = await engine.start(timer, undefined, { id: "timer-1" });
    await engine.advanceTime("1d");
    expect(await run.result()).toBe(1);
    const day = spans(exporter).find((span) => span.name === "sleep day")!;
    expect(day.end - day.start).toBe(24 * 3600 * 1000);
    expect(spans(exporter).filter((span) => span.kind !== "turn").map((span) => span.name)).toEqual(["sleep day", "step after", "workflow timer"]);
  });
});

describe("inside a step", () => {
  it("spans the step starts are children of the attempt's span (with spindleIdGenerator)", async () => {
    const { exporter, provider, tracing } = memoryTracing();
    const clock = new VirtualClock();
    const http = provider.getTracer("http");
    const caller = workflow("caller", async function* () {
      return yield* step("fetch", async () => {
        const span = http.startSpan("GET /quote");
        await Promise.resolve();
        span.end();
        return trace.getActiveSpan()?.spanContext().spanId ?? "none";
      });
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [caller], clock, mode: "external", logger: silentLogger, tracing });
    await engine.start(caller, undefined, { id: "caller-1" });
    expect(await drive(engine, clock, "caller-1")).toBe("completed");
    const all = spans(exporter);
    const attempt = all.find((span) => span.name === "step fetch")!;
    const inner = all.find((span) => span.name === "GET /quote")!;
    expect(inner.parent).toBe(attempt.spanId);
    expect(inner.traceId).toBe(attempt.traceId);
    await expect((await engine.handle("caller-1")).result()).resolves.toBe(attempt.spanId);
  });

  it("without spindleIdGenerator the step runs in the caller's context (the attempt's span id is not known)", async () => {
    const { exporter, provider, tracing } = memoryTracing({ derivedIds: false });
    const http = provider.getTracer("http");
    const caller = workflow("caller", async function* () {
      return yield* step("fetch", () => {
        http.startSpan("GET /quote").end();
        return 1;
      });
    });
    const clock = new VirtualClock();
    const engine = createEngine({ store: new MemoryStore(), workflows: [caller], clock, mode: "external", logger: silentLogger, tracing });
    await engine.start(caller, undefined, { id: "caller-2" });
    await drive(engine, clock, "caller-2");
    expect(spans(exporter).find((span) => span.name === "GET /quote")!.parent).toBeUndefined();
  });
});
