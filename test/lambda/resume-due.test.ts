// engine.resumeDue drains: it reads due executions page after page until none is left, its limit is reached or its
// deadline comes, takes each execution at most once per call (so executions whose turns fail every time cannot hold
// it on one page), and says what it did. On MemoryStore and on DynamoDBStore (DynamoDB Local).
import { describe, expect, it } from "vitest";
import { createEngine, silentLogger, sleep, step, ValidationError, workflow } from "spindle";
import type { TurnReport } from "spindle";
import type { HistoryStore } from "spindle/store";
import { VirtualClock } from "spindle/testing";
import { bothStores } from "../dynamodb/helpers.js";

/** Suspended on a one-minute timer, then one short step. */
const napper = workflow("drain-napper", async function* (input: unknown) {
  yield* sleep("1m");
  return yield* step("wake", () => `woke ${String(input)}`);
});

/** A workflow the second engine does not know: every turn of it fails (WorkflowNotFoundError). */
const orphan = workflow("drain-orphan", async function* () {
  yield* sleep("1m");
  return "never here";
});

/** Counts listDue calls and the limits asked. */
function countingStore(store: HistoryStore): { store: HistoryStore; limits: number[] } {
  const limits: number[] = [];
  const counted = Object.create(store) as HistoryStore;
  counted.listDue = (now, options) => {
    limits.push(options?.limit ?? Infinity);
    return store.listDue(now, options);
  };
  return { store: counted, limits };
}

/** Starts `n` executions of `wf` one millisecond apart and runs each to its timer; the timers are then all due. */
async function suspendMany(store: HistoryStore, clock: VirtualClock, wf: typeof napper | typeof orphan, prefix: string, n: number): Promise<void> {
  const engine = createEngine({ store, workflows: [napper, orphan], clock, mode: "external", logger: silentLogger });
  for (let i = 0; i < n; i++) {
    await engine.start(wf, i, { id: `${prefix}-${i}` });
    await engine.resume(`${prefix}-${i}`);
    clock.set(clock.now() + 1);
  }
}

describe.each(bothStores("resume-due"))("resumeDue on %s", (_label, makeStore) => {
  it("takes more than one page in one call, and every due execution exactly once", async () => {
    const clock = new VirtualClock();
    const { store, limits } = countingStore(makeStore());
    await suspendMany(store, clock, napper, "many", 45);
    clock.set(clock.now() + 61_000);
    const engine = createEngine({ store, workflows: [napper], clock, mode: "external", logger: silentLogger });
    const turns: string[] = [];
    engine.onTurn((report) => turns.push(report.executionId));
    limits.length = 0;

    const result = await engine.resumeDue({ pageSize: 10, concurrency: 4 });

    expect(result).toEqual({ resumed: 45, busy: 0, failed: [], left: 0 });
    expect(limits.length).toBeGreaterThanOrEqual(5); // 45 executions, 10 a page
    expect(turns.sort()).toEqual(Array.from({ length: 45 }, (_, i) => `many-${i}`).sort());
    expect(new Set(turns).size).toBe(45);
    for (const id of ["many-0", "many-44"]) expect(await engine.result(id)).toMatch(/^woke /);
    expect(await store.listDue(clock.now())).toEqual([]);
  });

  it("gets past more failing executions than a page holds: each is tried once, every other one is resumed", async () => {
    const clock = new VirtualClock();
    const store = makeStore();
    // The failing ones are the oldest due, so they head every page.
    await suspendMany(store, clock, orphan, "poison", 25);
    await suspendMany(store, clock, napper, "fine", 12);
    clock.set(clock.now() + 61_000);
    const engine = createEngine({ store, workflows: [napper], clock, mode: "external", logger: silentLogger });

    const result = await engine.resumeDue({ pageSize: 10, concurrency: 3 });

    expect(result.resumed).toBe(12);
    expect(result.failed.map((failure) => failure.id).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `poison-${i}`).sort());
    expect(result.failed.every((failure) => (failure.error as Error).name === "WorkflowNotFoundError")).toBe(true);
    for (let i = 0; i < 12; i++) expect((await engine.describe(`fine-${i}`)).status).toBe("completed");
    // Each failed turn backed its execution off (1 s for a first failure). Once that has passed and the fix is
    // deployed (an engine that knows the workflow), the next call takes them all.
    clock.set(clock.now() + 2_000);
    const fixed = createEngine({ store, workflows: [napper, orphan], clock, mode: "external", logger: silentLogger });
    expect(await fixed.resumeDue({ pageSize: 10 })).toEqual({ resumed: 25, busy: 0, failed: [], left: 0 });
    expect(await fixed.result("poison-24")).toBe("never here");
  });

  it("stops at its limit, across pages, and the next call goes on", async () => {
    const clock = new VirtualClock();
    const store = makeStore();
    await suspendMany(store, clock, napper, "capped", 23);
    clock.set(clock.now() + 61_000);
    const engine = createEngine({ store, workflows: [napper], clock, mode: "external", logger: silentLogger });

    expect(await engine.resumeDue({ limit: 15, pageSize: 4 })).toEqual({ resumed: 15, busy: 0, failed: [], left: 0 });
    expect((await store.listDue(clock.now())).length).toBe(8);
    expect(await engine.resumeDue({ limit: 15 })).toEqual({ resumed: 8, busy: 0, failed: [], left: 0 });
  });

  it("starts no turn once its deadline has come, and counts what it read but left", async () => {
    const clock = new VirtualClock();
    const slowStep = workflow("drain-slow", async function* () {
      yield* sleep("1m");
      return yield* step("slow", () => "done");
    });
    const store = makeStore();
    const first = createEngine({ store, workflows: [slowStep], clock, mode: "external", logger: silentLogger });
    for (let i = 0; i < 6; i++) {
      await first.start(slowStep, undefined, { id: `late-${i}` });
      await first.resume(`late-${i}`);
    }
    clock.set(clock.now() + 61_000);
    const engine = createEngine({ store, workflows: [slowStep], clock, mode: "external", logger: silentLogger });
    // Each turn takes a second of the clock (after its writes: a write past its deadline is refused by a store).
    engine.onTurn(() => clock.set(clock.now() + 1_000));

    const result = await engine.resumeDue({ concurrency: 1, deadline: clock.now() + 2_500 });

    expect(result).toMatchObject({ resumed: 3, left: 3, failed: [] });
    expect((await engine.resumeDue()).resumed).toBe(3);
  });

  it("reports when each woken turn was due, for its lag", async () => {
    const clock = new VirtualClock();
    const store = makeStore();
    await suspendMany(store, clock, napper, "lag", 2);
    const dueAt = clock.now() - 2 + 60_000; // lag-0's timer
    clock.set(clock.now() + 90_000);
    const engine = createEngine({ store, workflows: [napper], clock, mode: "external", logger: silentLogger });
    const reports: TurnReport[] = [];
    engine.onTurn((report) => reports.push(report));
    await engine.resumeDue();
    const first = reports.find((report) => report.executionId === "lag-0")!;
    expect(first).toMatchObject({ outcome: "completed", dueAt, startedAt: clock.now() });
    // A turn for an execution that was not due (here: after its end) has no due time.
    await engine.resume("lag-0");
    expect(reports.at(-1)!.dueAt).toBeUndefined();
  });

  it("refuses a page size, limit or concurrency that is not a whole number of at least 1", async () => {
    const engine = createEngine({ store: makeStore(), workflows: [napper], mode: "external", logger: silentLogger });
    await expect(engine.resumeDue({ pageSize: 0 })).rejects.toThrow(ValidationError);
    await expect(engine.resumeDue({ limit: 1.5 })).rejects.toThrow(/limit must be a whole number/);
    await expect(engine.resumeDue({ concurrency: -1 })).rejects.toThrow(ValidationError);
  });
});
