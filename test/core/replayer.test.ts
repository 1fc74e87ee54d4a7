// The pure replayer against literal histories: what it answers from the history, what it decides at the frontier,
// and how it reports a mismatch.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "spindle";
import type { InboxItem } from "spindle/store";
import { CancelledError, NonDeterminismError, StepFailedError, TimeoutError } from "spindle";
import type { Decision, Position } from "../../src/core/replayer.js";
import { Replayer } from "../../src/core/replayer.js";
import { stepFailed } from "../../src/core/handlers/step.js";
import type { Command } from "../../src/core/yieldable.js";
import { resolveRetry } from "../../src/core/retry.js";

const T0 = 1_000_000;
let clock = T0;
const env = { now: () => clock, random: () => 0.5, uuid: () => "u-1" };

function started(): HistoryEvent {
  return { v: 1, seq: 1, type: "ExecutionStarted", opId: "-", kind: "execution", name: "wf", at: T0, executionId: "e1", runId: "r1" };
}

function completed(seq: number, opId: string, name: string, result?: string): HistoryEvent {
  return { v: 1, seq, type: "StepCompleted", opId, kind: "step", name, at: T0, attempt: 1, ...(result === undefined ? {} : { result }) };
}

const run = () => 1;
function stepCommand(name: string, options: { atMostOnce?: boolean; maxAttempts?: number } = {}): Command {
  const atMostOnce = options.atMostOnce ?? false;
  return { kind: "step", name, run, atMostOnce, retry: resolveRetry({ maxAttempts: options.maxAttempts ?? 3, initialInterval: 1000 }, atMostOnce) };
}

function replayer(history: HistoryEvent[], inbox: InboxItem[] = []): Replayer {
  clock = T0 + 10_000;
  const r = new Replayer("e1", "r1", history, env, 1000);
  r.setInbox(inbox);
  return r;
}

let last: Position | undefined;
/** Answers a command in the root scope, remembering its position for redecide and step outcomes. */
function next(r: Replayer, command: Command): Decision {
  const answer = r.next(r.root, command);
  if (answer.position) last = answer.position;
  return answer.decision;
}

/** The error of a `throw` decision; fails the test for any other decision. */
function thrown<E extends Error>(decision: Decision): E {
  if (decision.type !== "throw") throw new Error(`expected a throw decision, got ${JSON.stringify(decision)}`);
  return decision.error as E;
}

function item(id: string, name: string, payload?: string, type: "event" | "cancel" = "event"): InboxItem {
  return { id, key: id, type, name, at: T0, ...(payload === undefined ? {} : { payload }) };
}

describe("Replayer: answers from the history", () => {
  it("returns a recorded step result, a fresh decoded copy each time, without running the step", () => {
    const r = replayer([started(), completed(2, "0", "quote", '{"price":3}')]);
    const first = next(r, stepCommand("quote"));
    expect(first).toEqual({ type: "resume", value: { price: 3 } });
    expect(r.replaying).toBe(true);
    expect(r.hasBuffered).toBe(false);
    const again = next(replayer([started(), completed(2, "0", "quote", '{"price":3}')]), stepCommand("quote"));
    expect(again.type === "resume" && first.type === "resume" && again.value !== first.value).toBe(true);
  });

  it("revives a recorded final step failure as StepFailedError with the original name, message, code and data", () => {
    const failed: HistoryEvent = {
      v: 1, seq: 2, type: "StepFailed", opId: "0", kind: "step", name: "charge", at: T0, attempt: 3,
      error: { name: "CardDeclined", message: "no funds", code: "E_FUNDS", data: { balance: 2 } },
    };
    const decision = next(replayer([started(), failed]), stepCommand("charge"));
    const error = thrown<StepFailedError>(decision);
    expect(error).toBeInstanceOf(StepFailedError);
    expect(error.attempts).toBe(3);
    expect(error.cause).toMatchObject({ name: "CardDeclined", message: "no funds", code: "E_FUNDS", balance: 2 });
    expect(error.message).toContain("execution 'e1'");
  });

  it("replays recorded values of now, random and uuid", () => {
    const history: HistoryEvent[] = [
      started(),
      { v: 1, seq: 2, type: "ValueRecorded", opId: "0", kind: "now", name: "now", at: T0, value: "42" },
      { v: 1, seq: 3, type: "ValueRecorded", opId: "1", kind: "uuid", name: "uuid", at: T0, value: '"abc"' },
    ];
    const r = replayer(history);
    expect(next(r, { kind: "now", name: "now" })).toEqual({ type: "resume", value: 42 });
    expect(next(r, { kind: "uuid", name: "uuid" })).toEqual({ type: "resume", value: "abc" });
    expect(next(r, { kind: "random", name: "random" })).toEqual({ type: "resume", value: 0.5 });
    expect(r.takeBuffer().events).toMatchObject([{ seq: 4, type: "ValueRecorded", opId: "2", value: "0.5" }]);
  });
});

describe("Replayer: non-determinism", () => {
  it("throws NonDeterminismError naming the execution, the position, the recorded and the new operation", () => {
    const r = replayer([started(), completed(2, "0", "quote")]);
    expect(() => next(r, stepCommand("price"))).toThrowError(NonDeterminismError);
    try {
      next(replayer([started(), completed(2, "0", "quote")]), stepCommand("price"));
    } catch (error) {
      expect((error as Error).message).toMatch(/'e1'.*#0.*step 'quote'.*step 'price'/);
    }
  });

  it("throws when the kind differs even with the same name", () => {
    const r = replayer([started(), completed(2, "0", "wait")]);
    expect(() => next(r, { kind: "sleep", name: "wait", durationMs: 5 })).toThrowError(NonDeterminismError);
  });

  it("throws when the workflow ends with recorded operations unreached", () => {
    const r = replayer([started(), completed(2, "0", "a"), completed(3, "1", "b")]);
    next(r, stepCommand("a"));
    expect(() => r.checkScopeReached(r.root)).toThrowError(/step 'b'.*code ended/);
  });

  it("refuses an event that cannot belong to the operation's kind", () => {
    const fired: HistoryEvent = { v: 1, seq: 2, type: "TimerFired", opId: "0", kind: "step", name: "a", at: T0 };
    expect(() => next(replayer([started(), fired]), stepCommand("a"))).toThrowError(NonDeterminismError);
  });
});

describe("Replayer: the frontier", () => {
  it("logs from the first line of a first run: nothing is being replayed", () => {
    expect(replayer([started()]).replaying).toBe(false);
    expect(replayer([started(), completed(2, "0", "a")]).replaying).toBe(true);
  });

  it("asks to run attempt 1 of a new step; an at-most-once step records its start first", () => {
    const r = replayer([started()]);
    expect(next(r, stepCommand("a"))).toMatchObject({ type: "run", attempt: 1, flushFirst: false });
    expect(r.replaying).toBe(false);
    const once = replayer([started()]);
    expect(next(once, stepCommand("b", { atMostOnce: true }))).toMatchObject({ type: "run", attempt: 1, flushFirst: true });
    expect(once.takeBuffer().events).toMatchObject([{ type: "StepStarted", attempt: 1, seq: 2 }]);
  });

  it("never reruns an interrupted at-most-once attempt: it fails it and the retry policy decides", () => {
    const startedStep: HistoryEvent = { v: 1, seq: 2, type: "StepStarted", opId: "0", kind: "step", name: "pay", at: T0, attempt: 1 };
    const r = replayer([started(), startedStep]);
    const decision = next(r, stepCommand("pay", { atMostOnce: true, maxAttempts: 1 }));
    expect(thrown<StepFailedError>(decision).cause.name).toBe("StepInterruptedError");
    expect(r.takeBuffer().events).toMatchObject([{ type: "StepFailed", attempt: 1 }]);
  });

  it("waits for a recorded retry time, then asks for the next attempt", () => {
    const failed: HistoryEvent = {
      v: 1, seq: 2, type: "StepFailed", opId: "0", kind: "step", name: "a", at: T0, attempt: 1,
      error: { name: "Error", message: "flaky" }, retryAt: T0 + 20_000,
    };
    const early = replayer([started(), failed]);
    expect(next(early, stepCommand("a"))).toEqual({
      type: "wait",
      wait: { kind: "retry", opId: "0", name: "a", until: T0 + 20_000 },
    });
    clock = T0 + 20_000;
    expect(early.redecide(last!)).toMatchObject({ type: "run", attempt: 2, flushFirst: false });
  });

  it("records a failed attempt with its durable retry time, and the final failure without one", () => {
    const r = replayer([started()]);
    next(r, stepCommand("a", { maxAttempts: 2 }));
    const retry = stepFailed(r, last!, 1, { name: "Error", message: "x" });
    expect(retry).toEqual({ type: "wait", wait: { kind: "retry", opId: "0", name: "a", until: clock + 1000 } });
    clock += 1000;
    expect(r.redecide(last!)).toMatchObject({ type: "run", attempt: 2, flushFirst: false });
    const final = stepFailed(r, last!, 2, { name: "Error", message: "y" });
    expect(final.type).toBe("throw");
    expect(r.takeBuffer().events.map((e) => [e.type, "retryAt" in e && e.retryAt !== undefined])).toEqual([
      ["StepFailed", true],
      ["StepFailed", false],
    ]);
  });

  it("schedules a timer, waits until it is due, then fires it once", () => {
    const r = replayer([started()]);
    const wait = next(r, { kind: "sleep", name: "nap", durationMs: 5000 });
    expect(wait).toEqual({ type: "wait", wait: { kind: "timer", opId: "0", name: "nap", until: clock + 5000 } });
    expect(r.redecide(last!).type).toBe("wait");
    clock += 5000;
    expect(r.redecide(last!)).toEqual({ type: "resume", value: undefined });
    expect(r.takeBuffer().events.map((e) => e.type)).toEqual(["TimerScheduled", "TimerFired"]);
  });

  it("delivers inbox events in arrival order, each once, including those sent before the wait", () => {
    const r = replayer([started()], [item("i1", "ping", '"first"'), item("i2", "other", '"x"'), item("i3", "ping", '"second"')]);
    expect(next(r, { kind: "waitForEvent", name: "ping" })).toEqual({ type: "resume", value: "first" });
    expect(next(r, { kind: "waitForEvent", name: "ping" })).toEqual({ type: "resume", value: "second" });
    expect(next(r, { kind: "waitForEvent", name: "ping" }).type).toBe("wait");
    const { events, consumed } = r.takeBuffer();
    expect(consumed).toEqual(["i1", "i3"]);
    expect(events.map((e) => e.type)).toEqual(["EventReceived", "EventReceived", "WaitStarted"]);
  });

  it("ignores inbox items the history already consumed", () => {
    const received: HistoryEvent = { v: 1, seq: 2, type: "EventReceived", opId: "0", kind: "waitForEvent", name: "ping", at: T0, inboxId: "i1", payload: '"first"' };
    const r = replayer([started(), received], [item("i1", "ping", '"first"'), item("i2", "ping", '"second"')]);
    expect(next(r, { kind: "waitForEvent", name: "ping" })).toEqual({ type: "resume", value: "first" });
    expect(next(r, { kind: "waitForEvent", name: "ping" })).toEqual({ type: "resume", value: "second" });
  });

  it("times a wait out with TimeoutError once its recorded deadline passes", () => {
    const r = replayer([started()]);
    const wait = next(r, { kind: "waitForEvent", name: "paid", timeoutMs: 60_000 });
    expect(wait).toMatchObject({ type: "wait", wait: { kind: "event", name: "paid", until: clock + 60_000 } });
    clock += 60_000;
    const decision = r.redecide(last!);
    expect(thrown(decision)).toBeInstanceOf(TimeoutError);
    expect(r.takeBuffer().events.map((e) => e.type)).toEqual(["WaitStarted", "TimerFired"]);
  });

  it("delivers a cancellation once, at the operation the workflow is at, and records it there", () => {
    const r = replayer([started()], [item("c1", "cancel", "too slow", "cancel")]);
    const decision = next(r, { kind: "sleep", name: "nap", durationMs: 1000 });
    expect(thrown(decision)).toBeInstanceOf(CancelledError);
    expect(thrown<CancelledError>(decision).reason).toBe("too slow");
    expect(r.cancelWasDelivered).toBe(true);
    expect(next(r, stepCommand("refund"))).toMatchObject({ type: "run" });
    expect(r.takeBuffer()).toMatchObject({ events: [{ type: "CancelRequested", opId: "0", reason: "too slow" }], consumed: ["c1"] });
  });
});
