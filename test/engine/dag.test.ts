// dag() on the test engine (cold replay checked after every turn): diamonds, the concurrency bound, trigger rules and
// skip propagation, failFast, child-workflow tasks, validation before anything runs, and the timeline.
import { describe, expect, it } from "vitest";
import { CancelledError, DagFailedError, dag, sleep, step, task, TerminalError, ValidationError, workflow } from "spindle";
import { createTestEngine, formatTimeline } from "spindle/testing";

const fail = (message: string) => () => {
  throw new TerminalError(message);
};

describe("dag on the test engine", () => {
  it("runs a diamond: each task gets its dependencies' results by name, after they are done", async () => {
    const order: string[] = [];
    const diamond = workflow("dag-diamond", async function* () {
      return yield* dag({
        extract: task(() => (order.push("extract"), [3, 1, 2])),
        sorted: task(["extract"], (deps: { extract: number[] }) => (order.push("sorted"), [...deps.extract].sort())),
        total: task(["extract"], (deps: { extract: number[] }) => (order.push("total"), deps.extract.reduce((a, b) => a + b, 0))),
        report: task(["sorted", "total"], (deps: { sorted: number[]; total: number }) => `${deps.sorted.join(",")}=${deps.total}`),
      });
    });
    const t = createTestEngine({ workflows: [diamond] });
    const run = await t.start(diamond, undefined, { id: "diamond" });
    expect(await run.result()).toEqual({
      extract: { status: "success", value: [3, 1, 2] },
      sorted: { status: "success", value: [1, 2, 3] },
      total: { status: "success", value: 6 },
      report: { status: "success", value: "1,2,3=6" },
    });
    expect(order).toEqual(["extract", "sorted", "total"]);
    const timeline = formatTimeline(await t.history("diamond"));
    expect(timeline).toContain("dag  4 tasks: 'extract', 'sorted' <- ['extract'], 'total' <- ['extract'], 'report' <- ['sorted', 'total']");
    expect(timeline).toMatch(/dag 'dag' \[0\]\n  extract: success  \+0ms \.\. \+0ms\n  sorted: success/);
    expect(timeline).toMatch(/\[0\.3\.0\]\s+StepCompleted\s+step 'report'/);
  });

  it("never runs more tasks at once than its concurrency, and starts ready tasks in declaration order", async () => {
    let running = 0;
    let most = 0;
    const started: string[] = [];
    const slow = (name: string) => async () => {
      started.push(name);
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      running--;
      return name;
    };
    const names = ["a", "b", "c", "d", "e", "f", "g"];
    const wide = workflow("dag-wide", async function* () {
      const tasks = Object.fromEntries(names.map((name) => [name, task(slow(name))]));
      return yield* dag(tasks, { concurrency: 3 });
    });
    const t = createTestEngine({ workflows: [wide] });
    const result = await (await t.start(wide, undefined, { id: "wide" })).result();
    expect(Object.values(result).every((outcome) => outcome.status === "success")).toBe(true);
    expect(most).toBe(3);
    expect(started.slice(0, 3)).toEqual(["a", "b", "c"]);
  });

  it("applies each trigger rule and propagates skips as Airflow does", async () => {
    const rules = workflow("dag-rules", async function* () {
      return yield* dag(
        {
          ok: task(() => 1),
          bad: task(fail("boom")),
          afterBad: task(["bad"], () => "never"), // all-success: upstream failed -> skipped
          afterSkip: task(["afterBad"], () => "never"), // all-success: upstream skipped -> skipped
          done: task(["ok", "bad"], (deps: { ok?: number; bad?: unknown }) => `ok=${deps.ok} bad=${String(deps.bad)}`, { trigger: "all-done" }),
          oneSuccess: task(["ok", "bad"], () => "ran", { trigger: "one-success" }),
          oneFailed: task(["ok", "bad"], () => "alert", { trigger: "one-failed" }),
          noFailure: task(["ok"], () => "never", { trigger: "one-failed" }), // no upstream failed -> skipped
          noneFailed: task(["ok", "afterBad"], () => "ran", { trigger: "none-failed" }), // skipped upstream is fine
          noneFailedBad: task(["bad"], () => "never", { trigger: "none-failed" }),
        },
        { failFast: false },
      );
    });
    const t = createTestEngine({ workflows: [rules] });
    const run = await t.start(rules, undefined, { id: "rules" });
    const error = await run.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DagFailedError);
    const failed = error as DagFailedError;
    expect(failed.failures).toEqual([{ task: "bad", error: "StepFailedError", message: expect.stringContaining("boom") }]);
    expect(failed.results).toEqual({
      ok: "success",
      bad: "failed",
      afterBad: "skipped",
      afterSkip: "skipped",
      done: "success",
      oneSuccess: "success",
      oneFailed: "success",
      noFailure: "skipped",
      noneFailed: "success",
      noneFailedBad: "skipped",
    });
    expect(failed.message).toMatch(/Execution 'rules': dag 'dag' \(#0\): task 'bad' \(StepFailedError: .*boom.*\) failed/);
    const history = await t.history("rules");
    const completed = history.filter((e) => e.type === "StepCompleted").map((e) => (e.type === "StepCompleted" ? [e.name, e.result] : []));
    expect(completed).toContainEqual(["done", JSON.stringify("ok=1 bad=undefined")]);
  });

  it("with failFast (the default) starts nothing after a failure, lets running tasks finish, then throws", async () => {
    const ran: string[] = [];
    const fast = workflow("dag-fail-fast", async function* () {
      try {
        yield* dag(
          {
            bad: task(fail("early")),
            slow: task(async () => {
              ran.push("slow");
              return "finished";
            }),
            later: task(["slow"], () => void ran.push("later")),
          },
          { concurrency: 2 },
        );
        return "no error";
      } catch (error) {
        return error instanceof DagFailedError ? error.results : "other";
      }
    });
    const t = createTestEngine({ workflows: [fast] });
    const result = await (await t.start(fast, undefined, { id: "fast" })).result();
    expect(result).toEqual({ bad: "failed", slow: "success", later: "skipped" });
    expect(ran).toEqual(["slow"]);
  });

  it("runs a task as a child workflow with an input built from its dependencies", async () => {
    const double = workflow("dag-double", async function* (input: { n: number }) {
      return yield* step("double", () => input.n * 2);
    });
    const parent = workflow("dag-parent", async function* () {
      const results = yield* dag({
        seed: task(() => 21),
        doubled: task(["seed"], double, { input: (deps: { seed: number }) => ({ n: deps.seed }) }),
      });
      return results.doubled.status === "success" ? results.doubled.value : -1;
    });
    const t = createTestEngine({ workflows: [parent, double] });
    expect(await (await t.start(parent, undefined, { id: "parent" })).result()).toBe(42);
  });

  it("retries a task with its retry policy (durable backoff)", async () => {
    let attempts = 0;
    const flaky = workflow("dag-retry", async function* () {
      const results = yield* dag({
        flaky: task(({ attempt }) => {
          attempts = attempt;
          if (attempt < 3) throw new Error("not yet");
          return attempt;
        }, { retry: { maxAttempts: 3, initialInterval: "1s" } }),
      });
      yield* sleep("1s");
      return results.flaky;
    });
    const t = createTestEngine({ workflows: [flaky] });
    expect(await (await t.start(flaky, undefined, { id: "retry" })).result()).toEqual({ status: "success", value: 3 });
    expect(attempts).toBe(3);
  });

  it.each([
    ["a cycle, named", { a: ["c"], b: ["a"], c: ["b"] }, {}, /cycle: 'a' -> 'c' -> 'b' -> 'a'/],
    ["an unknown dependency", { a: [], b: ["z"] }, {}, /task 'b' depends on 'z', which is not a task/],
    ["a prototype-like name", { constructor: [] }, {}, /'constructor' cannot name a task/],
    ["an ill-formed name", { ["bad\uD800"]: [] }, {}, /not well-formed Unicode/],
    ["a zero concurrency", { a: [] }, { concurrency: 0 }, /concurrency must be a whole number of at least 1, got 0/],
    ["a fractional concurrency", { a: [] }, { concurrency: 1.5 }, /concurrency must be a whole number/],
  ])("refuses %s with a ValidationError naming the execution, before anything runs", async (_what, shape, options, message) => {
    const ran: string[] = [];
    const bad = workflow("dag-invalid", async function* () {
      const tasks = Object.fromEntries(Object.entries(shape).map(([name, deps]) => [name, task(deps, () => void ran.push(name))]));
      return yield* dag(tasks as never, options);
    });
    const t = createTestEngine({ workflows: [bad] });
    const error = await (await t.start(bad, undefined, { id: "invalid" })).result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/^Execution 'invalid': dag 'dag' \(#0\): /);
    expect((error as Error).message).toMatch(message);
    expect(ran).toEqual([]);
    expect((await t.history("invalid")).some((e) => e.type === "GroupStarted")).toBe(false);
  });

  it("refuses an unknown trigger rule and a task listing a dependency twice", async () => {
    const bad = workflow("dag-bad-task", async function* () {
      return yield* dag({ a: task(() => 1), b: task(["a", "a"], () => 2) } as never);
    });
    const t = createTestEngine({ workflows: [bad] });
    const error = await (await t.start(bad, undefined, { id: "bad-task" })).result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/task 'b': a task lists a dependency twice/);
  });

  it("ends with CancelledError when the execution is cancelled while a task waits; no new task starts", async () => {
    const ran: string[] = [];
    const waiting = workflow("dag-waiting-child", async function* () {
      yield* sleep("1h");
      return "late";
    });
    const cancelled = workflow("dag-cancelled", async function* () {
      return yield* dag({
        wait: task([], waiting, { input: () => undefined }),
        after: task(["wait"], () => void ran.push("after")),
      });
    });
    const t = createTestEngine({ workflows: [cancelled, waiting] });
    const run = await t.start(cancelled, undefined, { id: "cancelled" });
    await t.advanceTime("1m");
    await t.cancel("cancelled", "stop");
    const error = await run.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect(ran).toEqual([]);
  });

  it("settles an empty dag at once with an empty result", async () => {
    const empty = workflow("dag-empty", async function* () {
      return yield* dag({});
    });
    const t = createTestEngine({ workflows: [empty] });
    expect(await (await t.start(empty, undefined, { id: "empty" })).result()).toEqual({});
  });
});
