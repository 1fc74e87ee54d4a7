// Runs the ETL schedule (`npm run example -- daily-etl`): three nightly fires of `etl-nightly`, each one execution of
// the day's DAG, throttled transforms retried. Times are virtual.
import { printSummary, printTimeline } from "../support/narrate.js";
import type { ExampleRun } from "../support/example-run.js";
import { SCHEDULE_NAME } from "./daily-etl.workflow.js";
import { RUN_IDS, runSchedule, START } from "./scenario.js";

export async function main(): Promise<ExampleRun> {
  const startedAt = performance.now();
  const { t, warehouse, workflows } = await runSchedule({ narrate: true });
  console.log("\nReports");
  for (const report of warehouse.reports) console.log(`  ${report}`);
  const info = await t.engine.schedules.describe(SCHEDULE_NAME);
  console.log(`\n${SCHEDULE_NAME}: ${info.status}, last fire ${info.lastFireTime?.toISOString() ?? "none"}; its runs:`);
  for (const run of info.recentRuns) console.log(`  ${run.id}  ${run.status}`);
  printTimeline(RUN_IDS["2026-03-01"]!, await t.history(RUN_IDS["2026-03-01"]!));
  printSummary(t.now().getTime() - START.getTime(), performance.now() - startedAt);
  await t.engine.close();
  return { engine: t.engine, workflows: [workflows.dailyEtl] };
}
