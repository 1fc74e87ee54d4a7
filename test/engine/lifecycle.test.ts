// The engine's lifecycle: idempotent start, input and output validation, cancellation with compensation, terminate,
// describe/list/history and external driving (the warm cache and operating concerns are in operating.test.ts).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  CancelledError,
  createEngine,
  ExecutionClosedError,
  ExecutionNotFoundError,
  IdempotencyConflictError,
  MemoryStore,
  now,
  random,
  setStatus,
  silentLogger,
  sleep,
  step,
  uuid,
  ValidationError,
  waitForEvent,
  workflow,
  WorkflowNotFoundError,
} from "spindle";
import { createTestEngine, VirtualClock } from "spindle/testing";

const greet = workflow(
  "greet",
  { input: z.object({ name: z.string().min(1) }), output: z.string() },
  async function* (input) {
    const text = yield* step("compose", () => `Hello, ${input.name}`);
    yield* sleep("1m");
    return text;
  },
);

describe("start", () => {
  it("is idempotent by id: the same request returns the existing execution", async () => {
    const t = createTestEngine({ workflows: [greet] });
    const first = await t.start(greet, { name: "Ada" }, { id: "g-1" });
    const again = await t.start(greet, { name: "Ada" }, { id: "g-1" });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.runId).toBe(first.runId);
    expect(await again.result()).toBe("Hello, Ada");
    expect((await t.history("g-1")).filter((e) => e.type === "ExecutionStarted")).toHaveLength(1);
  });

  it("refuses the id reused with another input or workflow with IdempotencyConflictError", async () => {
    const other = workflow("other", async function* () {});
    const t = createTestEngine({ workflows: [greet, other] });
    await t.start(greet, { name: "Ada" }, { id: "g-2" });
    await expect(t.start(greet, { name: "Bob" }, { id: "g-2" })).rejects.toBeInstanceOf(IdempotencyConflictError);
    await expect(t.start(other, undefined, { id: "g-2" })).rejects.toBeInstanceOf(IdempotencyConflictError);
  });

  it("refuses invalid input with ValidationError and records nothing", async () => {
    const t = createTestEngine({ workflows: [greet] });
    const error = await t.start(greet, { name: "" }, { id: "bad-1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/greet.*bad-1.*input schema/);
    expect(await t.store.get("bad-1")).toBeUndefined();
  });

  it("refuses a workflow that is not registered", async () => {
    const stray = workflow("stray", async function* () {});
    const t = createTestEngine({ workflows: [greet] });
    await expect(t.start(stray, undefined)).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await expect(t.start("nope", undefined)).rejects.toThrowError(/registered: greet/);
  });

  it("starts by workflow name too", async () => {
    const t = createTestEngine({ workflows: [greet] });
    const run = await t.start("greet", { name: "Cy" });
    expect(await run.result()).toBe("Hello, Cy");
  });

  it("fails the execution with ValidationError when the result breaks the output schema", async () => {
    const liar = workflow("liar", { output: z.number() }, async function* () {
      return "not a number" as unknown as number;
    });
    const t = createTestEngine({ workflows: [liar] });
    await expect((await t.start(liar, undefined)).result()).rejects.toBeInstanceOf(ValidationError);
  });
});

describe("cancel and terminate", () => {
  const booking = workflow("booking", async function* (_input, ctx) {
    yield* step("reserve", () => "seat-1");
    try {
      yield* waitForEvent("confirm", { timeout: "1d" });
      return "confirmed";
    } catch (error) {
      if (error instanceof CancelledError) {
        yield* step("release", () => "released");
        ctx.log.info("released the seat");
      }
      throw error;
    } finally {
      yield* setStatus("closed");
    }
  });

  it("surfaces CancelledError at the current wait; compensation runs; it ends cancelled", async () => {
    const t = createTestEngine({ workflows: [booking] });
    const run = await t.start(booking, undefined, { id: "b-1" });
    await t.advanceTime("1h");
    await t.cancel("b-1", "customer left");
    const error = await run.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    const history = await t.history("b-1");
    expect(history.map((e) => e.type)).toEqual([
      "ExecutionStarted",
      "StepCompleted",
      "WaitStarted",
      "CancelRequested",
      "StepCompleted",
      "StatusSet",
      "ExecutionCancelled",
    ]);
    expect(history[3]).toMatchObject({ opId: "1", reason: "customer left" });
    const description = await t.describe("b-1");
    expect(description).toMatchObject({ status: "cancelled", customStatus: "closed", waitingFor: [] });
    await t.cancel("b-1"); // cancelling again does nothing
    await expect(t.sendEvent("b-1", "confirm", {})).rejects.toBeInstanceOf(ExecutionClosedError);
  });

  it("surfaces a cancellation sent during a turn before the next step starts", async () => {
    let ran = 0;
    const chain = workflow("chain", async function* () {
      for (let i = 0; i < 5; i++) {
        yield* step(`s${i}`, async () => {
          ran++;
          if (i === 1) await t.cancel("c-1");
        });
      }
    });
    const t = createTestEngine({ workflows: [chain] });
    const run = await t.start(chain, undefined, { id: "c-1" });
    await expect(run.result()).rejects.toBeInstanceOf(CancelledError);
    expect(ran).toBe(2);
  });

  it("terminate ends the execution at once with no workflow code run", async () => {
    let compensated = false;
    const wf = workflow("term", async function* () {
      try {
        yield* sleep("1d");
      } finally {
        compensated = yield* step("cleanup", () => true);
      }
    });
    const t = createTestEngine({ workflows: [wf] });
    const run = await t.start(wf, undefined, { id: "t-1" });
    await t.idle();
    await t.terminate("t-1", "bad deploy");
    await expect(run.result()).rejects.toThrowError(/terminated/);
    expect(compensated).toBe(false);
    expect((await t.describe("t-1")).status).toBe("terminated");
    expect((await t.history("t-1")).at(-1)).toMatchObject({ type: "ExecutionCancelled", terminated: true, reason: "bad deploy" });
    await t.advanceTime("2d");
    expect((await t.history("t-1")).at(-1)!.type).toBe("ExecutionCancelled");
    await t.terminate("t-1"); // again: nothing happens
  });

  it("refuses to cancel or terminate a completed execution, and an unknown one", async () => {
    const t = createTestEngine({ workflows: [greet] });
    await (await t.start(greet, { name: "Ada" }, { id: "done" })).result();
    await expect(t.cancel("done")).rejects.toBeInstanceOf(ExecutionClosedError);
    await expect(t.terminate("done")).rejects.toBeInstanceOf(ExecutionClosedError);
    await expect(t.cancel("missing")).rejects.toBeInstanceOf(ExecutionNotFoundError);
  });
});

describe("describe, list and history", () => {
  it("describes status, custom status, waits and wake-up time as the execution moves", async () => {
    const wf = workflow("stages", async function* () {
      yield* setStatus({ stage: "quoting" });
      yield* sleep("2h");
      yield* setStatus({ stage: "paying" });
      const paid = yield* waitForEvent<{ ref: string }>("paid");
      return paid.ref;
    });
    const t = createTestEngine({ workflows: [wf] });
    const start = t.clock.now();
    await t.start(wf, undefined, { id: "d-1" });
    const sleeping = await t.describe("d-1");
    expect(sleeping).toMatchObject({ id: "d-1", workflow: "stages", status: "suspended", customStatus: { stage: "quoting" } });
    expect(sleeping.waitingFor).toEqual([{ kind: "timer", name: "sleep", opId: "1", until: new Date(start + 7_200_000) }]);
    expect(sleeping.wakeAt).toEqual(new Date(start + 7_200_000));
    await t.advanceTime("2h");
    const waiting = await t.describe("d-1");
    expect(waiting).toMatchObject({ customStatus: { stage: "paying" }, waitingFor: [{ kind: "event", name: "paid" }] });
    expect(waiting.wakeAt).toBeUndefined();
    await t.sendEvent("d-1", "paid", { ref: "r-1" });
    expect(await t.result("d-1")).toBe("r-1");
    const done = await t.describe("d-1");
    expect(done).toMatchObject({ status: "completed", result: "r-1", waitingFor: [], historyLength: 8 });
  });

  it("lists executions by status and workflow", async () => {
    const waiter = workflow("waiter", async function* () {
      yield* waitForEvent("go");
    });
    const t = createTestEngine({ workflows: [greet, waiter] });
    await (await t.start(greet, { name: "A" }, { id: "l-1" })).result();
    await t.start(waiter, undefined, { id: "l-2" });
    await t.start(waiter, undefined, { id: "l-3" });
    const suspended = await t.list({ status: "suspended", workflow: "waiter" });
    expect(suspended.executions.map((e) => e.id).sort()).toEqual(["l-2", "l-3"]);
    expect((await t.list({ status: "completed" })).executions.map((e) => e.id)).toEqual(["l-1"]);
  });

  it("returns history copies that cannot change what is stored", async () => {
    const t = createTestEngine({ workflows: [greet] });
    await (await t.start(greet, { name: "A" }, { id: "h-1" })).result();
    const history = await t.history("h-1");
    (history[1] as { name: string }).name = "tampered";
    expect((await t.history("h-1"))[1]!.name).toBe("compose");
    await expect(t.history("nope")).rejects.toBeInstanceOf(ExecutionNotFoundError);
    await expect(t.describe("nope")).rejects.toBeInstanceOf(ExecutionNotFoundError);
  });
});

describe("deterministic values", () => {
  it("records now, random and uuid once and replays the same values", async () => {
    const seen: unknown[] = [];
    const wf = workflow("values", async function* () {
      const values = [(yield* now()).toISOString(), yield* random(), yield* uuid()];
      seen.push(values);
      yield* sleep("1h");
      return values;
    });
    // It counts the body's runs: the test engine's cold-replay check would add its own.
    const t = createTestEngine({ workflows: [wf], cacheSize: 0, checkReplay: false });
    const result = (await (await t.start(wf, undefined)).result()) as [string, number, string];
    expect(seen).toEqual([result, result]);
    expect(result[0]).toBe("2026-01-01T00:00:00.000Z");
    expect(result[1]).toBeGreaterThanOrEqual(0);
    expect(result[2]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("external mode", () => {
  it("runs turns only on resume and resumeDue, and wakes timers when they are due", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const engine = createEngine({ store, workflows: [greet], clock, mode: "external", logger: silentLogger });
    await engine.start(greet, { name: "Ext" }, { id: "x-1" });
    expect((await engine.describe("x-1")).status).toBe("running");
    expect(await store.listDue(clock.now())).toEqual(["x-1"]);
    const turn = await engine.resume("x-1");
    expect(turn).toMatchObject({ status: "suspended", appended: 2, wakeAt: clock.now() + 60_000 });
    expect(await engine.resume("x-1")).toMatchObject({ status: "suspended", appended: 0 }); // early: harmless
    expect(await engine.resumeDue()).toEqual({ resumed: 0, busy: 0, failed: [], left: 0 });
    clock.set(clock.now() + 60_000);
    expect(await engine.resumeDue()).toEqual({ resumed: 1, busy: 0, failed: [], left: 0 });
    expect(await engine.result("x-1")).toBe("Hello, Ext");
    expect(clock.nextTimerAt()).toBeUndefined(); // external mode sets no timers of its own
  });

  it("makes an execution due when an event arrives for it", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const wf = workflow("ext-wait", async function* () {
      return yield* waitForEvent("go");
    });
    const engine = createEngine({ store, workflows: [wf], clock, mode: "external", logger: silentLogger });
    await engine.start(wf, undefined, { id: "x-2" });
    await engine.resumeDue();
    expect(await store.listDue(clock.now())).toEqual([]);
    await engine.sendEvent("x-2", "go", 7);
    expect(await store.listDue(clock.now())).toEqual(["x-2"]);
    await engine.resumeDue();
    expect(await engine.result("x-2")).toBe(7);
  });
});
