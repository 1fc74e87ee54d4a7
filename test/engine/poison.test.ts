// Which failed turns count toward `stuck`, and the backoff between them: a NonDeterminismError counts and backs off
// 1 s, doubling, at most 15 min; a successful turn clears the count; a store that is unavailable does not count; a
// store without updateTurnFailures records nothing and fails as before. Each failure is recorded against the version
// the failing turn loaded.
import { describe, expect, it } from "vitest";
import { createEngine, MemoryStore, silentLogger, sleep, step, ValidationError, workflow } from "spindle";
import type { HistoryStore } from "spindle/store";
import { faultAt, FaultStore, VirtualClock } from "spindle/testing";

const v1 = workflow("poison-order", async function* () {
  yield* step("reserve", () => "reserved");
  yield* sleep("1h");
  return yield* step("ship", () => "shipped");
});
// A bad deploy: the first operation is now another step, so every replay of a v1 history is not deterministic.
const v2 = workflow("poison-order", async function* () {
  yield* step("reserve-v2", () => "reserved");
  yield* sleep("1h");
  return yield* step("ship", () => "shipped");
});

function engines(store: HistoryStore, clock: VirtualClock, maxTurnFailures?: number) {
  const common = { store, clock, mode: "external" as const, logger: silentLogger, cacheSize: 0 };
  return {
    good: createEngine({ ...common, workflows: [v1] }),
    bad: createEngine({ ...common, workflows: [v2], ...(maxTurnFailures === undefined ? {} : { maxTurnFailures }) }),
  };
}

describe("failed turns", () => {
  it("back off 1 s doubling to 15 min, then the execution is stuck; none of it is a wake-up of its own", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const { good, bad } = engines(store, clock, 12);
    await good.start(v1, undefined, { id: "o-1" });
    await good.resume("o-1"); // reserve recorded, waits an hour
    clock.set(clock.now() + 3_600_000);
    const gaps: number[] = [];
    for (let turn = 1; turn <= 12; turn++) {
      await expect(bad.resume("o-1")).rejects.toThrow(/not deterministic/);
      const { status, turnFailures, wakeAt } = await bad.describe("o-1");
      expect(turnFailures).toMatchObject({ count: turn, code: "NON_DETERMINISM" });
      if (turn < 12) {
        expect(status).toBe("suspended");
        gaps.push(turnFailures!.nextAttemptAt!.getTime() - clock.now());
        expect(wakeAt).toEqual(turnFailures!.nextAttemptAt);
        clock.set(turnFailures!.nextAttemptAt!.getTime());
      } else {
        expect(status).toBe("stuck");
        expect(wakeAt).toBeUndefined();
      }
    }
    expect(gaps).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900].map((seconds) => seconds * 1000));
    expect(await store.listDue(clock.now() + 86_400_000)).not.toContain("o-1");
    // The fix: redrive, and the good code finishes it.
    expect((await good.redrive("o-1")).redriven).toBe(true);
    expect((await good.resume("o-1")).status).toBe("completed");
  });

  it("are forgotten once a turn succeeds", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const { good, bad } = engines(store, clock);
    await good.start(v1, undefined, { id: "o-2" });
    await good.resume("o-2");
    clock.set(clock.now() + 3_600_000);
    await expect(bad.resume("o-2")).rejects.toThrow(/not deterministic/);
    await expect(bad.resume("o-2")).rejects.toThrow(/not deterministic/);
    expect((await good.describe("o-2")).turnFailures?.count).toBe(2);
    expect((await good.resume("o-2")).status).toBe("completed");
    expect((await good.describe("o-2")).turnFailures).toBeUndefined();
  });

  it("do not count when the store is unavailable", async () => {
    const clock = new VirtualClock();
    const inner = new MemoryStore();
    const { good } = engines(inner, clock);
    await good.start(v1, undefined, { id: "o-3" });
    // The next call (the turn's load) is throttled: a StoreUnavailableError, which a retry can fix.
    const faults = new FaultStore(inner, { plan: faultAt(0, { kind: "throttle" }) });
    const flaky = createEngine({ store: faults, workflows: [v1], clock, mode: "external", logger: silentLogger });
    await expect(flaky.resume("o-3")).rejects.toThrow(/throttling/);
    expect((await inner.get("o-3"))!.turnFailures).toBeUndefined();
    expect((await flaky.resume("o-3")).status).toBe("suspended");
  });

  it("are not recorded on a store without updateTurnFailures, which fails as before", async () => {
    const clock = new VirtualClock();
    const inner = new MemoryStore();
    const plain = Object.create(inner) as HistoryStore & { updateTurnFailures?: unknown };
    plain.updateTurnFailures = undefined;
    const { good } = engines(inner, clock);
    const bad = createEngine({ store: plain, workflows: [v2], clock, mode: "external", logger: silentLogger });
    await good.start(v1, undefined, { id: "o-4" });
    await good.resume("o-4");
    clock.set(clock.now() + 3_600_000);
    const before = await inner.get("o-4");
    await expect(bad.resume("o-4")).rejects.toThrow(/not deterministic/);
    expect(await inner.get("o-4")).toEqual(before);
  });

  it("leave a stuck execution open: terminate ends it at once, a cancel waits for the redrive and then cancels it", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const { good, bad } = engines(store, clock, 1);
    for (const id of ["o-5", "o-6"]) {
      await good.start(v1, undefined, { id });
      await good.resume(id);
    }
    clock.set(clock.now() + 3_600_000);
    for (const id of ["o-5", "o-6"]) {
      await expect(bad.resume(id)).rejects.toThrow(/not deterministic/);
      expect((await good.describe(id)).status).toBe("stuck");
    }
    await good.terminate("o-5", "bad deploy");
    expect((await good.describe("o-5")).status).toBe("terminated");
    await good.cancel("o-6", "no longer wanted");
    expect((await good.describe("o-6")).status).toBe("stuck");
    expect((await good.redrive("o-6")).redriven).toBe(true);
    expect((await good.resume("o-6")).status).toBe("cancelled");
  });

  it("are bounded by a whole number of at least 1", () => {
    for (const maxTurnFailures of [0, 1.5, -1, Number.NaN]) {
      expect(() => createEngine({ store: new MemoryStore(), workflows: [v1], maxTurnFailures })).toThrow(ValidationError);
    }
  });
});
