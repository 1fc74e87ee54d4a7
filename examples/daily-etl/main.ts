// Runs the ETL schedule (`npm run example -- daily-etl`): three nightly runs, throttled transforms retried, one
// history per run thanks to continueAsNew. Times are virtual.
import { printSummary, printTimeline } from "../support/narrate.js";
import { runSchedule, SCHEDULE_ID, START } from "./scenario.js";

export async function main(): Promise<void> {
  const startedAt = performance.now();
  const { t, warehouse } = await runSchedule({ narrate: true });
  console.log("\nReports");
  for (const report of warehouse.reports) console.log(`  ${report}`);
  const schedule = await t.describe(SCHEDULE_ID);
  console.log(`\n${SCHEDULE_ID}: ${schedule.status} after ${schedule.runs + 1} runs (the history below is the last run's)`);
  printTimeline(SCHEDULE_ID, await t.history(SCHEDULE_ID));
  printTimeline("etl-2026-03-01", await t.history("etl-2026-03-01"));
  printSummary(t.now().getTime() - START.getTime(), performance.now() - startedAt);
}
