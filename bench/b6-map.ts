// B6: `map` over N items with concurrency 50, one step per item, in one workflow on a MemoryStore (in-process).
// Targets: <= 150 ms at N = 10,000, and time per item flat from 1,000 to 10,000 items (ratio <= 1.5x).
import { createEngine, map, MemoryStore, silentLogger, step, workflow } from "../src/index.js";
import type { BenchReport, Verdict } from "./table.js";
import { atMost, num } from "./table.js";
import { expectEqual, measure, median, min, now } from "./util.js";

const TARGET_MS = 150;
const TARGET_RATIO = 1.5;
const CONCURRENCY = 50;

const mapped = workflow("bench-b6-map", async function* (input: { items: number[] }) {
  const results = yield* map(input.items, (item, i) => step("item-" + i, () => item * 2), { concurrency: CONCURRENCY });
  let sum = 0;
  for (const value of results) sum += value;
  return sum;
});

async function runOnce(n: number): Promise<number> {
  const items = Array.from({ length: n }, (_, i) => i);
  const engine = createEngine({ store: new MemoryStore(), workflows: [mapped], logger: silentLogger });
  const started = now();
  const run = await engine.start(mapped, { items });
  const result = await run.result();
  const elapsed = now() - started;
  expectEqual(result, n * (n - 1), `B6 result for N=${n}`);
  await engine.close();
  return elapsed;
}

/** [N, warm-up runs, measured runs] */
const PLAN: [number, number, number][] = [
  [1_000, 10, 31],
  [10_000, 3, 11],
];

export async function benchMap(): Promise<BenchReport> {
  const perItem = new Map<number, number>();
  const rows: string[][] = [];
  const verdicts: Verdict[] = [];
  for (const [n, warmups, runs] of PLAN) {
    const timings = await measure(warmups, runs, () => runOnce(n));
    const ms = median(timings);
    perItem.set(n, (ms * 1000) / n);
    const hasTarget = n === 10_000;
    rows.push([
      num(n),
      String(runs),
      num(ms, 2),
      num(min(timings), 2),
      num((ms * 1000) / n, 2),
      hasTarget ? `<= ${TARGET_MS}` : "-",
    ]);
    verdicts.push(hasTarget ? atMost(ms, TARGET_MS) : "-");
  }
  const ratio = perItem.get(10_000)! / perItem.get(1_000)!;
  rows.push(["µs/item 10,000 ÷ 1,000", "-", "-", "-", `${num(ratio, 2)}x`, `<= ${TARGET_RATIO}x`]);
  verdicts.push(atMost(ratio, TARGET_RATIO));
  return {
    id: "B6",
    title: `map(items, step, { concurrency: ${CONCURRENCY} }) in one workflow (MemoryStore, in-process)`,
    headers: ["items N", "runs", "median ms", "best ms", "median µs/item", "target"],
    rows,
    verdicts,
    notes: [
      "wall time from engine.start() to run.result(); median of the runs after warm-up",
      "last row: time per item at 10,000 over time per item at 1,000 (flat = linear)",
      "no forced GC between measured runs: a full GC before each run shrinks the heap and roughly doubles the next run",
    ],
  };
}
