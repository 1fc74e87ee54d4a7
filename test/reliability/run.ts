// `npm run reliability [-- <scenario> ...]`: runs the large versions of the reliability scenarios on MemoryStore and
// on DynamoDBStore (starting DynamoDB Local itself, as the tests' global setup does), prints each result, and writes
// docs/RELIABILITY.md from them. Exits 1 when any invariant was violated (or a hostile-input row does not hold).
// Scenario names: crash-points, storms, racers, store-faults, code-changes, corruption, values, deliveries, clock,
// poison, property, hostile, cross-process, growth, real-crash.
import { writeFileSync } from "node:fs";
import os from "node:os";
import { startDynamoDBLocal } from "../../examples/dynamodb-local/local-server.js";
import type { ScenarioResult } from "./report.js";
import { renderReport } from "./render.js";
import { crashPoints } from "./scenarios/crash-points.js";
import { crashStorms } from "./scenarios/crash-storms.js";
import { codeChanges } from "./scenarios/code-changes.js";
import { corruption } from "./scenarios/corruption.js";
import { deliveries } from "./scenarios/deliveries.js";
import type { ReplayFigure } from "./scenarios/growth.js";
import { growth } from "./scenarios/growth.js";
import { randomPrograms } from "./scenarios/property.js";
import { racers } from "./scenarios/racers.js";
import { crossCancel } from "./scenarios/cross-cancel.js";
import { expiredLeases } from "./scenarios/expired-leases.js";
import { hostileInput } from "./scenarios/hostile-input.js";
import { realCrash } from "./scenarios/real-crash.js";
import { redeliveries } from "./scenarios/redeliveries.js";
import { ambiguousWrites, outage, throttling } from "./scenarios/store-faults.js";
import { clockSkew, poisonSteps } from "./scenarios/time-and-poison.js";
import { values } from "./scenarios/values.js";
import { SUBJECTS } from "./subjects.js";
import type { StoreTarget } from "./targets.js";
import { dynamoTarget, memoryTarget } from "./targets.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const PROPERTY_SEED = 20260101;
const CRASH_SEED = 20261;
const CRASH_KILLS = 120;

/** Each scenario at report size; `memory` tells whether the target is MemoryStore (DynamoDB runs smaller samples). */
const SCENARIOS: Record<string, (target: StoreTarget, memory: boolean) => Promise<ScenarioResult[]>> = {
  "crash-points": async (t, memory) => [await crashPoints(t, { subjects: SUBJECTS, stride: memory ? 1 : 3 })],
  storms: async (t, memory) => [await crashStorms(t, { subjects: SUBJECTS, seeds: memory ? 500 : 110 })],
  racers: async (t, memory) => [await racers(t, { subjects: SUBJECTS, racers: memory ? [2, 4, 8, 16] : [2, 16], seeds: memory ? 5 : 1 })],
  "store-faults": async (t, memory) => {
    const options = { subjects: SUBJECTS, seeds: memory ? 10 : 2, rates: [0.01, 0.05, 0.2, 0.5] };
    return [await ambiguousWrites(t, options), await throttling(t, options), await outage(t, { ...options, seeds: memory ? 10 : 3 })];
  },
  "code-changes": async (t) => [await codeChanges(t)],
  corruption: async (t) => [await corruption(t)],
  values: async (t) => [await values(t)],
  deliveries: async (t) => [await deliveries(t, { maxRepeats: 10 })],
  clock: async (t, memory) => [await clockSkew(t, { schedules: memory ? 50 : 10 })],
  poison: async (t) => [await poisonSteps(t)],
  property: async (t, memory) => [await randomPrograms(t, { runs: memory ? 1000 : 100, seed: PROPERTY_SEED })],
  hostile: async (t) => [await hostileInput(t)],
  "cross-process": async (t, memory) => [
    await crossCancel(t, { trials: memory ? 300 : 60 }),
    await expiredLeases(t, { subjects: SUBJECTS, maxWrites: memory ? 50 : 4 }),
    await redeliveries(t, { events: 5, racers: memory ? [2, 4, 8, 16] : [2, 8], faultySeeds: memory ? 20 : 5 }),
  ],
};

/** Scenarios run by hand below: growth measures replays per store; real-crash runs once, on DynamoDB Local. */
const SPECIAL = ["growth", "real-crash"];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !SPECIAL.includes(name) && !(name in SCENARIOS));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(", ")}; known: ${[...Object.keys(SCENARIOS), ...SPECIAL].join(", ")}`);
  const selected = (name: string) => wanted.length === 0 || wanted.includes(name);
  const started = Date.now();
  const server = await startDynamoDBLocal();
  const results: ScenarioResult[] = [];
  const replays: { store: string; figures: ReplayFigure[] }[] = [];
  try {
    const targets = [memoryTarget(), await dynamoTarget(server.endpoint, "report")];
    for (const [name, run] of Object.entries(SCENARIOS)) {
      if (!selected(name)) continue;
      for (const target of targets) {
        const begun = Date.now();
        for (const result of await run(target, target.name === "MemoryStore")) {
          results.push(result);
          console.log(`${result.scenario} on ${result.store}: ${result.executions} executions, ${result.faults} faults, ` +
            `${result.violations.length} violations (${((Date.now() - begun) / 1000).toFixed(1)} s)`);
          for (const violation of result.violations.slice(0, 5)) console.log(`  ${violation}`);
        }
      }
    }
    if (selected("growth")) {
      for (const target of targets) {
        const memory = target.name === "MemoryStore";
        const result = await growth(target, { sizes: memory ? [1_000, 10_000, 100_000] : [1_000, 5_000], measure: true });
        results.push(result);
        replays.push({ store: target.name, figures: result.replays });
        console.log(`${result.scenario} on ${target.name}: ${result.replays.map((r) => `${r.events} events ${r.ms.toFixed(0)} ms`).join(", ")}`);
      }
    }
    if (selected("real-crash")) {
      const begun = Date.now();
      const result = await realCrash({ endpoint: server.endpoint, kills: CRASH_KILLS, seed: CRASH_SEED });
      results.push(result);
      console.log(`${result.scenario}: ${result.faults} kills, ${result.executions} executions, ${result.violations.length} violations ` +
        `(${((Date.now() - begun) / 1000).toFixed(1)} s)`);
      for (const violation of result.violations.slice(0, 5)) console.log(`  ${violation}`);
    }
    for (const target of targets) target.close();
  } finally {
    await server.stop();
  }
  const markdown = renderReport({
    results,
    replays,
    propertySeed: PROPERTY_SEED,
    machine: `Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.platform()}`,
    seconds: (Date.now() - started) / 1000,
    partial: wanted.length > 0 ? wanted : undefined,
  });
  writeFileSync(new URL("../../docs/RELIABILITY.md", import.meta.url), markdown);
  const violations = results.reduce((sum, result) => sum + result.violations.length, 0);
  console.log(`docs/RELIABILITY.md written: ${results.length} results, ${violations} violations`);
  process.exitCode = violations > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
