// Scenario: long histories. A workflow of N steps ending in a wait is recorded (N + 2 events), then new processes
// replay all of it cold. Correctness is checked at every size (the replay appends nothing and the history stays
// gapless); timing and peak heap are measured by the report runner only, never asserted by a test.
import type { HistoryEvent } from "spindle";
import { createEngine, silentLogger, step, waitForEvent, workflow } from "spindle";
import { VirtualClock } from "spindle/testing";
import { gc } from "../../../bench/util.js";
import { loadAll } from "../invariants.js";
import type { ScenarioResult } from "../report.js";
import { newResult } from "../report.js";
import type { StoreTarget } from "../targets.js";
import { expectThat } from "./check.js";

const long = workflow("long", async function* (input: { steps: number }) {
  for (let i = 0; i < input.steps; i++) yield* step("s" + i, () => i);
  return yield* waitForEvent("never");
});

/** One measured replay. */
export interface ReplayFigure {
  events: number;
  ms: number;
  /** Heap growth during the replay, in MB (sampled after it). */
  heapMb: number;
}

/** Records and cold-replays histories of the given sizes; `measure` adds timing and heap figures. */
export async function growth(target: StoreTarget, options: { sizes: readonly number[]; measure?: boolean }): Promise<ScenarioResult & { replays: ReplayFigure[] }> {
  const result = { ...newResult("replay of long histories", target.name, options.sizes.join(", ") + " steps"), replays: [] as ReplayFigure[] };
  for (const steps of options.sizes) {
    const store = target.make();
    const clock = new VirtualClock();
    const id = target.id("long");
    const make = () => createEngine({ store, workflows: [long], clock, mode: "external", logger: silentLogger, cacheSize: 0, historyWarningThreshold: Infinity });
    await make().start(long, { steps }, { id });
    await make().resume(id);
    const before = await loadAll(store, id);
    // Three cold replays, each by a new process; the median is reported (the first also warms the JIT up).
    const timings: number[] = [];
    let heapMb = 0;
    let turn = await make().resume(id);
    for (let i = 0; i < 3; i++) {
      gc?.();
      const heap = process.memoryUsage().heapUsed;
      const started = performance.now();
      turn = await make().resume(id);
      timings.push(performance.now() - started);
      heapMb = Math.max(heapMb, (process.memoryUsage().heapUsed - heap) / 2 ** 20);
    }
    const ms = timings.sort((a, b) => a - b)[1]!;
    const after = await loadAll(store, id);
    const where = `${steps} steps`;
    expectThat(result, where, "I3", before.events.length === steps + 2 && after.events.length === before.events.length && turn.appended === 0,
      `recorded ${before.events.length} events, ${after.events.length} after the replay, which appended ${turn.appended}`);
    expectThat(result, where, "I3", (after.events as HistoryEvent[]).every((event, i) => event.seq === i + 1), "the history has a gap");
    expectThat(result, where, "I4", turn.status === "suspended" && turn.replayed, `the replay ended ${turn.status}`);
    result.executions++;
    if (options.measure) result.replays.push({ events: before.events.length, ms, heapMb });
  }
  return result;
}
