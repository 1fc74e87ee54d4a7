// B1: sequential steps in ONE workflow on a MemoryStore, in-process engine. Figure: wall time from start() to the
// result, divided by the number of steps, against a floor measured in the same run: the same loop as a raw async
// generator driven by hand, each step's function awaited and its result turned into JSON text (what any durable
// record of the result costs at least), nothing recorded. Target: <= 2x the floor at N = 1,000.
import { createEngine, MemoryStore, silentLogger, step, workflow } from "../src/index.js";
import type { BenchReport, Verdict } from "./table.js";
import { atMost, num } from "./table.js";
import { expectEqual, measure, median, min, now } from "./util.js";

const TARGET_RATIO = 2;
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

/** A step request as the raw loop yields it: a name and the function to await. */
type RawStep = readonly [name: string, fn: () => unknown];

/** The floor's workflow: the same loop, yielding each step to a hand-written driver. */
async function* rawSequential(n: number): AsyncGenerator<RawStep, number, unknown> {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (yield ["s" + i, () => i]) as number;
  return sum;
}

/**
 * One step as a workflow delegates to it (`yield* step(...)`), by the protocol Spindle's operations use: an async
 * iterator that yields the step once, then returns what it is sent (src/core/yieldable.ts; cheaper than an async
 * generator, which costs about twice the floor's step by itself).
 */
class RawStepIterator {
  private yielded = false;
  constructor(private readonly request: RawStep) {}
  next(answer?: unknown): Promise<IteratorResult<RawStep, number>> {
    if (this.yielded) return Promise.resolve({ value: answer as number, done: true });
    this.yielded = true;
    return Promise.resolve({ value: this.request, done: false });
  }
  [Symbol.asyncIterator](): RawStepIterator {
    return this;
  }
}

/** The floor's loop with each step delegated by `yield*`, as a Spindle workflow writes it: what that protocol costs. */
async function* rawDelegated(n: number): AsyncGenerator<RawStep, number, unknown> {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += yield* new RawStepIterator(["s" + i, () => i]);
  return sum;
}

/** The floor: drives the raw generator, awaiting each step and keeping its result as JSON text. */
async function runFloor(n: number, make: (n: number) => AsyncGenerator<RawStep, number, unknown> = rawSequential): Promise<number> {
  const started = now();
  const recorded: string[] = [];
  const generator = make(n);
  let next = await generator.next();
  while (next.done !== true) {
    const value = await next.value[1]();
    recorded.push(JSON.stringify(value));
    next = await generator.next(value);
  }
  const elapsed = now() - started;
  expectEqual(next.value, (n * (n - 1)) / 2, `B1 floor result for N=${n}`);
  expectEqual(recorded.length, n, `B1 floor steps for N=${n}`);
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
    // Spindle and the floor alternate run by run, so load on the machine falls on both alike.
    const spindle: number[] = [];
    const floor: number[] = [];
    const delegated: number[] = [];
    await measure(warmups, runs, async () => {
      floor.push(await runFloor(n));
      delegated.push(await runFloor(n, rawDelegated));
      const ms = await runOnce(n);
      spindle.push(ms);
      return ms;
    });
    const measured = spindle.slice(-runs);
    const floorMeasured = floor.slice(-runs);
    const perStep = (median(measured) * 1000) / n;
    const floorPerStep = (median(floorMeasured) * 1000) / n;
    const delegatedPerStep = (median(delegated.slice(-runs)) * 1000) / n;
    const ratio = perStep / floorPerStep;
    const hasTarget = n === TARGET_AT;
    rows.push([
      num(n),
      String(runs),
      num(median(measured), 3),
      num(perStep, 2),
      num((min(measured) * 1000) / n, 2),
      num(floorPerStep, 3),
      `${num(ratio, 2)}x`,
      `${num(delegatedPerStep, 3)} (${num(delegatedPerStep / floorPerStep, 2)}x)`,
      hasTarget ? `<= ${TARGET_RATIO}x` : "-",
    ]);
    verdicts.push(hasTarget ? atMost(ratio, TARGET_RATIO) : "-");
  }
  return {
    id: "B1",
    title: "sequential steps in one workflow (MemoryStore, in-process) vs a raw async-generator loop",
    headers: ["steps N", "runs", "median ms", "median µs/step", "best µs/step", "floor µs/step", "x floor", "floor with yield* µs/step", "target"],
    rows,
    verdicts,
    notes: [
      "wall time from engine.start() to run.result(), / N; median of the runs after warm-up",
      "floor: the same loop as a bare async generator driven by hand (each step's function awaited, its result",
      "  JSON.stringify'd and kept), run alternately with Spindle in the same process; x floor = median / floor median",
      "floor with yield*: the floor's loop with each step delegated by `yield*` to a one-yield async iterator, as a",
      "  workflow's `yield* step(...)` is (information: what the step protocol costs before anything is recorded)",
    ],
  };
}
