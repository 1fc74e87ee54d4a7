// Scenario: corrupted or foreign history records (truncated, a sequence gap, a duplicate, an unknown type, a newer
// schema version, another execution's events, events missing). The store hands them out as they are; the engine
// must stop with HistoryCorruptedError and overwrite nothing.
import type { HistoryEvent } from "spindle";
import type { HistoryStore, LoadOptions } from "spindle/store";
import { createEngine, HistoryCorruptedError, silentLogger, step, waitForEvent, workflow } from "spindle";
import { canonical, loadAll } from "../invariants.js";
import type { ScenarioResult } from "../report.js";
import { bump, newResult } from "../report.js";
import type { StoreTarget } from "../targets.js";
import { caught, expectThat, named } from "./check.js";

/** Each corruption, applied to the two stored events. */
export const CORRUPTIONS: readonly [string, (events: HistoryEvent[]) => unknown[]][] = [
  ["a truncated record", (events) => [events[0], { seq: 2, type: "StepCompleted" }]],
  ["a sequence gap", (events) => [events[0], { ...events[1], seq: 3 }]],
  ["a duplicate event", (events) => [events[0], events[0]]],
  ["an unknown event type", (events) => [events[0], { ...events[1], type: "StepExploded" }]],
  ["a newer schema version", (events) => [events[0], { ...events[1], v: 99 }]],
  ["another execution's events", (events) => [{ ...events[0], executionId: "someone-else" }, events[1]]],
  ["events missing", (events) => [events[0]]],
];

const fragile = workflow("fragile", async function* () {
  yield* step("a", () => 1);
  yield* waitForEvent("go");
  return yield* step("b", () => 2);
});

/** A view of `inner` whose loads of `id` return `tampered` events. */
function tamperedView(inner: HistoryStore, tampered: unknown[]): HistoryStore {
  const view = Object.create(inner) as HistoryStore;
  view.load = async (id: string, options?: LoadOptions) => {
    const page = await inner.load(id, options);
    return page && { ...page, events: tampered.slice(options?.afterSeq ?? 0), more: false };
  };
  return view;
}

/** Runs every corruption on the target. */
export async function corruption(target: StoreTarget): Promise<ScenarioResult> {
  const result = newResult("corrupted or foreign records", target.name, `${CORRUPTIONS.length} corruptions`);
  for (const [label, corrupt] of CORRUPTIONS) {
    const inner = target.make();
    const id = target.id("fragile");
    const engine = createEngine({ store: inner, workflows: [fragile], mode: "external", logger: silentLogger });
    await engine.start(fragile, undefined, { id });
    await engine.resume(id);
    const stored = await loadAll(inner, id);
    const reader = createEngine({ store: tamperedView(inner, corrupt(stored.events as HistoryEvent[])), workflows: [fragile], mode: "external", logger: silentLogger });
    await reader.sendEvent(id, "go", null);
    const error = await caught(() => reader.resume(id));
    const after = await loadAll(inner, id);
    expectThat(result, label, "I3", error instanceof HistoryCorruptedError, `resume threw ${named(error)}, not HistoryCorruptedError`);
    expectThat(result, label, "I3", canonical(after.events) === canonical(stored.events) && after.record.version === stored.record.version,
      "the stored history was overwritten");
    result.executions++;
    if (error instanceof HistoryCorruptedError) bump(result, "corruptions detected");
  }
  return result;
}
