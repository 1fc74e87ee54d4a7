// dag() on MemoryStore and DynamoDBStore: a changed shape (task added or an edge rewired) on a recorded execution is a
// NonDeterminismError before any new effect, for the engine and replayHistory; a redrive of a failed dag reruns the
// failed tasks and what they skipped or never started, and replays every task that succeeded, also one that completed
// after the first failure was recorded (engine, replayHistory and the test engine's cold replay agree).
import { describe, expect, it } from "vitest";
import { createEngine, dag, DagFailedError, silentLogger, task, TerminalError, NonDeterminismError, waitForEvent, workflow } from "spindle";
import { createTestEngine, replayHistory } from "spindle/testing";
import { bothStores } from "../dynamodb/helpers.js";

const ran: string[] = [];
const work = (name: string) => () => (ran.push(name), name);

function version(shape: Record<string, string[]>) {
  return workflow("dag-shape", async function* () {
    yield* dag(Object.fromEntries(Object.entries(shape).map(([name, deps]) => [name, task(deps, work(name))])) as never);
    yield* waitForEvent("go");
    return "done";
  });
}

let down = true;
const flaky = workflow("dag-redrive", async function* () {
  const results = yield* dag({
    a: task(work("a")),
    b: task(["a"], () => {
      ran.push("b");
      if (down) throw new TerminalError("b is down");
      return "b";
    }),
    c: task(["b"], work("c")),
  });
  return Object.values(results).map((outcome) => outcome.status);
});

/** c fails first; d succeeds after c's failure is recorded; g fails after that; e (after c) is skipped; f (after d)
 * never starts (fail-fast). Every task function counts its calls in `ran`. */
const signals = { failC: () => {}, finishD: () => {}, cFailed: Promise.resolve(), dDone: Promise.resolve() };
function arm() {
  signals.cFailed = new Promise((resolve) => (signals.failC = resolve));
  signals.dDone = new Promise((resolve) => (signals.finishD = resolve));
}
const later = () => new Promise((resolve) => setTimeout(resolve, 10));
const perTask = workflow("dag-redrive-per-task", async function* () {
  const results = yield* dag({
    a: task(work("a")),
    c: task(["a"], () => {
      ran.push("c");
      if (down) {
        signals.failC();
        throw new TerminalError("c is down");
      }
      return "c";
    }),
    d: task(["a"], async () => {
      ran.push("d");
      if (down) await signals.cFailed.then(later);
      signals.finishD();
      return "d";
    }),
    g: task(["a"], async () => {
      ran.push("g");
      if (down) {
        await signals.dDone.then(later);
        throw new TerminalError("g is down");
      }
      return "g";
    }),
    e: task(["c"], work("e")),
    f: task(["d"], work("f")),
  });
  return Object.entries(results).map(([name, outcome]) => `${name}:${outcome.status}`);
});
const ALL_DONE = JSON.stringify(["a:success", "c:success", "d:success", "g:success", "e:success", "f:success"]);

let ids = 0;
describe.each(bothStores("dag"))("dag on %s", (_label, makeStore) => {
  it.each([
    ["adds a task", { a: [], b: ["a"], c: ["a"] }],
    ["rewires an edge", { a: [], b: [] }],
  ])("stops with NonDeterminismError before any new effect when the code %s", async (_change, changed) => {
    const store = makeStore();
    const recorded = version({ a: [], b: ["a"] });
    const first = createEngine({ store, workflows: [recorded], mode: "external", logger: silentLogger });
    const id = `dag-shape-${process.pid}-${Date.now().toString(36)}-${++ids}`;
    await first.start(recorded, undefined, { id });
    await first.resume(id);
    expect((await first.describe(id)).status).toBe("suspended");
    const history = await first.history(id);

    const next = version(changed as Record<string, string[]>);
    const deployed = createEngine({ store, workflows: [next], mode: "external", logger: silentLogger, cacheSize: 0 });
    await deployed.sendEvent(id, "go");
    ran.length = 0;
    const error = await deployed.resume(id).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(NonDeterminismError);
    expect((error as Error).message).toMatch(/the history holds dag 'dag' with tasks 'a', 'b' <- \['a'\]/);
    expect(ran).toEqual([]);
    expect(await deployed.history(id)).toEqual(history);
    await expect(replayHistory(next, history)).rejects.toBeInstanceOf(NonDeterminismError);
    await expect(replayHistory(recorded, history)).resolves.toMatchObject({ outcome: "waiting" });
  });

  it("redrives a failed dag: the failed task and the task it skipped run, the completed one replays", async () => {
    const store = makeStore();
    const engine = createEngine({ store, workflows: [flaky], mode: "external", logger: silentLogger });
    const id = `dag-redrive-${process.pid}-${Date.now().toString(36)}-${++ids}`;
    down = true;
    ran.length = 0;
    await engine.start(flaky, undefined, { id });
    await engine.resume(id);
    expect((await engine.describe(id)).status).toBe("failed");
    const ending = (await engine.history(id)).at(-1)!;
    expect(ending.type === "ExecutionFailed" && ending.error.name).toBe("DagFailedError");
    expect(ending.type === "ExecutionFailed" && ending.error.cause?.name).toBe("StepFailedError");
    expect(ran).toEqual(["a", "b"]);

    down = false;
    ran.length = 0;
    await engine.redrive(id);
    await engine.resume(id);
    expect((await engine.describe(id)).status).toBe("completed");
    expect(ran).toEqual(["b", "c"]);
    const completed = (await engine.history(id)).at(-1)!;
    expect(completed.type === "ExecutionCompleted" && completed.result).toBe(JSON.stringify(["success", "success", "success"]));
  });

  it("redrives per task: c and g rerun with a fresh budget, d (completed after c's failure) replays, e and f run", async () => {
    const store = makeStore();
    const engine = createEngine({ store, workflows: [perTask], mode: "external", logger: silentLogger });
    const id = `dag-per-task-${process.pid}-${Date.now().toString(36)}-${++ids}`;
    down = true;
    arm();
    ran.length = 0;
    await engine.start(perTask, undefined, { id });
    await engine.resume(id);
    expect((await engine.describe(id)).status).toBe("failed");
    const failed = await engine.history(id);
    const ending = failed.at(-1)!;
    expect(ending.type === "ExecutionFailed" && ending.error.data?.failures).toMatchObject([{ task: "c" }, { task: "g" }]);
    // The premise: d's success is recorded after c's final failure and before g's.
    const seqOf = (scope: string, type: string) => failed.find((event) => event.opId.startsWith(`${scope}.`) && event.type === type)!.seq;
    expect(seqOf("0.1", "StepFailed")).toBeLessThan(seqOf("0.2", "StepCompleted"));
    expect(seqOf("0.2", "StepCompleted")).toBeLessThan(seqOf("0.3", "StepFailed"));
    expect([...ran].sort()).toEqual(["a", "c", "d", "g"]);

    down = false;
    ran.length = 0;
    expect(await engine.redrive(id)).toMatchObject({ redriven: true, from: "failed", rerun: { opId: "0.1.0", name: "c" } });
    const redriven = (await engine.history(id)).at(-1)!;
    expect(redriven).toMatchObject({ type: "ExecutionRedriven", rerun: ["0.1", "0.3"], fromSeq: seqOf("0.3", "StepFailed") + 1 });
    await engine.resume(id);
    expect((await engine.describe(id)).status).toBe("completed");
    expect([...ran].sort()).toEqual(["c", "e", "f", "g"]);
    const history = await engine.history(id);
    const completed = history.at(-1)!;
    expect(completed.type === "ExecutionCompleted" && completed.result).toBe(ALL_DONE);
    // c and g ran again from attempt 1 (their first attempts are superseded).
    const after = history.filter((event) => event.seq > redriven.seq && event.type === "StepCompleted");
    expect(after.map((event) => [event.name, event.type === "StepCompleted" && event.attempt])).toEqual(
      expect.arrayContaining([["c", 1], ["g", 1]]),
    );

    // The redriven history replays to the same ending without running a task, and so does a cold engine.
    ran.length = 0;
    await expect(replayHistory(perTask, history)).resolves.toMatchObject({ outcome: "completed" });
    const cold = createEngine({ store, workflows: [perTask], mode: "external", logger: silentLogger, cacheSize: 0 });
    expect((await cold.resume(id)).status).toBe("completed");
    expect(await cold.history(id)).toEqual(history);
    expect(ran).toEqual([]);
  });
});

describe("a per-task dag redrive on the test engine", () => {
  it("completes, runs only the failed and skipped tasks, and its cold replay agrees", async () => {
    const t = createTestEngine({ workflows: [perTask] });
    down = true;
    arm();
    ran.length = 0;
    await t.start(perTask, undefined, { id: "dag-te-1" });
    await expect(t.result("dag-te-1")).rejects.toBeInstanceOf(DagFailedError);
    down = false;
    ran.length = 0;
    expect(await t.redrive("dag-te-1")).toMatchObject({ redriven: true, rerun: { name: "c" } });
    expect(JSON.stringify(await t.result("dag-te-1"))).toBe(ALL_DONE);
    expect([...ran].sort()).toEqual(["c", "e", "f", "g"]);
  });
});
