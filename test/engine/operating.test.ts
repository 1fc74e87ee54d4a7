// The engine as an operator runs it: the warm generator cache, picking up executions left by a stopped process,
// history-size warnings, unknown workflows, result() errors and bounded concurrent turns.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createEngine,
  ExecutionNotFoundError,
  MemoryStore,
  now,
  silentLogger,
  sleep,
  step,
  StepFailedError,
  ValidationError,
  waitForEvent,
  workflow,
  WorkflowNotFoundError,
} from "spindle";
import type { Logger } from "spindle";
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

describe("warm cache", () => {
  it("continues a suspended generator without replaying, and replays when the cache is off", async () => {
    let bodyStarts = 0;
    const wf = workflow("warm", async function* () {
      bodyStarts++;
      for (let i = 0; i < 3; i++) yield* sleep("1h");
    });
    // It counts the body's runs: the test engine's cold-replay check would add its own.
    const warm = createTestEngine({ workflows: [wf], checkReplay: false });
    await (await warm.start(wf, undefined)).result();
    expect(bodyStarts).toBe(1);
    bodyStarts = 0;
    const cold = createTestEngine({ workflows: [wf], cacheSize: 0, checkReplay: false });
    await (await cold.start(wf, undefined)).result();
    expect(bodyStarts).toBe(4);
  });

  it("falls back to a replay when another writer moved the execution on", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    let bodyStarts = 0;
    const wf = workflow("shared", async function* () {
      bodyStarts++;
      const a = yield* waitForEvent<number>("n");
      const b = yield* waitForEvent<number>("n");
      return a + b;
    });
    const options = { store, workflows: [wf], clock, mode: "external" as const, logger: silentLogger };
    const one = createEngine(options);
    const two = createEngine(options);
    await one.start(wf, undefined, { id: "s-1" });
    await one.resume("s-1"); // parks a warm generator in `one`
    await one.sendEvent("s-1", "n", 1);
    await two.resume("s-1"); // `two` moves the history on
    await one.sendEvent("s-1", "n", 2);
    const turn = await one.resume("s-1"); // `one`'s warm generator is stale: it must replay
    expect(turn).toMatchObject({ status: "completed", replayed: true });
    expect(await one.result("s-1")).toBe(3);
    expect(bodyStarts).toBe(3);
  });

  it("logs through ctx.log once per line, silent while replaying", async () => {
    const lines: string[] = [];
    const logger: Logger = { ...silentLogger, info: (message) => lines.push(message) };
    const wf = workflow("logs", async function* (_input, ctx) {
      ctx.log.info("before");
      yield* step("a", () => 1);
      ctx.log.info("between");
      yield* sleep("1h");
      ctx.log.info("after");
    });
    const t = createTestEngine({ workflows: [wf], cacheSize: 0, logger });
    await (await t.start(wf, undefined)).result();
    expect(lines).toEqual(["before", "between", "after"]);
  });
});

describe("operating an engine", () => {
  it("picks up executions left by a stopped process when polling", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const first = createEngine({ store, workflows: [greet], clock, logger: silentLogger });
    await first.start(greet, { name: "Restart" }, { id: "poll-1" });
    await first.idle();
    await first.close(); // the process stops while the execution sleeps
    const second = createEngine({ store, workflows: [greet], clock, logger: silentLogger, pollInterval: "30s" });
    while ((await store.get("poll-1"))!.status !== "completed" && clock.fireNext()) await second.idle();
    expect(await second.result("poll-1")).toBe("Hello, Restart");
    expect(clock.now() - (await second.describe("poll-1")).createdAt.getTime()).toBe(60_000);
    await second.close();
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it("warns once when a history passes the configured number of events", async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
    const long = workflow("long", async function* () {
      for (let i = 0; i < 10; i++) yield* step(`s${i}`, () => i);
    });
    const t = createTestEngine({ workflows: [long], logger });
    const engine = createEngine({ store: t.store, workflows: [long], clock: t.clock, logger, historyWarningThreshold: 5 });
    await (await engine.start(long, undefined, { id: "long-1" })).result();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/'long-1' has 5 events.*continueAsNew/);
  });

  it("refuses to resume an execution of a workflow this engine does not know", async () => {
    const store = new MemoryStore();
    const known = createEngine({ store, workflows: [greet], mode: "external", logger: silentLogger });
    await known.start(greet, { name: "A" }, { id: "unknown-wf" });
    const other = createEngine({ store, workflows: [], mode: "external", logger: silentLogger });
    await expect(other.resume("unknown-wf")).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await expect(other.resume("nobody")).rejects.toBeInstanceOf(ExecutionNotFoundError);
  });

  it("rejects result() with the workflow's own error, its cause intact", async () => {
    const failing = workflow("failing", async function* () {
      yield* step("charge", () => {
        throw Object.assign(new Error("card declined"), { code: "E_CARD" });
      }, { retry: { maxAttempts: 1 } });
    });
    const t = createTestEngine({ workflows: [failing] });
    const error = await (await t.start(failing, undefined, { id: "f-1" })).result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailedError);
    expect((error as StepFailedError).cause).toMatchObject({ message: "card declined", code: "E_CARD" });
    expect((await t.describe("f-1")).error).toMatchObject({ name: "StepFailedError", code: "STEP_FAILED" });
  });
});

describe("bounded turns", () => {
  it("runs at most maxConcurrentTurns turns at once and queues the rest", async () => {
    let running = 0;
    let peak = 0;
    const slow = workflow("slow-step", async function* () {
      return yield* step("work", async () => {
        peak = Math.max(peak, ++running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running--;
        return "ok";
      });
    });
    const engine = createEngine({ store: new MemoryStore(), workflows: [slow], logger: silentLogger, maxConcurrentTurns: 3 });
    const runs = await Promise.all(Array.from({ length: 12 }, () => engine.start(slow, undefined)));
    expect(await Promise.all(runs.map((run) => run.result()))).toEqual(Array(12).fill("ok"));
    expect(peak).toBe(3);
    expect(() => createEngine({ store: new MemoryStore(), workflows: [], maxConcurrentTurns: 0 })).toThrowError(ValidationError);
  });
});
