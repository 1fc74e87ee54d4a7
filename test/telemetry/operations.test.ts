// Spans of the operations the saga test does not reach: a race (the winner's group settles early, the loser is
// dropped), a wait and a callback that time out, a step that fails for good and its rerun after a redrive (its own
// span ids: nothing emitted twice), a cancelled run; and trace context on DynamoDBStore as on MemoryStore (the
// inbox item's context comes back from the store and links the wait to the sender).
import { context, trace } from "@opentelemetry/api";
import { beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "spindle";
import { callback, createEngine, MemoryStore, race, silentLogger, sleep, step, TimeoutError, waitForEvent, workflow } from "spindle";
import { VirtualClock } from "spindle/testing";
import { bothStores } from "../dynamodb/helpers.js";
import { drive, installContextManager, memoryTracing, spans } from "./kit.js";

beforeAll(() => installContextManager());

/** Resumes, moving the clock to every wake-up (timeouts included), until the execution is closed. */
async function untilClosed(engine: Engine, clock: VirtualClock, id: string): Promise<string> {
  for (let turns = 0; turns < 30; turns++) {
    const turn = await engine.resume(id);
    if (turn.status !== "suspended" && turn.status !== "running") return turn.status;
    if (turn.status === "suspended") {
      if (turn.wakeAt === undefined) return turn.status;
      clock.set(Math.max(clock.now(), turn.wakeAt));
    }
  }
  throw new Error(`execution '${id}' did not close`);
}

describe("operation spans", () => {
  it("race, timeouts, a final failure, its redrive and a cancellation give these spans, each id once", async () => {
    const { exporter, tracing } = memoryTracing();
    const clock = new VirtualClock();
    const t0 = clock.now();
    const service = { down: true };
    const ops = workflow("ops", async function* () {
      yield* race([sleep("short", "1s"), waitForEvent("never")]);
      try {
        yield* waitForEvent("late", { timeout: "1m" });
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
      }
      try {
        yield* callback("approval", () => undefined, { timeout: "2m" });
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
      }
      return yield* step(
        "flaky",
        () => {
          if (service.down) throw new Error("down");
          return 1;
        },
        { retry: { maxAttempts: 1 } },
      );
    });
    const napper = workflow("napper", async function* () {
      yield* sleep("long", "1h");
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [ops, napper], clock, mode: "external", logger: silentLogger, tracing });
    await engine.start(ops, undefined, { id: "ops-1" });
    expect(await untilClosed(engine, clock, "ops-1")).toBe("failed");
    service.down = false;
    await engine.redrive("ops-1");
    expect(await untilClosed(engine, clock, "ops-1")).toBe("completed");
    await engine.start(napper, undefined, { id: "napper-1" });
    await engine.resume("napper-1");
    clock.set(clock.now() + 1000);
    await engine.cancel("napper-1", "stop");
    expect(await untilClosed(engine, clock, "napper-1")).toBe("cancelled");

    const all = spans(exporter);
    expect(all.filter((span) => span.kind !== "turn").map((span) => `${span.name} #${span.opId} ${span.outcome}${span.error ? ` ${span.error}` : ""} ${span.start - t0}..${span.end - t0}`)).toEqual([
      "sleep short #0.0.0 fired 0..1000",
      "waitForEvent never #0.1.0 dropped 0..1000",
      "race #0 settled 0..1000",
      "waitForEvent late #1 timed-out TIMEOUT 1000..61000",
      "step approval:send #2.0 completed 61000..61000",
      "callback approval #2 timed-out TIMEOUT 61000..181000",
      "step flaky #3 failed Error 181000..181000",
      "workflow ops #- failed STEP_FAILED 0..181000",
      "step flaky #3 completed 181000..181000",
      "workflow ops #- completed 181000..181000",
      "sleep long #0 cancelled CANCELLED 181000..182000",
      "workflow napper #- cancelled 181000..182000",
    ]);
    const ids = all.map((span) => span.spanId);
    expect(new Set(ids).size).toBe(ids.length);
    // After the redrive, the rerun attempt and the reopened run have ids of their own, and the attempt hangs below it.
    const [firstRun, redriven] = all.filter((span) => span.name === "workflow ops");
    const rerun = all.filter((span) => span.name === "step flaky")[1]!;
    expect(redriven!.spanId).not.toBe(firstRun!.spanId);
    expect(rerun.parent).toBe(redriven!.spanId);
  });
});

describe.each(bothStores("telemetry-context"))("trace context on %s", (_name, makeStore) => {
  it("an event sent inside a span reaches the wait's span as a link; the execution joins the starter's trace", async () => {
    const { exporter, provider, tracing } = memoryTracing();
    const clock = new VirtualClock();
    const waiter = workflow("waiter", async function* () {
      return yield* waitForEvent<string>("go");
    });
    const engine = createEngine({ store: makeStore(), workflows: [waiter], clock, mode: "external", logger: silentLogger, tracing });
    const id = `waiter-${process.pid}-${Date.now().toString(36)}`;
    const starter = provider.getTracer("http").startSpan("POST /waiters");
    await context.with(trace.setSpan(context.active(), starter), () => engine.start(waiter, undefined, { id }));
    starter.end();
    await drive(engine, clock, id);
    const sender = provider.getTracer("http").startSpan("POST /go");
    await context.with(trace.setSpan(context.active(), sender), () => engine.sendEvent(id, "go", "now"));
    sender.end();
    expect(await drive(engine, clock, id)).toBe("completed");

    const wait = exporter.getFinishedSpans().find((span) => span.name === "waitForEvent go")!;
    expect(wait.links.map((link) => link.context.spanId)).toEqual([sender.spanContext().spanId]);
    expect(wait.spanContext().traceId).toBe(starter.spanContext().traceId);
    const run = spans(exporter).find((span) => span.name === "workflow waiter")!;
    expect(run.parent).toBe(starter.spanContext().spanId);
  });
});
