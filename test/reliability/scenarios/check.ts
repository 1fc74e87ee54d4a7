// A small assertion helper for scenarios that check behaviours rather than drive subjects: a failed expectation
// becomes a violation in the scenario's result instead of an exception, so one run reports every finding.
import type { Violation } from "../invariants.js";
import type { ScenarioResult } from "../report.js";
import { describeError } from "../report.js";

/** Records a violation of `invariant` at `where` unless `holds`. */
export function expectThat(result: ScenarioResult, where: string, invariant: Violation["invariant"], holds: boolean, message: string): void {
  if (!holds) result.violations.push(`${where}: [${invariant}] ${message}`);
}

/** The error `run` throws, or undefined when it resolves. */
export async function caught(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** `error` names what was thrown, for messages. */
export function named(error: unknown): string {
  return error === undefined ? "nothing" : describeError(error);
}
