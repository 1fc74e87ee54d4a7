// B2: cold replay of a recorded history. A workflow of steps ending in waitForEvent is run once (N events), then
// a second engine on the same store with cacheSize 0 resumes it: load + validate + replay of every event, suspend
// again without appending. Each measured run replays 10^5 events at every size (100 cold resumes of 10^3 events, 10 of
// 10^4, one of 10^5), so every run carries the same share of garbage collection; figure: the best of 5 runs (min), per
// event. Targets: <= 1.5 µs per event at each size, and µs/event at 10^5 within 1.5x of that at 10^3.
import { createEngine, MemoryStore, silentLogger, step, waitForEvent, workflow } from "../src/index.js";
import type { Engine } from "../src/index.js";
import { loadHistory } from "../src/engine/turn.js";
import type { BenchReport, Verdict } from "./table.js";
import { atMost, mb, num } from "./table.js";
import { expectEqual, heapUsed, measure, median, min, now, settleHeap } from "./util.js";

const TARGET_US_PER_EVENT = 1.5;
/** Our reading of "linear": µs/event at 10^5 no more than 1.5 times that at 10^3. */
const TARGET_LINEARITY = 1.5;

/** Set during the memory run only: samples the heap while the body replays. */
let sampler: (() => void) | undefined;

const replayed = workflow("bench-b2-replay", async function* (input: unknown) {
  const steps = (input as { steps: number }).steps;
  for (let i = 0; i < steps; i++) {
    yield* step("s" + i, () => i);
    if (sampler !== undefined && (i & 1023) === 0) sampler();
  }
  return yield* waitForEvent<string>("never");
});

function engineOn(store: MemoryStore, cacheSize?: number): Engine {
  return createEngine({
    store,
    workflows: [replayed],
    mode: "external",
    logger: silentLogger,
    historyWarningThreshold: Number.POSITIVE_INFINITY,
    ...(cacheSize === undefined ? {} : { cacheSize }),
  });
}

/** Events the workflow records besides its steps (ExecutionStarted, and whatever the final wait records). */
async function fixedEvents(store: MemoryStore): Promise<number> {
  const engine = engineOn(store);
  await engine.start(replayed, { steps: 0 }, { id: "replay-calibration" });
  const turn = await engine.resume("replay-calibration");
  expectEqual(turn.status, "suspended", "B2 calibration run");
  await engine.close();
  return turn.version;
}

/** Records a suspended execution whose history holds exactly `events` events. */
async function record(store: MemoryStore, events: number, fixed: number): Promise<string> {
  const id = `replay-${events}`;
  const engine = engineOn(store);
  await engine.start(replayed, { steps: events - fixed }, { id });
  const turn = await engine.resume(id);
  expectEqual(turn.status, "suspended", `B2 recording of ${events} events`);
  expectEqual(turn.version, events, `B2 recorded history length`);
  await engine.close();
  return id;
}

async function coldResume(engine: Engine, id: string, events: number): Promise<number> {
  const started = now();
  const turn = await engine.resume(id);
  const elapsed = now() - started;
  if (turn.status !== "suspended" || turn.appended !== 0 || !turn.replayed || turn.version !== events) {
    throw new Error(`B2: unexpected cold resume of ${id}: ${JSON.stringify(turn)}`);
  }
  return elapsed;
}

async function loadAndCheck(store: MemoryStore, id: string): Promise<number> {
  const started = now();
  const first = await store.load(id);
  const history = await loadHistory(store, id, first!);
  const elapsed = now() - started;
  expectEqual(history.length, first!.record.version, "B2 loaded history length");
  return elapsed;
}

/** Peak heap above a settled baseline while one cold resume runs (sampled every 1,024 replayed steps). */
async function peakHeap(engine: Engine, id: string, events: number): Promise<{ peak: number; retained: number }> {
  settleHeap();
  const base = heapUsed();
  let peak = base;
  sampler = () => {
    const used = heapUsed();
    if (used > peak) peak = used;
  };
  try {
    await coldResume(engine, id, events);
    sampler();
  } finally {
    sampler = undefined;
  }
  settleHeap();
  return { peak: peak - base, retained: heapUsed() - base };
}

/** History sizes measured. */
const SIZES = [1_000, 10_000, 100_000];
/** Measured runs per size (the figure is their best). */
const RUNS = 5;
/**
 * Events each measured run replays, whatever the history's size. A lone cold resume of 10^3 events (about 0.4 ms)
 * usually runs between two young-generation collections, so the best of several would leave collection out of the
 * small sizes while no run of 10^5 can escape it: runs of equal work compare like with like.
 */
const EVENTS_PER_RUN = 100_000;

/** One measured run: cold resumes of `id` back to back until EVENTS_PER_RUN events are replayed; ms per resume. */
async function replayRun(engine: Engine, id: string, events: number): Promise<number> {
  const resumes = EVENTS_PER_RUN / events;
  const started = now();
  for (let i = 0; i < resumes; i++) await coldResume(engine, id, events);
  return (now() - started) / resumes;
}

export async function benchReplay(): Promise<BenchReport> {
  const rows: string[][] = [];
  const verdicts: Verdict[] = [];
  const perEvent = new Map<number, number>();
  let fixed = 0;
  for (const events of SIZES) {
    const runs = RUNS;
    // One store per size, so smaller histories are not measured next to a 10^5-event heap.
    const store = new MemoryStore();
    fixed = await fixedEvents(store);
    const id = await record(store, events, fixed);
    const cold = engineOn(store, 0);
    // Warm-up: JIT the load, validate and replay paths.
    for (let i = 0; i < Math.max(3, 30_000 / events); i++) await coldResume(cold, id, events);
    const timings = await measure(0, runs, () => replayRun(cold, id, events));
    const ms = min(timings);
    const loadMs = min(await measure(1, runs, () => loadAndCheck(store, id)));
    const heap = await peakHeap(cold, id, events);
    await cold.close();
    const us = (ms * 1000) / events;
    perEvent.set(events, us);
    rows.push([
      num(events),
      String(runs),
      num(median(timings), 2),
      num(ms, 2),
      num(us, 3),
      `<= ${TARGET_US_PER_EVENT}`,
      num((loadMs * 1000) / events, 3),
      num(((ms - loadMs) * 1000) / events, 3),
      mb(heap.peak),
      num(heap.peak / events, 0),
      mb(heap.retained),
    ]);
    verdicts.push(atMost(us, TARGET_US_PER_EVENT));
  }
  const ratio = perEvent.get(100_000)! / perEvent.get(1_000)!;
  rows.push([
    "linearity",
    "",
    "",
    "",
    `${num(ratio, 2)}x`,
    `<= ${TARGET_LINEARITY}x`,
    "",
    "",
    "",
    "",
    "",
  ]);
  verdicts.push(atMost(ratio, TARGET_LINEARITY));
  return {
    id: "B2",
    title: "cold replay of a recorded history (MemoryStore, cacheSize 0, engine.resume)",
    headers: [
      "events",
      "runs",
      "median ms",
      "best ms",
      "best µs/event",
      "target µs/ev",
      "load+check µs/ev",
      "replay µs/ev",
      "peak heap Δ",
      "B/event",
      "retained Δ",
    ],
    rows,
    verdicts,
    notes: [
      `history = ExecutionStarted + StepCompleted x (events - ${fixed}) + what the final waitForEvent records (${fixed - 1}); it ends suspended`,
      `each run replays ${num(EVENTS_PER_RUN)} events (cold resumes back to back); ms = per resume, averaged over its run`,
      "µs/event = best ms / events (min of the runs); load+check = store.load pages + loadHistory (checkHistory),",
      "  timed alone (best); replay = best ms - load+check",
      "peak heap Δ = sampled heapUsed above a settled (gc'd) baseline during one cold resume; retained Δ after gc",
      "linearity row: µs/event at 10^5 ÷ µs/event at 10^3",
    ],
  };
}
