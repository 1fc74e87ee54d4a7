// Records an example's golden history: runs the example's scenario on the test engine and writes the history it
// produces to examples/<name>/<name>.history.json, which that example's test replays against today's code.
// Goldens are recorded, never edited by hand. Re-record one only when a change is meant to break old histories:
//   npx tsx examples/record-golden.ts <name>        (or --all)
import process from "node:process";
import type { HistoryEvent } from "../src/index.js";
import { writeGolden } from "./support/golden.js";

const recorders: Record<string, () => Promise<{ recordGolden: () => Promise<HistoryEvent[]> }>> = {
  serverlesspresso: () => import("./serverlesspresso/simulation.js"),
  "security-approval": () => import("./security-approval/scenario.js"),
  "daily-etl": () => import("./daily-etl/scenario.js"),
  "customer-insights": () => import("./customer-insights/scenario.js"),
  "order-saga": () => import("./order-saga/scenario.js"),
  "airflow-migration": () => import("./airflow-migration/scenario.js"),
};

async function record(name: string): Promise<void> {
  const load = recorders[name];
  if (!load) throw new Error(`No golden history for '${name}'. Known: ${Object.keys(recorders).join(", ")}.`);
  const events = await (await load()).recordGolden();
  console.log(`${name}: ${events.length} events -> ${await writeGolden(name, events)}`);
}

const [name] = process.argv.slice(2);
if (!name) {
  console.error("Usage: npx tsx examples/record-golden.ts <name> | --all");
  process.exitCode = 2;
} else {
  for (const each of name === "--all" ? Object.keys(recorders) : [name]) await record(each);
}
