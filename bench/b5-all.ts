// B5: `all` over 1,000 steps in one workflow on a MemoryStore, in-process engine. Figure: wall time from start() to
// the result. Target: <= 10 ms (median after warm-up).
import { all, createEngine, MemoryStore, silentLogger, step, workflow } from "../src/index.js";
import type { BenchReport } from "./table.js";
import type { SizePlan } from "./util.js";
import { expectEqual, measureSizes, now } from "./util.js";

const TARGET_MS = 10;
const TARGET_AT = 1_000;

const fanOut = workflow("bench-b5-all", async function* (input: { n: number }) {
  const results = yield* all(Array.from({ length: input.n }, (_, i) => step("s" + i, () => i)));
  let sum = 0;
  for (const value of results) sum += value;
  return sum;
});

async function runOnce(n: number): Promise<number> {
  const engine = createEngine({ store: new MemoryStore(), workflows: [fanOut], logger: silentLogger });
  const started = now();
  const run = await engine.start(fanOut, { n });
  const result = await run.result();
  const elapsed = now() - started;
  expectEqual(result, (n * (n - 1)) / 2, `B5 result for N=${n}`);
  await engine.close();
  return elapsed;
}

/** [N, warm-up runs, measured runs] */
const PLAN: SizePlan = [
  [100, 30, 51],
  [1_000, 10, 31],
  [10_000, 2, 7],
];

export async function benchAll(): Promise<BenchReport> {
  const { rows, verdicts } = await measureSizes(PLAN, runOnce, { at: TARGET_AT, ms: TARGET_MS }, { ms: 3, perUnit: 2 });
  return {
    id: "B5",
    title: "all([...N steps]) in one workflow (MemoryStore, in-process)",
    headers: ["steps N", "runs", "median ms", "best ms", "median µs/step", "target ms"],
    rows,
    verdicts,
    notes: ["wall time from engine.start() to run.result(); median of the runs after warm-up"],
  };
}
