// B7: a parent workflow that runs 100 child workflows (child() inside map, concurrency 100) to completion; each child
// runs one step. One in-process engine on a MemoryStore. Target: <= 50 ms from start() to the parent's result.
import { child, createEngine, map, MemoryStore, silentLogger, step, workflow } from "../src/index.js";
import type { BenchReport } from "./table.js";
import type { SizePlan } from "./util.js";
import { expectEqual, measureSizes, now } from "./util.js";

const TARGET_MS = 50;
const TARGET_AT = 100;

const leaf = workflow("bench-b7-child", async function* (input: { i: number }) {
  return yield* step("work", () => input.i * 2);
});

const parent = workflow("bench-b7-parent", async function* (input: { n: number }) {
  const indexes = Array.from({ length: input.n }, (_, i) => i);
  const results = yield* map(indexes, (i) => child(leaf, { i }), { concurrency: input.n });
  let sum = 0;
  for (const value of results) sum += value;
  return sum;
});

async function runOnce(n: number): Promise<number> {
  const engine = createEngine({ store: new MemoryStore(), workflows: [parent, leaf], logger: silentLogger });
  const started = now();
  const run = await engine.start(parent, { n });
  const result = await run.result();
  const elapsed = now() - started;
  expectEqual(result, n * (n - 1), `B7 result for N=${n}`);
  await engine.close();
  return elapsed;
}

/** [N, warm-up runs, measured runs] */
const PLAN: SizePlan = [
  [10, 30, 51],
  [100, 10, 31],
  [1_000, 2, 7],
];

export async function benchChildren(): Promise<BenchReport> {
  const { rows, verdicts } = await measureSizes(PLAN, runOnce, { at: TARGET_AT, ms: TARGET_MS }, { ms: 2, perUnit: 1 });
  return {
    id: "B7",
    title: "a parent with N child workflows to completion (child() in map, MemoryStore, in-process)",
    headers: ["children N", "runs", "median ms", "best ms", "median µs/child", "target ms"],
    rows,
    verdicts,
    notes: ["wall time from engine.start(parent) to the parent's result; each child runs one step"],
  };
}
