// What replayHistory reports for the deploy gate: each patched() answer (false on a history recorded before the change,
// true past it or from its marker), and where a divergence is, as data on NonDeterminismError (opId, expected, found),
// for a renamed step, a changed group or DAG shape, code that ends early, and a changed ending.
import { describe, expect, it } from "vitest";
import {
  all,
  createEngine,
  dag,
  MemoryStore,
  NonDeterminismError,
  patched,
  silentLogger,
  step,
  task,
  waitForEvent,
  workflow,
} from "spindle";
import type { AnyWorkflow, HistoryEvent } from "spindle";
import { replayHistory, VirtualClock } from "spindle/testing";
import { replayRecorded } from "../../src/testing/replay-check.js";
import { notifyBefore, notifyPatched } from "./fixtures/notify.js";

/** Runs `recorded` until it rests (after sending the given events), and returns the history. */
async function record(recorded: AnyWorkflow, events: string[] = []): Promise<HistoryEvent[]> {
  const engine = createEngine({ store: new MemoryStore(), workflows: [recorded], clock: new VirtualClock(), mode: "external", logger: silentLogger });
  await engine.start(recorded, undefined, { id: "x" });
  await engine.resume("x");
  for (const name of events) {
    await engine.sendEvent("x", name, null);
    await engine.resume("x");
  }
  return engine.history("x");
}

async function divergence(code: AnyWorkflow, history: HistoryEvent[]): Promise<NonDeterminismError> {
  const error = await replayHistory(code, history).catch((failure: unknown) => failure);
  expect(error).toBeInstanceOf(NonDeterminismError);
  return error as NonDeterminismError;
}

describe("ReplayReport.patches", () => {
  const before = notifyBefore;
  const after = notifyPatched;

  it("answers false on a history recorded before the change, true on one recorded past it", async () => {
    expect((await replayHistory(after, await record(before))).patches).toEqual([{ id: "sms", answer: false }]);
    expect((await replayHistory(after, await record(after))).patches).toEqual([{ id: "sms", answer: true }]);
  });

  it("holds only the ids the code asks about, not markers no code asks about any more", async () => {
    const removed = workflow("notify", async function* () {
      yield* step("sms", () => "sms");
      yield* waitForEvent("go");
    });
    expect((await replayHistory(removed, await record(after))).patches).toEqual([]);
  });
});

describe("NonDeterminismError carries the divergence as data", () => {
  const original = workflow("evolving", async function* () {
    yield* step("a", () => 1);
    yield* step("b", () => 2);
    yield* waitForEvent("go");
    return "v1";
  });

  it("names the first differing operation and both sides for a renamed step", async () => {
    const renamed = workflow("evolving", async function* () {
      yield* step("a", () => 1);
      yield* step("b2", () => 2);
      yield* waitForEvent("go");
    });
    const error = await divergence(renamed, await record(original));
    expect(error).toMatchObject({
      executionId: "x",
      opId: "1",
      operation: "#1",
      expected: { kind: "step", name: "b", text: "step 'b'" },
      found: { kind: "step", name: "b2", text: "step 'b2'" },
    });
    expect(error.message).toContain("the history holds step 'b' but the code now does step 'b2'");
  });

  it("says the code ended where the history holds more", async () => {
    const short = workflow("evolving", async function* () {
      yield* step("a", () => 1);
      return "short";
    });
    const error = await divergence(short, await record(original));
    expect(error).toMatchObject({ opId: "1", expected: { kind: "step", name: "b" }, found: { text: "the code ended there" } });
    expect(error.found?.kind).toBeUndefined();
  });

  it("names a group's branch counts on both sides", async () => {
    const fan = (branches: string[]) =>
      workflow("fan", async function* () {
        yield* all(branches.map((name) => step(name, () => name)));
        yield* waitForEvent("go");
      });
    const error = await divergence(fan(["a"]), await record(fan(["a", "b"])));
    expect(error).toMatchObject({
      opId: "0",
      expected: { kind: "all", text: "all 'all' of 2 branches" },
      found: { kind: "all", text: "all 'all' of 1 branch" },
    });
  });

  it("names a DAG's tasks on both sides", async () => {
    const pipeline = (rewired: boolean) =>
      workflow("pipeline", async function* () {
        yield* dag({
          extract: task(() => 1),
          load: task(rewired ? [] : ["extract"], () => 2),
        });
        yield* waitForEvent("go");
      });
    const error = await divergence(pipeline(true), await record(pipeline(false)));
    expect(error.opId).toBe("0");
    expect(error.expected).toMatchObject({ kind: "dag", text: expect.stringContaining("'load' <- ['extract']") });
    expect(error.found).toMatchObject({ kind: "dag" });
    expect(error.found?.text).not.toContain("<-");
  });

  it("names the execution's ending on both sides when a finished history now ends otherwise", async () => {
    const history = await record(original, ["go"]);
    const changed = workflow("evolving", async function* () {
      yield* step("a", () => 1);
      yield* step("b", () => 2);
      yield* waitForEvent("go");
      return "v2";
    });
    const error = await divergence(changed, history);
    expect(error).toMatchObject({
      opId: "-",
      expected: { text: 'ExecutionCompleted with result "v1"' },
      found: { text: 'ExecutionCompleted with result "v2"' },
    });
  });
});

describe("a history cut inside a turn", () => {
  const twoSteps = workflow("two", async function* () {
    yield* step("a", () => 1);
    yield* step("b", () => 2);
    return "done";
  });
  /** The run's first two events: a turn that crashed after step 'a' was written. */
  async function cut(): Promise<HistoryEvent[]> {
    return (await record(twoSteps)).slice(0, 2);
  }

  it("is still a divergence for replayHistory when the code would end right after it", async () => {
    const oneStep = workflow("two", async function* () {
      yield* step("a", () => 1);
      return "done";
    });
    const error = await divergence(oneStep, await cut());
    expect(error).toMatchObject({ opId: "-", found: { text: "the code completed" } });
  });

  it("is accepted with cutInsideTurn, where a crash between two writes leaves it legitimately", async () => {
    const oneStep = workflow("two", async function* () {
      yield* step("a", () => 1);
      return "done";
    });
    await expect(replayRecorded(oneStep, await cut(), { cutInsideTurn: true })).resolves.toMatchObject({ outcome: "waiting" });
  });

  it("still names a renamed step with cutInsideTurn", async () => {
    const renamed = workflow("two", async function* () {
      yield* step("a2", () => 1);
      return "done";
    });
    await expect(replayRecorded(renamed, await cut(), { cutInsideTurn: true })).rejects.toMatchObject({ opId: "0" });
  });
});
