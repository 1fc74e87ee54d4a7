// B12 (catch-up half): a year of hourly fire times missed during downtime (8,760), caught up when the engine comes
// back: one test engine (createTestEngine, virtual clock, MemoryStore) ran the schedule a moment on 2026-01-01, a
// second one starts on the same store a year later with `catchup: "366d"` and `overlap: "allow-all"`. Timed: from
// the second engine's creation until every run it started has completed. Target: <= 2 s wall.
import { MemoryStore, schedule, step, workflow } from "../src/index.js";
import { createTestEngine } from "../src/testing/index.js";
import type { BenchReport } from "./table.js";
import { atMost, num } from "./table.js";
import { expectEqual, measure, median, min, now } from "./util.js";

const TARGET_MS = 2_000;
const FIRES = 8_760;

const hourlyJob = workflow("bench-b12-hourly", async function* (input: { hour: string }) {
  return yield* step("work", () => input.hour);
});

const hourly = schedule("bench-b12", {
  cron: "0 * * * *",
  workflow: hourlyJob,
  input: (fireTime) => ({ hour: fireTime.toISOString().slice(0, 13) }),
  overlap: "allow-all",
  catchup: "366d",
});

async function runOnce(): Promise<number> {
  const store = new MemoryStore();
  const before = createTestEngine({ workflows: [hourlyJob], schedules: [hourly], store, startAt: Date.parse("2026-01-01T00:30:00Z") });
  await before.engine.idle();
  await before.engine.close();
  const started = now();
  const after = createTestEngine({ workflows: [hourlyJob], schedules: [hourly], store, startAt: Date.parse("2027-01-01T00:30:00Z") });
  await after.advanceTime(0);
  const elapsed = now() - started;
  await after.engine.close();
  let completed = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list({ status: "completed", workflow: hourlyJob.name, limit: 1000, ...(cursor ? { cursor } : {}) });
    completed += page.records.length;
    cursor = page.cursor;
  } while (cursor);
  expectEqual(completed, FIRES, "B12 catch-up runs completed");
  expectEqual(await after.engine.result("bench-b12@2026-01-01T01:00:00.000Z"), "2026-01-01T01", "B12 first run");
  expectEqual(await after.engine.result("bench-b12@2027-01-01T00:00:00.000Z"), "2027-01-01T00", "B12 last run");
  return elapsed;
}

/**
 * B12 (schedules): a year of hourly catch-up on the test engine.
 *
 * @example
 * ```ts
 * printReport(await benchScheduleCatchup());
 * ```
 */
export async function benchScheduleCatchup(): Promise<BenchReport> {
  const runs = 3;
  const timings = await measure(1, runs, runOnce);
  const ms = median(timings);
  return {
    id: "B12s",
    title: "schedules: a year of hourly catch-up (8,760 fire times) on the test engine",
    headers: ["fire times", "runs", "median ms", "best ms", "target ms", "µs/fire"],
    rows: [[num(FIRES), String(runs), num(ms, 2), num(min(timings), 2), `<= ${TARGET_MS}`, num((ms * 1000) / FIRES, 1)]],
    verdicts: [atMost(ms, TARGET_MS)],
    notes: [
      "wall time from the second engine's creation to the last run completed: one tick computes the fire times (croner), " +
        "starts each run (idempotent by id), writes the schedule's state once; each run is one step, cold-replay check on",
    ],
  };
}
