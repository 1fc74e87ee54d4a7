// Timers and events: sleep/sleepUntil, waitForEvent (ordering, buffering, timeouts), and what sendEvent refuses.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ExecutionClosedError,
  ExecutionNotFoundError,
  IdempotencyConflictError,
  sleep,
  sleepUntil,
  step,
  TimeoutError,
  ValidationError,
  waitForEvent,
  workflow,
} from "spindle";
import { createTestEngine, TestStalledError } from "spindle/testing";

const orders = workflow(
  "orders",
  { events: { paid: z.object({ ref: z.string() }), note: z.string() } },
  async function* (_input, ctx) {
    const first = yield* ctx.waitForEvent("paid");
    const second = yield* ctx.waitForEvent("paid", { timeout: "1h" });
    return [first.ref, second.ref];
  },
);

describe("sleep", () => {
  it("sleeps durably for durations in every form, never waking early", async () => {
    const wf = workflow("naps", async function* () {
      const woke: number[] = [];
      for (const duration of ["90s", { minutes: 5 }, 250, "1h30m"] as const) {
        yield* sleep(duration);
        woke.push(yield* step(`at-${woke.length}`, () => t.clock.now()));
      }
      yield* sleep("named", "1s");
      return woke;
    });
    const t = createTestEngine({ workflows: [wf] });
    const start = t.clock.now();
    const woke = (await (await t.start(wf, undefined)).result()) as number[];
    expect(woke.map((at) => at - start)).toEqual([90_000, 390_000, 390_250, 5_790_250]);
  });

  it("sleeps until a moment, and not at all for a moment past", async () => {
    const wf = workflow("until", async function* () {
      yield* sleepUntil(new Date("2026-03-01T00:00:00Z"));
      yield* sleepUntil(Date.parse("2020-01-01T00:00:00Z"), "past");
      return "done";
    });
    const t = createTestEngine({ workflows: [wf], startAt: new Date("2026-02-01T00:00:00Z") });
    expect(await (await t.start(wf, undefined)).result()).toBe("done");
    expect(t.now().toISOString()).toBe("2026-03-01T00:00:00.000Z");
  });

  it("does not move time while a test does not await a result, and advanceTime moves it by hand", async () => {
    const wf = workflow("manual", async function* () {
      yield* sleep("2h");
      return "awake";
    });
    const t = createTestEngine({ workflows: [wf] });
    await t.start(wf, undefined, { id: "manual-1" });
    await t.advanceTime("1h");
    expect((await t.describe("manual-1")).status).toBe("suspended");
    await t.advanceTime("1h");
    expect((await t.describe("manual-1")).status).toBe("completed");
  });
});

describe("waitForEvent", () => {
  it("delivers events sent before the wait, in order, each once", async () => {
    const t = createTestEngine({ workflows: [orders] });
    await t.start(orders, undefined, { id: "o-1" });
    await t.sendEvent("o-1", "paid", { ref: "r1" });
    await t.sendEvent("o-1", "paid", { ref: "r2" });
    await t.sendEvent("o-1", "paid", { ref: "r3" });
    expect(await t.result("o-1")).toEqual(["r1", "r2"]);
    const received = (await t.history("o-1")).filter((e) => e.type === "EventReceived");
    expect(received).toHaveLength(2);
  });

  it("delivers an event sent while the workflow waits", async () => {
    const t = createTestEngine({ workflows: [orders] });
    const run = await t.start(orders, undefined, { id: "o-2" });
    await t.idle();
    expect((await t.describe("o-2")).waitingFor).toMatchObject([{ kind: "event", name: "paid" }]);
    await t.sendEvent("o-2", "paid", { ref: "a" });
    await t.advanceTime("30m");
    await t.sendEvent("o-2", "paid", { ref: "b" });
    expect(await run.result()).toEqual(["a", "b"]);
  });

  it("throws TimeoutError at the wait when its timeout passes first", async () => {
    const t = createTestEngine({ workflows: [orders] });
    const run = await t.start(orders, undefined, { id: "o-3" });
    await t.sendEvent("o-3", "paid", { ref: "only-one" });
    await expect(run.result()).rejects.toBeInstanceOf(TimeoutError);
    const description = await t.describe("o-3");
    expect(description.status).toBe("failed");
    expect(description.error).toMatchObject({ name: "TimeoutError" });
  });

  it("validates payloads with the wait's own schema when the workflow declares none", async () => {
    const wf = workflow("loose", async function* () {
      try {
        return yield* waitForEvent("count", { schema: z.number() });
      } catch (error) {
        return (error as Error).name;
      }
    });
    const t = createTestEngine({ workflows: [wf] });
    await t.start(wf, undefined, { id: "loose-1" });
    await t.sendEvent("loose-1", "count", "not a number");
    expect(await t.result("loose-1")).toBe("ValidationError");
  });

  it("reports a stalled test when nothing will ever send what the workflow waits for", async () => {
    const t = createTestEngine({ workflows: [orders] });
    const run = await t.start(orders, undefined, { id: "o-4" });
    const error = await run.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestStalledError);
    expect((error as Error).message).toMatch(/'o-4'.*event 'paid'/s);
    expect((error as Error).message).toContain("ExecutionStarted");
  });
});

describe("sendEvent refuses bad input and stores nothing", () => {
  it("refuses a payload that fails the declared schema, and an undeclared event name", async () => {
    const t = createTestEngine({ workflows: [orders] });
    await t.start(orders, undefined, { id: "v-1" });
    await expect(t.sendEvent("v-1", "paid", { ref: 42 })).rejects.toBeInstanceOf(ValidationError);
    await expect(t.sendEvent("v-1", "payd", { ref: "x" })).rejects.toThrowError(/declares no event 'payd'.*paid, note/);
    await expect(t.sendEvent("v-1", "", {})).rejects.toBeInstanceOf(ValidationError);
    const page = await t.store.load("v-1");
    expect(page!.inbox).toEqual([]);
  });

  it("refuses an unknown or finished execution", async () => {
    const wf = workflow("quick", async function* () {
      return 1;
    });
    const t = createTestEngine({ workflows: [wf] });
    await expect(t.sendEvent("nobody", "x", 1)).rejects.toBeInstanceOf(ExecutionNotFoundError);
    await (await t.start(wf, undefined, { id: "done-1" })).result();
    await expect(t.sendEvent("done-1", "x", 1)).rejects.toBeInstanceOf(ExecutionClosedError);
    expect((await t.store.load("done-1"))!.inbox).toEqual([]);
  });

  it("deduplicates by idempotency key and refuses the key reused for another event", async () => {
    const t = createTestEngine({ workflows: [orders] });
    await t.start(orders, undefined, { id: "k-1" });
    expect(await t.sendEvent("k-1", "paid", { ref: "r1" }, { idempotencyKey: "evt-1" })).toEqual({ duplicate: false });
    for (let i = 0; i < 5; i++) {
      expect(await t.sendEvent("k-1", "paid", { ref: "r1" }, { idempotencyKey: "evt-1" })).toEqual({ duplicate: true });
    }
    await expect(t.sendEvent("k-1", "paid", { ref: "other" }, { idempotencyKey: "evt-1" })).rejects.toBeInstanceOf(
      IdempotencyConflictError,
    );
    await expect(t.sendEvent("k-1", "note", "hi", { idempotencyKey: "evt-1" })).rejects.toBeInstanceOf(IdempotencyConflictError);
    await t.sendEvent("k-1", "paid", { ref: "r2" }, { idempotencyKey: "evt-2" });
    expect(await t.result("k-1")).toEqual(["r1", "r2"]);
    await expect(t.sendEvent("k-1", "paid", { ref: "r1" }, { idempotencyKey: "evt-1" })).resolves.toEqual({ duplicate: true });
  });
});
