// Runs the access desk (`npm run example -- security-approval`): a request granted by policy, one approved by the
// security team, one escalated to a manager after 24 h of silence and rejected. Times are virtual.
import { printSummary, printTimeline } from "../support/narrate.js";
import type { ExampleRun } from "../support/example-run.js";
import { REQUESTS, runAccessDesk, START } from "./scenario.js";

export async function main(): Promise<ExampleRun> {
  const startedAt = performance.now();
  const { t, services, requestWorkflow } = await runAccessDesk({ narrate: true });
  console.log("\nRequests");
  for (const { requestId } of REQUESTS) {
    const { status, customStatus } = await t.describe(requestId);
    console.log(`  ${requestId}  ${status.padEnd(9)}  ${JSON.stringify(customStatus)}`);
  }
  console.log("\nAudit log");
  for (const entry of services.audit) {
    console.log(`  ${entry.at.slice(5, 16).replace("T", " ")}  ${entry.requestId}  ${entry.event.padEnd(13)}  ${entry.detail}`);
  }
  printTimeline("access-103", await t.history("access-103"));
  printSummary(t.now().getTime() - START.getTime(), performance.now() - startedAt);
  return { engine: t.engine, workflows: [requestWorkflow] };
}
