// The replayer's operation index against literal histories: the body's operations read by a cursor in recorded order,
// and the same answers when the history or the questions are out of order (the index by position takes over), with
// events added and taken back since loading.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "spindle";
import { OpIndex } from "../../src/core/op-index.js";

let seq = 0;
function event(opId: string, type: "StepStarted" | "StepCompleted" | "TimerScheduled" | "TimerFired", name = `op${opId}`): HistoryEvent {
  seq += 1;
  if (type === "StepCompleted") return { v: 1, seq, type, opId, kind: "step", name, at: seq, attempt: 1 };
  if (type === "StepStarted") return { v: 1, seq, type, opId, kind: "step", name, at: seq, attempt: 1 };
  if (type === "TimerScheduled") return { v: 1, seq, type, opId, kind: "sleep", name, at: seq, fireAt: seq + 10 };
  return { v: 1, seq, type, opId, kind: "sleep", name, at: seq };
}

function started(): HistoryEvent {
  seq = 1;
  return { v: 1, seq: 1, type: "ExecutionStarted", opId: "-", kind: "execution", name: "wf", at: 1, executionId: "e1", runId: "r1" };
}

/** The event types recorded for an operation, or undefined when nothing is. */
function types(index: OpIndex, opId: string): string[] | undefined {
  return index.get(opId)?.events.map((recorded) => recorded.type);
}

describe("OpIndex", () => {
  it("answers the body's operations in recorded order, skips nested events, and knows each scope's extent", () => {
    const history = [
      started(),
      event("0", "TimerScheduled"),
      event("0", "TimerFired"),
      event("1", "StepStarted"),
      event("1.0.0", "StepCompleted"),
      event("1", "StepCompleted"),
      event("3", "StepCompleted"),
    ];
    const visited: number[] = [];
    const index = new OpIndex(history, (recorded) => visited.push(recorded.seq));
    expect(visited).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(index.extent("")).toBe(4);
    expect(index.extent("1.0")).toBe(1);
    expect(types(index, "0")).toEqual(["TimerScheduled", "TimerFired"]);
    expect(index.root(0)?.kind).toBe("sleep");
    expect(types(index, "1")).toEqual(["StepStarted", "StepCompleted"]);
    expect(types(index, "1.0.0")).toEqual(["StepCompleted"]);
    expect(types(index, "2")).toBeUndefined(); // a hole
    expect(types(index, "3")).toEqual(["StepCompleted"]);
    expect(types(index, "4")).toBeUndefined();
  });

  it("finds every event of an operation recorded after a later operation's (out of recorded order)", () => {
    const history = [started(), event("0", "StepStarted"), event("1", "StepCompleted"), event("0", "StepCompleted")];
    const index = new OpIndex(history, () => {});
    expect(types(index, "0")).toEqual(["StepStarted", "StepCompleted"]);
    expect(types(index, "1")).toEqual(["StepCompleted"]);
    expect(index.extent("")).toBe(2);
  });

  it("answers again for an operation the cursor passed, with the events added since loading", () => {
    const history = [started(), event("0", "TimerScheduled"), event("1", "StepCompleted"), event("2", "StepCompleted")];
    const index = new OpIndex(history, () => {});
    expect(types(index, "0")).toEqual(["TimerScheduled"]);
    const fired = event("0", "TimerFired");
    index.add(fired);
    expect(types(index, "2")).toEqual(["StepCompleted"]); // the cursor moves past 0 and 1
    index.add(event("5", "StepCompleted"));
    expect(index.extent("")).toBe(6);
    expect(types(index, "0")).toEqual(["TimerScheduled", "TimerFired"]);
    expect(types(index, "1")).toEqual(["StepCompleted"]);
    expect(types(index, "5")).toEqual(["StepCompleted"]);
    index.add(event("1", "StepStarted"));
    expect(types(index, "1")).toEqual(["StepCompleted", "StepStarted"]);
  });

  it("answers for a position the cursor skipped without asking", () => {
    const history = [started(), event("0", "StepCompleted"), event("1", "StepCompleted"), event("2", "StepCompleted")];
    const index = new OpIndex(history, () => {});
    expect(types(index, "2")).toEqual(["StepCompleted"]);
    expect(index.root(1)?.name).toBe("op1");
  });

  it("keeps an event taken back out of its operation's record once the cursor has passed it", () => {
    const history = [started(), event("0", "TimerScheduled")];
    const index = new OpIndex(history, () => {});
    const fired = event("0", "TimerFired");
    index.add(fired);
    index.remove(fired); // while the cursor is at it
    index.add(event("1", "StepCompleted"));
    expect(types(index, "0")).toEqual(["TimerScheduled"]); // after the cursor moved past it
    index.add(fired);
    index.remove(fired); // once indexed by position
    expect(types(index, "0")).toEqual(["TimerScheduled"]);
  });
});
