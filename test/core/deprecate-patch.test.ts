// deprecatePatch(id), the step after removing a patch's old branch: against literal histories it records the marker
// on fresh executions only, takes no position, answers nothing and replays any history, with or without the marker;
// through the engine, a worker still on the patched() build takes the new branch of an execution the deprecatePatch
// build started (a rolling deploy), and the deprecatePatch build replays what the patched() build recorded.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "spindle";
import {
  createEngine,
  deprecatePatch,
  MemoryStore,
  NonDeterminismError,
  patched,
  silentLogger,
  step,
  ValidationError,
  waitForEvent,
  workflow,
} from "spindle";
import { replayHistory, VirtualClock } from "spindle/testing";
import type { Advance } from "../../src/core/interpreter.js";
import { Interpreter } from "../../src/core/interpreter.js";

const T0 = Date.parse("2026-03-01T00:00:00Z");
type Body = () => AsyncGenerator<never, unknown, unknown>;

let seq = 0;
function ev(type: string, opId: string, kind: string, name: string, fields: Record<string, unknown> = {}): HistoryEvent {
  return { v: 1, seq: ++seq, type, opId, kind, name, at: T0, ...fields } as HistoryEvent;
}
function history(...events: (() => HistoryEvent)[]): HistoryEvent[] {
  seq = 0;
  const started = ev("ExecutionStarted", "-", "execution", "wf", { executionId: "e1", runId: "r1" });
  return [started, ...events.map((make) => make())];
}
const completed = (opId: string, name: string, result: unknown) => () =>
  ev("StepCompleted", opId, "step", name, { attempt: 1, result: JSON.stringify(result) });
const marker = (id: string) => () => ev("PatchMarker", `patch:${id}`, "patched", id);

function open(body: Body, events: HistoryEvent[]): Interpreter {
  return new Interpreter({
    executionId: "e1",
    runId: "r1",
    workflowName: "wf",
    history: events,
    body: body() as never,
    random: () => 0.25,
    uuid: () => "u-1",
    valueLimit: 1000,
  });
}
const ended = (advance: Advance) => advance.ending;

/** The build after the old branch was removed: deprecatePatch where patched("sms") was. */
const deprecated = async function* () {
  const answer = yield* deprecatePatch("sms");
  return (yield* step("sms", () => `sms ${String(answer)}`)) as never;
};
/** The build with the patch. */
const guarded = async function* () {
  if (yield* patched("sms")) return (yield* step("sms", () => "sms")) as never;
  return (yield* step("email", () => "email")) as never;
};

describe("deprecatePatch against literal histories", () => {
  it("records the change's marker on a fresh execution, answers nothing and shifts no operation id", async () => {
    const interpreter = open(deprecated as Body, history());
    const advance = await interpreter.advance(T0);
    expect(advance.steps.map((s) => [s.position.opId, s.position.command.name])).toEqual([["0", "sms"]]);
    const events = interpreter.replayer.takeBuffer().events;
    expect(events.map((e) => [e.type, e.opId, e.kind, e.name])).toEqual([["PatchMarker", "patch:sms", "patched", "sms"]]);
  });

  it("returns undefined to the body", async () => {
    const recorded = history(marker("sms"), completed("0", "sms", "sms undefined"));
    expect(ended(await open(deprecated as Body, recorded).advance(T0))).toEqual({ status: "completed", result: '"sms undefined"' });
  });

  it("replays a history the patched() build recorded on its new branch (marker present) and records nothing", async () => {
    const interpreter = open(deprecated as Body, history(marker("sms"), completed("0", "sms", "sms undefined")));
    await interpreter.advance(T0);
    const events = interpreter.replayer.takeBuffer().events;
    expect(events.map((e) => e.type)).toEqual(["ExecutionCompleted"]);
  });

  it("replays a history without the marker whose operations match the code, and records no marker in it", async () => {
    // Recorded by a build that ran step 'sms' unconditionally, before any patch existed.
    const interpreter = open(deprecated as Body, history(completed("0", "sms", "sms undefined")));
    expect(ended(await interpreter.advance(T0))).toEqual({ status: "completed", result: '"sms undefined"' });
    expect(interpreter.replayer.takeBuffer().events.map((e) => e.type)).toEqual(["ExecutionCompleted"]);
  });

  it("records the marker once per run when called twice, and a later patched() of the same id answers true", async () => {
    const body = async function* () {
      yield* deprecatePatch("sms");
      yield* deprecatePatch("sms");
      return (yield* patched("sms")) as never;
    };
    const interpreter = open(body as Body, history());
    expect(ended(await interpreter.advance(T0))).toEqual({ status: "completed", result: "true" });
    const types = interpreter.replayer.takeBuffer().events.map((e) => e.type);
    expect(types).toEqual(["PatchMarker", "ExecutionCompleted"]);
  });

  it("lets the patched() build take the new branch of a history the deprecatePatch build started", async () => {
    const recorded = history(marker("sms"));
    const advance = await open(guarded as Body, recorded).advance(T0);
    expect(advance.steps.map((s) => s.position.command.name)).toEqual(["sms"]);
  });

  it("refuses an empty or ill-formed change id with ValidationError, naming deprecatePatch", () => {
    expect(() => deprecatePatch("")).toThrow(ValidationError);
    expect(() => deprecatePatch("\ud800")).toThrow(/deprecatePatch\(name/);
  });
});

describe("deprecatePatch through the engine", () => {
  const v2 = workflow("greeting", async function* () {
    yield* waitForEvent("go");
    if (yield* patched("sms")) {
      yield* waitForEvent("confirm");
      return yield* step("sms", () => "sms");
    }
    return yield* step("email", () => "email");
  });
  const v3 = workflow("greeting", async function* () {
    yield* waitForEvent("go");
    yield* deprecatePatch("sms");
    yield* waitForEvent("confirm");
    return yield* step("sms", () => "sms");
  });
  /** v3 without the call: what the marker protects against. */
  const unmarked = workflow("greeting", async function* () {
    yield* waitForEvent("go");
    yield* waitForEvent("confirm");
    return yield* step("sms", () => "sms");
  });

  it("a patched() worker resumes an execution the deprecatePatch worker took past the change, on the new branch", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const newer = createEngine({ store, workflows: [v3], clock, mode: "external", logger: silentLogger });
    const older = createEngine({ store, workflows: [v2], clock, mode: "external", logger: silentLogger, cacheSize: 0 });
    await newer.start(v3, undefined, { id: "g-rolling" });
    await newer.resume("g-rolling");
    await newer.sendEvent("g-rolling", "go", null);
    await newer.resume("g-rolling"); // past deprecatePatch: the marker is recorded, it waits for "confirm"
    const history = await newer.history("g-rolling");
    expect(history.find((e) => e.type === "PatchMarker")).toMatchObject({ name: "sms", opId: "patch:sms", kind: "patched" });
    await older.sendEvent("g-rolling", "confirm", null);
    await older.resume("g-rolling");
    expect(await older.result("g-rolling")).toBe("sms");
  });

  it("without the marker, the patched() worker would take the old branch and stop with NonDeterminismError", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const newer = createEngine({ store, workflows: [unmarked], clock, mode: "external", logger: silentLogger });
    await newer.start(unmarked, undefined, { id: "g-unmarked" });
    await newer.resume("g-unmarked");
    await newer.sendEvent("g-unmarked", "go", null);
    await newer.resume("g-unmarked");
    await expect(replayHistory(v2, await newer.history("g-unmarked"))).rejects.toBeInstanceOf(NonDeterminismError);
  });

  it("the deprecatePatch build resumes executions the patched() build left before or past the change", async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore();
    const older = createEngine({ store, workflows: [v2], clock, mode: "external", logger: silentLogger });
    await older.start(v2, undefined, { id: "g-before" }); // waits at "go": patched() not reached, no marker yet
    await older.resume("g-before");
    await older.start(v2, undefined, { id: "g-after" });
    await older.resume("g-after");
    await older.sendEvent("g-after", "go", null);
    await older.resume("g-after"); // patched() answered true: marker recorded, waits for "confirm"
    const newer = createEngine({ store, workflows: [v3], clock, mode: "external", logger: silentLogger, cacheSize: 0 });
    for (const id of ["g-before", "g-after"]) {
      if (id === "g-before") await newer.sendEvent(id, "go", null);
      await newer.sendEvent(id, "confirm", null);
      await newer.resume(id);
      expect(await newer.result(id)).toBe("sms");
      const history = await newer.history(id);
      await expect(replayHistory(v3, history)).resolves.toMatchObject({ outcome: "completed" });
      expect(history.filter((e) => e.type === "PatchMarker").map((e) => e.name)).toEqual(["sms"]);
    }
  });
});
