// Durability: a turn abandoned at every store call, then resumed by a fresh process, gives the same result with
// every step completion recorded once; two processes racing on one execution never fork its history; code that no
// longer matches its history is stopped before any new effect.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { HistoryEvent } from "spindle";
import {
  ConcurrencyError,
  createEngine,
  HistoryCorruptedError,
  MemoryStore,
  NonDeterminismError,
  now,
  setStatus,
  silentLogger,
  sleep,
  step,
  waitForEvent,
  workflow,
} from "spindle";
import { createTestEngine, VirtualClock } from "spindle/testing";
import { CrashingStore, completionsPerStep, isGapless, SimulatedCrash, until } from "../helpers.js";

/** A workflow touching every operation, with an effect ledger. */
function makeTrip(ledger: Map<string, number>) {
  const effect = <T>(name: string, value: T) => (): T => {
    ledger.set(name, (ledger.get(name) ?? 0) + 1);
    return value;
  };
  return workflow(
    "trip",
    { input: z.object({ city: z.string() }), events: { approved: z.object({ by: z.string() }) } },
    async function* (input, ctx) {
      const flight = yield* step("book-flight", effect("book-flight", `FL-${input.city}`));
      yield* setStatus({ stage: "flight booked" });
      const hotel = yield* step(
        "book-hotel",
        ({ attempt }) => {
          ledger.set("book-hotel", (ledger.get("book-hotel") ?? 0) + 1);
          if (attempt === 1) throw new Error("hotel API hiccup");
          return `HT-${input.city}`;
        },
        { retry: { maxAttempts: 3, initialInterval: "1s" } },
      );
      const approval = yield* ctx.waitForEvent("approved", { timeout: "1d" });
      yield* sleep("2h");
      const at = yield* now();
      const receipt = yield* step("receipt", effect("receipt", { flight, hotel, by: approval.by }), { semantics: "at-most-once" });
      return { ...receipt, day: at.toISOString().slice(0, 10) };
    },
  );
}

/** Drives an execution to its end in external mode, each turn on a fresh engine (a new process). */
async function drive(store: CrashingStore, clock: VirtualClock, ledger: Map<string, number>) {
  const engine = () => createEngine({ store, workflows: [makeTrip(ledger)], clock, mode: "external", logger: silentLogger });
  for (let attempt = 0; ; attempt++) {
    try {
      await engine().start("trip", { city: "Lisbon" }, { id: "trip-1" });
      break;
    } catch (error) {
      if (!(error instanceof SimulatedCrash) || attempt > 3) throw error;
    }
  }
  let sent = false;
  for (let turns = 0; turns < 50; turns++) {
    let status: string | undefined;
    try {
      status = (await engine().resume("trip-1")).status;
      if (!sent && status === "suspended") {
        await engine().sendEvent("trip-1", "approved", { by: "cfo" }, { idempotencyKey: "approval-1" });
        sent = true;
        continue;
      }
    } catch (error) {
      if (!(error instanceof SimulatedCrash)) throw error;
      continue;
    }
    if (status !== "running" && status !== "suspended") break;
    const record = await store.inner.get("trip-1");
    if (record?.wakeAt !== undefined && record.wakeAt > clock.now()) clock.set(record.wakeAt);
  }
  const inner = store.inner;
  const record = (await inner.get("trip-1"))!;
  const page = (await inner.load("trip-1"))!;
  return { record, history: page.events as HistoryEvent[] };
}

describe("a turn abandoned at any store call", () => {
  it("resumes to the same result with each completion recorded once, effects bounded, at-most-once kept", async () => {
    const clean = new CrashingStore(new MemoryStore());
    const cleanLedger = new Map<string, number>();
    const baseline = await drive(clean, new VirtualClock(), cleanLedger);
    expect(baseline.record.status, JSON.stringify(baseline.record.error)).toBe("completed");
    const totalCalls = clean.calls;
    expect(totalCalls).toBeGreaterThan(10);

    let crashes = 0;
    let interruptions = 0;
    for (const mode of ["before", "after"] as const) {
      for (let crashAt = 0; crashAt < totalCalls; crashAt++) {
        const store = new CrashingStore(new MemoryStore());
        store.crashAt = crashAt;
        store.mode = mode;
        const ledger = new Map<string, number>();
        const { record, history } = await drive(store, new VirtualClock(), ledger);
        const where = `crash ${mode} call ${crashAt}`;
        if (store.crashed) crashes++;
        const interrupted = history.some((e) => e.type === "StepFailed" && e.error.name === "StepInterruptedError");
        if (interrupted) {
          // The crash cut the at-most-once receipt step between its recorded start and its outcome: it is not
          // rerun blindly, so the run fails with StepInterruptedError instead of risking a second effect.
          interruptions++;
          expect(record.status, where).toBe("failed");
        } else {
          expect(record.status, `${where}: ${JSON.stringify(record.error?.message)}`).toBe("completed");
          expect(record.result, where).toBe(baseline.record.result);
        }
        expect(isGapless(history), where).toBe(true);
        for (const [opId, count] of completionsPerStep(history)) expect(count, `${where}: op ${opId}`).toBe(1);
        // Effects never exceed recorded attempts plus the one attempt a crash can cut off.
        for (const [name, count] of ledger) {
          expect(count, `${where}: ${name}`).toBeLessThanOrEqual((cleanLedger.get(name) ?? 0) + 1);
        }
        expect(ledger.get("receipt") ?? 0, `${where}: at-most-once receipt`).toBeLessThanOrEqual(1);
      }
    }
    expect(crashes).toBe(totalCalls * 2);
    // Exactly two crash points fall inside the receipt's window: after its StepStarted append, and before the append
    // of its outcome.
    expect(interruptions).toBe(2);
  });
});

describe("racing turns", () => {
  it("lets one of two processes run a step at a time: the other finds the lease and stays out", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const effects: string[] = [];
    const wf = workflow("race", async function* () {
      const results: number[] = [];
      for (let i = 0; i < 5; i++) {
        results.push(
          yield* step(`s${i}`, async () => {
            effects.push(`s${i}`);
            await new Promise((resolve) => setTimeout(resolve, 1));
            return i;
          }),
        );
      }
      return results;
    });
    const options = { store, workflows: [wf], clock, mode: "external" as const, logger: silentLogger };
    const a = createEngine(options);
    const b = createEngine(options);
    await a.start(wf, undefined, { id: "r-1" });
    const turns = await Promise.all([a.resume("r-1"), b.resume("r-1")]);
    expect(turns.filter((turn) => turn.busyUntil !== undefined)).toHaveLength(1);
    expect(turns.filter((turn) => turn.status === "completed")).toHaveLength(1);
    expect(await a.result("r-1")).toEqual([0, 1, 2, 3, 4]);
    const history = (await store.load("r-1"))!.events as HistoryEvent[];
    expect(isGapless(history)).toBe(true);
    expect([...completionsPerStep(history).values()]).toEqual([1, 1, 1, 1, 1]);
    expect(effects).toEqual(["s0", "s1", "s2", "s3", "s4"]); // each step ran once
    expect((await store.get("r-1"))!.lease).toBeUndefined(); // released at the end
  });

  it("takes over a dead turn's lease once it runs out, and not before", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const wf = workflow("takeover", async function* () {
      return yield* step("s", () => "done");
    });
    const options = { store, workflows: [wf], clock, mode: "external" as const, logger: silentLogger, staleTurnTimeout: "1m" as const };
    const a = createEngine(options);
    await a.start(wf, undefined, { id: "t-1" });
    // A turn of another process leased it, then died.
    const dead = await store.acquireLease("t-1", { owner: "dead-process", until: clock.now() + 60_000, now: clock.now() });
    expect(dead.acquired).toBe(true);
    expect(await store.listDue(clock.now())).toEqual([]); // not handed out while leased
    const early = await a.resume("t-1");
    expect(early.busyUntil).toBe(clock.now() + 60_000);
    expect(await a.resumeDue()).toEqual({ resumed: 0, busy: 0, failed: [], left: 0 });
    clock.set(clock.now() + 60_000);
    expect(await store.listDue(clock.now())).toEqual(["t-1"]);
    expect(await a.resumeDue()).toEqual({ resumed: 1, busy: 0, failed: [], left: 0 });
    expect(await a.result("t-1")).toBe("done");
  });

  it("renews the lease while a long step runs, so another process stays out past the first lease", async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const store = new MemoryStore();
    let finish: (value: string) => void = () => {};
    let runs = 0;
    const wf = workflow("long-step", async function* () {
      return yield* step("export", () => {
        runs++;
        return new Promise<string>((resolve) => (finish = resolve));
      });
    });
    const options = { store, workflows: [wf], clock, mode: "external" as const, logger: silentLogger, staleTurnTimeout: "1m" as const };
    const a = createEngine(options);
    const b = createEngine(options);
    await a.start(wf, undefined, { id: "long-1" });
    const turn = a.resume("long-1");
    await until(() => runs === 1);
    clock.fireNext(); // 30 s in: half the lease gone, the turn renews it to 90 s
    await until(async () => (await store.get("long-1"))!.lease!.until === start + 90_000);
    clock.set(clock.now() + 40_000); // 70 s: past the first lease, inside the renewed one
    expect((await b.resume("long-1")).busyUntil).toBe(start + 90_000);
    finish("done");
    expect((await turn).status).toBe("completed");
    expect(runs).toBe(1);
  });

  it("serializes turns of one execution inside one process", async () => {
    const wf = workflow("serial", async function* () {
      for (let i = 0; i < 3; i++) yield* step(`s${i}`, () => new Promise((resolve) => setTimeout(() => resolve(i), 1)));
      return "ok";
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [wf], mode: "external", logger: silentLogger });
    await engine.start(wf, undefined, { id: "p-1" });
    const results = await Promise.all([engine.resume("p-1"), engine.resume("p-1"), engine.resume("p-1")]);
    expect(results.every((r) => r.status === "completed")).toBe(true);
    expect(completionsPerStep(await engine.history("p-1")).size).toBe(3);
  });
});

describe("code that no longer matches its history", () => {
  const v1 = (effects: string[]) =>
    workflow("evolving", async function* () {
      yield* step("a", () => effects.push("a"));
      yield* step("b", () => effects.push("b"));
      yield* waitForEvent("go");
      yield* step("c", () => effects.push("c"));
      return "v1";
    });

  const changes: [string, (effects: string[]) => ReturnType<typeof workflow>][] = [
    ["a step renamed", (effects) => workflow("evolving", async function* () {
      yield* step("a", () => effects.push("a"));
      yield* step("b2", () => effects.push("b2"));
      yield* waitForEvent("go");
      yield* step("c", () => effects.push("c"));
    })],
    ["two steps reordered", (effects) => workflow("evolving", async function* () {
      yield* step("b", () => effects.push("b"));
      yield* step("a", () => effects.push("a"));
      yield* waitForEvent("go");
      yield* step("c", () => effects.push("c"));
    })],
    ["a step inserted", (effects) => workflow("evolving", async function* () {
      yield* step("a", () => effects.push("a"));
      yield* step("new", () => effects.push("new"));
      yield* step("b", () => effects.push("b"));
      yield* waitForEvent("go");
      yield* step("c", () => effects.push("c"));
    })],
    ["a step removed", (effects) => workflow("evolving", async function* () {
      yield* step("a", () => effects.push("a"));
      yield* waitForEvent("go");
      yield* step("c", () => effects.push("c"));
    })],
    ["a wait swapped for a sleep", (effects) => workflow("evolving", async function* () {
      yield* step("a", () => effects.push("a"));
      yield* step("b", () => effects.push("b"));
      yield* sleep("go", "1s");
      yield* step("c", () => effects.push("c"));
    })],
    ["the workflow now ends early", (effects) => workflow("evolving", async function* () {
      yield* step("a", () => effects.push("a"));
      return "short";
    })],
  ];

  it.each(changes)("stops with NonDeterminismError before any new effect when %s", async (_label, changed) => {
    const store = new MemoryStore();
    const clock = new VirtualClock();
    const recorded: string[] = [];
    const old = createEngine({ store, workflows: [v1(recorded)], clock, mode: "external", logger: silentLogger });
    await old.start("evolving", undefined, { id: "e-1" });
    await old.resume("e-1");
    await old.sendEvent("e-1", "go", null);
    const before = (await store.load("e-1"))!;

    const effects: string[] = [];
    const next = createEngine({ store, workflows: [changed(effects)], clock, mode: "external", logger: silentLogger });
    const error = await next.resume("e-1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonDeterminismError);
    expect((error as Error).message).toMatch(/'e-1'.*#\d/);
    expect(effects).toEqual([]);
    const after = (await store.load("e-1"))!;
    expect(after.events).toEqual(before.events);
    expect(after.record.version).toBe(before.record.version);
  });

  it("rejects a result() waiter with the NonDeterminismError of the failed turn", async () => {
    const store = new MemoryStore();
    const recorded: string[] = [];
    const t1 = createTestEngine({ workflows: [v1(recorded)], store });
    await t1.start("evolving", undefined, { id: "e-2" });
    await t1.idle();
    const t2 = createTestEngine({ workflows: [changes[0]![1]([])], store });
    await t2.sendEvent("e-2", "go", null);
    await expect(t2.result("e-2")).rejects.toBeInstanceOf(NonDeterminismError);
  });
});

describe("a corrupted history", () => {
  const wf = workflow("fragile", async function* () {
    yield* step("a", () => 1);
    yield* waitForEvent("go");
  });

  const corruptions: [string, (events: HistoryEvent[]) => unknown[]][] = [
    ["a sequence gap", (events) => [events[0], { ...events[1], seq: 3 }]],
    ["a duplicate event", (events) => [events[0], events[0]]],
    ["an unknown event type", (events) => [events[0], { ...events[1], type: "StepExploded" }]],
    ["a newer schema version", (events) => [events[0], { ...events[1], v: 99 }]],
    ["a truncated record", (events) => [events[0], { seq: 2, type: "StepCompleted" }]],
    ["another execution's events", (events) => [{ ...events[0], executionId: "someone-else" }, events[1]]],
    ["missing events", (events) => [events[0]]],
  ];

  it.each(corruptions)("stops with HistoryCorruptedError and overwrites nothing on %s", async (_label, corrupt) => {
    const inner = new MemoryStore();
    const engine = createEngine({ store: inner, workflows: [wf], mode: "external", logger: silentLogger });
    await engine.start(wf, undefined, { id: "c-1" });
    await engine.resume("c-1");
    const stored = (await inner.load("c-1"))!.events as HistoryEvent[];
    const tampered = corrupt(stored);
    const store = Object.create(inner) as MemoryStore;
    store.load = async (id, options) => {
      const page = await inner.load(id, options);
      return page && { ...page, events: tampered.slice(options?.afterSeq ?? 0) };
    };
    const reader = createEngine({ store, workflows: [wf], mode: "external", logger: silentLogger });
    await reader.sendEvent("c-1", "go", null);
    const error = await reader.resume("c-1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HistoryCorruptedError);
    expect((error as Error).message).toMatch(/'c-1'.*Nothing was overwritten/);
    expect((await inner.load("c-1"))!.events).toEqual(stored);
  });
});
