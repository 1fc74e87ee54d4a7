// Fault-free outcomes per subject and store, computed once and shared by the scenarios that compare against them.
import { checkedRun } from "./checked-run.js";
import type { Outcome } from "./invariants.js";
import type { ScenarioResult } from "./report.js";
import type { Subject } from "./subjects.js";
import type { StoreTarget } from "./targets.js";

const cache = new WeakMap<StoreTarget, Map<string, Outcome>>();

/** The subject's fault-free outcome on the target (the run is checked and counted in `result` the first time). */
export async function baseline(target: StoreTarget, subject: Subject, result: ScenarioResult): Promise<Outcome> {
  let outcomes = cache.get(target);
  if (!outcomes) cache.set(target, (outcomes = new Map()));
  const known = outcomes.get(subject.name);
  if (known) return known;
  const run = await checkedRun({ target, subject, where: "fault-free" }, result);
  outcomes.set(subject.name, run.outcome);
  return run.outcome;
}
