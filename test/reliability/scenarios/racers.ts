// Scenario: 2 to 16 processes resume one execution at once, every round, each on its own engine sharing the store,
// with small random delays on store calls to vary the interleavings. No fault is injected, so invariant I5 allows no
// step to run more often than it is recorded: the turn's lease must keep every other process out of a running step.
import { randomFaults } from "spindle/testing";
import { baseline } from "../baselines.js";
import { checkedRun } from "../checked-run.js";
import type { ScenarioResult } from "../report.js";
import { bump, newResult } from "../report.js";
import type { Subject } from "../subjects.js";
import type { StoreTarget } from "../targets.js";

/** Runs every subject with each number of racers, `seeds` delay schedules each. */
export async function racers(
  target: StoreTarget,
  options: { subjects: readonly Subject[]; racers: readonly number[]; seeds: number },
): Promise<ScenarioResult> {
  const result = newResult("concurrent resumers of one execution", target.name, `1..${options.seeds} per racer count`);
  for (const subject of options.subjects) {
    const expected = await baseline(target, subject, result);
    for (const resumers of options.racers) {
      for (let seed = 1; seed <= options.seeds; seed++) {
        const run = await checkedRun(
          { target, subject, seed, resumers, expected, plan: randomFaults({ delay: 0.3, maxDelayMs: 3 }), where: `${resumers} racers, seed ${seed}` },
          result,
        );
        bump(result, "resumes that lost a race (ConcurrencyError)", run.drive.racedTurns);
        bump(result, "step attempts wasted by racers", Math.max(0, run.drive.ledger.total() - countRecorded(run)));
      }
    }
  }
  result.figures["racers"] = options.racers.join(", ");
  // Delays are not failures: only the racing is under test here.
  result.faults = 0;
  return result;
}

function countRecorded(run: { faults: { accepted(id: string): readonly { type: string }[] }; executions: string[] }): number {
  let recorded = 0;
  for (const id of run.executions) {
    for (const event of run.faults.accepted(id)) if (event.type === "StepCompleted" || event.type === "StepFailed") recorded++;
  }
  return recorded;
}
