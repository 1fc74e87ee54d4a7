// B12 (DAG half): a dag of N tasks with seeded random dependencies (each task depends on up to 3 earlier tasks, so it
// is acyclic) in one workflow on a MemoryStore, in-process engine, no concurrency limit. Figure: wall time from start()
// to the result. Target: <= 100 ms at 1,000 tasks (median after warm-up). The schedules half is bench/b12-schedules.ts.
import { createEngine, dag, MemoryStore, silentLogger, task, workflow } from "../src/index.js";
import { seededRandom } from "../src/testing/seeded.js";
import type { BenchReport } from "./table.js";
import type { SizePlan } from "./util.js";
import { expectEqual, measureSizes, now } from "./util.js";

const TARGET_MS = 100;
const TARGET_AT = 1_000;

/** Task i's dependencies: up to 3 distinct earlier tasks, drawn from a seeded generator (the same DAG every run). */
function dependencies(n: number): string[][] {
  const random = seededRandom(12);
  return Array.from({ length: n }, (_, i) => {
    const deps = new Set<string>();
    const count = i === 0 ? 0 : Math.floor(random() * 4);
    for (let k = 0; k < count; k++) deps.add(`t${Math.floor(random() * i)}`);
    return [...deps];
  });
}

const randomDag = workflow("bench-b12-dag", async function* (input: { n: number }) {
  const deps = dependencies(input.n);
  const tasks = Object.fromEntries(
    deps.map((list, i) => [`t${i}`, task(list, (inputs: Record<string, number | undefined>) => Object.keys(inputs).length + 1)]),
  );
  const results = yield* dag(tasks);
  let succeeded = 0;
  for (const outcome of Object.values(results)) if (outcome.status === "success") succeeded++;
  return succeeded;
});

async function runOnce(n: number): Promise<number> {
  const engine = createEngine({ store: new MemoryStore(), workflows: [randomDag], logger: silentLogger });
  const started = now();
  const run = await engine.start(randomDag, { n });
  const result = await run.result();
  const elapsed = now() - started;
  expectEqual(result, n, `B12 dag result for N=${n}`);
  await engine.close();
  return elapsed;
}

/** [N, warm-up runs, measured runs] */
const PLAN: SizePlan = [
  [100, 20, 31],
  [1_000, 5, 15],
];

/**
 * Runs B12's DAG half and returns its table.
 *
 * @example
 * ```ts
 * printReport(await benchDag());
 * ```
 */
export async function benchDag(): Promise<BenchReport> {
  const { rows, verdicts } = await measureSizes(PLAN, runOnce, { at: TARGET_AT, ms: TARGET_MS }, { ms: 1, perUnit: 1 });
  return {
    id: "B12D",
    title: "dag of N tasks with seeded random dependencies (MemoryStore, in-process)",
    headers: ["tasks N", "runs", "median ms", "best ms", "median µs/task", "target ms"],
    rows,
    verdicts,
    notes: ["up to 3 dependencies per task (seeded), no concurrency limit; wall time from engine.start() to run.result()"],
  };
}
