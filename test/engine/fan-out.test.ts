// Many executions started at once on one in-process engine: queued turns start first come, first served; turns that
// never wait for I/O run a few side by side while turns that wait for I/O reach maxConcurrentTurns; every caller of
// result() gets the outcome (from the closed record the turn wrote, when it came during the turns), also one that came
// while a turn ran and an end another process wrote, and a turn's lasting failure, also one that came after it.
import { describe, expect, it } from "vitest";
import { createEngine, ExecutionNotFoundError, MemoryStore, NonDeterminismError, silentLogger, step, waitForEvent, workflow } from "spindle";
import type { HistoryStore } from "spindle/store";
import { EAGER_TURNS } from "../../src/engine/slots.js";

/** Counts the executions between their first and last step, and the most at one time. */
function overlapMeter() {
  const meter = { inside: 0, peak: 0 };
  return {
    meter,
    enter: () => void (meter.peak = Math.max(meter.peak, ++meter.inside)),
    leave: () => void meter.inside--,
  };
}

describe("executions started at once", () => {
  it("run their turns first come, first served, each to its own result", async () => {
    const ended: string[] = [];
    const double = workflow("double", async function* (input: { n: number }) {
      const once = yield* step("once", () => input.n * 2);
      return yield* step("twice", () => once * 2);
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [double], logger: silentLogger, maxConcurrentTurns: 1 });
    engine.onTurn((report) => report.outcome === "completed" && ended.push(report.executionId));
    const runs = await Promise.all(Array.from({ length: 40 }, (_, n) => engine.start(double, { n }, { id: `d-${n}` })));
    expect(await Promise.all(runs.map((run) => run.result()))).toEqual(Array.from({ length: 40 }, (_, n) => n * 4));
    expect(ended).toEqual(runs.map((run) => run.id));
    await engine.close();
  });

  it("interleave at most EAGER_TURNS turns that never wait for I/O, whatever maxConcurrentTurns allows", async () => {
    const { meter, enter, leave } = overlapMeter();
    const busy = workflow("busy", async function* () {
      yield* step("enter", enter);
      for (let i = 0; i < 5; i++) yield* step(`work-${i}`, () => i);
      yield* step("leave", leave);
      return "done";
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [busy], logger: silentLogger, maxConcurrentTurns: 128 });
    const runs = await Promise.all(Array.from({ length: 300 }, () => engine.start(busy, undefined)));
    expect(await Promise.all(runs.map((run) => run.result()))).toEqual(Array(300).fill("done"));
    expect(meter.peak).toBeGreaterThan(1);
    expect(meter.peak).toBeLessThanOrEqual(EAGER_TURNS);
    await engine.close();
  });

  it("reach maxConcurrentTurns when their turns wait for I/O", async () => {
    const { meter, enter, leave } = overlapMeter();
    const maxConcurrentTurns = EAGER_TURNS * 3;
    // The I/O answers once maxConcurrentTurns executions wait for it (or after a second, for the test to fail).
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const fallback = setTimeout(answer, 1000);
    const waiting = workflow("waiting", async function* () {
      yield* step("enter", () => {
        enter();
        if (meter.inside === maxConcurrentTurns) answer();
      });
      yield* step("fetch", () => answered.then(() => "fetched"));
      yield* step("leave", leave);
      return "done";
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [waiting], logger: silentLogger, maxConcurrentTurns });
    const runs = await Promise.all(Array.from({ length: maxConcurrentTurns * 2 }, () => engine.start(waiting, undefined)));
    expect(await Promise.all(runs.map((run) => run.result()))).toEqual(Array(maxConcurrentTurns * 2).fill("done"));
    clearTimeout(fallback);
    expect(meter.peak).toBe(maxConcurrentTurns);
    await engine.close();
  });

  it("give every caller of result() the outcome: several per execution, a handle's result taken apart, an unknown id", async () => {
    const echo = workflow("echo", async function* (input: string) {
      return yield* step("echo", async () => input);
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [echo], logger: silentLogger });
    const { result, id } = await engine.start(echo, "hi");
    const callers = [result(), engine.result(id), engine.result(echo, id), result()];
    expect(await Promise.all(callers)).toEqual(["hi", "hi", "hi", "hi"]);
    expect(await result()).toBe("hi"); // after the end: read from the record
    await expect(engine.result("nobody")).rejects.toBeInstanceOf(ExecutionNotFoundError);
    await engine.close();
  });

  it("tell callers of result() who came while the turns were queued or running the end those turns wrote, without reading it again", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gated = workflow("gated", async function* (input: { n: number }) {
      return yield* step("wait", () => gate.then(() => input.n));
    });
    let reads = 0;
    const counted: HistoryStore = new Proxy(new MemoryStore(), {
      get(target, name) {
        if (name === "get") return (id: string) => (reads++, target.get(id));
        const value = Reflect.get(target, name) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const engine = createEngine({ store: counted, workflows: [gated], logger: silentLogger, maxConcurrentTurns: 2 });
    const runs = await Promise.all(Array.from({ length: 5 }, (_, n) => engine.start(gated, { n })));
    const results = runs.map((run) => run.result()); // two turns wait at the gate, three are queued: none has ended
    open();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
    expect(reads).toBe(0);
    expect(await runs[0]!.result()).toBe(0); // after the end: read from the record
    expect(reads).toBe(1);
    await engine.close();
  });

  it("tell a caller of result() who came while the execution's turn was queued of a terminate before that turn runs", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gated = workflow("held", async function* () {
      return yield* step("wait", () => gate.then(() => "opened"));
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [gated], logger: silentLogger, maxConcurrentTurns: 1 });
    const [holder, queued] = await Promise.all([engine.start(gated, undefined), engine.start(gated, undefined)]);
    const outcome = queued.result().then(
      () => "completed",
      (error: unknown) => (error as Error).name,
    );
    await engine.terminate(queued.id, "not needed");
    // The only slot is still held at the gate: the queued turn has not run.
    expect(await Promise.race([outcome, new Promise((resolve) => setTimeout(resolve, 0, "still waiting"))])).toBe("CancelledError");
    open();
    expect(await holder.result()).toBe("opened");
    await engine.close();
  });

  it("tell a caller of result() who came during a turn that found the execution busy of the end another process wrote", async () => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let letReadsThrough!: () => void;
    const readsThrough = new Promise<void>((resolve) => (letReadsThrough = resolve));
    const slow = workflow("slow", async function* () {
      return yield* step("work", () => finished.then(() => "worked"));
    });
    const shared = new MemoryStore();
    // This process reads records only once the other process has ended the execution.
    const held: HistoryStore = new Proxy(shared, {
      get(target, name) {
        if (name === "get") return async (id: string) => (await readsThrough, target.get(id));
        const value = Reflect.get(target, name) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const other = createEngine({ store: shared, workflows: [slow], logger: silentLogger });
    const here = createEngine({ store: held, workflows: [slow], logger: silentLogger, mode: "external" });
    const run = await other.start(slow, undefined, { id: "slow-1" });
    await new Promise((resolve) => setTimeout(resolve, 10)); // the other process holds the execution, in its step
    const turn = here.resume("slow-1");
    const waiting = here.result("slow-1"); // the turn is under way: no read now
    expect((await turn).busyUntil).toBeDefined();
    finish();
    expect(await run.result()).toBe("worked");
    letReadsThrough();
    expect(await waiting).toBe("worked");
    await Promise.all([other.close(), here.close()]);
  });

  it("give every caller of result() a turn's lasting failure, also callers who come after it failed", async () => {
    const before = workflow("changed", async function* () {
      yield* step("a", () => 1);
      return yield* waitForEvent<number>("go");
    });
    // A deploy that changed the code under recorded executions: replaying them is not deterministic.
    const after = workflow("changed", async function* () {
      yield* step("A", () => 1);
      return yield* waitForEvent<number>("go");
    });
    const store = new MemoryStore();
    const old = createEngine({ store, workflows: [before], logger: silentLogger });
    const ids = Array.from({ length: 8 }, (_, n) => `changed-${n}`);
    for (const id of ids) await old.start(before, undefined, { id });
    await old.idle();
    await old.close();
    const engine = createEngine({ store, workflows: [after], logger: silentLogger, maxConcurrentTurns: 2 });
    const early = ids.map((id) => engine.result(id));
    for (const id of ids) await engine.sendEvent(id, "go", 1);
    await engine.idle(); // every turn has failed by now
    const late = ids.map((id) => engine.result(id));
    for (const outcome of await Promise.allSettled([...early, ...late])) {
      expect(outcome.status).toBe("rejected");
      const error = (outcome as PromiseRejectedResult).reason as NonDeterminismError;
      expect(error).toBeInstanceOf(NonDeterminismError);
      expect([error.opId, error.expected?.name, error.found?.name]).toEqual(["0", "a", "A"]);
    }
    await engine.close();
  });
});
