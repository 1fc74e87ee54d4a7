// Runs four mornings of the Airflow DAG translated to Spindle (`npm run example -- airflow-migration`): a loaded
// day, a day whose transform fails (the alert pages on-call, the load is skipped), a quarantined day (the branch),
// and a day whose export never comes (the sensor times out). Times are virtual.
import { DagFailedError } from "../../src/index.js";
import { printSummary, printTimeline } from "../support/narrate.js";
import type { ExampleRun } from "../support/example-run.js";
import { runId, runMornings, START } from "./scenario.js";

export async function main(): Promise<ExampleRun> {
  const startedAt = performance.now();
  const { t, warehouse, report } = await runMornings({ narrate: true });

  console.log("\nRuns (engine.schedules.describe)");
  const info = await t.engine.schedules.describe("sales-report");
  for (const run of [...info.recentRuns].reverse()) {
    let detail: string;
    try {
      detail = JSON.stringify(await t.engine.result(run.id));
    } catch (error) {
      detail = error instanceof DagFailedError ? `${error.message}\n    tasks: ${JSON.stringify(error.results)}` : String(error);
    }
    console.log(`  ${run.id}  ${run.status.padEnd(9)}  ${detail}`);
  }
  console.log(`  next fire times: ${info.nextFireTimes.slice(0, 2).map((time) => time.toISOString()).join(", ")}`);
  console.log(`\nWarehouse tables: ${JSON.stringify(Object.fromEntries(warehouse.tables))}`);
  console.log(`Quarantined: ${JSON.stringify(Object.fromEntries(warehouse.quarantined))}; pages: ${JSON.stringify(warehouse.pages)}`);

  printTimeline(runId("2026-03-03"), await t.history(runId("2026-03-03")));
  printSummary(t.now().getTime() - START.getTime(), performance.now() - startedAt);
  await t.engine.close();
  return { engine: t.engine, workflows: [report] };
}
