// dag() on MemoryStore and DynamoDBStore: a changed shape (task added or an edge rewired) on a recorded execution is a
// NonDeterminismError before any new effect, for the engine and replayHistory; a redrive of a failed dag reruns the
// failed task and what it skipped, and replays the tasks that completed before the failure.
import { describe, expect, it } from "vitest";
import { createEngine, dag, silentLogger, task, TerminalError, NonDeterminismError, waitForEvent, workflow } from "spindle";
import { replayHistory } from "spindle/testing";
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
});
