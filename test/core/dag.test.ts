// A DAG read from literal histories (replayHistory, the pure interpreter the engine drives): the recorded shape (tasks
// and edges in GroupStarted) is compared on every replay, so a task added, removed, renamed or rewired is a
// NonDeterminismError; completed tasks replay from the history without running; the task that becomes ready next is
// taken in recorded-time order.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "spindle";
import { dag, NonDeterminismError, task, workflow } from "spindle";
import { replayHistory } from "spindle/testing";

const T0 = 1_700_000_000_000;
const started = (name: string): HistoryEvent => ({
  v: 1, seq: 1, type: "ExecutionStarted", opId: "-", kind: "execution", name, at: T0, executionId: "e1", runId: "r1",
});
const shapeOf = (tasks: [string, string[]][]) => JSON.stringify(tasks);
const groupStarted = (seq: number, tasks: [string, string[]][]): HistoryEvent => ({
  v: 1, seq, type: "GroupStarted", opId: "0", kind: "dag", name: "dag", at: T0 + seq, size: tasks.length, shape: shapeOf(tasks),
});
const completed = (seq: number, opId: string, name: string, result: unknown, at = T0 + seq): HistoryEvent => ({
  v: 1, seq, type: "StepCompleted", opId, kind: "step", name, at, attempt: 1, result: JSON.stringify(result),
});

const ran: string[] = [];
const run = <V,>(name: string, value: V) => () => (ran.push(name), value);

/** a -> b, a -> c: the recorded shape. */
const recordedShape: [string, string[]][] = [["a", []], ["b", ["a"]], ["c", ["a"]]];
const history = (): HistoryEvent[] => [started("shape"), groupStarted(2, recordedShape), completed(3, "0.0.0", "a", 1)];

function version(tasks: Record<string, [string[], unknown]>) {
  return workflow("shape", async function* () {
    return yield* dag(Object.fromEntries(Object.entries(tasks).map(([name, [deps, value]]) => [name, task(deps, run(name, value))])) as never);
  });
}

describe("a dag's recorded shape", () => {
  it("replays the recorded dag: completed tasks come from the history and nothing runs", async () => {
    ran.length = 0;
    const same = version({ a: [[], 1], b: [["a"], 2], c: [["a"], 3] });
    await expect(replayHistory(same, history())).resolves.toMatchObject({ outcome: "waiting" });
    expect(ran).toEqual([]);
  });

  it.each([
    ["adds a task", { a: [[], 1], b: [["a"], 2], c: [["a"], 3], d: [["c"], 4] }],
    ["removes a task", { a: [[], 1], b: [["a"], 2] }],
    ["renames a task", { a: [[], 1], b: [["a"], 2], z: [["a"], 3] }],
    ["rewires an edge", { a: [[], 1], b: [["a"], 2], c: [["b"], 3] }],
    ["reorders the tasks", { a: [[], 1], c: [["a"], 3], b: [["a"], 2] }],
  ] as [string, Record<string, [string[], unknown]>][])(
    "is a NonDeterminismError before anything runs when the code %s",
    async (_change, tasks) => {
      ran.length = 0;
      const error = await replayHistory(version(tasks), history()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NonDeterminismError);
      expect((error as Error).message).toMatch(/the history holds dag 'dag' with tasks 'a', 'b' <- \['a'\], 'c' <- \['a'\] but the code now does dag 'dag' with tasks/);
      expect(ran).toEqual([]);
    },
  );

  it("is a NonDeterminismError when a recorded plain group meets a dag (no shape recorded)", async () => {
    const plain: HistoryEvent = { v: 1, seq: 2, type: "GroupStarted", opId: "0", kind: "dag", name: "dag", at: T0 + 2, size: 3 };
    const error = await replayHistory(version({ a: [[], 1], b: [["a"], 2], c: [["a"], 3] }), [started("shape"), plain]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonDeterminismError);
    expect((error as Error).message).toMatch(/\(no shape recorded\)/);
  });
});

describe("a dag's order in recorded time", () => {
  // a and b are roots; c needs a, d needs b. b completed first in recorded time although a comes first in declaration
  // order: the replay takes the completions in recorded order and reaches the same result without running anything.
  const tasks: [string, string[]][] = [["a", []], ["b", []], ["c", ["a"]], ["d", ["b"]]];
  const ordered = workflow("ordered", async function* () {
    const results = yield* dag(
      {
        a: task(run("a", "A")),
        b: task(run("b", "B")),
        c: task(["a"], (deps: { a: string }) => `c(${deps.a})`),
        d: task(["b"], (deps: { b: string }) => `d(${deps.b})`),
      },
      { concurrency: 2 },
    );
    return Object.values(results).map((outcome) => (outcome.status === "success" ? outcome.value : outcome.status));
  });

  it("replays a history whose tasks completed out of declaration order to the same result", async () => {
    ran.length = 0;
    const recorded: HistoryEvent[] = [
      started("ordered"),
      { ...groupStarted(2, tasks), name: "dag" },
      completed(3, "0.1.0", "b", "B", T0 + 10),
      completed(4, "0.3.0", "d", "d(B)", T0 + 20),
      completed(5, "0.0.0", "a", "A", T0 + 30),
      completed(6, "0.2.0", "c", "c(A)", T0 + 40),
      { v: 1, seq: 7, type: "ExecutionCompleted", opId: "-", kind: "execution", name: "ordered", at: T0 + 41, result: JSON.stringify(["A", "B", "c(A)", "d(B)"]) },
    ];
    await expect(replayHistory(ordered, recorded)).resolves.toMatchObject({ outcome: "completed" });
    expect(ran).toEqual([]);
  });
});

describe("a dag's skipped tasks", () => {
  const chain = workflow("chain", async function* () {
    return yield* dag({ a: task(run("a", "A")), c: task(["a"], run("c", "C")) });
  });

  it("is a NonDeterminismError when the history holds a task the code skips (its dependency failed)", async () => {
    ran.length = 0;
    const recorded: HistoryEvent[] = [
      started("chain"),
      { ...groupStarted(2, [["a", []], ["c", ["a"]]]) },
      { v: 1, seq: 3, type: "StepFailed", opId: "0.0.0", kind: "step", name: "a", at: T0 + 3, attempt: 1, error: { name: "TerminalError", message: "no" } },
      completed(4, "0.1.0", "c", "C"),
    ];
    const error = await replayHistory(chain, recorded).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonDeterminismError);
    expect((error as Error).message).toMatch(/#0\.1\.0: the history holds step 'c' but the code now does the code ended there/);
    expect(ran).toEqual([]);
  });
});
