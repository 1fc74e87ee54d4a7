// A redriven run read from literal histories: what an ExecutionRedriven supersedes (liveEvents), where a redrive of a
// failed run starts (redrivePoint), and how today's code replays the redriven history (replayHistory, the same pure
// interpreter the engine drives): the failed step runs again from attempt 1, completed steps replay, the ending is the
// run's last event.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "spindle";
import { dag, HistoryCorruptedError, NonDeterminismError, step, task, workflow } from "spindle";
import { replayHistory } from "spindle/testing";
import { liveEvents, redrivePoint } from "../../src/core/redrive.js";

const T0 = 1_700_000_000_000;
const tag = (seq: number, opId: string, name: string, at = T0 + seq) => ({ v: 1, seq, opId, kind: "step", name, at });
const failure = (name: string, attempts: number, opId: string) => ({
  name: "StepFailedError",
  message:
    `Step '${name}' (#${opId}) of execution 'e1' failed after ${attempts} attempts: Error: card service down. Catch ` +
    `StepFailedError in the workflow to handle it, or adjust the step's retry policy.`,
  code: "STEP_FAILED",
  data: { executionId: "e1", operation: `step '${name}' (#${opId})`, stepName: name, attempts },
  cause: { name: "Error", message: "card service down" },
});

/** reserve completed; charge failed twice (its retries ran out); the run failed with charge's StepFailedError. */
function failedRun(): HistoryEvent[] {
  return [
    { v: 1, seq: 1, type: "ExecutionStarted", opId: "-", kind: "execution", name: "order", at: T0, executionId: "e1", runId: "r1" },
    { ...tag(2, "0", "reserve"), type: "StepCompleted", attempt: 1, result: "1" },
    { ...tag(3, "1", "charge"), type: "StepFailed", attempt: 1, error: { name: "Error", message: "card service down" }, retryAt: T0 + 1003 },
    { ...tag(4, "1", "charge"), type: "StepFailed", attempt: 2, error: { name: "Error", message: "card service down" } },
    { v: 1, seq: 5, type: "ExecutionFailed", opId: "-", kind: "execution", name: "order", at: T0 + 5, error: failure("charge", 2, "1") },
  ];
}

const redriven = (seq: number, fromSeq: number, rerun?: string | string[]): HistoryEvent => ({
  v: 1,
  seq,
  type: "ExecutionRedriven",
  opId: "-",
  kind: "execution",
  name: "order",
  at: T0 + 100 * seq,
  fromSeq,
  ...(rerun === undefined ? {} : { rerun }),
});

let down = true;
const order = workflow("order", async function* () {
  const reserved = yield* step("reserve", () => 1);
  const charged = yield* step(
    "charge",
    () => {
      if (down) throw new Error("card service down");
      return "charged";
    },
    { retry: { maxAttempts: 2, initialInterval: "1s" } },
  );
  return { reserved, charged };
});

describe("a redriven run", () => {
  it("is read without the failed step's events and what followed its final failure", () => {
    const history = [...failedRun(), redriven(6, 4, "1")];
    expect(liveEvents(history).map((event) => event.seq)).toEqual([1, 2]);
    const unchanged = failedRun();
    expect(liveEvents(unchanged)).toBe(unchanged);
  });

  it("starts at the final failure of the step the failure names, also through a wrapping error's cause", () => {
    expect(redrivePoint("e1", failedRun())).toEqual({ fromSeq: 4, rerun: { opId: "1", name: "charge" }, consumed: [] });
    const wrapped = failedRun();
    const ending = wrapped[4] as Extract<HistoryEvent, { type: "ExecutionFailed" }>;
    ending.error = { name: "Error", message: "order failed", cause: failure("charge", 2, "1") };
    expect(redrivePoint("e1", wrapped)).toMatchObject({ fromSeq: 4, rerun: { opId: "1" } });
    // A failure that names no step supersedes only the ending.
    ending.error = { name: "TypeError", message: "x is undefined" };
    expect(redrivePoint("e1", wrapped)).toEqual({ fromSeq: 5, consumed: [] });
    expect(() => redrivePoint("e1", wrapped.slice(0, 4))).toThrow(HistoryCorruptedError);
  });

  it("replays with the failed step at the frontier, then to the new ending; twice-redriven runs too", async () => {
    down = true;
    const first = [...failedRun(), redriven(6, 4, "1")];
    expect(await replayHistory(order, first)).toMatchObject({ outcome: "waiting", frontier: { opId: "1", kind: "step", name: "charge" } });
    // The rerun failed again with a fresh budget of two attempts, and the run failed again.
    const again: HistoryEvent[] = [
      ...first,
      { ...tag(7, "1", "charge", T0 + 700), type: "StepFailed", attempt: 1, error: { name: "Error", message: "card service down" }, retryAt: T0 + 1700 },
      { ...tag(8, "1", "charge", T0 + 1700), type: "StepFailed", attempt: 2, error: { name: "Error", message: "card service down" } },
      { v: 1, seq: 9, type: "ExecutionFailed", opId: "-", kind: "execution", name: "order", at: T0 + 1701, error: failure("charge", 2, "1") },
    ];
    expect(await replayHistory(order, again)).toMatchObject({ outcome: "failed" });
    expect(redrivePoint("e1", again)).toMatchObject({ fromSeq: 8, rerun: { opId: "1" } });
    const fixed: HistoryEvent[] = [
      ...again,
      redriven(10, 8, "1"),
      { ...tag(11, "1", "charge", T0 + 1200), type: "StepCompleted", attempt: 1, result: '"charged"' },
      { v: 1, seq: 12, type: "ExecutionCompleted", opId: "-", kind: "execution", name: "order", at: T0 + 1201, result: '{"reserved":1,"charged":"charged"}' },
    ];
    expect(liveEvents(fixed).map((event) => event.seq)).toEqual([1, 2, 11, 12]);
    down = false;
    expect(await replayHistory(order, fixed)).toMatchObject({ outcome: "completed" });
  });

  it("still checks every live position: code that changed before the failed step is a NonDeterminismError", async () => {
    const changed = workflow("order", async function* () {
      yield* step("reserve-v2", () => 1);
    });
    await expect(replayHistory(changed, [...failedRun(), redriven(6, 4, "1")])).rejects.toBeInstanceOf(NonDeterminismError);
  });
});

const pipeline = workflow("pipeline", async function* () {
  const results = yield* dag({
    a: task(() => "a"),
    c: task(["a"], () => "c", { retry: { maxAttempts: 2, initialInterval: "1s" } }),
    d: task(["a"], () => "d"),
    e: task(["c"], () => "e"),
  });
  return Object.values(results).map((outcome) => outcome.status);
});

/** a completed; c failed twice (retries ran out); d completed after c's final failure; e was skipped. */
function failedDag(): HistoryEvent[] {
  const started = { v: 1, seq: 1, type: "ExecutionStarted", opId: "-", kind: "execution", name: "pipeline", at: T0, executionId: "e1", runId: "r1" };
  const shape = JSON.stringify([["a", []], ["c", ["a"]], ["d", ["a"]], ["e", ["c"]]]);
  return [
    started as HistoryEvent,
    { v: 1, seq: 2, type: "GroupStarted", opId: "0", kind: "dag", name: "dag", at: T0 + 2, size: 4, shape },
    { ...tag(3, "0.0.0", "a"), type: "StepCompleted", attempt: 1, result: '"a"' },
    { ...tag(4, "0.1.0", "c"), type: "StepFailed", attempt: 1, error: { name: "Error", message: "card service down" }, retryAt: T0 + 1004 },
    { ...tag(5, "0.1.0", "c"), type: "StepFailed", attempt: 2, error: { name: "Error", message: "card service down" } },
    { ...tag(6, "0.2.0", "d"), type: "StepCompleted", attempt: 1, result: '"d"' },
    {
      v: 1, seq: 7, type: "ExecutionFailed", opId: "-", kind: "execution", name: "pipeline", at: T0 + 7,
      error: {
        name: "DagFailedError",
        message: "Execution 'e1': dag 'dag' (#0): task 'c' (StepFailedError: ...) failed.",
        data: { executionId: "e1", operation: "dag 'dag' (#0)", failures: [{ task: "c", error: "StepFailedError", message: "..." }] },
        cause: failure("c", 2, "0.1.0"),
      },
    },
  ];
}

describe("a redriven dag", () => {
  it("supersedes only the failed task's scope and what followed the dag: d, completed after c failed, stays", () => {
    expect(redrivePoint("e1", failedDag())).toEqual({ fromSeq: 7, rerun: { opId: "0.1.0", name: "c" }, scopes: ["0.1"], consumed: [] });
    const history = [...failedDag(), redriven(8, 7, ["0.1"])];
    expect(liveEvents(history).map((event) => event.seq)).toEqual([1, 2, 3, 6]);
  });

  it("replays with c at the frontier, then completes with c from attempt 1 and d replayed", async () => {
    const first = [...failedDag(), redriven(8, 7, ["0.1"])];
    expect(await replayHistory(pipeline, first)).toMatchObject({ outcome: "waiting", frontier: { opId: "0.1.0", kind: "step", name: "c" } });
    const fixed: HistoryEvent[] = [
      ...first,
      { ...tag(9, "0.1.0", "c", T0 + 900), type: "StepCompleted", attempt: 1, result: '"c"' },
      { ...tag(10, "0.3.0", "e", T0 + 901), type: "StepCompleted", attempt: 1, result: '"e"' },
      { v: 1, seq: 11, type: "ExecutionCompleted", opId: "-", kind: "execution", name: "pipeline", at: T0 + 902, result: '["success","success","success","success"]' },
    ];
    expect(await replayHistory(pipeline, fixed)).toMatchObject({ outcome: "completed" });
    // A run with d's success removed is a different run: d's recorded scope must be live.
    expect(liveEvents(fixed).map((event) => event.seq)).toEqual([1, 2, 3, 6, 9, 10, 11]);
  });

  it("still replays a dag redriven in the single-step form recorded before per-task redrive (d reran)", async () => {
    const old: HistoryEvent[] = [
      ...failedDag(),
      redriven(8, 5, "0.1.0"),
      { ...tag(9, "0.1.0", "c", T0 + 900), type: "StepCompleted", attempt: 1, result: '"c"' },
      { ...tag(10, "0.2.0", "d", T0 + 901), type: "StepCompleted", attempt: 1, result: '"d"' },
      { ...tag(11, "0.3.0", "e", T0 + 902), type: "StepCompleted", attempt: 1, result: '"e"' },
      { v: 1, seq: 12, type: "ExecutionCompleted", opId: "-", kind: "execution", name: "pipeline", at: T0 + 903, result: '["success","success","success","success"]' },
    ];
    expect(liveEvents(old).map((event) => event.seq)).toEqual([1, 2, 3, 9, 10, 11, 12]);
    expect(await replayHistory(pipeline, old)).toMatchObject({ outcome: "completed" });
  });
});
