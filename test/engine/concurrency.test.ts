// all, race, allSettled, branch and map: results, failure policies, dropped losers, bounded fan-out, deterministic
// ids whatever order children complete in, crashes inside branches, and cancellation reaching every branch.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "spindle";
import {
  all,
  allSettled,
  branch,
  CancelledError,
  createEngine,
  map,
  mapSettled,
  MemoryStore,
  race,
  silentLogger,
  sleep,
  step,
  StepFailedError,
  waitForEvent,
  workflow,
} from "spindle";
import { createTestEngine, replayHistory, VirtualClock } from "spindle/testing";
import { CrashingStore, completionsPerStep, isGapless, SimulatedCrash } from "../helpers.js";

const later = <T>(value: T, ms: number) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe("all", () => {
  it("returns each child's result in order, each child in its own operation-id scope", async () => {
    const wf = workflow("all-basic", async function* () {
      return yield* all([
        step("a", () => later("A", 3)),
        branch(async function* () {
          const x = yield* step("b1", () => 2);
          yield* sleep("1m");
          return yield* step("b2", () => x * 10);
        }),
        step("c", () => "C"),
      ]);
    });
    const t = createTestEngine({ workflows: [wf] });
    expect(await (await t.start(wf, undefined, { id: "all-1" })).result()).toEqual(["A", 20, "C"]);
    const ids = (await t.history("all-1")).filter((e) => e.type === "StepCompleted").map((e) => `${e.opId}:${e.name}`);
    expect(ids.sort()).toEqual(["0.0.0:a", "0.1.0:b1", "0.1.2:b2", "0.2.0:c"]);
  });

  it("appends completions that arrive together in one write", async () => {
    const store = new MemoryStore();
    let appends = 0;
    const counting = Object.assign(Object.create(store) as MemoryStore, {
      append: (id: string, request: Parameters<MemoryStore["append"]>[1]) => {
        appends++;
        return store.append(id, request);
      },
    });
    const wf = workflow("together", async function* () {
      return yield* all(Array.from({ length: 20 }, (_, i) => step(`s${i}`, () => i)));
    });
    const engine = createEngine({ store: counting, workflows: [wf], logger: silentLogger });
    expect(await (await engine.start(wf, undefined)).result()).toHaveLength(20);
    // The first write takes the lease before the steps run (with the GroupStarted event); the 20 completions go with
    // the end of the run: nothing else runs in between.
    expect(appends).toBe(2);
  });

  it("appends a completion at once while a sibling step is still running", async () => {
    const store = new MemoryStore();
    const appended: string[][] = [];
    const watching = Object.assign(Object.create(store) as MemoryStore, {
      append: (id: string, request: Parameters<MemoryStore["append"]>[1]) => {
        appended.push(request.events.map((event) => `${event.type}:${event.name}`));
        return store.append(id, request);
      },
    });
    const wf = workflow("staggered-steps", async function* () {
      return yield* all([step("fast", () => "f"), step("slow", () => later("s", 20))]);
    });
    const engine = createEngine({ store: watching, workflows: [wf], logger: silentLogger });
    await (await engine.start(wf, undefined)).result();
    const first = appended.find((events) => events.some((event) => event.startsWith("StepCompleted")));
    expect(first).toContain("StepCompleted:fast");
    expect(first).not.toContain("StepCompleted:slow");
  });

  it("fails on the first failure, drops the other children, and never records a dropped step's result", async () => {
    let lateRan = false;
    const wf = workflow("all-fail", async function* () {
      try {
        yield* all([
          step("slow", () => later("slow", 20)),
          step("boom", () => Promise.reject(new Error("boom")), { retry: { maxAttempts: 1 } }),
          branch(async function* () {
            yield* sleep("1h");
            lateRan = yield* step("late", () => true);
          }),
        ]);
      } catch (error) {
        return (error as StepFailedError).cause.message;
      }
    });
    const t = createTestEngine({ workflows: [wf] });
    expect(await (await t.start(wf, undefined, { id: "all-2" })).result()).toBe("boom");
    await new Promise((resolve) => setTimeout(resolve, 30));
    const history = await t.history("all-2");
    expect(history.find((e) => e.name === "slow" && e.type === "StepCompleted")).toBeUndefined();
    expect(history.find((e) => e.type === "GroupSettled")).toMatchObject({ opId: "0", index: 1 });
    expect(lateRan).toBe(false);
    expect((await t.describe("all-2")).waitingFor).toEqual([]);
  });
});

describe("race", () => {
  it("records the winner, drops the losers' timers, and replays the same winner", async () => {
    const wf = workflow("race-basic", async function* () {
      const first = yield* race([waitForEvent<string>("approved"), sleep("24h")]);
      const second = yield* race([sleep("1h"), step("quick", () => "q")]);
      return [first, second];
    });
    const t = createTestEngine({ workflows: [wf], cacheSize: 0 });
    const run = await t.start(wf, undefined, { id: "race-1" });
    await t.advanceTime("2h");
    await t.sendEvent("race-1", "approved", "yes");
    expect(await run.result()).toEqual([{ index: 0, value: "yes" }, { index: 1, value: "q" }]);
    const history = await t.history("race-1");
    expect(history.filter((e) => e.type === "GroupSettled").map((e) => (e as { index: number }).index)).toEqual([0, 1]);
    expect(history.filter((e) => e.type === "TimerFired")).toHaveLength(0);
    expect(await replayHistory(wf, history)).toMatchObject({ outcome: "completed" });
  });

  it("throws the winner's error when the first to settle fails", async () => {
    const wf = workflow("race-fail", async function* () {
      return yield* race([step("bad", () => Promise.reject(new Error("first")), { retry: { maxAttempts: 1 } }), sleep("1h")]);
    });
    const t = createTestEngine({ workflows: [wf] });
    await expect((await t.start(wf, undefined)).result()).rejects.toBeInstanceOf(StepFailedError);
  });
});

describe("allSettled and map", () => {
  it("reports every outcome with allSettled", async () => {
    const wf = workflow("settled", async function* () {
      const outcomes = yield* allSettled([step("ok", () => 1), step("bad", () => Promise.reject(new Error("no")), { retry: { maxAttempts: 1 } })]);
      return outcomes.map((o) => (o.status === "fulfilled" ? o.value : (o.reason as StepFailedError).cause.message));
    });
    const t = createTestEngine({ workflows: [wf] });
    expect(await (await t.start(wf, undefined)).result()).toEqual([1, "no"]);
  });

  it("keeps at most `concurrency` branches in flight and returns results in input order", async () => {
    let inFlight = 0;
    let peak = 0;
    const wf = workflow("map-bound", async function* (n: number) {
      return yield* map(
        Array.from({ length: n }, (_, i) => i),
        (i) =>
          step(`item-${i}`, async () => {
            peak = Math.max(peak, ++inFlight);
            await later(null, (i * 7) % 5);
            inFlight--;
            return i * i;
          }),
        { concurrency: 4 },
      );
    });
    const t = createTestEngine({ workflows: [wf] });
    const result = (await (await t.start(wf, 30)).result()) as number[];
    expect(result).toEqual(Array.from({ length: 30 }, (_, i) => i * i));
    expect(peak).toBe(4);
  });

  it("fails fast with map and settles every item with mapSettled", async () => {
    const items = [1, 2, 3, 4];
    const fn = (i: number) => step(`i${i}`, () => (i === 2 ? Promise.reject(new Error(`bad ${i}`)) : i), { retry: { maxAttempts: 1 } });
    const fast = workflow("map-fast", async function* () {
      try {
        return yield* map(items, fn, { concurrency: 1 });
      } catch (error) {
        return (error as StepFailedError).cause.message;
      }
    });
    const settled = workflow("map-settled", async function* () {
      return (yield* mapSettled(items, fn, { concurrency: 2 })).map((o) => o.status);
    });
    const t = createTestEngine({ workflows: [fast, settled] });
    expect(await (await t.start(fast, undefined, { id: "m-fast" })).result()).toBe("bad 2");
    expect((await t.history("m-fast")).filter((e) => e.type === "StepCompleted").map((e) => e.name)).toEqual(["i1"]);
    expect(await (await t.start(settled, undefined)).result()).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
  });

  it("handles an empty list", async () => {
    const wf = workflow("empty", async function* () {
      return [yield* all([]), yield* map([], (x: number) => step("x", () => x))];
    });
    const t = createTestEngine({ workflows: [wf] });
    expect(await (await t.start(wf, undefined)).result()).toEqual([[], []]);
  });
});

describe("determinism under concurrency", () => {
  const fanOut = (delays: number[]) =>
    workflow("fan", async function* () {
      const values = yield* all(delays.map((ms, i) => step(`s${i}`, () => later(i, ms))));
      yield* sleep("1m");
      return values;
    });

  it("gives the same result and ids whatever order children complete in, and replays either history", async () => {
    const results: unknown[] = [];
    for (const delays of [[1, 5, 9], [9, 5, 1]]) {
      const wf = fanOut(delays);
      const t = createTestEngine({ workflows: [wf], cacheSize: 0 });
      results.push(await (await t.start(wf, undefined, { id: "fan-1" })).result());
      const history = await t.history("fan-1");
      expect(await replayHistory(fanOut([0, 0, 0]), history)).toMatchObject({ outcome: "completed" });
    }
    expect(results[0]).toEqual([0, 1, 2]);
    expect(results[1]).toEqual([0, 1, 2]);
  });

  it("resumes after a crash at any store call inside branches with each completion recorded once", async () => {
    const wf = workflow("crashy", async function* () {
      const [a, b] = yield* all([
        branch(async function* () {
          const x = yield* step("a1", () => 1);
          yield* sleep("1m");
          return yield* step("a2", () => x + 1);
        }),
        map([1, 2, 3], (i) => step(`m${i}`, () => i * 10), { concurrency: 2 }),
      ]);
      return { a, b };
    });
    const drive = async (store: CrashingStore, clock: VirtualClock) => {
      const engine = () => createEngine({ store, workflows: [wf], clock, mode: "external", logger: silentLogger });
      for (let i = 0; i < 5; i++) {
        try {
          await engine().start(wf, undefined, { id: "c-1" });
          break;
        } catch (error) {
          if (!(error instanceof SimulatedCrash)) throw error;
        }
      }
      for (let turn = 0; turn < 40; turn++) {
        try {
          const result = await engine().resume("c-1");
          if (result.status !== "running" && result.status !== "suspended") break;
          if (result.wakeAt !== undefined && result.wakeAt > clock.now()) clock.set(result.wakeAt);
        } catch (error) {
          if (!(error instanceof SimulatedCrash)) throw error;
        }
      }
      return { record: (await store.inner.get("c-1"))!, history: (await store.inner.load("c-1"))!.events as HistoryEvent[] };
    };
    const clean = new CrashingStore(new MemoryStore());
    const baseline = await drive(clean, new VirtualClock());
    expect(baseline.record.status).toBe("completed");
    for (const mode of ["before", "after"] as const) {
      for (let crashAt = 0; crashAt < clean.calls; crashAt++) {
        const store = new CrashingStore(new MemoryStore());
        store.crashAt = crashAt;
        store.mode = mode;
        const { record, history } = await drive(store, new VirtualClock());
        const where = `crash ${mode} call ${crashAt}`;
        expect(record.result, where).toBe(baseline.record.result);
        expect(isGapless(history), where).toBe(true);
        for (const [opId, count] of completionsPerStep(history)) expect(count, `${where} op ${opId}`).toBe(1);
      }
    }
  });
});

describe("cancellation across branches", () => {
  it("surfaces CancelledError in every branch at its wait; each compensates; the execution ends cancelled", async () => {
    const compensated: string[] = [];
    const guarded = (name: string, wait: () => ReturnType<typeof sleep>) =>
      branch(async function* () {
        try {
          yield* wait();
        } catch (error) {
          if (error instanceof CancelledError) yield* step(`undo-${name}`, () => compensated.push(name));
          throw error;
        }
      });
    const wf = workflow("cancel-branches", async function* () {
      yield* all([guarded("flight", () => sleep("1d")), guarded("hotel", () => waitForEvent("confirm") as never)]);
    });
    const t = createTestEngine({ workflows: [wf] });
    const run = await t.start(wf, undefined, { id: "cb-1" });
    await t.advanceTime("1h");
    await t.cancel("cb-1", "trip called off");
    await expect(run.result()).rejects.toBeInstanceOf(CancelledError);
    expect(compensated.sort()).toEqual(["flight", "hotel"]);
    expect((await t.describe("cb-1")).status).toBe("cancelled");
    expect((await t.history("cb-1")).filter((e) => e.type === "CancelRequested").map((e) => e.opId).sort()).toEqual(["0.0.0", "0.1.0"]);
  });
});

describe("races against running steps and dropped branches", () => {
  it("lets a timer win a race against a step that is still running, and aborts the dropped step's signal", async () => {
    let aborted = false;
    const wf = workflow("timeout-race", async function* () {
      return yield* race([
        step("slow-api", ({ signal }) => {
          signal.addEventListener("abort", () => (aborted = true));
          return later("api", 400);
        }),
        sleep("30ms"),
      ]);
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [wf], logger: silentLogger });
    const started = Date.now();
    expect(await (await engine.start(wf, undefined)).result()).toEqual({ index: 1 });
    expect(Date.now() - started).toBeLessThan(300);
    expect(aborted).toBe(true);
  });

  it("gives an event back to the inbox when the branch that took it loses its race in the same turn", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const wf = workflow("collector", async function* () {
      const got: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { index, value } = yield* race([sleep("1m"), waitForEvent<string>("item")]);
        if (index === 1) got.push(value as string);
      }
      return got;
    });
    const engine = createEngine({ store, workflows: [wf], clock, mode: "external", logger: silentLogger });
    await engine.start(wf, undefined, { id: "col-1" });
    await engine.resume("col-1");
    await engine.sendEvent("col-1", "item", "precious");
    clock.set(clock.now() + 120_000); // the timer is due too: it wins the first race
    await engine.resume("col-1");
    clock.set(clock.now() + 120_000);
    await engine.resume("col-1");
    expect(await engine.result("col-1")).toEqual(["precious"]);
    const history = (await store.load("col-1"))!.events as HistoryEvent[];
    expect(isGapless(history)).toBe(true);
    expect(history.filter((e) => e.type === "EventReceived")).toHaveLength(1);
  });
});
