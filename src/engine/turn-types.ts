// What a turn needs from the engine, the limits it runs under, and what it reports.
import type { WaitInfo } from "../core/decision.js";
import type { ExecutionRecord, ExecutionStatus, HistoryStore } from "../store/history-store.js";
import { CLOSED_STATUSES } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";
import type { Tracing } from "../telemetry/span.js";
import type { StepFunction } from "./attempt.js";
import type { WarmCache } from "./cache.js";
import type { Clock } from "./clock.js";
import type { Logger } from "./log.js";
import type { Session } from "./session.js";

/** A child execution to create for a parent. */
export interface ChildStart {
  parentId: string;
  /** The parent's current run (reports of children that already ended are keyed by it). */
  parentRunId: string;
  opId: string;
  workflow: string;
  childId: string;
  input?: string;
  /** False for a detached child (startChild): it does not report back. */
  wait: boolean;
  /** The trace context the child joins: the parent's child-operation span (when the engine traces). */
  traceparent?: string;
}

/** What a turn needs from the engine. */
export interface TurnDeps {
  store: HistoryStore;
  clock: Clock;
  env: { random(): number; uuid(): string };
  logger: Logger;
  cache: WarmCache<Session>;
  /** @throws WorkflowNotFoundError */
  workflow(name: string, executionId: string): AnyWorkflow;
  /** Replaces a step's function (the test kit's mocks). */
  stepOverride?: (name: string) => StepFunction | undefined;
  /** How long a running turn may go without writing before others may take the execution over (its lease). */
  staleTurnMs: number;
  /**
   * This engine's name on leases. When set and the store has `acquireLease`, a turn leases the execution before it
   * runs a step, renews the lease while steps run, and releases it when it suspends or ends; a turn finding another
   * owner's live lease does nothing (`busyUntil`). Turns of one engine share the name.
   */
  leaseOwner?: string;
  historyWarningThreshold: number;
  /** Failed turns in a row after which an execution is `stuck` (turn-failures.ts); undefined: none are recorded. */
  maxTurnFailures?: number;
  /** True (once) when inbox items arrived for this execution while the turn ran. */
  takeInboxSignal(id: string): boolean;
  /** Counts step attempts with a timeout that are running now (the test kit lets time skip to their timeout). */
  timedSteps: { running: number };
  /** A new run id (continueAsNew). */
  newRunId(): string;
  /**
   * Creates a child execution, idempotently.
   * @throws ValidationError, WorkflowNotFoundError, IdempotencyConflictError: thrown into the workflow.
   */
  startChild(request: ChildStart): Promise<void>;
  /** Tells a closed child's parent how it ended (idempotent). */
  notifyParent(record: ExecutionRecord): Promise<void>;
  /** Makes sure a closed child has told this parent (after a crash between its end and its report). */
  ensureChildReported(childId: string): Promise<void>;
  /** Calls `callback` when inbox items arrive for the execution while the turn waits; returns an unsubscribe. */
  onInboxSignal?(id: string, callback: () => void): () => void;
  /** Cancels child executions no longer awaited (a dropped branch's, or those left when the run ends). */
  cancelChildren?(childIds: string[], reason: string): Promise<void>;
  /** Spans of runs, turns and operations (engine/tracing.ts); undefined: the engine does not trace. */
  tracing?: Tracing;
}

/** Limits on one turn: a Lambda invocation's remaining time. */
export interface TurnOptions {
  /**
   * Epoch ms (the engine's clock) after which the turn starts no new step and stops waiting for running ones: it
   * writes what it has, releases the execution, and ends with `outOfTime`, due again at once.
   */
  deadline?: number;
  /** Epoch ms (the engine's clock) by which the turn's store calls give up retrying. Default: `deadline` + 5 s. */
  writeDeadline?: number;
  /** Instead of suspending, wait in the turn for a timer due within this many ms (and before `deadline`). Default 0. */
  maxWaitMs?: number;
}

/**
 * What a turn did.
 *
 * @example
 * ```ts
 * const turn: TurnResult = await engine.resume("order-o-1");
 * if (turn.status === "suspended") console.log("wakes at", turn.wakeAt);
 * ```
 */
export interface TurnResult {
  executionId: string;
  status: ExecutionStatus;
  /** Version (sequence number of the last event) after the turn. */
  version: number;
  /** Events this turn appended. */
  appended: number;
  /** False when a warm session continued without replaying the history. */
  replayed: boolean;
  wakeAt?: number;
  waitingFor: WaitInfo[];
  /** The workflow's name. */
  workflow: string;
  /** True when the turn stopped at its deadline with work left: the execution is due again at once. */
  outOfTime?: boolean;
  /** Set when another process's turn holds the execution's lease: this turn did nothing; it is free after this time. */
  busyUntil?: number;
  /** The wake-up time the turn found due when it loaded the execution (see TurnReport.dueAt). */
  dueAt?: number;
  /** When the turn loaded the execution; set with `dueAt`. */
  startedAt?: number;
}

/** A busy turn's result: it did nothing; the execution is free after the other owner's lease. */
export function busyResult(record: ExecutionRecord): TurnResult {
  return { ...resultOf(record, 0, false), busyUntil: record.lease!.until };
}

/**
 * The closed record behind a turn's result, for the scheduler's callers of result(): they are told from the record
 * the turn wrote or loaded instead of reading it again. Kept beside the result, never in it (the result is public),
 * under the result's own `waitingFor` array, which the turn's shallow copies of its result (`{ ...result, dueAt }`)
 * share.
 */
const closedRecords = new WeakMap<WaitInfo[], ExecutionRecord>();

/** Takes the closed record a turn's result was made from (once); undefined when the turn left the execution open. */
export function takeClosedRecord(result: TurnResult): ExecutionRecord | undefined {
  const record = closedRecords.get(result.waitingFor);
  if (record !== undefined) closedRecords.delete(result.waitingFor);
  return record;
}

/** A turn's result, from the record it left (a closed one is kept for takeClosedRecord). */
export function resultOf(record: ExecutionRecord, appended: number, replayed: boolean): TurnResult {
  const result: TurnResult = {
    executionId: record.id,
    workflow: record.workflow,
    status: record.status,
    version: record.version,
    appended,
    replayed,
    waitingFor: record.waitingFor.map(({ token: _secret, ...wait }) => wait),
  };
  if (record.wakeAt !== undefined) result.wakeAt = record.wakeAt;
  if (CLOSED_STATUSES.has(record.status)) closedRecords.set(result.waitingFor, record);
  return result;
}

/** True when turns lease the execution: the engine names its turns and the store has `acquireLease`. */
export function leasing(deps: TurnDeps): boolean {
  return deps.leaseOwner !== undefined && deps.store.acquireLease !== undefined;
}
