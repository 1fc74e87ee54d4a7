// Shared helpers: a garbage collector when V8 allows one, timing and statistics.
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import type { Verdict } from "./table.js";
import { atMost, num } from "./table.js";

function findGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === "function") return existing;
  try {
    // Exposes gc() without re-spawning the process; the flag applies to contexts created afterwards.
    v8.setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    return typeof gc === "function" ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/** `gc()` when it could be exposed, else undefined. */
export const gc = findGc();

/** Collects garbage twice (when possible) so heap figures start from a settled heap. */
export function settleHeap(): void {
  gc?.();
  gc?.();
}

/** Settles the heap, then gives V8's concurrent sweeper a moment so it does not compete with the measured run. */
export async function settled(): Promise<void> {
  settleHeap();
  await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Bytes of V8 heap in use. */
export function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

/** Milliseconds, sub-microsecond resolution. */
export function now(): number {
  return performance.now();
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function min(values: readonly number[]): number {
  return Math.min(...values);
}

/**
 * Runs `fn` `warmups` times unmeasured, then `runs` times; returns the timings (ms) `fn` reports. The heap is settled
 * before the measured runs, and before each one with `settleEach` (only for long runs that allocate a lot: a forced
 * full GC makes the next few milliseconds of allocation slower, which would distort short runs).
 */
export async function measure(
  warmups: number,
  runs: number,
  fn: () => Promise<number>,
  options: { settleEach?: boolean } = {},
): Promise<number[]> {
  for (let i = 0; i < warmups; i++) await fn();
  await settled();
  const timings: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (options.settleEach && i > 0) await settled();
    timings.push(await fn());
  }
  return timings;
}

/** Throws when a benchmark's workflow produced something else than expected (a broken run, not a slow one). */
export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** One size of a scaling benchmark: N, warm-up runs, measured runs. */
export type SizePlan = readonly (readonly [n: number, warmups: number, runs: number])[];

/**
 * Measures `runOnce(n)` for each size and builds the usual rows: N, runs, median ms, best ms, median µs per unit, and
 * the target (checked at `target.at` only).
 */
export async function measureSizes(
  plan: SizePlan,
  runOnce: (n: number) => Promise<number>,
  target: { at: number; ms: number },
  decimals: { ms: number; perUnit: number },
): Promise<{ rows: string[][]; verdicts: Verdict[] }> {
  const rows: string[][] = [];
  const verdicts: Verdict[] = [];
  for (const [n, warmups, runs] of plan) {
    const timings = await measure(warmups, runs, () => runOnce(n));
    const ms = median(timings);
    const hasTarget = n === target.at;
    rows.push([
      num(n),
      String(runs),
      num(ms, decimals.ms),
      num(min(timings), decimals.ms),
      num((ms * 1000) / n, decimals.perUnit),
      hasTarget ? `<= ${target.ms}` : "-",
    ]);
    verdicts.push(hasTarget ? atMost(ms, target.ms) : "-");
  }
  return { rows, verdicts };
}

/** Runs `work` over `items`, `concurrency` at a time. */
export async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}
