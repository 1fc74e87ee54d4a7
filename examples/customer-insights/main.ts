// Runs one customer's stream (`npm run example -- customer-insights`): events before the first wait, duplicates
// dropped, scoring fanned out at a spend threshold, continueAsNew every 6 events, and the summary after 30 quiet
// days. Times are virtual.
import { printSummary, printTimeline } from "../support/narrate.js";
import type { ExampleRun } from "../support/example-run.js";
import { CUSTOMER_ID, runStream, START } from "./scenario.js";

export async function main(): Promise<ExampleRun> {
  const startedAt = performance.now();
  const { t, summary, duplicates, insightsWorkflow } = await runStream({ narrate: true });
  const { runs } = await t.describe(CUSTOMER_ID);
  console.log(`\nSummary of ${CUSTOMER_ID} after ${runs + 1} runs (duplicates dropped: ${duplicates.join(", ")})`);
  console.log(`  ${summary.purchases} purchases, ${summary.clicks} clicks, ${summary.spend} EUR, scored ${summary.scorings} times`);
  console.log(`  insights: ${JSON.stringify(summary.insights)}`);
  printTimeline(`${CUSTOMER_ID}, its last run`, await t.history(CUSTOMER_ID));
  printSummary(t.now().getTime() - START.getTime(), performance.now() - startedAt);
  return { engine: t.engine, workflows: [insightsWorkflow] };
}
