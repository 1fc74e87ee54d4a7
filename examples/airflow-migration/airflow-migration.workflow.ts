// A typical Airflow DAG translated to Spindle. The Airflow original, for comparison:
//
//   with DAG("sales_report", schedule="0 6 * * *", start_date=pendulum.datetime(2026, 3, 1, tz="Europe/Berlin"),
//            catchup=False, max_active_runs=1, default_args={"retries": 2, "retry_delay": timedelta(minutes=1)}):
//       wait = FileSensor(task_id="wait_for_export", filepath="exports/{{ ds }}.csv", timeout=7200, soft_fail=True)
//       extract = PythonOperator(task_id="extract", ...)
//       dedupe, enrich = PythonOperator(task_id="dedupe_orders"), PythonOperator(task_id="enrich_customers")
//       aggregate = PythonOperator(task_id="aggregate", ...)
//       branch = BranchPythonOperator(task_id="check_quality", python_callable=lambda: "load" or "quarantine")
//       load, quarantine = PythonOperator(task_id="load"), PythonOperator(task_id="quarantine")
//       alert = PythonOperator(task_id="alert", trigger_rule="one_failed")
//       wait >> extract >> [dedupe, enrich] >> aggregate >> branch >> [load, quarantine]
//       [dedupe, enrich, aggregate, load] >> alert
//
// The sensor becomes a waitForEvent with a timeout (the export job sends the event instead of being polled), the
// DAG a `dag` of `task`s, the schedule a `schedule` (see salesReportSchedule below).
// Outside this repository, import from "spindle" instead of "../../src/index.js".
import { z } from "zod";
import { dag, schedule, task, TimeoutError, workflow } from "../../src/index.js";
import type { Order, Region, Warehouse } from "./warehouse.js";

export { createWarehouse, CrmUnavailableError } from "./warehouse.js";
export type { Order, Region, Warehouse, WarehouseOptions } from "./warehouse.js";

/** Above this share of duplicate rows, the day's data is quarantined for review instead of loaded. */
export const DUPLICATE_LIMIT = 0.1;

const outcome = z.discriminatedUnion("status", [
  z.object({ status: z.literal("loaded"), day: z.string(), rows: z.number(), revenue: z.number() }),
  z.object({ status: z.literal("quarantined"), day: z.string(), duplicates: z.number() }),
  z.object({ status: z.literal("no-export"), day: z.string() }),
]);

export type ReportOutcome = z.output<typeof outcome>;

/** The sales-report workflow, bound to its services (create both per engine). */
export function salesReportWorkflow(warehouse: Warehouse) {
  return workflow(
    "sales-report",
    {
      input: z.object({ day: z.string() }),
      output: outcome,
      events: { "export-landed": z.object({ path: z.string() }) },
    },
    async function* ({ day }, ctx) {
      // FileSensor(timeout=7200, soft_fail=True): wait up to 2 h for the export; no export ends the run quietly.
      // Without soft_fail, let the TimeoutError fail the run instead.
      let path: string;
      try {
        ({ path } = yield* ctx.waitForEvent("export-landed", { timeout: "2h" }));
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        ctx.log.info(`no export for ${day} within 2h: nothing to do today`);
        return { status: "no-export" as const, day };
      }
      ctx.log.info(`export ${path} landed`);

      // failFast: false, so that the one-failed alert still runs after a failure (and every task that can, does).
      // When a task fails, dag throws DagFailedError after the alert ran: the run fails, as the Airflow DAG run would.
      const results = yield* dag(
        {
          extract: task(() => warehouse.extract(path)),
          // Two transforms in parallel, both on the extract.
          dedupe_orders: task(["extract"], (deps: { extract: Order[] }) => {
            const unique = [...new Map(deps.extract.map((order) => [order.id, order])).values()];
            return { orders: unique, duplicates: deps.extract.length - unique.length };
          }),
          enrich_customers: task(
            ["extract"],
            (deps: { extract: Order[] }) => warehouse.regionsOf(deps.extract.map((order) => order.customer)),
            { retry: { maxAttempts: 3, initialInterval: "1m", backoffCoefficient: 1 } }, // retries=2, retry_delay=1 min
          ),
          // The third transform needs both.
          aggregate: task(
            ["dedupe_orders", "enrich_customers"],
            (deps: { dedupe_orders: { orders: Order[] }; enrich_customers: Record<string, Region> }) => {
              const revenue: Partial<Record<Region, number>> = {};
              for (const order of deps.dedupe_orders.orders) {
                const region = deps.enrich_customers[order.customer] ?? "other";
                revenue[region] = (revenue[region] ?? 0) + order.amount;
              }
              return revenue;
            },
          ),
          // BranchPythonOperator: the branch task returns the name of the path to follow; each of the two tasks
          // below does its work only when chosen (Airflow would mark the other one skipped; here it succeeds
          // without doing anything).
          check_quality: task(["dedupe_orders", "aggregate"], (deps: { dedupe_orders: { orders: Order[]; duplicates: number } }) => {
            const { orders, duplicates } = deps.dedupe_orders;
            return duplicates / (orders.length + duplicates) > DUPLICATE_LIMIT ? "quarantine" : "load";
          }),
          load: task(
            ["check_quality", "aggregate"],
            (deps: { check_quality: string; aggregate: Partial<Record<Region, number>> }) =>
              deps.check_quality === "load" ? warehouse.load(day, deps.aggregate) : null,
          ),
          quarantine: task(
            ["check_quality", "dedupe_orders"],
            (deps: { check_quality: string; dedupe_orders: { duplicates: number } }) =>
              deps.check_quality === "quarantine" ? warehouse.quarantine(day, deps.dedupe_orders.duplicates) : null,
          ),
          // trigger_rule="one_failed": runs as soon as one of these failed; skipped when none did.
          alert: task(
            ["dedupe_orders", "enrich_customers", "aggregate", "load"],
            () => warehouse.page(`sales-report ${day}: a task failed`),
            { trigger: "one-failed" },
          ),
        },
        { failFast: false, name: "sales_report" },
      );

      if (results.check_quality.status === "success" && results.check_quality.value === "quarantine") {
        const duplicates = results.dedupe_orders.status === "success" ? results.dedupe_orders.value.duplicates : 0;
        ctx.log.info(`${duplicates} duplicate rows: ${day} quarantined for review, not loaded`);
        return { status: "quarantined" as const, day, duplicates };
      }
      const loaded = results.load.status === "success" ? results.load.value : null;
      ctx.log.info(`${day} loaded: ${loaded?.rows ?? 0} regions, revenue ${loaded?.revenue ?? 0}`);
      return { status: "loaded" as const, day, rows: loaded?.rows ?? 0, revenue: loaded?.revenue ?? 0 };
    },
  );
}

/**
 * The DAG's `schedule="0 6 * * *"` with `catchup=False` and `max_active_runs=1`. The input is Airflow's `ds`: a run
 * fired on a morning reports the day before.
 */
export function salesReportSchedule(report: ReturnType<typeof salesReportWorkflow>) {
  return schedule("sales-report", {
    cron: "0 6 * * *",
    timezone: "Europe/Berlin",
    workflow: report,
    input: (fireTime) => ({ day: new Date(fireTime.getTime() - 86_400_000).toISOString().slice(0, 10) }),
    catchup: false,
    overlap: "buffer-one",
  });
}
