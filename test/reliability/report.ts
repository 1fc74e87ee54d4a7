// What a scenario reports: the counts the report runner prints in docs/RELIABILITY.md and the violations the tests
// assert to be none. A violation names where it happened (subject, seed, fault) so it can be reproduced.
import type { FaultStore } from "spindle/testing";
import type { Violation } from "./invariants.js";

/** The outcome of one scenario on one store. */
export interface ScenarioResult {
  scenario: string;
  store: string;
  /** The seeds or sizes that were run, e.g. "1..200". */
  seeds: string;
  executions: number;
  /** Faults injected, all kinds together. */
  faults: number;
  /** Further figures by label (crash points, duplicates refused, ...). */
  figures: Record<string, number | string>;
  /** Each broken invariant, with where it broke. */
  violations: string[];
  /** What the scenario checks beyond the invariants, in a sentence or two, for the report. */
  note?: string;
  /** One row per input tried, for scenarios that report a table (hostile input). */
  rows?: TableRow[];
}

/** One input tried against one store: what the API answered and what the store kept. */
export interface TableRow {
  /** What was tried, e.g. "an execution id with a lone surrogate". */
  input: string;
  /** The API call, e.g. "start". */
  call: string;
  /** What must happen, e.g. "ValidationError, nothing stored". */
  expected: string;
  /** What happened: the typed error (name and code), or what the workflow did. */
  answer: string;
  /** What the store kept: "nothing", or what changed in the record, history and inbox. */
  stored: string;
  holds: boolean;
}

/** A new, empty result. */
export function newResult(scenario: string, store: string, seeds: string): ScenarioResult {
  return { scenario, store, seeds, executions: 0, faults: 0, figures: {}, violations: [] };
}

/** Adds the faults a store injected to the result. */
export function countFaults(result: ScenarioResult, faults: FaultStore): void {
  for (const count of Object.values(faults.stats.injected)) result.faults += count;
}

/** Adds violations found at `where`. */
export function addViolations(result: ScenarioResult, where: string, violations: readonly Violation[]): void {
  for (const violation of violations) result.violations.push(`${where}: [${violation.invariant}] ${violation.message}`);
}

/** Adds to a numeric figure. */
export function bump(result: ScenarioResult, figure: string, by = 1): void {
  result.figures[figure] = (Number(result.figures[figure]) || 0) + by;
}

/** A readable message for an error no fault explains. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : `non-error thrown: ${String(error)}`;
}
