// A scheduled ETL pipeline in two workflows. `daily-etl` processes one day: extract lists the day's partitions,
// `map` transforms them three at a time with retries (the transform service throttles now and then; the backoff
// waits are durable timers), then load and a report. `etl-schedule` is the long-running variant: it sleeps until the
// next run time, runs that day's pipeline as a child workflow, and continues as new, so its history holds one day
// at a time however long it runs.
// Outside this repository, import from "spindle" instead of "../../src/index.js".
import { z } from "zod";
import { child, continueAsNew, map, setStatus, sleepUntil, step, workflow } from "../../src/index.js";
import type { Transformed, Warehouse } from "./warehouse.js";

export { createWarehouse, FLAKY, REGIONS, ThrottledError, Warehouse } from "./warehouse.js";
export type { Partition, Transformed, WarehouseOptions } from "./warehouse.js";

/** Transforms in flight at once: the transform service's fair share. */
export const CONCURRENCY = 3;
/** When the daily run starts (UTC), once the previous day's data is complete. */
export const RUN_HOUR = 2;
const DAY_MS = 24 * 3600_000;

const report = z.object({
  date: z.string(),
  table: z.string(),
  partitions: z.number(),
  rows: z.number(),
  rejected: z.number(),
  retried: z.array(z.string()),
});

export type EtlReport = z.output<typeof report>;

/** The two workflows, bound to a warehouse (create both per engine). */
export function etlWorkflows(warehouse: Warehouse) {
  const dailyEtl = workflow(
    "daily-etl",
    { input: z.object({ date: z.iso.date() }), output: report },
    async function* ({ date }, ctx) {
      const partitions = yield* step("extract", () => warehouse.listPartitions(date));
      ctx.log.info(`extract: ${partitions.length} partitions, ${CONCURRENCY} at a time`);
      const parts = yield* map(
        partitions,
        (partition) =>
          step(
            `transform ${partition.id.slice(date.length + 1)}`,
            async ({ attempt }) => {
              try {
                // The attempt is kept with the result so the report can name the partitions that needed retries.
                return { ...(await warehouse.transform(partition, attempt)), attempt };
              } catch (error) {
                ctx.log.info(`  ${partition.id} attempt ${attempt}: ${(error as Error).message}`);
                throw error;
              }
            },
            { retry: { maxAttempts: 4, initialInterval: "30s", backoffCoefficient: 2 } },
          ),
        { concurrency: CONCURRENCY, name: "transform" },
      );
      const retried = parts.filter((part) => part.attempt > 1).map((part) => part.id);
      const loaded = yield* step("load", () => warehouse.load(date, parts));
      const summary = summarize(date, loaded, parts, retried);
      yield* step("report", () => warehouse.publish(describeReport(summary)));
      ctx.log.info(`loaded ${count(loaded.rows)} rows into ${loaded.table}, ${retried.length} partition(s) retried`);
      return summary;
    },
  );

  const schedule = workflow(
    "etl-schedule",
    { input: z.object({ runAt: z.iso.datetime(), runsLeft: z.number().int().positive().optional() }) },
    async function* ({ runAt, runsLeft }, ctx) {
      yield* setStatus({ nextRun: runAt, runsLeft: runsLeft ?? "forever" });
      yield* sleepUntil(new Date(runAt), "until-next-run");
      // Each run processes the day that ended before it.
      const date = new Date(Date.parse(runAt) - DAY_MS).toISOString().slice(0, 10);
      const result = yield* child(dailyEtl, { date }, { id: `etl-${date}` });
      const last = runsLeft === 1;
      ctx.log.info(`run for ${date} done: ${count(result.rows)} rows${last ? "; that was the last run" : "; next run in 24h"}`);
      if (last) return { lastDate: date };
      const next = new Date(Date.parse(runAt) + DAY_MS).toISOString();
      return yield* continueAsNew({ runAt: next, ...(runsLeft === undefined ? {} : { runsLeft: runsLeft - 1 }) });
    },
  );

  return { dailyEtl, schedule };
}

/** The first run time at or after `at`. */
export function nextRunAfter(at: Date): string {
  const run = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate(), RUN_HOUR));
  return (run.getTime() < at.getTime() ? new Date(run.getTime() + DAY_MS) : run).toISOString();
}

function summarize(date: string, loaded: { table: string; rows: number }, parts: readonly Transformed[], retried: string[]): EtlReport {
  const rejected = parts.reduce((sum, part) => sum + part.rejected, 0);
  return { date, table: loaded.table, partitions: parts.length, rows: loaded.rows, rejected, retried };
}

function describeReport(summary: EtlReport): string {
  return `${summary.date}: ${summary.partitions} partitions, ${count(summary.rows)} rows, ${count(summary.rejected)} rejected`;
}

function count(value: number): string {
  return value.toLocaleString("en-US");
}
