// The console's waterfall model, from literal histories: attempts and backoffs, deadlines of waits, callbacks and
// timers, nested group lanes, child links, cancellation, and what a redrive superseded.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../src/index.js";
import type { Lane } from "../../src/console/waterfall.js";
import { buildWaterfall, compareOpIds } from "../../src/console/waterfall.js";

const T0 = Date.parse("2026-03-02T09:00:00Z");

/** A history from short event descriptions, numbered in order; times (at, deadline, retryAt, fireAt) count from T0. */
function history(...events: (Record<string, unknown> & { type: string; opId: string; kind: string; name: string; at: number })[]): HistoryEvent[] {
  return events.map((event, index) => {
    const shifted: Record<string, unknown> = { v: 1, seq: index + 1, ...event, at: T0 + event.at };
    for (const key of ["deadline", "retryAt", "fireAt"]) if (typeof event[key] === "number") shifted[key] = T0 + (event[key] as number);
    return shifted as HistoryEvent;
  });
}

const started = { type: "ExecutionStarted", opId: "-", kind: "execution", name: "wf", at: 0, executionId: "e-1", runId: "r-1" };

function lane(lanes: readonly Lane[], opId: string): Lane {
  const all = (list: readonly Lane[]): Lane[] => list.flatMap((item) => [item, ...all(item.lanes), ...all((item.branches ?? []).flatMap((branch) => branch.lanes))]);
  const found = all(lanes).find((item) => item.opId === opId);
  if (!found) throw new Error(`no lane ${opId}`);
  return found;
}

describe("buildWaterfall", () => {
  it("draws a retried step as its attempts with the recorded backoffs between them", () => {
    const picture = buildWaterfall(
      history(
        started,
        { type: "StepCompleted", opId: "0", kind: "step", name: "load", at: 400, attempt: 1, result: "1" },
        { type: "StepFailed", opId: "1", kind: "step", name: "charge", at: 900, attempt: 1, error: { name: "Error", message: "down" }, retryAt: 30_900 },
        { type: "StepFailed", opId: "1", kind: "step", name: "charge", at: 31_000, attempt: 2, error: { name: "Error", message: "still down" }, retryAt: 91_000 },
        { type: "StepCompleted", opId: "1", kind: "step", name: "charge", at: 91_200, attempt: 3, result: "\"ok\"" },
        { type: "ExecutionCompleted", opId: "-", kind: "execution", name: "wf", at: 91_200 },
      ),
      T0 + 500_000,
    );
    const charge = lane(picture.lanes, "1");
    expect(charge.start).toBe(T0 + 400); // when the step before it ended
    expect(charge.segments.map((segment) => [segment.kind, segment.attempt, segment.from - T0, (segment.to ?? 0) - T0, segment.outcome])).toEqual([
      ["attempt", 1, 400, 900, "failed"],
      ["backoff", 1, 900, 30_900, undefined],
      ["attempt", 2, 30_900, 31_000, "failed"],
      ["backoff", 2, 31_000, 91_000, undefined],
      ["attempt", 3, 91_000, 91_200, "completed"],
    ]);
    expect(charge.status).toBe("completed");
    expect(charge.deadline).toBeUndefined();
    expect(picture.closedAt).toBe(T0 + 91_200);
    expect(picture.end).toBe(T0 + 91_200); // a closed run's axis ends with it, not at now
  });

  it("shows a step waiting for its next attempt with that time as its deadline, and running once it is due", () => {
    const events = history(started, {
      type: "StepFailed", opId: "0", kind: "step", name: "charge", at: 1_000, attempt: 1, error: { name: "Error", message: "down" }, retryAt: 61_000,
    });
    const waiting = lane(buildWaterfall(events, T0 + 5_000).lanes, "0");
    expect(waiting.status).toBe("waiting");
    expect(waiting.deadline).toBe(T0 + 61_000);
    expect(waiting.end).toBeUndefined();
    const due = lane(buildWaterfall(events, T0 + 70_000).lanes, "0");
    expect(due.status).toBe("running");
    expect(due.segments.at(-1)).toEqual({ kind: "attempt", from: T0 + 61_000, attempt: 2 });
  });

  it("gives an open wait its deadline and keeps the axis on what happened, the deadline on the horizon", () => {
    const picture = buildWaterfall(
      history(started, { type: "WaitStarted", opId: "0", kind: "waitForEvent", name: "approval", at: 2_000, deadline: 86_402_000 }),
      T0 + 60_000,
    );
    const wait = lane(picture.lanes, "0");
    expect(wait).toMatchObject({ status: "waiting", deadline: T0 + 86_402_000, start: T0 + 2_000 });
    expect(wait.segments).toEqual([{ kind: "wait", from: T0 + 2_000 }]);
    expect(picture.end).toBe(T0 + 60_000);
    expect(picture.horizon).toBe(T0 + 86_402_000);
    expect(picture.closedAt).toBeUndefined();
  });

  it("ends a wait by the event it received, or marks it timed out by its timer", () => {
    const picture = buildWaterfall(
      history(
        started,
        { type: "WaitStarted", opId: "0", kind: "waitForEvent", name: "approval", at: 0, deadline: 10_000 },
        { type: "EventReceived", opId: "0", kind: "waitForEvent", name: "approval", at: 4_000, inboxId: "i-1", payload: "{\"approved\":true}" },
        { type: "WaitStarted", opId: "1", kind: "waitForEvent", name: "second", at: 4_000, deadline: 14_000 },
        { type: "TimerFired", opId: "1", kind: "waitForEvent", name: "second", at: 14_000 },
      ),
      T0 + 20_000,
    );
    expect(lane(picture.lanes, "0")).toMatchObject({ status: "completed", end: T0 + 4_000, note: "{\"approved\":true}" });
    expect(lane(picture.lanes, "1")).toMatchObject({ status: "timed-out", end: T0 + 14_000 });
    expect(lane(picture.lanes, "1").segments[0]).toMatchObject({ outcome: "timed-out", to: T0 + 14_000 });
  });

  it("nests a group's branches as lanes, named by the dag's tasks, and a callback's send step under the callback", () => {
    const picture = buildWaterfall(
      history(
        started,
        { type: "GroupStarted", opId: "0", kind: "dag", name: "dag", at: 0, size: 2, shape: "[[\"extract\",[]],[\"load\",[\"extract\"]]]" },
        { type: "StepCompleted", opId: "0.0.0", kind: "step", name: "extract", at: 300, attempt: 1 },
        { type: "StepCompleted", opId: "0.1.0", kind: "step", name: "load", at: 700, attempt: 1 },
        { type: "GroupStarted", opId: "1", kind: "map", name: "map", at: 700, size: 2 },
        { type: "StepCompleted", opId: "1.1.0", kind: "step", name: "score", at: 800, attempt: 1 },
        { type: "StepCompleted", opId: "1.0.0", kind: "step", name: "score", at: 900, attempt: 1 },
        { type: "CallbackCreated", opId: "2", kind: "callback", name: "sign-off", at: 900, token: "tok", deadline: 172_800_900 },
        { type: "StepCompleted", opId: "2.0", kind: "step", name: "sign-off:send", at: 950, attempt: 1 },
      ),
      T0 + 1_000,
    );
    const group = lane(picture.lanes, "0");
    expect(group.branches?.map((branch) => [branch.label, branch.lanes.map((item) => item.name)])).toEqual([
      ["extract", ["extract"]],
      ["load", ["load"]],
    ]);
    expect(group).toMatchObject({ status: "completed", end: T0 + 700 });
    expect(lane(picture.lanes, "1").branches?.map((branch) => branch.label)).toEqual(["item 0", "item 1"]);
    const callback = lane(picture.lanes, "2");
    expect(callback).toMatchObject({ status: "waiting", deadline: T0 + 172_800_900 });
    expect(callback.lanes.map((item) => item.name)).toEqual(["sign-off:send"]);
    expect(picture.lanes.map((item) => item.opId)).toEqual(["0", "1", "2"]);
  });

  it("stops a race's losing branch where the group settled, so its timer does not wait on", () => {
    const picture = buildWaterfall(
      history(
        started,
        { type: "GroupStarted", opId: "0", kind: "race", name: "race", at: 0, size: 2 },
        { type: "TimerScheduled", opId: "0.0.0", kind: "sleep", name: "nap", at: 0, fireAt: 3_600_000 },
        { type: "WaitStarted", opId: "0.1.0", kind: "waitForEvent", name: "go", at: 0 },
        { type: "EventReceived", opId: "0.1.0", kind: "waitForEvent", name: "go", at: 5_000, inboxId: "i", payload: "1" },
        { type: "GroupSettled", opId: "0", kind: "race", name: "race", at: 5_000, index: 1 },
      ),
      T0 + 6_000,
    );
    expect(lane(picture.lanes, "0.0.0")).toMatchObject({ status: "cancelled", end: T0 + 5_000 });
    expect(lane(picture.lanes, "0.0.0").segments).toEqual([{ kind: "timer", from: T0, to: T0 + 5_000, outcome: "cancelled" }]);
    expect(lane(picture.lanes, "0.1.0")).toMatchObject({ status: "completed", end: T0 + 5_000 });
    expect(lane(picture.lanes, "0")).toMatchObject({ status: "completed", end: T0 + 5_000 });
    expect(picture.horizon).toBe(picture.end); // the lost timer's fire time is no deadline any more
  });

  it("links a child lane to the child execution and takes its outcome", () => {
    const picture = buildWaterfall(
      history(
        started,
        { type: "ChildStarted", opId: "0", kind: "child", name: "payment", at: 100, childId: "e-1:r-1:0" },
        { type: "ChildCompleted", opId: "0", kind: "child", name: "payment", at: 2_100, inboxId: "i", status: "failed", error: { name: "StepFailedError", message: "declined" } },
      ),
      T0 + 3_000,
    );
    expect(lane(picture.lanes, "0")).toMatchObject({ childId: "e-1:r-1:0", status: "failed", end: T0 + 2_100, note: "StepFailedError: declined" });
  });

  it("ends an operation at the cancel delivered there, and shows the compensation steps after it", () => {
    const picture = buildWaterfall(
      history(
        started,
        { type: "StepCompleted", opId: "0", kind: "step", name: "reserve", at: 100, attempt: 1 },
        { type: "CallbackCreated", opId: "1", kind: "callback", name: "sign-off", at: 100, token: "tok", deadline: 1_000_000 },
        { type: "CancelRequested", opId: "1", kind: "callback", name: "sign-off", at: 5_000, inboxId: "i", reason: "trip called off" },
        { type: "StepCompleted", opId: "2", kind: "step", name: "cancel-reservation", at: 5_000, attempt: 1 },
        { type: "ExecutionCancelled", opId: "-", kind: "execution", name: "wf", at: 5_000 },
      ),
      T0 + 9_000,
    );
    expect(lane(picture.lanes, "1")).toMatchObject({ status: "cancelled", end: T0 + 5_000, note: "cancel requested: trip called off" });
    expect(lane(picture.lanes, "1").segments[0]).toMatchObject({ outcome: "cancelled", to: T0 + 5_000 });
    expect(lane(picture.lanes, "2")).toMatchObject({ name: "cancel-reservation", status: "completed" });
    expect(picture.closedAt).toBe(T0 + 5_000);
  });

  it("leaves out what a redrive superseded and lists those events", () => {
    const picture = buildWaterfall(
      history(
        started,
        { type: "StepFailed", opId: "0", kind: "step", name: "charge", at: 100, attempt: 1, error: { name: "Error", message: "down" } },
        { type: "ExecutionFailed", opId: "-", kind: "execution", name: "wf", at: 100, error: { name: "StepFailedError", message: "charge failed" } },
        { type: "ExecutionRedriven", opId: "-", kind: "execution", name: "wf", at: 9_000, fromSeq: 2, rerun: "0" },
        { type: "StepCompleted", opId: "0", kind: "step", name: "charge", at: 9_100, attempt: 1 },
      ),
      T0 + 10_000,
    );
    expect(picture.superseded).toEqual([2, 3, 4]);
    expect(picture.closedAt).toBeUndefined();
    expect(lane(picture.lanes, "0").segments).toEqual([{ kind: "attempt", from: T0, to: T0 + 9_100, attempt: 1, outcome: "completed" }]);
  });

  it("orders operation ids as the program ran them", () => {
    expect(["10", "2.1.0", "2", "2.0.0", "9", "2.10.0", "2.2.0"].sort(compareOpIds)).toEqual(["2", "2.0.0", "2.1.0", "2.2.0", "2.10.0", "9", "10"]);
  });
});
