// Scenario: seeded random crash storms. Each seed picks a subject and drives it through a FaultStore that, on every
// store call, may crash the process before or after the call, fail it, throttle it or apply it and report a timeout.
import { randomFaults } from "spindle/testing";
import { baseline } from "../baselines.js";
import { checkedRun } from "../checked-run.js";
import type { ScenarioResult } from "../report.js";
import { bump, newResult } from "../report.js";
import type { Subject } from "../subjects.js";
import type { StoreTarget } from "../targets.js";

/** The storm: per store call, about one call in eight is faulted. */
export const STORM = { crashBefore: 0.03, crashAfter: 0.03, fail: 0.01, throttle: 0.03, ambiguous: 0.02 } as const;

/** Runs `seeds` storms (seeds first..first+seeds-1), cycling through the subjects. */
export async function crashStorms(
  target: StoreTarget,
  options: { subjects: readonly Subject[]; seeds: number; firstSeed?: number },
): Promise<ScenarioResult> {
  const first = options.firstSeed ?? 1;
  const result = newResult("random crash storms", target.name, `${first}..${first + options.seeds - 1}`);
  for (let seed = first; seed < first + options.seeds; seed++) {
    const subject = options.subjects[seed % options.subjects.length]!;
    const expected = await baseline(target, subject, result);
    const run = await checkedRun({ target, subject, seed, plan: randomFaults(STORM), expected, where: `seed ${seed}` }, result);
    bump(result, "turns abandoned by a fault", run.drive.faultedTurns);
    if (run.interrupted) bump(result, "at-most-once steps cut off by a crash (StepInterruptedError, never rerun)");
  }
  result.figures["fault rates per call"] = Object.entries(STORM).map(([kind, rate]) => `${kind} ${rate * 100}%`).join(", ");
  return result;
}
