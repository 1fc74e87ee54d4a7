// Four mornings of the sales-report schedule behind `npm run example -- airflow-migration`, fired at 06:00 Berlin
// (05:00 UTC in March) on the test engine's virtual clock:
//   Mar 02: the export lands at 06:40, every task succeeds, the day is loaded;
//   Mar 03: the CRM is down, enrich_customers fails after 3 attempts: aggregate, the branch and load are skipped,
//           the one-failed alert pages on-call, and the run fails with DagFailedError;
//   Mar 04: the export has too many duplicate rows: the branch picks quarantine instead of load;
//   Mar 05: no export by 08:00: the sensor times out and the run ends with nothing to do.
import type { Logger } from "../../src/index.js";
import type { TestEngine } from "../../src/testing/index.js";
import { createTestEngine } from "../../src/testing/index.js";
import { createNarrator } from "../support/narrate.js";
import type { Order, Warehouse } from "./airflow-migration.workflow.js";
import { createWarehouse, salesReportSchedule, salesReportWorkflow } from "./airflow-migration.workflow.js";

/** Monday 05:30 Berlin, half an hour before the first fire. */
export const START = new Date("2026-03-02T04:30:00Z");
/** When the scenario stops: after the last morning's sensor gave up. */
export const END = new Date("2026-03-05T08:00:00Z");

/** The execution id of the run fired on `date` (YYYY-MM-DD) at 06:00 Berlin. */
export const runId = (date: string) => `sales-report@${date}T05:00:00.000Z`;

const orders = (rows: readonly [string, string, number][]): Order[] => rows.map(([id, customer, amount]) => ({ id, customer, amount }));

/** Mar 01's export: clean. */
export const CLEAN_EXPORT = orders([["o-1", "ada", 40], ["o-2", "bo", 25], ["o-3", "cy", 15], ["o-4", "dee", 20]]);
/** Mar 03's export: 3 of 8 rows are duplicates. */
export const DUPLICATED_EXPORT = orders([
  ["o-9", "ada", 10], ["o-9", "ada", 10], ["o-10", "bo", 30], ["o-10", "bo", 30],
  ["o-11", "cy", 5], ["o-11", "cy", 5], ["o-12", "dee", 12], ["o-13", "ada", 8],
]);

export interface AirflowScenario {
  t: TestEngine;
  warehouse: Warehouse;
  report: ReturnType<typeof salesReportWorkflow>;
}

/** An engine with the schedule registered, at START. */
export function createScenario(options: { logger?: Logger } = {}): AirflowScenario {
  const warehouse = createWarehouse();
  const report = salesReportWorkflow(warehouse);
  const t = createTestEngine({
    workflows: [report],
    schedules: [salesReportSchedule(report)],
    startAt: START,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return { t, warehouse, report };
}

/** Moves the virtual clock to `iso`. */
export async function advanceTo(t: TestEngine, iso: string): Promise<void> {
  await t.advanceTime(Date.parse(iso) - t.now().getTime());
}

/** Runs the four mornings; `narrate` prints them as they go. */
export async function runMornings(options: { narrate: boolean }): Promise<AirflowScenario> {
  const narrator = options.narrate ? createNarrator(() => scenario.t.now(), 10) : undefined;
  // Log lines are labelled with the run's fire date rather than its whole id.
  const short = (fields?: { executionId?: string }) => ({ ...fields, executionId: fields?.executionId?.slice(13, 23) ?? "engine" });
  const logger: Logger | undefined = narrator && {
    debug: () => {},
    info: (message, fields) => narrator.logger.info(message, short(fields)),
    warn: (message, fields) => narrator.logger.warn(message, short(fields)),
    error: (message, fields) => narrator.logger.error(message, short(fields)),
  };
  const scenario = createScenario(logger ? { logger } : {});
  const { t, warehouse } = scenario;
  const land = async (date: string, path: string, rows: Order[]) => {
    warehouse.exports.set(path, rows);
    narrator?.say("shop", `export ${path} dropped (${rows.length} rows)`);
    await t.sendEvent(runId(date), "export-landed", { path });
  };

  await advanceTo(t, "2026-03-02T05:40:00Z");
  await land("2026-03-02", "exports/2026-03-01.csv", CLEAN_EXPORT);

  await advanceTo(t, "2026-03-03T05:20:00Z");
  warehouse.crmDown = true;
  narrator?.say("crm", "down for maintenance");
  await land("2026-03-03", "exports/2026-03-02.csv", CLEAN_EXPORT);
  await advanceTo(t, "2026-03-03T07:00:00Z");
  warehouse.crmDown = false;
  narrator?.say("crm", "back up");

  await advanceTo(t, "2026-03-04T05:10:00Z");
  await land("2026-03-04", "exports/2026-03-03.csv", DUPLICATED_EXPORT);

  await advanceTo(t, END.toISOString());
  return scenario;
}

/** The golden history (`npx tsx examples/record-golden.ts airflow-migration`): Mar 03, the failed day. */
export async function recordGolden() {
  const { t } = await runMornings({ narrate: false });
  return t.history(runId("2026-03-03"));
}
