// One turn of one execution: load the record, history and inbox; open the interpreter (or continue a warm one); then
// perform what it asks for — run step attempts, create children — and hand the outcomes back, until the run ends or
// waits. The turn records nothing itself: the interpreter buffers events and the turn's writes (turn-writes.ts) append
// them at the version loaded. A lost race surfaces as ConcurrencyError and nothing after the last append is recorded.
import { continuedAsNew } from "../core/handlers/versioning.js";
import type { Advance, Ending, Interpreter, Settlement, StepRun } from "../core/interpreter.js";
import type { InboxItem } from "../core/replayer.js";
import type { StepCommand } from "../core/yieldable.js";
import { CancelledError, ConcurrencyError } from "../errors.js";
import type { ExecutionRecord } from "../store/history-store.js";
import { CLOSED_STATUSES, leaseHeldByOther, newExecution } from "../store/history-store.js";
import { AttemptContext, invokeWithTimeout, isThenable } from "./attempt.js";
import type { Session } from "./session.js";
import { loadHistory, notFound, openSession } from "./session.js";
import type { TurnDeps, TurnOptions, TurnResult } from "./turn-types.js";
import { busyResult, leasing, resultOf } from "./turn-types.js";
import { turnFailed } from "./turn-failures.js";
import { Busy, sameWaits, TurnWriter } from "./turn-writes.js";
import { startChildren } from "./turn-children.js";
import { waitForNearTimer } from "./turn-timer.js";

export type { ChildStart, TurnDeps, TurnOptions, TurnResult } from "./turn-types.js";
export type { StepFunction } from "./attempt.js";
export { loadHistory, notFound } from "./session.js";

/** The turn ran out of its time: stop, write what is recorded, leave the execution due. */
class OutOfTime {}

/** New attempts in the order they start: first those whose start is recorded (it is written before they run). */
function startOrder(runs: StepRun[]): StepRun[] {
  return runs.length > 1 ? [...runs].sort((a, b) => Number(b.recordedStart) - Number(a.recordedStart)) : runs;
}

/**
 * Runs one turn of an execution.
 * @throws ExecutionNotFoundError, HistoryCorruptedError, NonDeterminismError, WorkflowNotFoundError,
 * ConcurrencyError, or a store error. In every case nothing after the last successful append was recorded.
 */
export async function runTurn(deps: TurnDeps, id: string, options: TurnOptions = {}): Promise<TurnResult> {
  const parked = deps.cache.take(id);
  let page = await deps.store.load(id, parked ? { afterSeq: parked.version } : {}).catch((e: unknown) => turnFailed(deps, id, e));
  if (!page) throw notFound(id);
  const record = page.record;
  if (CLOSED_STATUSES.has(record.status)) {
    if (record.parent) await deps.notifyParent(record);
    return resultOf(record, 0, false);
  }
  if (record.status === "stuck") return resultOf(record, 0, false); // it waits for engine.redrive (turn-failures.ts)
  if (leasing(deps) && leaseHeldByOther(record, deps.leaseOwner!, deps.clock.now())) {
    if (parked) deps.cache.put(id, parked);
    return busyResult(record);
  }
  let session: Session;
  try {
    if (parked && parked.runId === record.runId && parked.version === record.version && page.events.length === 0) {
      session = parked;
    } else {
      if (parked) page = (await deps.store.load(id)) ?? page;
      const events = await loadHistory(deps.store, id, page);
      session = openSession({ ...deps, valueLimit: deps.store.limits.maxValueBytes }, page.record, events);
    }
    const [startedAt, result] = [deps.clock.now(), await new Turn(deps, session, page.record, page.inbox, options).run()];
    return record.wakeAt !== undefined && record.wakeAt <= startedAt ? { ...result, dueAt: record.wakeAt, startedAt } : result;
  } catch (error) {
    return turnFailed(deps, id, error, record);
  }
}

class Turn {
  private readonly replayed: boolean;
  private readonly writer: TurnWriter;
  private readonly interpreter: Interpreter;
  /** Wakes the turn while it waits for running steps. */
  private wake: (() => void) | undefined;
  /** When a step last settled, on the clock, until the next advance takes it as its time (one read less per step). */
  private settledAt: number | undefined;
  /** Children no longer awaited (their branch was dropped, or the run ended): cancelled once the turn has written. */
  private readonly orphans: string[] = [];

  constructor(
    private readonly deps: TurnDeps,
    private readonly session: Session,
    record: ExecutionRecord,
    inbox: InboxItem[],
    private readonly options: TurnOptions,
  ) {
    this.interpreter = session.interpreter;
    this.replayed = !this.interpreter.started;
    this.writer = new TurnWriter(deps, leasing(deps) ? deps.leaseOwner : undefined, session, record);
    this.writer.deadline = options.writeDeadline; // the store stops retrying its calls by then
    this.interpreter.setInbox(inbox);
  }

  private get id(): string {
    return this.session.executionId;
  }

  async run(): Promise<TurnResult> {
    try {
      for (;;) {
        // New inbox items: signalled in this process, or found by the last write (another process sent them).
        if (this.deps.takeInboxSignal(this.id) || this.writer.inboxBehind) await this.reloadInbox();
        const now = this.settledAt ?? this.deps.clock.now(); // a step that just settled read the clock already
        this.settledAt = undefined;
        // Interpreter.advance's loop, inlined: the body's generator is awaited here, the interpreter deciding before
        // and after (no async frame between, at every step). Keep the two in step.
        for (let pending = this.interpreter.begin(now); pending !== undefined; ) {
          let next: IteratorResult<unknown, unknown>;
          try {
            next = await pending;
          } catch (error) {
            pending = this.interpreter.threw(error);
            continue;
          }
          pending = this.interpreter.resumed(next);
        }
        const advance = this.interpreter.takeAdvance();
        if (advance.ending) return await this.finish(advance.ending, advance);
        this.letGo(advance); // each await below costs a tick even with nothing to do: skipped when there is nothing
        // New attempts run here, not in a nested async call (a promise and a tick per step). True when some were taken
        // back to be decided again (a command arrived as the turn wrote).
        let recalled = false;
        let reloaded = false;
        // Recorded outcomes are written before the next attempt runs (one write per step); other events ride along.
        let outcomes = advance.steps.length > 0 && this.writer.outcomesBuffered;
        const runs = startOrder(advance.steps); // indexed: an iterator held across the awaits below is an object more
        for (let i = 0; i < runs.length; i++) {
          const run = runs[i]!;
          // A step whose start is already recorded runs even past the deadline: stopping now would leave it recorded
          // as interrupted without ever having run.
          if (!run.recordedStart && this.pastDeadline()) throw new OutOfTime();
          // The outcomes' write takes this advance's time (when the last step settled; see TurnWriter.checkpoint) as
          // its own: one clock read less per step. It is the store's call, awaited here (an async frame less per step).
          if ((run.recordedStart || outcomes) && this.interpreter.replayer.hasBuffered) {
            const sent = outcomes ? this.writer.sendCheckpoint(now) : undefined;
            if (sent) this.writer.acknowledge(await sent);
            else await this.writer.checkpoint(outcomes ? now : undefined);
          }
          const claimed = this.writer.claim(); // the lease is renewed if it is near its end, however long the write took
          if (claimed) await claimed;
          outcomes = false;
          // A command another process sent (a cancel) is read before any attempt it should stop starts.
          if (this.writer.inboxBehind) {
            await this.reloadInbox();
            reloaded = true;
          }
          if (reloaded && this.interpreter.recall(run)) recalled = true;
          else if (run.active) this.runStep(run);
        }
        if ((advance.children.length > 0 && (await startChildren(this.deps, this.session, this.writer, advance.children))) || recalled) {
          continue;
        }
        if (!this.interpreter.waiting.forChildren) this.session.childCheckAt = undefined;
        else if (await this.checkChildren()) continue;
        if (this.interpreter.runningSteps > 0) {
          // Completions are written while other steps still run, so they are durable whatever those steps do.
          if (this.interpreter.replayer.hasBuffered && advance.steps.length === 0) await this.writer.checkpoint();
          if (!this.interpreter.hasSettled) await this.waitForSteps(); // a step settled already: no tick spent
          continue;
        }
        // A wake-up that has come while the turn ran (a short timer, a retry's backoff) goes on in this turn.
        const wake = this.interpreter.earliestWake();
        if (wake !== undefined && wake <= this.deps.clock.now()) continue;
        const suspended = await this.suspend();
        if (this.writer.inboxBehind) {
          this.deps.cache.take(this.id); // a command arrived from another process while the turn wrote: go on with it
          continue;
        }
        if (!(await waitForNearTimer(this.deps, this.options, this.interpreter.earliestWake(), this.id))) return suspended;
        this.deps.cache.take(this.id); // the session goes on in this turn
      }
    } catch (error) {
      return await this.stopped(error);
    } finally {
      this.interpreter.endTurn();
    }
  }

  // --- effects ----------------------------------------------------------------------------------------------------

  private runStep(run: StepRun): void {
    const command = run.position.command as StepCommand;
    const given = this.deps.stepOverride?.(command.name) ?? command.run;
    const context = new AttemptContext(run.attempt, this.id, this.session.runId, run.position.opId);
    run.handle = context;
    // Traced: the attempt's start is noted, and its function runs inside the attempt's span context.
    const fn = this.session.trace?.attemptStarted(run.position.opId, run.attempt, this.deps.clock.now(), given) ?? given;
    let value: unknown;
    try {
      value =
        command.timeoutMs === undefined
          ? fn(context)
          : invokeWithTimeout(fn, context, command.timeoutMs, this.deps, this.id, run.position.describe());
    } catch (error) {
      return this.settle(run, { ok: false, error });
    }
    if (!isThenable(value)) return this.settle(run, { ok: true, value });
    value.then(
      (result) => this.settle(run, { ok: true, value: result }),
      (error: unknown) => this.settle(run, { ok: false, error }),
    );
  }

  private settle(run: StepRun, outcome: Settlement): void {
    const at = this.deps.clock.now();
    this.settledAt = at;
    this.interpreter.stepSettled(run, outcome, at);
    this.wake?.();
  }

  /** Aborts attempts whose branch was dropped and remembers children nobody awaits any more. */
  private letGo(advance: Advance): void {
    for (const run of advance.dropped) {
      (run.handle as AttemptContext | undefined)?.abortIfWatched(
        new CancelledError(`Execution '${this.id}': the branch running this step was dropped.`),
      );
    }
    if (advance.orphans.length > 0) this.orphans.push(...advance.orphans);
  }

  /**
   * Waits until a step settles, a waiting fiber's time comes, inbox items arrive, the lease needs renewing or the
   * deadline passes.
   */
  private async waitForSteps(): Promise<void> {
    if (this.interpreter.hasSettled) return;
    const stops: (() => void)[] = [];
    const renewAt = this.writer.renewAt;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      for (const at of [this.interpreter.earliestWake(), renewAt, this.options.deadline]) {
        if (at !== undefined) stops.push(this.deps.clock.setTimer(at, resolve));
      }
      if (this.deps.onInboxSignal) stops.push(this.deps.onInboxSignal(this.id, resolve));
    });
    for (const stop of stops) stop();
    this.wake = undefined;
    if (!this.interpreter.hasSettled && this.pastDeadline()) throw new OutOfTime();
    if (renewAt !== undefined && this.deps.clock.now() >= renewAt) await this.writer.renewLease();
  }

  // --- children a parent waits for --------------------------------------------------------------------------------

  /**
   * A parent asks the children it waits for (called only then) whether they ended unheard (a report lost in a crash):
   * on a cold turn and whenever the check comes due. True when their reports brought something new.
   */
  private async checkChildren(): Promise<boolean> {
    const session = this.session;
    const now = this.deps.clock.now();
    const due = (this.replayed && session.childCheckAt === undefined) || (session.childCheckAt !== undefined && now >= session.childCheckAt);
    if (!due) return false;
    const waits = this.interpreter.waiting.waits().filter((wait) => wait.kind === "child");
    session.childCheckAt = now + this.deps.staleTurnMs;
    for (const wait of waits) await this.deps.ensureChildReported(wait.name);
    if (!this.deps.takeInboxSignal(this.id)) return false;
    await this.reloadInbox();
    return true;
  }

  /** Re-reads the inbox after the engine signalled new items. */
  private async reloadInbox(): Promise<void> {
    const page = await this.deps.store.load(this.id, { afterSeq: this.writer.version, limit: 1 });
    if (!page) throw notFound(this.id);
    if (page.record.version !== this.writer.version || page.record.runId !== this.session.runId) {
      throw new ConcurrencyError(
        `Execution '${this.id}' moved on to version ${page.record.version} while this turn was at ` +
          `${this.writer.version}; this turn stops and a new one continues from the stored history.`,
        { executionId: this.id },
      );
    }
    this.writer.reloaded(page.record);
    this.interpreter.setInbox(page.inbox);
  }

  // --- suspending and ending --------------------------------------------------------------------------------------

  private async suspend(): Promise<TurnResult> {
    const waits = this.interpreter.waiting.waits();
    let wakeAt = this.interpreter.earliestWake() ?? null;
    const checkAt = this.session.childCheckAt;
    if (checkAt !== undefined && (wakeAt === null || checkAt < wakeAt)) wakeAt = checkAt;
    const record = this.writer.record;
    const unchanged =
      !this.interpreter.replayer.hasBuffered &&
      record.status === "suspended" &&
      record.inboxSeen === this.writer.inboxSeen &&
      (record.wakeAt ?? null) === wakeAt &&
      record.turnFailures === undefined &&
      this.writer.leaseUntil === undefined &&
      sameWaits(record.waitingFor, waits);
    if (!unchanged) await this.writer.suspend(waits, wakeAt);
    this.session.version = this.writer.version;
    this.deps.cache.put(this.id, this.session);
    await this.cancelOrphans();
    return this.result();
  }

  private async finish(ending: Ending, advance: Advance): Promise<TurnResult> {
    this.letGo(advance);
    for (const run of this.interpreter.abandonRunning()) {
      (run.handle as AttemptContext | undefined)?.abortIfWatched(new CancelledError(`Execution '${this.id}' ended.`));
    }
    if (ending.status === "continueAsNew") {
      const { replayer } = this.interpreter;
      const { workflow } = this.session;
      const runId = this.deps.newRunId();
      const input = ending.input;
      continuedAsNew(replayer, runId, input, workflow.name);
      const at = this.deps.clock.now();
      const next = newExecution({ id: this.id, workflow: workflow.name, runId, at, ...(input === undefined ? {} : { input }) });
      await this.writer.nextRun({ runId, events: next.events, ...(input === undefined ? {} : { input }) });
      this.deps.cache.drop(this.id);
      return this.result();
    }
    // A command may arrive from another process until the end is written: the write is refused, the turn reads it,
    // and a cancellation among them ends the run cancelled instead (an acknowledged cancel is never lost).
    for (let current = ending, tries = 0; ; tries++) {
      const { status, ...outcome } = current;
      try {
        await this.writer.end(status, outcome);
        break;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || tries >= 3) throw error;
        await this.reloadInbox();
        current = this.interpreter.reconsiderEnding(current);
      }
    }
    this.deps.cache.drop(this.id);
    if (this.writer.record.parent) await this.deps.notifyParent(this.writer.record);
    await this.cancelOrphans();
    return this.result();
  }

  /** Cancels the children nobody waits for any more, after this turn's writes. */
  private async cancelOrphans(): Promise<void> {
    if (this.orphans.length === 0 || !this.deps.cancelChildren) return;
    const ids = [...new Set(this.orphans.splice(0))];
    await this.deps.cancelChildren(ids, `execution '${this.id}' no longer waits for it`);
  }

  private result(): TurnResult {
    return resultOf(this.writer.record, this.writer.appended, this.replayed);
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
   * The deadline came with work left: outcomes already in hand are recorded, attempts still running are abandoned
   * (not recorded; they run again in a later turn, as after a crash), what is recorded is written, and the execution
   * is left due at once.
   */
  private async stopAtDeadline(): Promise<TurnResult> {
    this.interpreter.recordSettled();
    for (const run of this.interpreter.abandonRunning()) {
      (run.handle as AttemptContext | undefined)?.abortIfWatched(
        new CancelledError(`Execution '${this.id}': the turn ran out of time; the step runs again later.`),
      );
    }
    await this.writer.stopAtDeadline();
    this.deps.cache.drop(this.id);
    return { ...this.result(), outOfTime: true };
  }
}
