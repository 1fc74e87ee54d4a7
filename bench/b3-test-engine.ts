// B3: the test engine's virtual clock. One workflow doing 1,000 x (step + sleep 1 h) run to completion: awaiting
// run.result() skips each hour. Target: <= 100 ms wall.
import { sleep, step, workflow } from "../src/index.js";
import { createTestEngine } from "../src/testing/index.js";
import type { BenchReport } from "./table.js";
import { atMost, num } from "./table.js";
import { expectEqual, measure, median, min, now } from "./util.js";

const TARGET_MS = 100;
const ITERATIONS = 1_000;
const HOUR = 3_600_000;

const hourly = workflow("bench-b3-hourly", async function* (input: unknown) {
  const n = (input as { n: number }).n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += yield* step("s" + i, () => i);
    yield* sleep("1h");
  }
  return sum;
});

async function runOnce(n: number): Promise<number> {
  const t = createTestEngine({ workflows: [hourly] });
  const virtualStart = t.now().getTime();
  const started = now();
  const run = await t.start(hourly, { n });
  const result = await run.result();
  const elapsed = now() - started;
  expectEqual(result, (n * (n - 1)) / 2, `B3 result for n=${n}`);
  expectEqual(t.now().getTime() - virtualStart, n * HOUR, "B3 virtual time skipped");
  await t.engine.close();
  return elapsed;
}

export async function benchTestEngine(): Promise<BenchReport> {
  const runs = 7;
  const timings = await measure(3, runs, () => runOnce(ITERATIONS));
  const ms = median(timings);
  return {
    id: "B3",
    title: "test engine: 1,000 x (step + sleep 1 h) to completion on the virtual clock",
    headers: ["iterations", "runs", "virtual time", "median ms", "best ms", "target ms", "µs/iteration"],
    rows: [
      [
        num(ITERATIONS),
        String(runs),
        `${num(ITERATIONS)} h`,
        num(ms, 2),
        num(min(timings), 2),
        `<= ${TARGET_MS}`,
        num((ms * 1000) / ITERATIONS, 1),
      ],
    ],
    verdicts: [atMost(ms, TARGET_MS)],
    notes: ["wall time from t.start() to run.result(); each iteration is one turn (warm cache) woken by a virtual timer"],
  };
}
