// Scenario: hostile input (design rule 5). Each case tries one input a caller or a workflow could hand Spindle —
// ill-formed Unicode, prototype-like names, forged internal messages and callback tokens, oversized, deep and
// unreadable values — on a fresh engine, and records what the API answered (a typed SpindleError with its name and
// code, or what the workflow then did) and what the store kept: a snapshot of the executions concerned (record,
// history, inbox count) before and after the call. It is a report of what happens when it runs: a case that does not
// hold is a row that says so (and a violation), never a case left out. The cases are in hostile-cases.ts, the kit
// they use in hostile-kit.ts.
import { createEngine, silentLogger } from "spindle";
import { VirtualClock } from "spindle/testing";
import type { ScenarioResult } from "../report.js";
import { describeError, newResult } from "../report.js";
import type { StoreTarget } from "../targets.js";
import { NAME_CASES } from "./hostile-cases.js";
import { FIXTURES } from "./hostile-fixtures.js";
import type { HostileCase } from "./hostile-kit.js";
import type { HostileEnv, Observation } from "./hostile-kit.js";
import { VALUE_CASES } from "./hostile-values.js";

/** Every hostile case, in table order. */
export const HOSTILE_CASES: readonly HostileCase[] = [...NAME_CASES, ...VALUE_CASES];

/** A row's key, its input and call: how the npm test form names a row it does not assert yet. */
export const rowKey = (row: { input: string; call: string }): string => `${row.input} | ${row.call}`;

/** Runs every hostile case on the target, each on a fresh engine and virtual clock over one store of the target. */
export async function hostileInput(target: StoreTarget): Promise<ScenarioResult> {
  const result = newResult("hostile input", target.name, `${HOSTILE_CASES.length} inputs`);
  result.note = "The table above, for this store; a row that does not hold is also listed here as a violation.";
  const rows: NonNullable<ScenarioResult["rows"]> = [];
  result.rows = rows;
  const store = target.make();
  for (const hostile of HOSTILE_CASES) {
    const clock = new VirtualClock();
    const env: HostileEnv = {
      target,
      store,
      clock,
      engine: (extra = []) =>
        createEngine({ store, workflows: [...FIXTURES, ...extra], clock, mode: "external", logger: silentLogger, cacheSize: 0 }),
      id: (label) => target.id(`hostile-${label}`),
    };
    let seen: Observation;
    try {
      seen = await hostile.run(env);
    } catch (error) {
      seen = { answer: `the case itself failed: ${describeError(error).slice(0, 160)}`, stored: "unknown", holds: false };
    }
    rows.push({ input: hostile.input, call: hostile.call, expected: hostile.expected, ...seen });
    result.executions++;
    if (!seen.holds) result.violations.push(`${rowKey(hostile)}: expected ${hostile.expected}; got ${seen.answer}; stored ${seen.stored}`);
  }
  result.figures["inputs tried"] = rows.length;
  result.figures["refused with a typed error, or handled correctly, storing nothing wrong"] = rows.filter((row) => row.holds).length;
  result.figures["do not hold"] = rows.filter((row) => !row.holds).length;
  return result;
}
