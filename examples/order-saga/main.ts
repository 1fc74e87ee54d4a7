// Runs four orders through the saga (`npm run example -- order-saga`): a retried success, a failure with nothing to
// undo, a terminal failure that releases the stock, and a retried failure that refunds and releases. Times are
// virtual.
import { printSummary, printTimeline } from "../support/narrate.js";
import type { ExampleRun } from "../support/example-run.js";
import { ORDERS, runOrders, START } from "./scenario.js";

export async function main(): Promise<ExampleRun> {
  const startedAt = performance.now();
  const { t, commerce, outcomes, sagaWorkflow } = await runOrders({ narrate: true });
  console.log("\nOutcomes");
  for (const { orderId } of ORDERS) {
    const outcome = outcomes[orderId]!;
    const detail =
      outcome.status === "confirmed"
        ? `${outcome.chargeId}, ${outcome.tracking}`
        : `${outcome.failedStep} after ${outcome.attempts} attempt(s), ${outcome.kind}; undone: ${outcome.compensated.join(", ") || "nothing"}`;
    console.log(`  ${orderId}  ${outcome.status.padEnd(9)}  ${detail}`);
  }
  const stock = [...commerce.stock].map(([sku, units]) => `${sku} ${units}`).join(", ");
  console.log(`  stock now: ${stock}; charges kept: ${[...commerce.charges.keys()].join(", ")}; refunded: ${commerce.refunds.join(", ")}`);
  printTimeline("o-4", await t.history("o-4"));
  printSummary(t.now().getTime() - START.getTime(), performance.now() - startedAt);
  return { engine: t.engine, workflows: [sagaWorkflow] };
}
