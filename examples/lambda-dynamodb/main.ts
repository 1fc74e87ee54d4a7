// Runs the access desk as a Lambda function locally (`npm run example -- lambda-dynamodb`, needs Java 17+): starts
// DynamoDB Local (or uses DYNAMODB_ENDPOINT), creates the table, plays API Gateway, EventBridge, SQS and an operator
// against the handler with a virtual clock, prints each invocation with its answer and its DynamoDB requests, the
// escalated request's timeline, and what a step, an event and a tick cost in DynamoDB.
import { createTable } from "../../adapters/dynamodb/index.js";
import { formatTimeline } from "../../src/testing/index.js";
import { localClient, startDynamoDBLocal } from "../dynamodb-local/local-server.js";
import { stamp } from "../support/narrate.js";
import { formatCostReport, measureCost } from "./cost.js";
import { formatUsage } from "./meter.js";
import { REQUESTS, runScenario } from "./scenario.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export async function main(): Promise<void> {
  const startedAt = performance.now();
  const external = process.env.DYNAMODB_ENDPOINT;
  const server = external ? undefined : await startDynamoDBLocal();
  const endpoint = external ?? server!.endpoint;
  const client = localClient(endpoint);
  const costClient = localClient(endpoint);
  const tableName = `spindle-lambda-${Date.now().toString(36)}`;
  try {
    await createTable(client, tableName);
    console.log(`DynamoDB Local on ${endpoint}; table ${tableName}. Each "->" is one Lambda invocation with the event AWS would send.\n`);
    const outcome = await runScenario({ client, tableName, narrate: true });

    console.log("\nRequests");
    for (const { request } of REQUESTS) {
      const execution = outcome.executions[request.requestId]!;
      console.log(`  ${request.requestId}  ${execution.status.padEnd(9)}  ${JSON.stringify(execution.result)}`);
    }
    console.log("\nAudit log");
    for (const entry of outcome.audit) console.log(`  ${entry.at.slice(5, 19).replace("T", " ")}  ${entry.requestId}  ${entry.event.padEnd(13)}  ${entry.detail}`);
    const { dueAt, ranAt } = outcome.escalation;
    console.log(
      `\nThe escalation timer was due ${stamp(new Date(dueAt))} and ran at the tick of ${stamp(new Date(ranAt))}, ` +
        `${((ranAt - dueAt) / 1000).toFixed(1)} s later: with rate(1 minute), up to a minute late.`,
    );
    console.log(`${outcome.invocations.length} invocations; ${outcome.quietTicks} quiet ticks skipped by the script (each would cost what the empty tick below costs).`);
    console.log(`DynamoDB for the whole run: ${formatUsage(outcome.total)}`);

    console.log(`\nTimeline of access-203 (${outcome.history.length} events, read back from the table)`);
    console.log(formatTimeline(outcome.history));

    const report = await measureCost({ client: costClient, tableName });
    console.log(`\nDynamoDB cost through the handler (measured just now; a ${report.steps}-step chain for the step figure)`);
    console.log(formatCostReport(report));
    console.log(`\nDone in ${(performance.now() - startedAt).toFixed(0)} ms of real time.`);
  } finally {
    client.destroy();
    costClient.destroy();
    await server?.stop();
  }
}
