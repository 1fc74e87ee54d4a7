// B4: 10,000 executions of a 10-step workflow started at once on one in-process engine (MemoryStore): start all
// (Promise.all of engine.start), then await every result. Target: <= 1 s wall.
import { createEngine, MemoryStore, silentLogger, step, workflow } from "../src/index.js";
import type { BenchReport } from "./table.js";
import { atMost, num } from "./table.js";
import { expectEqual, measure, median, min, now } from "./util.js";

const TARGET_MS = 1_000;
const EXECUTIONS = 10_000;
const STEPS = 10;

const tenSteps = workflow("bench-b4-ten-steps", async function* () {
  let sum = 0;
  for (let i = 0; i < STEPS; i++) sum += yield* step("s" + i, () => i);
  return sum;
});

async function runOnce(count: number, phases?: { started: number[] }): Promise<number> {
  const engine = createEngine({ store: new MemoryStore(), workflows: [tenSteps], logger: silentLogger });
  const started = now();
  const runs = await Promise.all(Array.from({ length: count }, () => engine.start(tenSteps, {})));
  phases?.started.push(now() - started);
  const results = await Promise.all(runs.map((run) => run.result()));
  const elapsed = now() - started;
  const expected = (STEPS * (STEPS - 1)) / 2;
  expectEqual(results.length, count, "B4 number of results");
  expectEqual(results.every((result) => result === expected), true, "B4 every result correct");
  await engine.close();
  return elapsed;
}

/** Reference: the same executions one after another (start, await result), to show what running them at once costs. */
async function runSequentially(count: number): Promise<number> {
  const engine = createEngine({ store: new MemoryStore(), workflows: [tenSteps], logger: silentLogger });
  const started = now();
  for (let i = 0; i < count; i++) await (await engine.start(tenSteps, {})).result();
  const elapsed = now() - started;
  await engine.close();
  return elapsed;
}

export async function benchFanOut(): Promise<BenchReport> {
  for (let i = 0; i < 3; i++) await runOnce(1_000);
  const runs = 5;
  const phases = { started: [] as number[] };
  const timings = await measure(1, runs, () => runOnce(EXECUTIONS, phases), { settleEach: true });
  const ms = median(timings);
  const sequentialRuns = 3;
  const sequential = await measure(0, sequentialRuns, () => runSequentially(EXECUTIONS), { settleEach: true });
  const sequentialMs = median(sequential);
  return {
    id: "B4",
    title: "10,000 executions x 10 steps started at once (one engine, in-process, MemoryStore)",
    headers: [
      "executions",
      "steps each",
      "runs",
      "median ms",
      "best ms",
      "target ms",
      "start() phase ms",
      "executions/s",
      "steps/s",
    ],
    rows: [
      [
        num(EXECUTIONS),
        String(STEPS),
        String(runs),
        num(ms, 1),
        num(min(timings), 1),
        `<= ${num(TARGET_MS)}`,
        num(median(phases.started.slice(-runs)), 1),
        num(EXECUTIONS / (ms / 1000)),
        num((EXECUTIONS * STEPS) / (ms / 1000)),
      ],
      [
        `${num(EXECUTIONS)} one by one`,
        String(STEPS),
        String(sequentialRuns),
        num(sequentialMs, 1),
        num(min(sequential), 1),
        "(reference)",
        "-",
        num(EXECUTIONS / (sequentialMs / 1000)),
        num((EXECUTIONS * STEPS) / (sequentialMs / 1000)),
      ],
    ],
    verdicts: [atMost(ms, TARGET_MS), "-"],
    notes: [
      "wall time from the first engine.start() to the last result; start() phase = until Promise.all(start) resolved",
      "reference row: the same executions started and awaited one at a time (no target; shows the cost of concurrency)",
    ],
  };
}
