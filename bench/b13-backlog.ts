// B13: a backlog is linear. n events are sent to an execution before it waits for any; one turn then takes them all
// (a loop of waitForEvent) and ends. Figure: µs per event of that turn at 10^4 and 10^5 events (MemoryStore, external
// mode, resume() timed alone). Target: 10^5 within 1.5x of 10^4 per event.
import { createEngine, MemoryStore, silentLogger, waitForEvent, workflow } from "../src/index.js";
import type { BenchReport, Verdict } from "./table.js";
import { atMost, num } from "./table.js";
import { expectEqual, measure, median, min, now } from "./util.js";

const TARGET_RATIO = 1.5;

const drain = workflow("bench-b13-backlog", async function* (input: unknown) {
  const n = (input as { n: number }).n;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += yield* waitForEvent<number>("item");
  return sum;
});

async function runOnce(n: number): Promise<number> {
  const engine = createEngine({ store: new MemoryStore(), workflows: [drain], mode: "external", logger: silentLogger });
  const { id } = await engine.start(drain, { n });
  for (let i = 0; i < n; i++) await engine.sendEvent(id, "item", 1);
  const started = now();
  const turn = await engine.resume(id);
  const elapsed = now() - started;
  expectEqual(turn.status, "completed", `B13 status for n=${n}`);
  expectEqual(await engine.result(id), n, `B13 result for n=${n}`);
  return elapsed;
}

export async function benchBacklog(): Promise<BenchReport> {
  const rows: string[][] = [];
  const verdicts: Verdict[] = [];
  const perEvent: number[] = [];
  for (const [n, warmups, runs] of [
    [10_000, 2, 5],
    [100_000, 1, 3],
  ] as const) {
    const timings = await measure(warmups, runs, () => runOnce(n));
    const us = (median(timings) * 1000) / n;
    perEvent.push(us);
    rows.push([num(n), String(runs), num(median(timings), 1), num(min(timings), 1), num(us, 2), "-"]);
    verdicts.push("-");
  }
  const ratio = perEvent[1]! / perEvent[0]!;
  const verdict = atMost(ratio, TARGET_RATIO);
  rows.push(["linearity", "", "", "", `${num(ratio, 2)}x`, `<= ${TARGET_RATIO}x`]);
  verdicts.push(verdict);
  return {
    id: "B13",
    title: "a backlog of n buffered events taken by one turn (MemoryStore, external mode)",
    headers: ["events", "runs", "median ms", "best ms", "µs/event", "target"],
    rows,
    verdicts,
    notes: [
      "the events are sent before the workflow waits; the figure is the one resume() that takes them all and ends",
      "linearity row: µs/event at 10^5 ÷ µs/event at 10^4",
    ],
  };
}
