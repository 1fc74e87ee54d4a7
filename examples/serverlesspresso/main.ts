// Runs a morning at the coffee shop (`npm run example`, or `npm run example -- serverlesspresso`): eight customers,
// two baristas, three slots. One customer finds the shop closed, one finds it full, one never submits, one cancels,
// one drink is turned down and one takes too long. The test engine's virtual clock skips the waiting; the times
// printed are virtual.
import { printSummary, printTimeline } from "../support/narrate.js";
import type { ExampleRun } from "../support/example-run.js";
import { CUSTOMERS, runShopDay, START } from "./simulation.js";

export async function main(): Promise<ExampleRun> {
  const startedAt = performance.now();
  const day = await runShopDay({ narrate: true });
  console.log("\nOrders");
  for (const customer of CUSTOMERS) {
    const { ending, outcome } = day.endings[customer.name]!;
    const number = outcome?.orderNumber === undefined ? "" : `#${outcome.orderNumber}`;
    console.log(`  ${customer.name.padEnd(6)} ${ending.padEnd(12)} ${number.padEnd(4)} ${outcome?.barista ?? ""}`.trimEnd());
  }
  console.log(`  peak orders in flight: ${day.shop.peakInFlight} of ${day.shop.capacity}; in flight now: ${day.shop.ordersInFlight}`);
  printTimeline(day.ids.Ana!, await day.t.history(day.ids.Ana!));
  printSummary(day.t.now().getTime() - START.getTime(), performance.now() - startedAt);
  return { engine: day.t.engine, workflows: [day.order] };
}
