// A turn's time budget (what a Lambda invocation has left): it starts no step after its deadline, stops waiting for
// running steps at it, writes what it has and leaves the execution due at once; and it may wait out a timer due soon
// instead of suspending.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "spindle";
import { all, branch, createEngine, MemoryStore, silentLogger, sleep, step, workflow } from "spindle";
import { VirtualClock } from "spindle/testing";
import { completionsPerStep, isGapless, until } from "../helpers.js";

describe("turn deadline", () => {
  it("starts no step after the deadline: writes what it has, leaves the execution due, and a later turn goes on", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const runs: string[] = [];
    const wf = workflow("slow-steps", async function* () {
      const done: number[] = [];
      for (let i = 0; i < 4; i++) {
        done.push(
          yield* step(`s${i}`, () => {
            runs.push(`s${i}`);
            clock.set(clock.now() + 10_000); // each step takes 10 s
            return i;
          }),
        );
      }
      return done;
    });
    const engine = createEngine({ store, workflows: [wf], clock, mode: "external", logger: silentLogger });
    await engine.start(wf, undefined, { id: "d-1" });
    const first = await engine.resume("d-1", { deadline: clock.now() + 15_000 });
    expect(first).toMatchObject({ status: "running", outOfTime: true, wakeAt: clock.now() });
    expect(runs).toEqual(["s0", "s1"]);
    expect((await store.get("d-1"))!.lease).toBeUndefined();
    expect(await store.listDue(clock.now())).toEqual(["d-1"]);
    const second = await engine.resume("d-1");
    expect(second.status).toBe("completed");
    expect(await engine.result("d-1")).toEqual([0, 1, 2, 3]);
    expect(runs).toEqual(["s0", "s1", "s2", "s3"]);
    const history = await engine.history("d-1");
    expect(isGapless(history)).toBe(true);
    expect([...completionsPerStep(history).values()]).toEqual([1, 1, 1, 1]);
  });

  it("stops waiting for a running step at the deadline: its result is not recorded and it runs again later", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    let attempts = 0;
    let aborted = false;
    const wf = workflow("hanging", async function* () {
      return yield* step("export", ({ signal }) => {
        attempts++;
        if (attempts > 1) return "exported";
        signal.addEventListener("abort", () => (aborted = true));
        return new Promise<string>(() => {}); // never settles in this invocation
      });
    });
    const engine = createEngine({ store, workflows: [wf], clock, mode: "external", logger: silentLogger });
    await engine.start(wf, undefined, { id: "h-1" });
    const turn = engine.resume("h-1", { deadline: clock.now() + 5_000 });
    await until(() => attempts === 1);
    expect(clock.fireNext()).toBe(true); // the deadline
    const first = await turn;
    expect(first).toMatchObject({ outOfTime: true, status: "running" });
    expect(aborted).toBe(true);
    expect((await engine.history("h-1")).some((event: HistoryEvent) => event.type === "StepCompleted")).toBe(false);
    expect((await engine.resume("h-1")).status).toBe("completed");
    expect(await engine.result("h-1")).toBe("exported");
  });

  it("runs an at-most-once step whose start is already recorded, rather than leave it interrupted", async () => {
    const clock = new VirtualClock();
    let charged = 0;
    const wf = workflow("charge-after-slow", async function* () {
      yield* step("prepare", () => {
        clock.set(clock.now() + 10_000);
        return 1;
      });
      return yield* step("charge", () => ++charged, { semantics: "at-most-once", retry: { maxAttempts: 1 } });
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [wf], clock, mode: "external", logger: silentLogger });
    await engine.start(wf, undefined, { id: "amo-1" });
    await engine.resume("amo-1", { deadline: clock.now() + 5_000 });
    if ((await engine.describe("amo-1")).status !== "completed") await engine.resume("amo-1");
    expect(await engine.result("amo-1")).toBe(1);
    expect(charged).toBe(1);
  });

  it("records the outcomes it already has when the deadline comes, so no finished step runs again", async () => {
    const clock = new VirtualClock();
    const runs = { charge: 0, y: 0, z: 0 };
    // The charge settles while "y" runs past the deadline: y resolves it, so its outcome is in hand (by the order of
    // promise jobs, not a count of them) before the turn notices the deadline at "z".
    let settleCharge: (value: string) => void = () => {};
    const wf = workflow("settled-at-deadline", async function* () {
      return yield* all([
        step("charge", () => {
          runs.charge++;
          return new Promise<string>((resolve) => (settleCharge = resolve));
        }, { semantics: "at-most-once", retry: { maxAttempts: 1 } }),
        branch(async function* () {
          yield* step("y", () => {
            runs.y++;
            settleCharge("ok");
            clock.set(clock.now() + 10_000);
            return "y";
          });
          return yield* step("z", () => ++runs.z);
        }),
      ]);
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [wf], clock, mode: "external", logger: silentLogger });
    await engine.start(wf, undefined, { id: "settled-1" });
    const first = await engine.resume("settled-1", { deadline: clock.now() + 5_000 });
    expect(first.outOfTime).toBe(true);
    expect((await engine.resume("settled-1")).status).toBe("completed");
    expect(await engine.result("settled-1")).toEqual(["ok", 1]);
    expect(runs).toEqual({ charge: 1, y: 1, z: 1 });
  });

  it("returns busyUntil when the write at the deadline meets another owner's lease", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const wf = workflow("contested", async function* () {
      yield* sleep("1m");
      return yield* step("s", () => 1);
    });
    const engine = createEngine({ store, workflows: [wf], clock, mode: "external", logger: silentLogger });
    await engine.start(wf, undefined, { id: "contested-1" });
    await engine.resume("contested-1");
    clock.set(clock.now() + 60_000);
    // Another process leases it between this turn's load and its first write.
    const load = store.load.bind(store);
    store.load = async (id, options) => {
      const page = await load(id, options);
      store.load = load;
      await store.acquireLease(id, { owner: "other", until: clock.now() + 60_000, now: clock.now() });
      return page;
    };
    const turn = await engine.resume("contested-1", { deadline: clock.now() });
    expect(turn.busyUntil).toBe(clock.now() + 60_000);
  });

  it("waits out a timer due within maxWait instead of suspending, and not one due later", async () => {
    const wf = workflow("short-sleep", async function* () {
      yield* step("a", () => 1);
      yield* sleep("30ms");
      return yield* step("b", () => 2);
    });
    const store = new MemoryStore();
    const engine = createEngine({ store, workflows: [wf], mode: "external", logger: silentLogger });
    await engine.start(wf, undefined, { id: "w-1" });
    const waited = await engine.resume("w-1", { maxWait: "2s", deadline: Date.now() + 10_000 });
    expect(waited.status).toBe("completed");
    await engine.start(wf, undefined, { id: "w-2" });
    const suspended = await engine.resume("w-2", { maxWait: "10ms" });
    expect(suspended.status).toBe("suspended");
    await engine.start(wf, undefined, { id: "w-3" });
    const pastDeadline = await engine.resume("w-3", { maxWait: "2s", deadline: Date.now() + 20 });
    expect(pastDeadline.status).toBe("suspended"); // the timer falls after the deadline
  });

  it("resumeDue starts no turn after its deadline and says how many it left", async () => {
    const clock = new VirtualClock();
    const wf = workflow("one-step", async function* () {
      return yield* step("s", () => {
        clock.set(clock.now() + 1_000);
        return "ok";
      });
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [wf], clock, mode: "external", logger: silentLogger });
    for (let i = 0; i < 5; i++) await engine.start(wf, undefined, { id: `r-${i}` });
    const tick = await engine.resumeDue({ concurrency: 1, deadline: clock.now() + 2_500 });
    expect(tick).toMatchObject({ resumed: 3, left: 2, failed: [] });
    expect((await engine.resumeDue()).resumed).toBe(2);
  });
});
