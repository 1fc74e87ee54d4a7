// B4: 10,000 executions of a 10-step workflow started at once on one in-process engine (MemoryStore): start all
// (Promise.all of engine.start), then await every result, against the same executions started and awaited one by
// one, measured alternately in the same run. Target: at once takes no longer than one by one (ratio <= 1).
import { createEngine, MemoryStore, silentLogger, step, workflow } from "../src/index.js";
import type { BenchReport } from "./table.js";
import { atMost, num } from "./table.js";
import { expectEqual, measure, median, min, now, settled } from "./util.js";

const TARGET_RATIO = 1;
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
  await runSequentially(1_000);
  const runs = 5;
  const phases = { started: [] as number[] };
  // At once and one by one alternate run by run, so load on the machine falls on both alike.
  const atOnce: number[] = [];
  const oneByOne: number[] = [];
  await measure(
    0,
    runs,
    async () => {
      atOnce.push(await runOnce(EXECUTIONS, phases));
      await settled();
      oneByOne.push(await runSequentially(EXECUTIONS));
      return 0;
    },
    { settleEach: true },
  );
  const ms = median(atOnce);
  const sequentialMs = median(oneByOne);
  const ratio = ms / sequentialMs;
  return {
    id: "B4",
    title: "10,000 executions x 10 steps started at once vs one by one (one engine, in-process, MemoryStore)",
    headers: ["executions", "steps each", "runs", "median ms", "best ms", "start() phase ms", "executions/s", "steps/s", "x one by one", "target"],
    rows: [
      [
        `${num(EXECUTIONS)} at once`,
        String(STEPS),
        String(runs),
        num(ms, 1),
        num(min(atOnce), 1),
        num(median(phases.started), 1),
        num(EXECUTIONS / (ms / 1000)),
        num((EXECUTIONS * STEPS) / (ms / 1000)),
        `${num(ratio, 2)}x`,
        `<= ${TARGET_RATIO}x`,
      ],
      [
        `${num(EXECUTIONS)} one by one`,
        String(STEPS),
        String(runs),
        num(sequentialMs, 1),
        num(min(oneByOne), 1),
        "-",
        num(EXECUTIONS / (sequentialMs / 1000)),
        num((EXECUTIONS * STEPS) / (sequentialMs / 1000)),
        "1.00x",
        "(reference)",
      ],
    ],
    verdicts: [atMost(ratio, TARGET_RATIO), "-"],
    targets: [`at once <= ${TARGET_RATIO}x one by one (median ms)`, ""],
    notes: [
      "wall time from the first engine.start() to the last result; start() phase = until Promise.all(start) resolved",
      "one by one: the same executions started and awaited one at a time, alternating with the at-once runs",
      "x one by one = median at once / median one by one",
    ],
  };
}
