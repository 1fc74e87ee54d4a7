// Children, callbacks, continueAsNew, patched and sagas.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  callback,
  CallbackNotFoundError,
  CancelledError,
  child,
  continueAsNew,
  createEngine,
  IdempotencyConflictError,
  MemoryStore,
  patched,
  race,
  all,
  saga,
  silentLogger,
  sleep,
  startChild,
  step,
  StepFailedError,
  TimeoutError,
  ValidationError,
  waitForEvent,
  workflow,
} from "spindle";
import { createTestEngine, replayHistory, VirtualClock } from "spindle/testing";

const payment = workflow("payment", { input: z.object({ amount: z.number().positive() }) }, async function* (input) {
  yield* sleep("1m");
  if (input.amount > 100) {
    yield* step("charge", () => Promise.reject(new Error("limit exceeded")), { retry: { maxAttempts: 1 } });
  }
  return yield* step("charge", () => `charged ${input.amount}`);
});

describe("child workflows", () => {
  const order = workflow("order-with-child", async function* (amount: number) {
    try {
      return yield* child(payment, { amount });
    } catch (error) {
      return `failed: ${(error as StepFailedError).cause?.message ?? (error as Error).message}`;
    }
  });

  it("runs the child as its own execution with its own history, and waits for its result", async () => {
    const t = createTestEngine({ workflows: [order, payment] });
    expect(await (await t.start(order, 5, { id: "o-1" })).result()).toBe("charged 5");
    const started = (await t.history("o-1")).find((e) => e.type === "ChildStarted") as { childId: string };
    expect(started.childId).toMatch(/^o-1:.+:0$/);
    const kid = await t.describe(started.childId);
    expect(kid).toMatchObject({ workflow: "payment", status: "completed", result: "charged 5", parent: { executionId: "o-1", opId: "0" } });
    expect((await t.history(started.childId)).map((e) => e.type)).toContain("TimerFired");
  });

  it("throws the child's own error in the parent when the child fails", async () => {
    const t = createTestEngine({ workflows: [order, payment] });
    expect(await (await t.start(order, 500)).result()).toBe("failed: limit exceeded");
  });

  it("throws ValidationError at the child operation when the child's input fails its schema", async () => {
    const t = createTestEngine({ workflows: [order, payment] });
    expect(await (await t.start(order, -1)).result()).toMatch(/failed: .*input schema/);
  });

  it("cancels the children when the parent is cancelled", async () => {
    const t = createTestEngine({ workflows: [order, payment] });
    const run = await t.start(order, 5, { id: "o-2" });
    await t.idle();
    const childId = ((await t.history("o-2")).find((e) => e.type === "ChildStarted") as { childId: string }).childId;
    await t.cancel("o-2", "stop");
    expect(await run.result()).toMatch(/failed: .*cancelled/);
    expect((await t.describe(childId)).status).toBe("cancelled");
  });

  it("starts a detached child and goes on without waiting", async () => {
    const fire = workflow("fire-and-forget", async function* () {
      const { id } = yield* startChild(payment, { amount: 3 }, { id: "detached-1" });
      return id;
    });
    const t = createTestEngine({ workflows: [fire, payment] });
    expect(await (await t.start(fire, undefined)).result()).toBe("detached-1");
    expect((await t.describe("detached-1")).parent).toBeUndefined();
    expect(await t.result("detached-1")).toBe("charged 3");
  });

  it("refuses a child id taken by another execution with IdempotencyConflictError in the workflow", async () => {
    const clash = workflow("clash", async function* () {
      try {
        yield* child(payment, { amount: 9 }, { id: "taken" });
      } catch (error) {
        return error instanceof IdempotencyConflictError;
      }
    });
    const t = createTestEngine({ workflows: [clash, payment] });
    await t.start(payment, { amount: 1 }, { id: "taken" });
    expect(await (await t.start(clash, undefined)).result()).toBe(true);
  });
});

describe("callbacks", () => {
  const tokens: string[] = [];
  const approval = workflow(
    "approval",
    { callbacks: { decision: z.object({ approved: z.boolean() }) } },
    async function* () {
      try {
        const decision = yield* callback<{ approved: boolean }>("decision", (token) => tokens.push(token), { timeout: "1d" });
        return decision.approved ? "approved" : "rejected";
      } catch (error) {
        if (error instanceof TimeoutError) return "escalated";
        return `failed: ${(error as Error).name}: ${(error as Error).message}`;
      }
    },
  );

  async function started(id: string) {
    const t = createTestEngine({ workflows: [approval] });
    const run = await t.start(approval, undefined, { id });
    await t.idle();
    return { t, run, token: tokens.at(-1)! };
  }

  it("sends a one-time token through a step and returns the value it is completed with", async () => {
    const { t, run, token } = await started("cb-1");
    expect((await t.describe("cb-1")).waitingFor).toMatchObject([{ kind: "callback", name: "decision" }]);
    await t.completeCallback(token, { approved: true });
    expect(await run.result()).toBe("approved");
    const history = await t.history("cb-1");
    expect(history.map((e) => e.type)).toEqual(["ExecutionStarted", "CallbackCreated", "StepCompleted", "CallbackCompleted", "ExecutionCompleted"]);
  });

  it("refuses a used, unknown or expired token with CallbackNotFoundError", async () => {
    const { t, run, token } = await started("cb-2");
    await t.engine.completeCallback(token, { approved: false });
    await expect(t.engine.completeCallback(token, { approved: true })).rejects.toBeInstanceOf(CallbackNotFoundError);
    expect(await run.result()).toBe("rejected");
    await expect(t.engine.completeCallback("not-a-token", {})).rejects.toBeInstanceOf(CallbackNotFoundError);
    const late = await started("cb-3");
    expect(await late.run.result()).toBe("escalated");
    await expect(late.t.engine.completeCallback(late.token, { approved: true })).rejects.toThrowError(/execution 'cb-3', which is completed/);
  });

  it("refuses a value that fails the declared schema, stores nothing, and keeps the token valid", async () => {
    const { t, run, token } = await started("cb-4");
    await expect(t.engine.completeCallback(token, { approved: "yes" })).rejects.toBeInstanceOf(ValidationError);
    expect((await t.store.load("cb-4"))!.inbox).toEqual([]);
    await t.engine.completeCallback(token, { approved: true });
    expect(await run.result()).toBe("approved");
  });

  it("throws the given error in the workflow when the callback is failed", async () => {
    const { t, run, token } = await started("cb-5");
    await t.failCallback(token, { name: "Rejected", message: "the manager said no" });
    expect(await run.result()).toBe("failed: Rejected: the manager said no");
  });
});

describe("continueAsNew", () => {
  const counter = workflow("counter", async function* (total: number) {
    const n = yield* waitForEvent<number>("add");
    const next = total + n;
    if (next >= 10) return next;
    return yield* continueAsNew(next);
  });

  it("ends the run and starts a fresh one with an empty history; waiting events carry over", async () => {
    const t = createTestEngine({ workflows: [counter] });
    const run = await t.start(counter, 0, { id: "count-1" });
    for (const n of [3, 4, 5]) await t.sendEvent("count-1", "add", n);
    expect(await run.result()).toBe(12);
    const description = await t.describe("count-1");
    expect(description).toMatchObject({ runs: 2, input: 7, status: "completed" });
    expect((await t.history("count-1")).map((e) => e.type)).toEqual(["ExecutionStarted", "EventReceived", "ExecutionCompleted"]);
  });

  it("replays a run that ended with continueAsNew", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const engine = createEngine({ store, workflows: [counter], clock, mode: "external", logger: silentLogger });
    await engine.start(counter, 0, { id: "count-2" });
    await engine.sendEvent("count-2", "add", 2);
    const firstRun = (await store.load("count-2"))!.events;
    await engine.resume("count-2");
    expect((await engine.describe("count-2")).runs).toBe(1);
    expect(firstRun).toHaveLength(1);
  });
});

describe("patched", () => {
  const v1 = workflow("greeting", async function* () {
    yield* waitForEvent("go");
    return yield* step("email", () => "email");
  });
  const v2 = workflow("greeting", async function* () {
    yield* waitForEvent("go");
    if (yield* patched("sms")) return yield* step("sms", () => "sms");
    return yield* step("email", () => "email");
  });

  it("keeps the old path for executions recorded before the change and takes the new one after", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const old = createEngine({ store, workflows: [v1], clock, mode: "external", logger: silentLogger });
    await old.start(v1, undefined, { id: "g-old" });
    await old.resume("g-old");
    await old.sendEvent("g-old", "go", null);
    await old.resume("g-old");
    expect(await old.result("g-old")).toBe("email");

    const deployed = createEngine({ store, workflows: [v2], clock, mode: "external", logger: silentLogger });
    expect(await replayHistory(v2, await deployed.history("g-old"))).toMatchObject({ outcome: "completed" });
    await deployed.start(v2, undefined, { id: "g-new" });
    await deployed.sendEvent("g-new", "go", null);
    await deployed.resume("g-new");
    expect(await deployed.result("g-new")).toBe("sms");
    const history = await deployed.history("g-new");
    expect(history.find((e) => e.type === "PatchMarker")).toMatchObject({ name: "sms" });
    expect(history.find((e) => e.type === "StepCompleted" && e.name === "sms")).toMatchObject({ opId: "1" });
  });
});

describe("saga", () => {
  it("runs compensations in reverse order as durable steps, after a failure or a cancellation", async () => {
    const ran: string[] = [];
    const trip = workflow("trip-saga", async function* (fail: boolean) {
      const s = saga();
      try {
        yield* step("book-flight", () => ran.push("book-flight"));
        s.add(step("cancel-flight", () => ran.push("cancel-flight")));
        yield* step("book-hotel", () => ran.push("book-hotel"));
        s.add(() => step("cancel-hotel", () => ran.push("cancel-hotel")));
        if (fail) yield* step("book-car", () => Promise.reject(new Error("no cars")), { retry: { maxAttempts: 1 } });
        yield* waitForEvent("confirm");
        return "booked";
      } catch (error) {
        yield* s.compensate();
        throw error;
      }
    });
    const t = createTestEngine({ workflows: [trip], cacheSize: 0 });
    await expect((await t.start(trip, true)).result()).rejects.toBeInstanceOf(StepFailedError);
    expect(ran).toEqual(["book-flight", "book-hotel", "cancel-hotel", "cancel-flight"]);

    ran.length = 0;
    const run = await t.start(trip, false, { id: "trip-2" });
    await t.idle();
    await t.cancel("trip-2");
    await expect(run.result()).rejects.toBeInstanceOf(CancelledError);
    expect(ran).toEqual(["book-flight", "book-hotel", "cancel-hotel", "cancel-flight"]);
    expect((await t.history("trip-2")).filter((e) => e.type === "StepCompleted").map((e) => e.name)).toEqual([
      "book-flight",
      "book-hotel",
      "cancel-hotel",
      "cancel-flight",
    ]);
  });
});

describe("children and cancellation, after review", () => {
  it("cancels a child whose branch lost a race", async () => {
    const slowKid = workflow("slow-kid", async function* () {
      yield* sleep("1d");
      return "late";
    });
    const parent = workflow("race-child", async function* () {
      return (yield* race([child(slowKid, undefined, { id: "kid-r" }), sleep("1m")])).index;
    });
    const t = createTestEngine({ workflows: [parent, slowKid] });
    expect(await (await t.start(parent, undefined)).result()).toBe(1);
    expect((await t.describe("kid-r")).status).toBe("cancelled");
  });

  it("runs compensation after a cancelled group without cancelling it again", async () => {
    const ran: string[] = [];
    const wf = workflow("group-comp", async function* () {
      try {
        yield* all([waitForEvent("a"), sleep("1d")]);
      } catch (error) {
        yield* step("compensate", () => ran.push("compensate"));
        throw error;
      }
    });
    const t = createTestEngine({ workflows: [wf] });
    const run = await t.start(wf, undefined, { id: "gc-1" });
    await t.idle();
    await t.cancel("gc-1");
    await expect(run.result()).rejects.toBeInstanceOf(CancelledError);
    expect(ran).toEqual(["compensate"]);
  });

  it("recovers a child's report lost in a crash by re-checking the child", async () => {
    const kid = workflow("kid-lost", async function* () {
      return yield* step("s", () => 42);
    });
    const parent = workflow("parent-lost", async function* () {
      return yield* child(kid, undefined, { id: "kid-l" });
    });
    const clock = new VirtualClock();
    const inner = new MemoryStore();
    let lose = true;
    const store = Object.assign(Object.create(inner) as MemoryStore, {
      writeInbox: (id: string, item: Parameters<MemoryStore["writeInbox"]>[1]) => {
        if (lose && item.type === "child") {
          lose = false;
          return Promise.reject(new Error("process died before reporting to the parent"));
        }
        return inner.writeInbox(id, item);
      },
    });
    const engine = createEngine({ store, workflows: [parent, kid], clock, mode: "external", logger: silentLogger });
    await engine.start(parent, undefined, { id: "p-lost" });
    await engine.resumeDue();
    await engine.resumeDue(); // the child ends; its report is lost
    expect((await engine.describe("kid-l")).status).toBe("completed");
    expect((await engine.describe("p-lost")).status).toBe("suspended");
    clock.set(clock.now() + 5 * 60_000);
    await engine.resumeDue();
    expect(await engine.result("p-lost")).toBe(42);
  });
});
