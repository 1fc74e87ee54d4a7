// Scenario: the store misbehaves. Ambiguous writes (applied, then reported as a timeout); throttling and server
// errors at 1 to 50 % of calls for a while, then recovery; a full outage, then recovery. Every run must end at the
// fault-free outcome once the store recovers, with nothing lost, duplicated or forked.
import type { FaultPlan } from "spindle/testing";
import { randomFaults } from "spindle/testing";
import { baseline } from "../baselines.js";
import { checkedRun } from "../checked-run.js";
import type { ScenarioResult } from "../report.js";
import { bump, newResult } from "../report.js";
import type { Subject } from "../subjects.js";
import type { StoreTarget } from "../targets.js";

/** Faults for the first `calls` store calls only: then the store has recovered. */
const until = (calls: number, plan: FaultPlan): FaultPlan => (call, random) => (call.index < calls ? plan(call, random) : undefined);

/** Options of the store-fault scenarios. */
export interface StoreFaultOptions {
  subjects: readonly Subject[];
  seeds: number;
  /** Fractions of calls throttled or failed with a server error. */
  rates: readonly number[];
}

/** Ambiguous writes: a fifth of writes take effect and are then reported as timed out. */
export async function ambiguousWrites(target: StoreTarget, options: StoreFaultOptions): Promise<ScenarioResult> {
  const result = newResult("ambiguous writes", target.name, `1..${options.seeds} per subject`);
  for (const subject of options.subjects) {
    const expected = await baseline(target, subject, result);
    for (let seed = 1; seed <= options.seeds; seed++) {
      const run = await checkedRun({ target, subject, seed, expected, plan: randomFaults({ ambiguous: 0.2 }), where: `seed ${seed}` }, result);
      bump(result, "ambiguous writes", run.faults.stats.injected["ambiguous"] ?? 0);
    }
  }
  return result;
}

/** Throttling and server errors at each rate for the first 60 calls, then recovery. */
export async function throttling(target: StoreTarget, options: StoreFaultOptions): Promise<ScenarioResult> {
  const result = newResult("throttling and 5xx, then recovery", target.name, `1..${options.seeds} per subject and rate`);
  for (const rate of options.rates) {
    let completed = 0;
    let runs = 0;
    for (const subject of options.subjects) {
      const expected = await baseline(target, subject, result);
      for (let seed = 1; seed <= options.seeds; seed++) {
        const before = result.violations.length;
        const plan = until(60, randomFaults({ throttle: rate / 2, fail: rate / 2 }));
        await checkedRun({ target, subject, seed, expected, plan, where: `${rate * 100}% faulted, seed ${seed}` }, result);
        runs++;
        if (result.violations.length === before) completed++;
      }
    }
    result.figures[`reached the fault-free outcome at ${rate * 100}%`] = `${completed}/${runs}`;
  }
  return result;
}

/** Every call fails for a stretch of calls (the store is down), then the store comes back. */
export async function outage(target: StoreTarget, options: StoreFaultOptions): Promise<ScenarioResult> {
  const result = newResult("store outage, then recovery", target.name, `outage from call 1..${options.seeds}`);
  for (const subject of options.subjects) {
    const expected = await baseline(target, subject, result);
    for (let start = 1; start <= options.seeds; start++) {
      // Down for 40 calls from `start`: several rounds of the driver in a row get nothing through.
      const plan: FaultPlan = (call) => (call.index >= start * 3 && call.index < start * 3 + 40 ? { kind: "throttle" } : undefined);
      await checkedRun({ target, subject, expected, plan, where: `outage from call #${start * 3}` }, result);
      bump(result, "outages");
    }
  }
  return result;
}
