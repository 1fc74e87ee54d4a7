// One checked run: a subject driven to its end on a fresh store of a target through a FaultStore with the given
// plan, then every invariant checked; the counts and any violation go into the scenario's result.
import type { FaultPlan } from "spindle/testing";
import { FaultStore } from "spindle/testing";
import type { DriveResult } from "./driver.js";
import { drive } from "./driver.js";
import type { CheckReport, Outcome } from "./invariants.js";
import { checkInvariants } from "./invariants.js";
import type { ScenarioResult } from "./report.js";
import { addViolations, countFaults, describeError } from "./report.js";
import type { Subject } from "./subjects.js";
import type { StoreTarget } from "./targets.js";

/** Options of `checkedRun`. */
export interface CheckedRunOptions {
  target: StoreTarget;
  subject: Subject;
  /** Where the run is, for violation messages, e.g. "crash after call 12". */
  where: string;
  plan?: FaultPlan;
  seed?: number;
  /** The fault-free outcome (I1); omitted for the fault-free run itself. */
  expected?: Outcome;
  resumers?: number;
}

/** What a checked run leaves for its scenario. */
export interface CheckedRun extends CheckReport {
  drive: DriveResult;
  faults: FaultStore;
}

/** Drives and checks one run, recording it in `result`. */
export async function checkedRun(options: CheckedRunOptions, result: ScenarioResult): Promise<CheckedRun> {
  const { target, subject } = options;
  const faults = new FaultStore(target.make(), { seed: options.seed ?? 1, ...(options.plan ? { plan: options.plan } : {}) });
  const id = target.id(subject.name.replace(/\W+/g, "-"));
  const driven = await drive({ subject, faults, id, ...(options.resumers ? { resumers: options.resumers } : {}) });
  faults.plan = undefined;
  const report = await checkInvariants({
    faults,
    ledger: driven.ledger,
    rootId: id,
    faultedTurns: driven.faultedTurns,
    ...(options.expected ? { expected: options.expected } : {}),
    ...(subject.project ? { project: subject.project } : {}),
    ...(subject.atMostOnce ? { atMostOnce: new Set(subject.atMostOnce) } : {}),
  });
  const where = `${subject.name} on ${target.name}, ${options.where}`;
  for (const error of driven.unexpected) report.violations.push({ invariant: "I4", message: `unexpected ${describeError(error)}` });
  if (driven.stalled) report.violations.push({ invariant: "I4", message: "still due after the driver's last round" });
  if (report.violations.length > 0 && faults.stats.trace.length > 0) {
    report.violations.push({ invariant: report.violations[0]!.invariant, message: `faults injected: ${faults.stats.trace.join(", ")}` });
  }
  addViolations(result, where, report.violations);
  result.executions += report.executions.length;
  countFaults(result, faults);
  return { ...report, drive: driven, faults };
}
