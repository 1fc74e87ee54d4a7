// One turn of one execution: load the record, history and inbox; replay (or continue a warm session); run the
// workflow's fibers, executing what is new, until the body ends or every fiber waits; append the new events at the
// version loaded. Steps run concurrently; each completion is appended as soon as it arrives, completions that arrive
// together in one append. A lost race surfaces as ConcurrencyError and nothing after the last append is recorded.
import { encodeValue } from "../core/codec.js";
import { toErrorRecord } from "../core/error-record.js";
import type { NewEvent } from "../core/history.js";
import { EXECUTION_OP } from "../core/history.js";
import type { Decision, Environment, InboxItem, Position, WaitInfo } from "../core/replayer.js";
import type { ChildCommand, StepCommand } from "../core/yieldable.js";
import {
  CancelledError,
  ConcurrencyError,
  IdempotencyConflictError,
  ValidationError,
  WorkflowNotFoundError,
} from "../errors.js";
import type { AppendRequest, ExecutionRecord, ExecutionStatus, HistoryStore, RecordUpdate } from "../store/history-store.js";
import { CLOSED_STATUSES, leaseHeldByOther, newExecution } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";
import type { StepFunction } from "./attempt.js";
import { AttemptContext, invokeWithTimeout, isThenable } from "./attempt.js";
import type { WarmCache } from "./cache.js";
import type { Clock } from "./clock.js";
import type { Settlement } from "./fibers.js";
import { Fiber, GroupRun } from "./fibers.js";
import type { Logger } from "./log.js";
import type { Session } from "./session.js";
import { loadHistory, notFound, openSession } from "./session.js";

export type { StepFunction } from "./attempt.js";
export type { Session } from "./session.js";
export { loadHistory, notFound } from "./session.js";

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
}

/** What a turn needs from the engine. */
export interface TurnDeps {
  store: HistoryStore;
  clock: Clock;
  env: Environment;
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
   * owner's live lease does nothing (`busyUntil`). Turns of one engine share the name: the engine runs one turn per
   * execution at a time, and a turn that failed leaves its lease to the next.
   */
  leaseOwner?: string;
  historyWarningThreshold: number;
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
  /** Replay checks: stop with ReplayStop at the first new effect or event instead of running it. */
  replayOnly?: boolean;
  /** Calls `callback` when inbox items arrive for the execution while the turn waits for steps; returns an unsubscribe. */
  onInboxSignal?(id: string, callback: () => void): () => void;
  /** Cancels child executions no longer awaited (a dropped branch's, or those left when the run ends). */
  cancelChildren?(childIds: string[], reason: string): Promise<void>;
}

/** Limits on one turn: a Lambda invocation's remaining time. */
export interface TurnOptions {
  /**
   * Epoch ms (the engine's clock) after which the turn starts no new step and stops waiting for running ones: it
   * writes what it has, releases the execution, and ends with `outOfTime`, due again at once.
   */
  deadline?: number;
  /** Instead of suspending, wait in the turn for a timer due within this many ms (and before `deadline`). Default 0. */
  maxWaitMs?: number;
}

/** The turn ran out of its time: stop, write what is recorded, leave the execution due. */
class OutOfTime {}

/** How a replay-only turn stopped: at the first work the history does not hold, or at the end of the body. */
export class ReplayStop {
  constructor(
    readonly outcome:
      | { kind: "frontier"; position?: { opId: string; kind: string; name: string } }
      | { kind: "ended"; event: NewEvent },
  ) {}
}

/** What a turn did. */
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
}

/** Stops a turn that found the execution leased to another owner. */
class Busy {
  constructor(readonly record: ExecutionRecord) {}
}

/**
 * Runs one turn of an execution.
 * @throws ExecutionNotFoundError, HistoryCorruptedError, NonDeterminismError, WorkflowNotFoundError,
 * ConcurrencyError, or a store error. In every case nothing after the last successful append was recorded.
 */
export async function runTurn(deps: TurnDeps, id: string, options: TurnOptions = {}): Promise<TurnResult> {
  const parked = deps.cache.take(id);
  let page = await deps.store.load(id, parked ? { afterSeq: parked.version } : {});
  if (!page) throw notFound(id);
  const record = page.record;
  if (CLOSED_STATUSES.has(record.status)) {
    if (record.parent) await deps.notifyParent(record);
    return resultOf(record, 0, false);
  }
  if (leasing(deps) && leaseHeldByOther(record, deps.leaseOwner!, deps.clock.now())) {
    if (parked) deps.cache.put(id, parked);
    return busyResult(record);
  }
  let session: Session;
  if (parked && parked.runId === record.runId && parked.version === record.version && page.events.length === 0) {
    session = parked;
  } else {
    if (parked) page = (await deps.store.load(id)) ?? page;
    const events = await loadHistory(deps.store, id, page);
    session = openSession({ ...deps, valueLimit: deps.store.limits.maxValueBytes }, page.record, events);
  }
  return new Turn(deps, session, page.record, page.inbox, options).run();
}

/** A step attempt in flight, as its fiber and the turn see it. */
export interface RunningStep {
  fiber: Fiber;
  position: Position;
  attempt: number;
  context: AttemptContext;
  /** Counted among the turn's running steps (false once settled or dropped). */
  active: boolean;
  outcome?: Settlement;
}

class Turn {
  private version: number;
  private inboxSeen: number;
  private appended = 0;
  private record: ExecutionRecord;
  private readonly replayed: boolean;
  private readonly ready: Fiber[] = [];
  /** Steps in flight whose outcome the turn still waits for. */
  private readonly inFlight = new Set<RunningStep>();
  private settledSteps: RunningStep[] = [];
  private wake: (() => void) | undefined;
  private result: TurnResult | undefined;
  private childrenChecked = false;
  /** Children no longer awaited (their branch was dropped): cancelled once the turn has written. */
  private readonly orphans: string[] = [];
  /** Completions recorded but not yet appended: they go with the next effect, suspension or end. */
  private completionsPending = false;
  /** Whether this turn leases the execution before running steps (the store has leases, not a replay check). */
  private readonly leasing: boolean;
  /** When this turn's lease ends, while it holds one. */
  private leaseUntil: number | undefined;

  constructor(
    private readonly deps: TurnDeps,
    private readonly session: Session,
    record: ExecutionRecord,
    inbox: InboxItem[],
    private readonly options: TurnOptions,
  ) {
    this.record = record;
    this.version = record.version;
    this.inboxSeen = record.inboxSeq;
    this.replayed = !session.root.started;
    this.leasing = leasing(deps);
    session.replayer.setInbox(inbox);
  }

  private get id(): string {
    return this.session.executionId;
  }

  async run(): Promise<TurnResult> {
    try {
      if (this.session.root.started) {
        await this.recheckChildren(this.session.waiting.due(this.deps.clock.now()));
        await this.redecideWaiting();
      } else this.ready.push(this.session.root);
      for (;;) {
        await this.drain();
        if (this.result) return this.result;
        if (this.inFlight.size > 0) {
          await this.collectSteps();
          continue;
        }
        if (await this.refresh()) continue;
        const suspended = await this.suspend();
        if (!(await this.waitForTimer())) return suspended;
        this.deps.cache.take(this.id); // the session goes on in this turn
      }
    } catch (error) {
      return await this.stopped(error);
    } finally {
      this.session.replayer.endTurn();
    }
  }

  /** Runs ready fibers until each waits, runs a step, or ends. */
  private async drain(): Promise<void> {
    while (this.ready.length > 0 && !this.result) {
      const fiber = this.ready.shift()!;
      if (!fiber.dead) await this.advance(fiber);
    }
  }

  private async advance(fiber: Fiber): Promise<void> {
    for (;;) {
      const input = fiber.input;
      fiber.input = undefined;
      let next: IteratorResult<unknown, unknown>;
      try {
        if (input === undefined) next = await fiber.generator.next();
        else if (input.type === "resume") next = await fiber.generator.next(input.value);
        else next = await fiber.generator.throw((input as { error: Error }).error);
      } catch (error) {
        fiber.started = true;
        return this.fiberEnded(fiber, { ok: false, error });
      }
      fiber.started = true;
      if (next.done) return this.fiberEnded(fiber, { ok: true, value: next.value });
      if (this.deps.takeInboxSignal(this.id)) {
        await this.wakeFor(await this.reloadInbox());
        // What arrived (a child's end, an event) is recorded now, as a step's completion is, so the store can mark the
        // items read: a parent with thousands of children does not re-read them all on every arrival.
        if (this.session.replayer.hasBuffered) await this.flush("running", [], this.staleAt());
      }
      const { position, decision } = this.session.replayer.next(fiber.scope, next.value as never);
      if (position) fiber.position = position;
      // An immediate answer with no other fiber ready: go on with this fiber (the queue would hand it back next).
      const immediate = decision.type === "resume" || decision.type === "throw";
      if (immediate && this.ready.length === 0 && !(this.deps.replayOnly && this.session.replayer.hasBuffered)) {
        fiber.input = decision;
        continue;
      }
      return this.apply(fiber, decision);
    }
  }

  private async apply(fiber: Fiber, decision: Decision): Promise<void> {
    if (this.deps.replayOnly && (this.session.replayer.hasBuffered || decision.type === "run" || decision.type === "startChild" || decision.type === "continueAsNew")) {
      throw this.frontier(fiber);
    }
    switch (decision.type) {
      case "resume":
      case "throw":
        fiber.input = decision;
        this.ready.push(fiber);
        return;
      case "wait": {
        const wait = decision.wait;
        // A parent re-checks a child it waits for now and then: the child's report may have been lost in a crash.
        if (wait.kind === "child" && wait.until === undefined) wait.until = this.deps.clock.now() + this.deps.staleTurnMs;
        this.session.waiting.add(fiber, wait);
        return;
      }
      case "run":
        return this.startStep(fiber, decision.position, decision.attempt, decision.flushFirst);
      case "group":
        return this.startGroup(
          fiber,
          new GroupRun(decision.position, decision.position.command as never, fiber, decision.settled, this.session.replayer.cancelWasDelivered),
        );
      case "startChild":
        return this.startChild(fiber, decision.position, decision.childId, decision.input);
      case "continueAsNew":
        this.result = await this.continueAsNew(decision.input);
        return;
    }
  }

  // --- steps ------------------------------------------------------------------------------------------------------

  private async startStep(fiber: Fiber, position: Position, attempt: number, flushFirst: boolean): Promise<void> {
    // A step whose start is already recorded (at-most-once, a callback's send) runs even past the deadline: stopping
    // now would leave it recorded as interrupted without ever having run.
    if (!flushFirst && this.pastDeadline()) throw new OutOfTime();
    if (flushFirst || this.completionsPending) await this.flush("running", [], this.staleAt());
    else await this.claim();
    const command = position.command as StepCommand;
    const fn = this.deps.stepOverride?.(command.name) ?? command.run;
    const context = new AttemptContext(attempt, this.id, this.session.runId, position.opId);
    const step: RunningStep = { fiber, position, attempt, context, active: true };
    this.inFlight.add(step);
    fiber.running = step;
    let value: unknown;
    try {
      value =
        command.timeoutMs === undefined
          ? fn(context)
          : invokeWithTimeout(fn, context, command.timeoutMs, this.deps, this.session.replayer);
    } catch (error) {
      return this.settle(step, { ok: false, error });
    }
    if (!isThenable(value)) return this.settle(step, { ok: true, value });
    value.then(
      (result) => this.settle(step, { ok: true, value: result }),
      (error: unknown) => this.settle(step, { ok: false, error }),
    );
  }

  private settle(step: RunningStep, outcome: Settlement): void {
    if (step.fiber.running === step) step.fiber.running = undefined;
    step.outcome = outcome;
    this.settledSteps.push(step);
    this.wake?.();
  }

  /**
   * Records the steps that have settled and appends their completions together. While none has, it also wakes for
   * new inbox items and for the earliest deadline of a waiting fiber, so a timer or an event can win a race against a
   * running step, and a cancellation is not held up by one.
   */
  private async collectSteps(): Promise<void> {
    if (this.settledSteps.length === 0) {
      const until = this.session.waiting.earliest();
      const stops: (() => void)[] = [];
      const renewAt = this.leaseUntil === undefined ? undefined : this.leaseUntil - this.deps.staleTurnMs / 2;
      const deadline = this.options.deadline;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        for (const at of [until, renewAt, deadline]) if (at !== undefined) stops.push(this.deps.clock.setTimer(at, resolve));
        if (this.deps.onInboxSignal) stops.push(this.deps.onInboxSignal(this.id, resolve));
      });
      for (const stop of stops) stop();
      this.wake = undefined;
      if (this.settledSteps.length === 0 && this.pastDeadline()) throw new OutOfTime();
      if (renewAt !== undefined && this.deps.clock.now() >= renewAt) await this.renewLease();
      if (this.settledSteps.length === 0) {
        await this.refresh();
        return;
      }
    }
    const batch = this.settledSteps;
    this.settledSteps = [];
    let completed = false;
    for (const step of batch) {
      if (!this.retire(step)) continue; // a dropped branch's step: its result is not recorded
      let decision = this.recordStep(step);
      if (decision.type === "resume" || decision.type === "throw") completed = true;
      if (step.position !== step.fiber.position) decision = this.session.replayer.redecide(step.fiber.position!);
      await this.apply(step.fiber, decision);
    }
    if (!completed || !this.session.replayer.hasBuffered) return;
    // With other steps still running, completions are appended now. Otherwise only the workflow's own code runs until
    // its next effect, suspension or end, so they go with that write: one write saved per suspension and per run.
    if (this.inFlight.size > 0) await this.flush("running", [], this.staleAt());
    else this.completionsPending = true;
  }

  /** Takes a step off the running count; false when it was already (its branch was dropped). */
  private retire(step: RunningStep): boolean {
    if (!step.active) return false;
    step.active = false;
    this.inFlight.delete(step);
    return true;
  }

  private recordStep(step: RunningStep): Decision {
    const { replayer } = this.session;
    const command = step.position.command as StepCommand;
    const outcome = step.outcome!;
    if (outcome.ok) {
      try {
        let value = outcome.value;
        if (command.schema) {
          const parsed = command.schema.safeParse(value);
          if (!parsed.success) {
            throw new ValidationError(
              `Execution '${this.id}': the result of ${step.position.describe()} does not match the step's schema: ` +
                `${JSON.stringify(parsed.error.issues)}. Fix the step or its schema.`,
              { executionId: this.id, operation: step.position.describe(), issues: parsed.error.issues },
            );
          }
          value = parsed.data;
        }
        return replayer.stepSucceeded(step.position, step.attempt, encodeValue(value, replayer.siteOfResult(step.position)));
      } catch (error) {
        return replayer.stepFailed(step.position, step.attempt, toErrorRecord(error));
      }
    }
    return replayer.stepFailed(step.position, step.attempt, toErrorRecord(outcome.error));
  }

  // --- groups and fibers ------------------------------------------------------------------------------------------

  private startGroup(parent: Fiber, group: GroupRun): void {
    parent.inGroup = group;
    const empty = group.whenEmpty();
    if (empty) {
      group.done = true;
      parent.inGroup = undefined;
      parent.input = empty;
      this.ready.push(parent);
      return;
    }
    this.startChildren(group);
  }

  private startChildren(group: GroupRun): void {
    for (const index of group.startable()) {
      const scope = this.session.replayer.openScope(`${group.position.opId}.${index}`, group.parent.scope, group.afterCancel);
      let generator;
      try {
        generator = group.generatorOf(index);
      } catch (error) {
        generator = failing(error);
      }
      const child = new Fiber(scope, generator, group, index);
      group.children.set(index, child);
      this.ready.push(child);
    }
  }

  private async fiberEnded(fiber: Fiber, outcome: Settlement): Promise<void> {
    if (fiber === this.session.root) {
      this.result = await this.end(outcome);
      return;
    }
    const group = fiber.group!;
    if (group.done || fiber.dead) return;
    this.session.replayer.checkScopeReached(fiber.scope);
    let settled = group.childEnded(fiber.index, outcome);
    if (!outcome.ok && outcome.error instanceof CancelledError) group.cancelled = true;
    if (!settled && group.cancelled) {
      // A cancelled group starts nothing new: the children it never started settle as cancelled.
      const error = outcome.ok ? new CancelledError(`Execution '${this.id}' was cancelled.`) : outcome.error;
      for (const index of group.unstarted()) settled ??= group.childEnded(index, { ok: false, error });
    }
    if (!settled) {
      this.startChildren(group);
      return;
    }
    group.done = true;
    for (const other of group.children.values()) this.drop(other);
    if (settled.early !== undefined) this.session.replayer.groupSettled(group.position, settled.early);
    group.parent.inGroup = undefined;
    group.parent.input = settled.parent;
    this.ready.push(group.parent);
  }

  /** Drops a fiber and everything under it: its waits and timers go, its running steps are not recorded. */
  private drop(fiber: Fiber): void {
    fiber.dead = true;
    if (fiber.wait?.kind === "child") this.orphans.push(fiber.wait.name);
    this.session.waiting.delete(fiber);
    const step = fiber.running;
    if (step && this.retire(step)) {
      step.context.abortIfWatched(new CancelledError(`Execution '${this.id}': the branch running this step was dropped.`));
    }
    fiber.running = undefined;
    // An event this branch took in this turn, unused, goes back to the inbox for the next wait.
    if (fiber.input?.type === "resume" && fiber.position?.command.kind === "waitForEvent") {
      this.session.replayer.giveBack(fiber.position.opId);
    }
    const group = fiber.inGroup;
    if (group && !group.done) {
      group.done = true;
      for (const child of group.children.values()) this.drop(child);
    }
  }

  // --- children and continue-as-new ---------------------------------------------------------------------------------

  private async startChild(fiber: Fiber, position: Position, childId: string, input: string | undefined): Promise<void> {
    const command = position.command as ChildCommand;
    if (this.completionsPending) await this.flush("running", [], this.staleAt());
    try {
      await this.deps.startChild({
        parentId: this.id,
        parentRunId: this.session.runId,
        opId: position.opId,
        workflow: command.name,
        childId,
        wait: command.wait,
        ...(input === undefined ? {} : { input }),
      });
    } catch (error) {
      if (error instanceof ValidationError || error instanceof WorkflowNotFoundError || error instanceof IdempotencyConflictError) {
        fiber.input = { type: "throw", error };
        this.ready.push(fiber);
        return;
      }
      throw error;
    }
    await this.apply(fiber, this.session.replayer.childStarted(position, childId));
  }

  private async continueAsNew(input: string | undefined): Promise<TurnResult> {
    const { replayer, workflow } = this.session;
    const runId = this.deps.newRunId();
    replayer.continuedAsNew(runId, input, workflow.name);
    const next = newExecution({ id: this.id, workflow: workflow.name, runId, at: this.deps.clock.now(), ...(input === undefined ? {} : { input }) });
    await this.flush("running", [], this.deps.clock.now(), {}, { runId, events: next.events, ...(input === undefined ? {} : { input }) });
    this.deps.cache.drop(this.id);
    return resultOf(this.record, this.appended, this.replayed);
  }

  // --- waiting, suspending, ending --------------------------------------------------------------------------------

  /** Decides again for every waiting fiber (a warm session resumed). */
  private async redecideWaiting(): Promise<void> {
    for (const fiber of [...this.session.waiting]) await this.redecide(fiber);
  }

  /** Decides again for the fibers new inbox items may wake. */
  private async wakeFor(items: readonly InboxItem[]): Promise<void> {
    const fibers = new Set<Fiber>();
    for (const item of items) for (const fiber of this.session.waiting.matching(item)) fibers.add(fiber);
    for (const fiber of fibers) await this.redecide(fiber);
  }

  private async redecide(fiber: Fiber): Promise<void> {
    if (fiber.dead || fiber.wait === undefined) return;
    this.session.waiting.delete(fiber);
    fiber.wait = undefined;
    await this.apply(fiber, this.session.replayer.redecide(fiber.position!));
  }

  /** Asks children whose re-check time has come whether they ended unheard; their reports go to the inbox. */
  private async recheckChildren(due: readonly Fiber[]): Promise<void> {
    let asked = false;
    for (const fiber of due) {
      if (fiber.wait?.kind !== "child") continue;
      await this.deps.ensureChildReported(fiber.wait.name);
      asked = true;
    }
    if (asked && this.deps.takeInboxSignal(this.id)) await this.wakeFor(await this.reloadInbox());
  }

  /** Looks for anything that un-blocks a waiting fiber: new inbox items, due times, children that ended unheard. */
  private async refresh(): Promise<boolean> {
    if (this.replayed && !this.childrenChecked) {
      // A cold turn: a child may have ended unheard while no process held this execution.
      this.childrenChecked = true;
      await this.recheckChildren([...this.session.waiting]);
    }
    if (this.deps.takeInboxSignal(this.id)) await this.wakeFor(await this.reloadInbox());
    const due = this.session.waiting.due(this.deps.clock.now());
    await this.recheckChildren(due);
    for (const fiber of due) await this.redecide(fiber);
    // Called only when nothing was ready or running: anything now is what this refresh woke.
    return this.ready.length > 0 || this.inFlight.size > 0 || this.result !== undefined;
  }

  private frontier(fiber: Fiber | undefined): ReplayStop {
    const position = fiber?.position;
    return new ReplayStop({
      kind: "frontier",
      ...(position ? { position: { opId: position.opId, kind: position.command.kind, name: position.command.name } } : {}),
    });
  }

  private async suspend(): Promise<TurnResult> {
    if (this.deps.replayOnly) throw this.frontier([...this.session.waiting][0]);
    const waits: WaitInfo[] = [];
    for (const fiber of this.session.waiting) waits.push(fiber.wait!);
    const wakeAt = this.session.waiting.earliest() ?? null;
    const record = this.record;
    const unchanged =
      !this.session.replayer.hasBuffered &&
      record.status === "suspended" &&
      record.inboxSeen === this.inboxSeen &&
      (record.wakeAt ?? null) === wakeAt &&
      this.leaseUntil === undefined &&
      sameWaits(record.waitingFor, waits);
    if (!unchanged) await this.flush("suspended", waits, wakeAt);
    this.session.version = this.version;
    this.deps.cache.put(this.id, this.session);
    await this.cancelOrphans();
    return resultOf(this.record, this.appended, this.replayed);
  }

  private async end(outcome: Settlement): Promise<TurnResult> {
    const { replayer, workflow } = this.session;
    const tag = { opId: EXECUTION_OP, kind: "execution", name: workflow.name, at: this.deps.clock.now() };
    let event: NewEvent;
    let status: ExecutionStatus;
    let extra: Pick<RecordUpdate, "result" | "error"> = {};
    if (outcome.ok) {
      let result: string | undefined;
      try {
        result = encodeValue(this.checkOutput(outcome.value), {
          executionId: this.id,
          operation: `the result of workflow '${workflow.name}'`,
          limit: this.deps.store.limits.maxValueBytes,
        });
      } catch (error) {
        return this.end({ ok: false, error });
      }
      event = { type: "ExecutionCompleted", ...tag, ...(result === undefined ? {} : { result }) };
      status = "completed";
      if (result !== undefined) extra = { result };
    } else if (outcome.error instanceof CancelledError && replayer.cancelWasDelivered) {
      const reason = outcome.error.reason;
      event = { type: "ExecutionCancelled", ...tag, ...(reason === undefined ? {} : { reason }) };
      status = "cancelled";
    } else {
      const error = toErrorRecord(outcome.error);
      event = { type: "ExecutionFailed", ...tag, error };
      status = "failed";
      extra = { error };
    }
    if (this.deps.replayOnly) {
      replayer.checkScopeReached(replayer.root);
      throw new ReplayStop({ kind: "ended", event });
    }
    replayer.finish(event);
    await this.flush(status, [], null, extra);
    this.deps.cache.drop(this.id);
    if (this.record.parent) await this.deps.notifyParent(this.record);
    this.orphans.push(...replayer.openChildren());
    await this.cancelOrphans();
    return resultOf(this.record, this.appended, this.replayed);
  }

  /** Cancels the children nobody waits for any more, after this turn's writes. */
  private async cancelOrphans(): Promise<void> {
    if (this.orphans.length === 0 || !this.deps.cancelChildren) return;
    const ids = [...new Set(this.orphans.splice(0))];
    await this.deps.cancelChildren(ids, `execution '${this.id}' no longer waits for it`);
  }

  private checkOutput(value: unknown): unknown {
    const schema = this.session.workflow.outputSchema;
    if (!schema) return value;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new ValidationError(
      `Execution '${this.id}': the result of workflow '${this.session.workflow.name}' does not match its output ` +
        `schema: ${JSON.stringify(parsed.error.issues)}. Return a value that matches, or change the schema.`,
      { executionId: this.id, operation: "workflow result", issues: parsed.error.issues },
    );
  }

  /** Re-reads the inbox after the engine signalled new items; returns the unread items. */
  private async reloadInbox(): Promise<InboxItem[]> {
    const page = await this.deps.store.load(this.id, { afterSeq: this.version, limit: 1 });
    if (!page) throw notFound(this.id);
    if (page.record.version !== this.version || page.record.runId !== this.session.runId) {
      throw new ConcurrencyError(
        `Execution '${this.id}' moved on to version ${page.record.version} while this turn was at ${this.version}; ` +
          `this turn stops and a new one continues from the stored history.`,
        { executionId: this.id },
      );
    }
    this.record = page.record;
    this.inboxSeen = page.record.inboxSeq;
    this.session.replayer.setInbox(page.inbox);
    return page.inbox;
  }

  private staleAt(): number {
    return this.deps.clock.now() + this.deps.staleTurnMs;
  }

  /** The turn stopped early: at its deadline, or because another owner holds the execution. Other errors go on. */
  private async stopped(error: unknown): Promise<TurnResult> {
    let reason = error;
    if (reason instanceof OutOfTime) {
      try {
        return await this.stopAtDeadline();
      } catch (failure) {
        reason = failure;
      }
    }
    if (!(reason instanceof Busy)) throw reason;
    this.deps.cache.drop(this.id);
    return busyResult(reason.record);
  }

  // --- the turn's time -------------------------------------------------------------------------------------------

  private pastDeadline(): boolean {
    return this.options.deadline !== undefined && this.deps.clock.now() >= this.options.deadline;
  }

  /**
   * After suspending: when the earliest timer falls due within `maxWaitMs` and before the deadline, wait for it here
   * (an event arriving in this process wakes the wait too) and go on in this turn, skipping a cold resume.
   */
  private async waitForTimer(): Promise<boolean> {
    const maxWait = this.options.maxWaitMs ?? 0;
    const at = this.session.waiting.earliest();
    const now = this.deps.clock.now();
    if (maxWait <= 0 || at === undefined || at - now > maxWait || (this.options.deadline !== undefined && at >= this.options.deadline)) {
      return false;
    }
    const stops: (() => void)[] = [];
    await new Promise<void>((resolve) => {
      stops.push(this.deps.clock.setTimer(at, resolve));
      if (this.deps.onInboxSignal) stops.push(this.deps.onInboxSignal(this.id, resolve));
    });
    for (const stop of stops) stop();
    return true;
  }

  /**
   * The deadline came with work left: outcomes already in hand are recorded, steps still running are abandoned (not
   * recorded; they run again in a later turn, as after a crash), what is recorded is written, and the execution is
   * left due at once.
   */
  private async stopAtDeadline(): Promise<TurnResult> {
    for (const step of this.settledSteps.splice(0)) if (this.retire(step)) this.recordStep(step);
    for (const step of [...this.inFlight]) {
      this.retire(step);
      step.context.abortIfWatched(new CancelledError(`Execution '${this.id}': the turn ran out of time; the step runs again later.`));
    }
    await this.flush("running", [], this.deps.clock.now(), {}, undefined, true);
    this.deps.cache.drop(this.id);
    return { ...resultOf(this.record, this.appended, this.replayed), outOfTime: true };
  }

  // --- leases -----------------------------------------------------------------------------------------------------

  /**
   * Makes sure this turn holds the lease before a step runs, so no other process runs the same step meanwhile. Events
   * waiting to be appended take it with them (one write); otherwise the lease is taken alone.
   * @throws Busy when another owner holds a live lease.
   */
  private async claim(): Promise<void> {
    if (!this.leasing || this.leaseUntil !== undefined) return;
    if (this.session.replayer.hasBuffered) {
      await this.flush("running", [], this.staleAt());
      return;
    }
    await this.renewLease();
  }

  /**
   * Takes or extends the lease, at the version this turn holds.
   * @throws Busy when another owner holds it; ConcurrencyError when the execution moved on (another turn wrote, or
   * ended it): this turn's history is stale and it must not run steps.
   */
  private async renewLease(): Promise<void> {
    const now = this.deps.clock.now();
    const outcome = await this.deps.store.acquireLease!(this.id, {
      owner: this.deps.leaseOwner!,
      until: now + this.deps.staleTurnMs,
      now,
      expect: { runId: this.session.runId, version: this.version },
    });
    if (!outcome.acquired) {
      const record = outcome.record;
      if (leaseHeldByOther(record, this.deps.leaseOwner!, now)) throw new Busy(record);
      const moved = record.version !== this.version || record.runId !== this.session.runId || CLOSED_STATUSES.has(record.status);
      throw new ConcurrencyError(
        moved
          ? `Execution '${this.id}' moved on to ${record.status} at version ${record.version} while this turn was at ` +
              `${this.version}; this turn stops before running a step and a new one continues from the stored history.`
          : `Execution '${this.id}': its record kept changing while this turn asked for its lease; this turn stops ` +
              `before running a step and a new one continues from the stored history.`,
        { executionId: this.id },
      );
    }
    this.leaseUntil = outcome.record.lease!.until;
    this.record = outcome.record;
  }

  /** An append this turn made without holding the lease failed: another owner's live lease, or a plain race. */
  private async refusedForLease(error: unknown): Promise<never> {
    if (error instanceof ConcurrencyError && this.leasing && this.leaseUntil === undefined) {
      const current = await this.deps.store.get(this.id);
      if (current && leaseHeldByOther(current, this.deps.leaseOwner!, this.deps.clock.now())) throw new Busy(current);
    }
    throw error;
  }

  private async flush(
    status: ExecutionStatus,
    waitingFor: WaitInfo[],
    wakeAt: number | null,
    extra: Pick<RecordUpdate, "result" | "error"> = {},
    continueAsNew?: AppendRequest["continueAsNew"],
    release = false,
  ): Promise<void> {
    const { replayer } = this.session;
    this.completionsPending = false;
    const { events, consumed } = replayer.takeBuffer();
    const update: RecordUpdate = { status, waitingFor, wakeAt, inboxSeen: this.inboxSeen, updatedAt: this.deps.clock.now() };
    if (replayer.customStatus !== undefined) update.customStatus = replayer.customStatus;
    if (extra.result !== undefined) update.result = extra.result;
    if (extra.error !== undefined) update.error = extra.error;
    const request: AppendRequest = { runId: this.session.runId, expectedVersion: this.version, events, update, consumeInbox: consumed };
    if (continueAsNew) request.continueAsNew = continueAsNew;
    // A write in the middle of the turn renews the lease; the turn's last write (suspend, end, next run) releases it.
    const holds = status === "running" && !continueAsNew && !release;
    if (this.leasing) request.lease = { owner: this.deps.leaseOwner!, until: holds ? update.updatedAt + this.deps.staleTurnMs : null };
    this.record = await this.deps.store.append(this.id, request).catch((error: unknown) => this.refusedForLease(error));
    this.leaseUntil = this.leasing && holds ? request.lease!.until! : undefined;
    this.version = this.record.version;
    this.appended += events.length;
    if (!this.session.warned && this.version >= this.deps.historyWarningThreshold) {
      this.session.warned = true;
      this.deps.logger.warn(
        `Execution '${this.id}' has ${this.version} events in its history. Long histories slow replay; ` +
          `end the run with continueAsNew to start a fresh history.`,
        { executionId: this.id, workflow: this.session.workflow.name, events: this.version },
      );
    }
  }
}

/** A generator that fails at once (a map function that threw while building its child). */
async function* failing(error: unknown): AsyncGenerator<never, never, unknown> {
  throw error;
}

function sameWaits(a: readonly WaitInfo[], b: readonly WaitInfo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.opId !== y.opId || x.kind !== y.kind || x.name !== y.name || x.until !== y.until) return false;
  }
  return true;
}

function leasing(deps: TurnDeps): boolean {
  return deps.leaseOwner !== undefined && !deps.replayOnly && deps.store.acquireLease !== undefined;
}

function busyResult(record: ExecutionRecord): TurnResult {
  return { ...resultOf(record, 0, false), busyUntil: record.lease!.until };
}

function resultOf(record: ExecutionRecord, appended: number, replayed: boolean): TurnResult {
  const result: TurnResult = {
    executionId: record.id,
    workflow: record.workflow,
    status: record.status,
    version: record.version,
    appended,
    replayed,
    waitingFor: record.waitingFor,
  };
  if (record.wakeAt !== undefined) result.wakeAt = record.wakeAt;
  return result;
}
