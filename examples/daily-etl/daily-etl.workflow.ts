// A nightly ETL pipeline: a `schedule` and a `dag`. The schedule `etl-nightly` fires at 02:00 Berlin time every day
// (a crontab line, `0 2 * * *` with its time zone) and starts one execution of `daily-etl` per fire time, for the day
// that ended before it. `daily-etl` is a DAG of tasks: extract lists the day's partitions, one transform task per
// region cleans its partition (three at a time; the transform service throttles now and then, and each task's retry
// policy absorbs it, its backoff waits durable timers), load waits for every transform, then the report.
// Outside this repository, import from "spindle" instead of "../../src/index.js".
import { z } from "zod";
import type { ScheduleOptions } from "../../src/index.js";
import { dag, schedule, task, TerminalError, workflow } from "../../src/index.js";
import type { Partition, Transformed, Warehouse } from "./warehouse.js";
import { REGIONS } from "./warehouse.js";

export { createWarehouse, FLAKY, REGIONS, ThrottledError, Warehouse } from "./warehouse.js";
export type { Partition, Transformed, WarehouseOptions } from "./warehouse.js";

/** Tasks in flight at once; only the transforms ever run side by side, so it is the transform service's fair share. */
export const CONCURRENCY = 3;
/** The schedule's name: each run's id is `etl-nightly@<fire time as ISO>`. */
export const SCHEDULE_NAME = "etl-nightly";
/** 02:00 every day, once the previous day's data is complete. */
export const CRON = "0 2 * * *";
/** The warehouse's business day is Berlin's. */
export const TIMEZONE = "Europe/Berlin";
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

type Region = (typeof REGIONS)[number];
/** A transformed partition, with the attempt that succeeded so the report can name the partitions retried. */
type Part = Transformed & { attempt: number };
type TransformName = `transform ${Region}`;

/** The run window of the schedule (the example bounds it to three nights). */
export type EtlScheduleWindow = Pick<ScheduleOptions, "startAt" | "endAt">;

/** The workflow and its schedule, bound to a warehouse (create both per engine). */
export function etlWorkflows(warehouse: Warehouse, window: EtlScheduleWindow = {}) {
  const dailyEtl = workflow(
    "daily-etl",
    { input: z.object({ date: z.iso.date() }), output: report },
    async function* ({ date }, ctx) {
      const transform = (region: Region) =>
        task(
          ["extract"],
          async (deps: { extract: Partition[] }, { attempt }) => {
            const partition = deps.extract.find((each) => each.id === `${date}/${region}`);
            if (!partition) throw new TerminalError(`The source listed no partition for ${region} on ${date}.`);
            try {
              return { ...(await warehouse.transform(partition, attempt)), attempt };
            } catch (error) {
              ctx.log.info(`  ${partition.id} attempt ${attempt}: ${(error as Error).message}`);
              throw error;
            }
          },
          { retry: { maxAttempts: 4, initialInterval: "30s", backoffCoefficient: 2 } },
        );
      const transforms = REGIONS.map((region): TransformName => `transform ${region}`);
      const results = yield* dag(
        {
          extract: task(() => warehouse.listPartitions(date)),
          "transform eu-west": transform("eu-west"),
          "transform eu-north": transform("eu-north"),
          "transform us-east": transform("us-east"),
          "transform us-west": transform("us-west"),
          "transform ap-south": transform("ap-south"),
          "transform sa-east": transform("sa-east"),
          load: task(transforms, (deps: Record<TransformName, Part>) => {
            const parts = transforms.map((name) => deps[name]);
            const retried = parts.filter((part) => part.attempt > 1).map((part) => part.id);
            return summarize(date, warehouse.load(date, parts), parts, retried);
          }),
          report: task(["load"], (deps: { load: EtlReport }) => warehouse.publish(describeReport(deps.load))),
        },
        { concurrency: CONCURRENCY, name: "etl" },
      );
      // dag throws DagFailedError when a task failed, so every task here succeeded.
      if (results.load.status !== "success") throw new TerminalError(`daily-etl ${date}: load ended ${results.load.status}.`);
      const summary = results.load.value;
      ctx.log.info(`loaded ${count(summary.rows)} rows into ${summary.table}, ${summary.retried.length} partition(s) retried`);
      return summary;
    },
  );

  const nightly = schedule(SCHEDULE_NAME, {
    cron: CRON,
    timezone: TIMEZONE,
    workflow: dailyEtl,
    input: (fireTime) => ({ date: dayBefore(fireTime) }),
    overlap: "skip", // a run still going at the next 02:00 is not doubled
    catchup: "6h", // after an outage, a night's run still starts up to 6 h late
    ...window,
  });

  return { dailyEtl, schedule: nightly };
}

/** The Berlin date of the day before a fire time: the day whose data the run processes. */
export function dayBefore(fireTime: Date): string {
  const format = new Intl.DateTimeFormat("en-CA", { timeZone: TIMEZONE, year: "numeric", month: "2-digit", day: "2-digit" });
  return format.format(new Date(fireTime.getTime() - DAY_MS));
}

function summarize(date: string, loaded: { table: string; rows: number }, parts: readonly Part[], retried: string[]): EtlReport {
  const rejected = parts.reduce((sum, part) => sum + part.rejected, 0);
  return { date, table: loaded.table, partitions: parts.length, rows: loaded.rows, rejected, retried };
}

function describeReport(summary: EtlReport): string {
  return `${summary.date}: ${summary.partitions} partitions, ${count(summary.rows)} rows, ${count(summary.rejected)} rejected`;
}

function count(value: number): string {
  return value.toLocaleString("en-US");
}
