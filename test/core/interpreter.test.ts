// The pure interpreter against literal histories, operation kind by operation kind: given a body, a history, an
// inbox with arrival times and the current time, what it answers from the history, which effects it hands out, and
// which events it buffers. No store, no engine, no clock.
import { describe, expect, it } from "vitest";
import type { HistoryEvent, InboxItem } from "spindle/store";
import {
  workflow,
  all,
  allSettled,
  branch,
  callback,
  child,
  continueAsNew,
  map,
  now,
  patched,
  race,
  random,
  setStatus,
  sleep,
  startChild,
  step,
  TimeoutError,
  uuid,
  waitForEvent,
} from "spindle";
import type { Advance } from "../../src/core/interpreter.js";
import { Interpreter } from "../../src/core/interpreter.js";

const T0 = Date.parse("2026-03-01T00:00:00Z");
const MINUTE = 60_000;
type Body = () => AsyncGenerator<never, unknown, unknown>;

let seq = 0;
function ev(type: string, opId: string, kind: string, name: string, fields: Record<string, unknown> = {}, at = T0): HistoryEvent {
  return { v: 1, seq: ++seq, type, opId, kind, name, at, ...fields } as HistoryEvent;
}
function history(...events: ((s: number) => HistoryEvent)[]): HistoryEvent[] {
  seq = 0;
  const started = ev("ExecutionStarted", "-", "execution", "wf", { executionId: "e1", runId: "r1" });
  return [started, ...events.map((make) => make(seq))];
}
const completed = (opId: string, name: string, result?: unknown) => () =>
  ev("StepCompleted", opId, "step", name, { attempt: 1, ...(result === undefined ? {} : { result: JSON.stringify(result) }) });

function open(body: Body, events: HistoryEvent[], inbox: InboxItem[] = []): Interpreter {
  const interpreter = new Interpreter({
    executionId: "e1",
    runId: "r1",
    workflowName: "wf",
    history: events,
    body: (body as unknown as () => AsyncGenerator<never, unknown, unknown>)() as never,
    random: () => 0.25,
    uuid: () => "u-1",
    valueLimit: 1000,
  });
  interpreter.setInbox(inbox);
  return interpreter;
}
const item = (id: string, name: string, at: number, payload?: unknown, type: InboxItem["type"] = "event"): InboxItem => ({
  id,
  key: id,
  type,
  name,
  at,
  ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
});
const buffered = (interpreter: Interpreter) => interpreter.replayer.takeBuffer().events.map((event) => event.type);
const ended = (advance: Advance) => advance.ending;
const payment = workflow("payment", async function* () {
  return "paid";
});
const audit = workflow("audit", async function* () {
  return "audited";
});

describe("interpreter: steps", () => {
  it("answers a recorded step from the history and hands out the next step as an effect", async () => {
    const body = async function* () {
      const a = yield* step("a", () => 1);
      return (yield* step("b", () => a + 1)) as never;
    };
    const interpreter = open(body as Body, history(completed("0", "a", 1)));
    const advance = await interpreter.advance(T0);
    expect(advance.steps.map((run) => [run.position.opId, run.attempt])).toEqual([["1", 1]]);
    expect(buffered(interpreter)).toEqual([]);
    interpreter.stepSettled(advance.steps[0]!, { ok: true, value: 2 }, T0 + 5);
    expect(ended(await interpreter.advance(T0 + 5))).toEqual({ status: "completed", result: "2" });
    expect(buffered(interpreter)).toEqual(["StepCompleted", "ExecutionCompleted"]);
  });

  it("records a failed attempt with its retry time and hands out the next attempt only when it is due", async () => {
    const body = async function* () {
      return yield* step("flaky", () => 1, { retry: { maxAttempts: 2, initialInterval: "1m" } });
    };
    const interpreter = open(body as Body, history());
    const first = (await interpreter.advance(T0)).steps[0]!;
    interpreter.stepSettled(first, { ok: false, error: new Error("boom") }, T0);
    expect((await interpreter.advance(T0 + 30_000)).steps).toEqual([]);
    expect(interpreter.waiting.waits()).toEqual([{ kind: "retry", opId: "0", name: "flaky", until: T0 + MINUTE }]);
    expect((await interpreter.advance(T0 + MINUTE)).steps.map((run) => run.attempt)).toEqual([2]);
  });
});

describe("interpreter: timers", () => {
  it("schedules a timer at its recorded start and fires it at its due time, however late the turn", async () => {
    const body = async function* () {
      yield* sleep("1h");
      return (yield* now()) as never;
    };
    const interpreter = open(body as Body, history());
    const due = new Date(T0 + 60 * MINUTE).toISOString();
    expect(ended(await interpreter.advance(T0 + 5 * 60 * MINUTE))).toEqual({ status: "completed", result: `"${due}"` });
    const events = interpreter.replayer.takeBuffer().events;
    expect(events.map((event) => [event.type, event.at - T0])).toEqual([
      ["TimerScheduled", 0],
      ["TimerFired", 60 * MINUTE],
      ["ValueRecorded", 60 * MINUTE],
      ["ExecutionCompleted", 60 * MINUTE],
    ]);
  });
});

describe("interpreter: events", () => {
  const body = async function* () {
    try {
      return (yield* waitForEvent("x", { timeout: "1h" })) as never;
    } catch (error) {
      return (error instanceof TimeoutError ? "timeout" : "other") as never;
    }
  };

  it("delivers an event that arrived before the deadline even when the turn runs after it", async () => {
    const interpreter = open(body as Body, history(), [item("i1", "x", T0 + 59 * MINUTE, "yes")]);
    expect(ended(await interpreter.advance(T0 + 3 * 60 * MINUTE))).toEqual({ status: "completed", result: '"yes"' });
  });

  it("times out when the event arrived after the deadline, and leaves the event unread", async () => {
    const interpreter = open(body as Body, history(), [item("i1", "x", T0 + 61 * MINUTE, "late")]);
    expect(ended(await interpreter.advance(T0 + 3 * 60 * MINUTE))).toEqual({ status: "completed", result: '"timeout"' });
    expect(interpreter.replayer.takeBuffer().consumed).toEqual([]);
  });

  it("does not take an event that arrived after a recorded deadline, even when the replay starts later than both", async () => {
    const settledBody = async function* () {
      const [wait] = yield* allSettled([waitForEvent("x", { timeout: "1h" }), step("s", () => 1)]);
      return wait!.status as never;
    };
    const recorded = history(
      () => ev("GroupStarted", "0", "allSettled", "allSettled", { size: 2 }),
      () => ev("WaitStarted", "0.0.0", "waitForEvent", "x", { deadline: T0 + 60 * MINUTE }),
      () => ev("StepCompleted", "0.1.0", "step", "s", { attempt: 1, result: "1" }, T0 + 120 * MINUTE),
    );
    const interpreter = open(settledBody as Body, recorded, [item("i1", "x", T0 + 90 * MINUTE, "late")]);
    expect(ended(await interpreter.advance(T0 + 180 * MINUTE))).toEqual({ status: "completed", result: '"rejected"' });
  });

  it("replays a recorded event without reading the inbox", async () => {
    const recorded = history(
      () => ev("WaitStarted", "0", "waitForEvent", "x", { deadline: T0 + 60 * MINUTE }),
      () => ev("EventReceived", "0", "waitForEvent", "x", { inboxId: "i9", payload: '"old"' }),
    );
    const interpreter = open(body as Body, recorded, [item("i1", "x", T0, "new")]);
    expect(ended(await interpreter.advance(T0))).toEqual({ status: "completed", result: '"old"' });
  });
});

describe("interpreter: callbacks", () => {
  it("sends the token through a step, then takes the completion addressed to that token", async () => {
    const body = async function* () {
      return (yield* callback("approve", () => undefined, { timeout: "1h" })) as never;
    };
    const interpreter = open(body as Body, history());
    const send = (await interpreter.advance(T0)).steps[0]!;
    expect(send.position.opId).toBe("0.0");
    expect(send.recordedStart).toBe(true);
    interpreter.stepSettled(send, { ok: true, value: undefined }, T0);
    expect((await interpreter.advance(T0)).ending).toBeUndefined();
    const created = interpreter.replayer.takeBuffer().events.find((event) => event.type === "CallbackCreated") as { token: string };
    interpreter.setInbox([item("c1", `callback:${created.token}`, T0 + 10 * MINUTE, { value: '"ok"' }, "callback")]);
    expect(ended(await interpreter.advance(T0 + 2 * 60 * MINUTE))).toEqual({ status: "completed", result: '"ok"' });
  });
});

describe("interpreter: children", () => {
  it("hands out a child to create, then waits for its outcome by the child's id", async () => {
    const body = async function* () {
      return (yield* child(payment, { amount: 3 } as never)) as never;
    };
    const interpreter = open(body as Body, history());
    const [run] = (await interpreter.advance(T0)).children;
    expect(run).toMatchObject({ childId: "e1:r1:0", workflow: "payment", wait: true, input: '{"amount":3}' });
    interpreter.childStarted(run!, T0);
    expect(await interpreter.advance(T0)).toMatchObject({ steps: [], children: [] });
    expect(interpreter.waiting.waits()).toEqual([{ kind: "child", opId: "0", name: "e1:r1:0" }]);
    interpreter.setInbox([item("k1", "child:e1:r1:0", T0 + 1, { status: "completed", result: '"paid"' }, "child")]);
    expect(ended(await interpreter.advance(T0 + 1))).toEqual({ status: "completed", result: '"paid"' });
  });

  it("returns a detached child's id at once and records a refused child as its failure", async () => {
    const body = async function* () {
      const { id } = yield* startChild(audit, undefined as never, { id: "audit-1" });
      try {
        yield* child(payment, undefined as never);
      } catch (error) {
        return `${id}: ${(error as Error).name}` as never;
      }
      return "no" as never;
    };
    const interpreter = open(body as Body, history());
    const [detached] = (await interpreter.advance(T0)).children;
    interpreter.childStarted(detached!, T0);
    const [refused] = (await interpreter.advance(T0)).children;
    interpreter.childFailed(refused!, Object.assign(new Error("bad input"), { name: "ValidationError" }));
    expect(ended(await interpreter.advance(T0))).toEqual({ status: "completed", result: '"audit-1: ValidationError"' });
    expect(buffered(interpreter)).toEqual(["ChildStarted", "ChildCompleted", "ExecutionCompleted"]);
  });
});

describe("interpreter: groups", () => {
  it("runs all() branches as concurrent effects in their own scopes and records the group's size", async () => {
    const body = async function* () {
      return (yield* all([step("a", () => 1), branch(async function* () { return yield* step("b", () => 2); })])) as never;
    };
    const interpreter = open(body as Body, history());
    const advance = await interpreter.advance(T0);
    expect(advance.steps.map((run) => run.position.opId)).toEqual(["0.0.0", "0.1.0"]);
    interpreter.stepSettled(advance.steps[1]!, { ok: true, value: 2 }, T0 + 1);
    interpreter.stepSettled(advance.steps[0]!, { ok: true, value: 1 }, T0 + 2);
    expect(ended(await interpreter.advance(T0 + 2))).toEqual({ status: "completed", result: "[1,2]" });
    const events = interpreter.replayer.takeBuffer().events;
    expect(events[0]).toMatchObject({ type: "GroupStarted", size: 2 });
  });

  it("lets the earlier of two race branches win when both are due in one late turn, and drops the loser", async () => {
    const body = async function* () {
      return (yield* race([sleep("2h"), waitForEvent("x")])) as never;
    };
    const interpreter = open(body as Body, history(), [item("i1", "x", T0 + 90 * MINUTE, "e")]);
    expect(ended(await interpreter.advance(T0 + 5 * 60 * MINUTE))).toEqual({ status: "completed", result: '{"index":1,"value":"e"}' });
    expect(buffered(interpreter)).toEqual([
      "GroupStarted",
      "TimerScheduled",
      "WaitStarted",
      "EventReceived",
      "GroupSettled",
      "ExecutionCompleted",
    ]);
  });

  it("breaks a tie in recorded time by position: the earlier branch wins", async () => {
    const body = async function* () {
      return (yield* race([waitForEvent("b"), waitForEvent("a")])) as never;
    };
    const interpreter = open(body as Body, history(), [item("i1", "a", T0 + 5, "A"), item("i2", "b", T0 + 5, "B")]);
    expect(ended(await interpreter.advance(T0 + 10))).toEqual({ status: "completed", result: '{"index":0,"value":"B"}' });
  });

  it("settles allSettled and map branches each by its own time", async () => {
    const body = async function* () {
      const settled = yield* allSettled([waitForEvent("a", { timeout: "1h" }), waitForEvent("b", { timeout: "1h" })]);
      const mapped = yield* map([1, 2], (n) => step(`m${n}`, () => n), { concurrency: 1 });
      return [settled.map((s) => s.status), mapped] as never;
    };
    const interpreter = open(body as Body, history(), [item("i1", "a", T0 + MINUTE), item("i2", "b", T0 + 2 * 60 * MINUTE)]);
    const first = await interpreter.advance(T0 + 3 * 60 * MINUTE);
    expect(first.steps.map((run) => run.position.opId)).toEqual(["1.0.0"]);
    interpreter.stepSettled(first.steps[0]!, { ok: true, value: 1 }, T0 + 3 * 60 * MINUTE);
    const second = await interpreter.advance(T0 + 3 * 60 * MINUTE);
    interpreter.stepSettled(second.steps[0]!, { ok: true, value: 2 }, T0 + 3 * 60 * MINUTE);
    expect(ended(await interpreter.advance(T0 + 3 * 60 * MINUTE))).toEqual({
      status: "completed",
      result: '[["fulfilled","rejected"],[1,2]]',
    });
  });

  it("refuses a recorded group replayed with another number of branches", async () => {
    const body = async function* () {
      return (yield* all([step("a", () => 1)])) as never;
    };
    const recorded = history(() => ev("GroupStarted", "0", "all", "all", { size: 2 }), completed("0.0", "a", 1));
    await expect(open(body as Body, recorded).advance(T0)).rejects.toThrow(/all 'all' of 2 branches.*all 'all' of 1 branch\b/);
  });
});

describe("interpreter: recorded values, status and versioning", () => {
  it("records now, random, uuid and status once and replays them", async () => {
    const body = async function* () {
      const values = [yield* now(), yield* random(), yield* uuid()];
      yield* setStatus({ stage: "done" });
      return values as never;
    };
    const interpreter = open(body as Body, history());
    const at = new Date(T0).toISOString();
    expect(ended(await interpreter.advance(T0 + 7))).toEqual({ status: "completed", result: `["${at}",0.25,"u-1"]` });
    expect(interpreter.replayer.customStatus).toBe('{"stage":"done"}');
    const recorded = history(
      () => ev("ValueRecorded", "0", "now", "now", { value: "1" }),
      () => ev("ValueRecorded", "1", "random", "random", { value: "0.9" }),
      () => ev("ValueRecorded", "2", "uuid", "uuid", { value: '"u-old"' }),
    );
    const replayed = ended(await open(body as Body, recorded).advance(T0));
    expect(replayed).toEqual({ status: "completed", result: `["${new Date(1).toISOString()}",0.9,"u-old"]` });
  });

  it("answers patched() true on new work and false on history recorded before the change", async () => {
    const body = async function* () {
      return ((yield* patched("v2")) ? yield* step("new", () => "new") : yield* step("old", () => "old")) as never;
    };
    expect((await open(body as Body, history()).advance(T0)).steps[0]!.position.command.name).toBe("new");
    const old = open(body as Body, history(completed("0", "old", "old")));
    expect(ended(await old.advance(T0))).toEqual({ status: "completed", result: '"old"' });
  });

  it("ends the run with continueAsNew and its encoded input", async () => {
    const body = async function* () {
      return (yield* continueAsNew({ page: 2 })) as never;
    };
    expect(ended(await open(body as Body, history()).advance(T0))).toEqual({ status: "continueAsNew", input: '{"page":2}' });
  });
});
