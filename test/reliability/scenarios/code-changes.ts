// Scenario: code changed after an execution was recorded (a step reordered, inserted, removed or renamed, a sleep
// swapped for a step, a wait swapped for a sleep, a shorter workflow). Resuming on the new code must stop with
// NonDeterminismError before any new effect, and leave the history untouched: never a silent wrong answer.
import type { AnyWorkflow } from "spindle";
import { NonDeterminismError, silentLogger, sleep, step, waitForEvent, workflow } from "spindle";
import { createEngine } from "spindle";
import { VirtualClock } from "spindle/testing";
import { canonical, loadAll } from "../invariants.js";
import type { ScenarioResult } from "../report.js";
import { bump, newResult } from "../report.js";
import type { StoreTarget } from "../targets.js";
import { caught, expectThat, named } from "./check.js";

type Effects = string[];
type Version = (effects: Effects) => AnyWorkflow;
const fx = (effects: Effects, name: string) => () => effects.push(name);

const original: Version = (e) =>
  workflow("evolving", async function* () {
    yield* step("a", fx(e, "a"));
    yield* step("b", fx(e, "b"));
    yield* sleep("pause", "1m");
    yield* waitForEvent("go");
    yield* step("c", fx(e, "c"));
    return "v1";
  });

/** Each change, as the new code. */
export const CHANGES: readonly [string, Version][] = [
  ["two steps reordered", (e) => workflow("evolving", async function* () {
    yield* step("b", fx(e, "b"));
    yield* step("a", fx(e, "a"));
    yield* sleep("pause", "1m");
    yield* waitForEvent("go");
    yield* step("c", fx(e, "c"));
  })],
  ["a step inserted", (e) => workflow("evolving", async function* () {
    yield* step("a", fx(e, "a"));
    yield* step("new", fx(e, "new"));
    yield* step("b", fx(e, "b"));
    yield* sleep("pause", "1m");
    yield* waitForEvent("go");
    yield* step("c", fx(e, "c"));
  })],
  ["a step removed", (e) => workflow("evolving", async function* () {
    yield* step("a", fx(e, "a"));
    yield* sleep("pause", "1m");
    yield* waitForEvent("go");
    yield* step("c", fx(e, "c"));
  })],
  ["a step renamed", (e) => workflow("evolving", async function* () {
    yield* step("a", fx(e, "a"));
    yield* step("b2", fx(e, "b2"));
    yield* sleep("pause", "1m");
    yield* waitForEvent("go");
    yield* step("c", fx(e, "c"));
  })],
  ["a sleep swapped for a step", (e) => workflow("evolving", async function* () {
    yield* step("a", fx(e, "a"));
    yield* step("b", fx(e, "b"));
    yield* step("pause", fx(e, "pause"));
    yield* waitForEvent("go");
    yield* step("c", fx(e, "c"));
  })],
  ["a wait swapped for a sleep", (e) => workflow("evolving", async function* () {
    yield* step("a", fx(e, "a"));
    yield* step("b", fx(e, "b"));
    yield* sleep("pause", "1m");
    yield* sleep("go", "1m");
    yield* step("c", fx(e, "c"));
  })],
  ["the workflow now ends early", (e) => workflow("evolving", async function* () {
    yield* step("a", fx(e, "a"));
    return "short";
  })],
];

/** Records the original up to its wait for "go" (the event sent), then resumes each change on it. */
export async function codeChanges(target: StoreTarget): Promise<ScenarioResult> {
  const result = newResult("code changed after recording", target.name, `${CHANGES.length} changes`);
  for (const [label, changed] of CHANGES) {
    const store = target.make();
    const clock = new VirtualClock();
    const id = target.id("evolving");
    const old = createEngine({ store, workflows: [original([])], clock, mode: "external", logger: silentLogger });
    await old.start("evolving", undefined, { id });
    await old.resume(id);
    clock.set(clock.now() + 60_000);
    await old.resume(id);
    await old.sendEvent(id, "go", null, { idempotencyKey: "go-1" });
    const before = await loadAll(store, id);
    const effects: Effects = [];
    const next = createEngine({ store, workflows: [changed(effects)], clock, mode: "external", logger: silentLogger });
    const error = await caught(() => next.resume(id));
    const after = await loadAll(store, id);
    expectThat(result, label, "I1", error instanceof NonDeterminismError, `resume threw ${named(error)}, not NonDeterminismError`);
    expectThat(result, label, "I5", effects.length === 0, `new code ran ${effects.join(", ")} before stopping`);
    expectThat(result, label, "I3", canonical(after.events) === canonical(before.events), "the history changed");
    result.executions++;
    if (error instanceof NonDeterminismError) bump(result, "changes detected");
  }
  result.figures["false positives (the unchanged code resumes)"] = await unchangedResumes(target);
  return result;
}

/** The original code resumes its own history without complaint: 0 when it does, 1 otherwise. */
async function unchangedResumes(target: StoreTarget): Promise<number> {
  const store = target.make();
  const clock = new VirtualClock();
  const id = target.id("unchanged");
  const engine = () => createEngine({ store, workflows: [original([])], clock, mode: "external", logger: silentLogger });
  await engine().start("evolving", undefined, { id });
  await engine().resume(id);
  clock.set(clock.now() + 60_000);
  await engine().sendEvent(id, "go", null);
  const turn = await engine().resume(id).catch(() => undefined);
  return turn?.status === "completed" ? 0 : 1;
}
