// B1: sequential steps in ONE workflow on a MemoryStore, in-process engine. Figure: wall time from start() to the
// result, divided by the number of steps. Target: <= 5 µs per step at N = 1,000.
import { createEngine, MemoryStore, silentLogger, step, workflow } from "../src/index.js";
import type { BenchReport, Verdict } from "./table.js";
import { atMost, num } from "./table.js";
import { expectEqual, measure, median, min, now } from "./util.js";

const TARGET_US_PER_STEP = 5;
const TARGET_AT = 1_000;

const sequential = workflow("bench-b1-steps", async function* (input: unknown) {
  const n = (input as { n: number }).n;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += yield* step("s" + i, () => i);
  return sum;
});

async function runOnce(n: number): Promise<number> {
  const engine = createEngine({ store: new MemoryStore(), workflows: [sequential], logger: silentLogger });
  const started = now();
  const run = await engine.start(sequential, { n });
  const result = await run.result();
  const elapsed = now() - started;
  expectEqual(result, (n * (n - 1)) / 2, `B1 result for N=${n}`);
  await engine.close();
  return elapsed;
}

/** [N, warm-up runs, measured runs] */
const PLAN: [number, number, number][] = [
  [10, 100, 201],
  [100, 30, 51],
  [1_000, 10, 31],
  [10_000, 2, 7],
];

export async function benchSteps(): Promise<BenchReport> {
  const rows: string[][] = [];
  const verdicts: Verdict[] = [];
  for (const [n, warmups, runs] of PLAN) {
    const timings = await measure(warmups, runs, () => runOnce(n));
    const perStep = (median(timings) * 1000) / n;
    const best = (min(timings) * 1000) / n;
    const hasTarget = n === TARGET_AT;
    rows.push([
      num(n),
      String(runs),
      num(median(timings), 3),
      num(perStep, 2),
      num(best, 2),
      hasTarget ? `<= ${TARGET_US_PER_STEP}` : "-",
    ]);
    verdicts.push(hasTarget ? atMost(perStep, TARGET_US_PER_STEP) : "-");
  }
  return {
    id: "B1",
    title: "sequential steps in one workflow (MemoryStore, in-process)",
    headers: ["steps N", "runs", "median ms", "median µs/step", "best µs/step", "target µs/step"],
    rows,
    verdicts,
    notes: ["wall time from engine.start() to run.result(), / N; median of the runs after warm-up"],
  };
}
