// A redriven run read from literal histories: what an ExecutionRedriven supersedes (liveEvents), where a redrive of a
// failed run starts (redrivePoint), and how today's code replays the redriven history (replayHistory, the same pure
// interpreter the engine drives): the failed step runs again from attempt 1, completed steps replay, the ending is the
// run's last event.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "spindle";
import { HistoryCorruptedError, NonDeterminismError, step, workflow } from "spindle";
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

const redriven = (seq: number, fromSeq: number, rerun?: string): HistoryEvent => ({
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
