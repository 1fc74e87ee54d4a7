// The invariants every reliability run is checked against, as one reusable checker:
// I1 the outcome equals the fault-free run's (or, documented, an at-most-once step cut by a crash failed with
//    StepInterruptedError instead of running twice, and the workflow went its failure path);
// I2 each step completion is recorded at most once;
// I3 the history has no gap or fork: every event the store accepted is in the final history, at its place;
// I4 every execution ends in a terminal state, or waits with a typed reason;
// I5 step effects (the ledger) never exceed the recorded attempts plus the attempts that faulted turns cut off, and
//    an at-most-once step never runs without its recorded start.
import type { HistoryEvent } from "spindle";
import type { ExecutionRecord, HistoryStore } from "spindle/store";
import { checkHistory, CLOSED_STATUSES } from "spindle/store";
import type { FaultStore } from "spindle/testing";
import type { EffectLedger } from "./ledger.js";

/** How an execution ended, in comparable form. */
export interface Outcome {
  status: ExecutionRecord["status"];
  result?: unknown;
  error?: { name: string; message: string };
}

/** One broken invariant. */
export interface Violation {
  invariant: "I1" | "I2" | "I3" | "I4" | "I5";
  message: string;
}

/** Everything the checker looks at after a run. */
export interface RunEvidence {
  /** The store that wrapped the run (its journal of accepted events is read). */
  faults: FaultStore;
  ledger: EffectLedger;
  /** The root execution. */
  rootId: string;
  /** The fault-free run's outcome of the root; omit when there is nothing to compare with. */
  expected?: Outcome;
  /** Makes outcomes comparable when a workflow's result depends on when it ran (see the subject). */
  project?: (outcome: Outcome) => Outcome;
  /** Turns abandoned because of an injected fault: each may have cut off one attempt of a step. */
  faultedTurns: number;
  /** Names of at-most-once steps. */
  atMostOnce?: ReadonlySet<string>;
}

/** What the checker found. */
export interface CheckReport {
  violations: Violation[];
  /** The root's outcome. */
  outcome: Outcome;
  /** Every execution of the run: the root and its children, transitively. */
  executions: string[];
  /** An at-most-once step cut off by a crash failed with StepInterruptedError (I1 is not compared then). */
  interrupted: boolean;
}

/**
 * The outcome of a record. The execution's id (which also prefixes its children's ids) is replaced by `<id>`: error
 * messages name it, and each run has its own.
 */
export function outcomeOf(record: ExecutionRecord): Outcome {
  const anonymous = (text: string) => text.split(record.id).join("<id>");
  const outcome: Outcome = { status: record.status };
  if (record.result !== undefined) outcome.result = JSON.parse(anonymous(record.result));
  if (record.error) outcome.error = { name: record.error.name, message: anonymous(record.error.message) };
  return outcome;
}

/** Every event of the current run, across pages. */
export async function loadAll(store: HistoryStore, id: string): Promise<{ record: ExecutionRecord; events: unknown[] }> {
  let page = await store.load(id);
  if (!page) throw new Error(`execution '${id}' is not in the store`);
  const events = [...page.events];
  while (page.more) {
    page = (await store.load(id, { afterSeq: events.length }))!;
    events.push(...page.events);
  }
  return { record: page.record, events };
}

/** The root and every child it (or its children) started, from the accepted events. */
export function executionsOf(faults: FaultStore, rootId: string): string[] {
  const found = [rootId];
  for (let i = 0; i < found.length; i++) {
    for (const event of faults.accepted(found[i]!)) {
      if (event.type === "ChildStarted" && !found.includes(event.childId)) found.push(event.childId);
    }
  }
  return found;
}

/** JSON with object keys sorted: stores may give an event's fields back in another order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    field && typeof field === "object" && !Array.isArray(field)
      ? Object.fromEntries(Object.entries(field).sort(([a], [b]) => (a < b ? -1 : 1)))
      : field,
  );
}

/** Splits a journal into runs: each run starts at an event with seq 1. */
function runsOf(journal: readonly HistoryEvent[]): HistoryEvent[][] {
  const runs: HistoryEvent[][] = [];
  for (const event of journal) {
    if (event.seq === 1 || runs.length === 0) runs.push([]);
    runs.at(-1)!.push(event);
  }
  return runs;
}

const TYPED_WAITS = new Set(["timer", "event", "retry", "callback", "child"]);

/**
 * Checks I1 to I5 after a run and returns what broke (nothing, when all hold).
 *
 * @example
 * const report = await checkInvariants({ faults, ledger, rootId, expected, faultedTurns });
 * expect(report.violations).toEqual([]);
 */
export async function checkInvariants(evidence: RunEvidence): Promise<CheckReport> {
  const { faults, ledger, rootId } = evidence;
  const store = faults.inner;
  const violations: Violation[] = [];
  const add = (invariant: Violation["invariant"], message: string) => violations.push({ invariant, message });
  const executions = executionsOf(faults, rootId);
  const recordedAttempts = new Map<string, number>();
  const recordedStarts = new Map<string, number>();
  let outcome: Outcome | undefined;
  let interruptedStep = false;

  for (const id of executions) {
    const loaded = await loadAll(store, id);
    const runs = runsOf(faults.accepted(id));
    // I3: the store's history is valid and gapless, and is exactly the last run the store accepted events for.
    try {
      checkHistory(id, loaded.events);
    } catch (error) {
      add("I3", `'${id}': the stored history is invalid: ${(error as Error).message}`);
    }
    const last = runs.at(-1) ?? [];
    if (canonical(last) !== canonical(loaded.events)) {
      const at = last.findIndex((event, i) => canonical(event) !== canonical(loaded.events[i]));
      add("I3", `'${id}': the history (${loaded.events.length} events) differs from the ${last.length} accepted ` +
        `events at index ${at === -1 ? Math.min(last.length, loaded.events.length) : at} (lost or forked write)`);
    }
    for (const run of runs) {
      if (!run.every((event, i) => event.seq === i + 1)) add("I3", `'${id}': a run's accepted events have a gap or repeat`);
      // I2: at most one completion per step; nothing recorded for a step after its final outcome.
      const settled = new Map<string, string>();
      for (const event of run) {
        if (event.type !== "StepCompleted" && event.type !== "StepFailed" && event.type !== "StepStarted") continue;
        if (event.type === "StepFailed" && event.error.name === "StepInterruptedError" && id === rootId) interruptedStep = true;
        if (event.type === "StepStarted") {
          recordedStarts.set(event.name, (recordedStarts.get(event.name) ?? 0) + 1);
        } else {
          recordedAttempts.set(event.name, (recordedAttempts.get(event.name) ?? 0) + 1);
        }
        const final = settled.get(event.opId);
        if (final) add("I2", `'${id}': step '${event.name}' (#${event.opId}) has ${event.type} after ${final}`);
        if (event.type === "StepCompleted" || (event.type === "StepFailed" && event.retryAt === undefined)) {
          settled.set(event.opId, `${event.type} (seq ${event.seq})`);
        }
      }
    }
    // I4: ended, or waiting for something named.
    const record = loaded.record;
    if (!CLOSED_STATUSES.has(record.status)) {
      const untyped = record.waitingFor.filter((wait) => !TYPED_WAITS.has(wait.kind));
      if (record.status !== "suspended" || record.waitingFor.length === 0 || untyped.length > 0) {
        add("I4", `'${id}' is left ${record.status} waiting for ${JSON.stringify(record.waitingFor)}`);
      }
    }
    if (id === rootId) outcome = outcomeOf(record);
  }

  // I5: effects bounded by recorded attempts plus the attempts faulted turns cut off; at-most-once never unrecorded.
  for (const [name, effects] of ledger.attempts) {
    const recorded = recordedAttempts.get(name) ?? 0;
    if (effects > recorded + evidence.faultedTurns) {
      add("I5", `step '${name}' ran ${effects} times for ${recorded} recorded attempts and ${evidence.faultedTurns} faulted turns`);
    }
    if (evidence.atMostOnce?.has(name) && effects > (recordedStarts.get(name) ?? 0)) {
      add("I5", `at-most-once step '${name}' ran ${effects} times for ${recordedStarts.get(name) ?? 0} recorded starts`);
    }
  }

  // I1: the fault-free outcome, or the documented interruption of an at-most-once step.
  const project = evidence.project ?? ((value: Outcome) => value);
  const root = outcome!;
  const interrupted = interruptedStep;
  if (evidence.expected && !interrupted) {
    const got = canonical(project(root));
    const want = canonical(project(evidence.expected));
    if (got !== want) add("I1", `outcome ${got} differs from the fault-free ${want}`);
  }
  return { violations, outcome: root, executions, interrupted };
}
