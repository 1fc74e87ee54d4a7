// Scenario: a crash at every await point. Each subject is first run fault-free to count its store calls; then, for
// every call (every `stride`-th in a sample), a run where the process dies just before that call reaches the store,
// and one where it dies just after the store applied it. Every run must reach the fault-free outcome with every
// invariant intact.
import { faultAt } from "spindle/testing";
import { checkedRun } from "../checked-run.js";
import type { ScenarioResult } from "../report.js";
import { bump, newResult } from "../report.js";
import type { Subject } from "../subjects.js";
import type { StoreTarget } from "../targets.js";

/** Options of the crash-point scenario. */
export interface CrashPointOptions {
  subjects: readonly Subject[];
  /** Crash at every `stride`-th call (1: every call). */
  stride: number;
}

/** Crashes each subject before and after each of its store calls. */
export async function crashPoints(target: StoreTarget, options: CrashPointOptions): Promise<ScenarioResult> {
  const result = newResult("crash at every store call", target.name, options.stride === 1 ? "every call" : `one call in ${options.stride}`);
  for (const subject of options.subjects) {
    const baseline = await checkedRun({ target, subject, where: "fault-free" }, result);
    const calls = baseline.faults.stats.calls;
    const total = Object.values(calls).reduce((a, b) => a + b, 0);
    for (const when of ["before", "after"] as const) {
      for (let index = 0; index < total; index += options.stride) {
        const run = await checkedRun(
          { target, subject, where: `crash ${when} call #${index}`, plan: faultAt(index, { kind: "crash", when }), expected: baseline.outcome },
          result,
        );
        bump(result, "crash points");
        // Parents and children resumed in one round may call the store in another order than the fault-free run did.
        if (run.faults.stats.trace.length > 0) bump(result, "crash points where the crash fell on a call");
        if (run.interrupted) bump(result, "at-most-once steps cut off by a crash (StepInterruptedError, never rerun)");
        bump(result, "step attempts cut off by a crash", Math.max(0, run.drive.ledger.total() - baseline.drive.ledger.total()));
      }
    }
  }
  result.figures["subjects"] = options.subjects.length;
  return result;
}
