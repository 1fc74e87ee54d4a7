// The in-process scheduler: one turn at a time per execution (a request during a turn runs one more after it, on its
// entry in active-turns.ts), a bounded number of turns at once, first come first served (slots.ts), wake-up timers
// (wake-timers.ts), polling, retries of background turns that failed (with backoff), the callers of result() waiting
// for an execution to end (watchers.ts; end-poll.ts reads their records for ends other processes write), and onTurn
// reports (built in turn-report.ts). In external mode it still serialises turns and reports them, but never starts
// one by itself.
import { ConcurrencyError, ExecutionNotFoundError } from "../errors.js";
import type { ExecutionRecord } from "../store/history-store.js";
import { CLOSED_STATUSES } from "../store/history-store.js";
import type { TurnReport } from "./api.js";
import type { ActiveTurns } from "./active-turns.js";
import { activeTurns, doneOf } from "./active-turns.js";
import { isPermanent } from "./checks.js";
import type { Clock } from "./clock.js";
import { EndPoll } from "./end-poll.js";
import type { Logger } from "./log.js";
import { TurnSlots } from "./slots.js";
import type { TurnOptions, TurnResult } from "./turn.js";
import { turnReport } from "./turn-report.js";
import { takeClosedRecord } from "./turn-types.js";
import { WakeTimers } from "./wake-timers.js";
import type { Waiting, Watcher } from "./watchers.js";
import { answerAll, EndWatchers, joined, listed } from "./watchers.js";

/** What the scheduler needs from the engine. */
export interface SchedulerHost {
  mode: "in-process" | "external";
  clock: Clock;
  logger: Logger;
  maxConcurrentTurns: number;
  /** Runs one turn. */
  runTurn(id: string, options: TurnOptions): Promise<TurnResult>;
  /** Forgets the execution's warm session (its turn failed). */
  dropWarm(id: string): void;
  /** @throws ExecutionNotFoundError */
  getRecord(id: string): Promise<ExecutionRecord>;
}

/** The options of a kicked turn (one object for all of them). */
const BACKGROUND: TurnOptions = Object.freeze({});

/** Fresh turns tried after a turn lost a race, before the ConcurrencyError reaches the caller. */
const TURN_RETRIES_ON_CONFLICT = 2;
/** Records a poll for waiting result() callers reads at once. */
const POLL_READS_AT_ONCE = 25;

/** Runs an engine's turns and wakes executions up when they are due. */
export class Scheduler {
  private readonly active = new Map<string, ActiveTurns>();
  /** Of `active`, those whose turns run now: a running turn looks itself up at every step, in this small map. */
  private readonly running = new Map<string, ActiveTurns>();
  /** Background work other than turns (polls), awaited by idle(). */
  private readonly background = new Set<Promise<unknown>>();
  /** Of `background`, the engine's own work given to `track` (schedule ticks). */
  private tracked = 0;
  private readonly timers: WakeTimers;
  private readonly watchers = new EndWatchers();
  /** Reads the records of callers waiting in `watchers` now and then: another process may write the end. */
  private readonly endPoll = new EndPoll(() => this.pollEnds());
  private readonly failures = new Map<string, unknown>();
  /** Background turns that failed in a row, per execution (backoff of their retries). */
  private readonly retries = new Map<string, number>();
  private readonly listeners = new Set<(report: TurnReport) => void>();
  private readonly slots: TurnSlots<ActiveTurns>;
  /** Step attempts with a timeout running now; turns count them (see TurnDeps.timedSteps). */
  readonly timedSteps = { running: 0 };
  private closed = false;
  private stopPolling: (() => void) | undefined;

  constructor(private readonly host: SchedulerHost) {
    this.slots = new TurnSlots(host.maxConcurrentTurns, (active) => void this.run(active));
    this.timers = new WakeTimers(host.clock, (id) => this.kick(id));
  }

  /** Turns running in this process, and how many of them are inside a step attempt that has a timeout. */
  get activity(): { turns: number; timedSteps: number } {
    // A schedule tick under way counts as a turn: it is about to start some.
    return { turns: this.active.size + this.tracked, timedSteps: this.timedSteps.running };
  }

  /** The error of the execution's last turn in this process, when that turn failed for good. */
  turnFailure(id: string): unknown {
    return this.failures.get(id);
  }

  /** Runs turns one at a time per execution; a request during a turn runs one more turn after it. */
  turns(id: string, options: TurnOptions = {}): Promise<TurnResult> {
    return doneOf(this.request(id, options));
  }

  /** In-process mode: run turns for this execution in the background. */
  kick(id: string): void {
    if (this.host.mode !== "in-process" || this.closed) return;
    this.request(id, BACKGROUND).background = true;
  }

  /** Asks for one more turn of the execution: after the running one, or as soon as a slot is free (first come, first served). */
  private request(id: string, options: TurnOptions): ActiveTurns {
    const running = this.active.get(id);
    if (running) {
      running.again = true;
      return running;
    }
    const active = activeTurns(id, options);
    this.active.set(id, active);
    this.slots.enter(active);
    return active;
  }

  /** Runs the execution's turns while more are asked for, holding a slot; then settles who waits for them. */
  private async run(active: ActiveTurns): Promise<void> {
    // A turn never runs inside the call that asked for it (a start, a kick from another turn's store callback).
    await undefined;
    this.running.set(active.id, active);
    let last: TurnResult | undefined;
    let failure: { error: unknown } | undefined;
    try {
      while (active.again) {
        active.again = false;
        last = await this.turnOnce(active.id, active.options);
      }
    } catch (error) {
      failure = { error };
    } finally {
      this.active.delete(active.id);
      this.running.delete(active.id);
      this.slots.release();
    }
    // Callers of result() are told here, after the execution's turns are over: from the closed record the last turn
    // wrote or loaded when it has one (no read), else from a read. Those that came while the turns were queued or
    // running did not read the record: without a closed record they join the others and it is read for them now,
    // whatever the turns found (another process may have ended the execution).
    const closed = last === undefined ? undefined : takeClosedRecord(last);
    const waiting = active.waiting;
    if (failure && isPermanent(failure.error)) this.rejectWatchers(active.id, failure.error, waiting);
    else if (closed !== undefined) this.settled(closed, waiting);
    else {
      for (const watcher of listed(waiting)) this.watchers.add(active.id, watcher);
      if (last !== undefined && CLOSED_STATUSES.has(last.status)) this.settledById(active.id, "reject");
      else if (waiting !== undefined) this.settledById(active.id, "wait");
    }
    if (failure) {
      active.done?.reject(failure.error);
      if (active.background) this.backgroundFailure(active.id, failure.error);
    } else active.done?.resolve(last!);
  }

  /** New inbox items for an execution: signal its running turn and run one (in-process mode). */
  inboxChanged(id: string): void {
    const active = this.active.get(id);
    if (active) {
      active.inboxChanged = true;
      active.notify?.();
    }
    this.kick(id);
  }

  /** True (once) when inbox items arrived for this execution while its turn ran. */
  takeInboxSignal(id: string): boolean {
    const active = this.running.get(id);
    if (!active?.inboxChanged) return false;
    active.inboxChanged = false;
    return true;
  }

  /** Calls `callback` when inbox items arrive while the execution's turn waits for steps; returns an unsubscribe. */
  onInboxSignal(id: string, callback: () => void): () => void {
    const active = this.running.get(id);
    if (!active) return () => {};
    active.notify = callback;
    return () => {
      if (active.notify === callback) active.notify = undefined;
    };
  }

  /** Adds an onTurn listener; returns an unsubscribe. */
  onTurn(listener: (report: TurnReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** In-process mode: calls `resumeDue` every `intervalMs` until close, reporting the turns it could not run. */
  poll(intervalMs: number, resumeDue: () => Promise<{ failed: { id: string; error: unknown }[] }>): void {
    const tick = () => {
      if (this.closed) return;
      const polled = resumeDue()
        .then((result) => {
          for (const { id, error } of result.failed) this.backgroundFailure(id, error);
        })
        .catch((error: unknown) => this.host.logger.error(`resumeDue failed: ${(error as Error)?.message ?? error}`))
        .finally(() => {
          this.background.delete(polled);
          if (!this.closed) this.stopPolling = this.host.clock.setTimer(this.host.clock.now() + intervalMs, tick);
        });
      this.background.add(polled);
    };
    this.stopPolling = this.host.clock.setTimer(this.host.clock.now() + intervalMs, tick);
  }

  /**
   * Resolves with `outcome` of the execution's record once it has ended (rejects with what `outcome` throws). When a
   * turn of it is queued or running here, the caller waits on those turns and is told once they are over (run()), not
   * now; otherwise the record is read once, after registering.
   */
  waitForEnd<T>(id: string, outcome: (record: ExecutionRecord) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const watcher: Watcher = { outcome, resolve: resolve as (value: unknown) => void, reject };
      const active = this.active.get(id);
      if (active) {
        active.waiting = joined(active.waiting, watcher);
        return;
      }
      this.watchers.add(id, watcher);
      // It may have closed before registering: this read sees it (a turn closing it later finds the watcher). Its
      // last turn here may have failed for good (a NonDeterminismError): the caller gets that error, as the callers
      // waiting when it failed did, rather than waiting for a turn that waits for a fix.
      this.host.getRecord(id).then(
        (fresh) => {
          if (CLOSED_STATUSES.has(fresh.status)) this.settled(fresh);
          else if (this.failures.has(id) && !this.active.has(id)) this.rejectWatchers(id, this.failures.get(id));
          else if (this.watchers.has(id)) this.endPoll.wake();
        },
        (error: unknown) => {
          this.watchers.remove(id, watcher);
          reject(error);
        },
      );
    });
  }

  /**
   * The execution ended (its record says so): no more wake-ups, and its waiting callers get the record, those who came
   * before its turns here first (`during`: those who came during turns that are over).
   */
  settled(record: ExecutionRecord, during?: Waiting): void {
    if (!CLOSED_STATUSES.has(record.status)) return;
    this.timers.cancel(record.id);
    this.answerWatchers(record.id, during, record);
  }

  /** Resolves when no turn (and no poll) is running in this process. */
  async idle(): Promise<void> {
    while (this.active.size > 0 || this.background.size > 0) {
      await Promise.allSettled([...[...this.active.values()].map(doneOf), ...this.background]);
    }
  }

  /** Background work of the engine's own (a schedule tick) that `idle()` waits for. */
  track(work: Promise<unknown>): void {
    this.tracked++;
    const tracked = work.finally(() => {
      this.tracked--;
      this.background.delete(tracked);
    });
    this.background.add(tracked);
  }

  /** Stops polling and wake-ups, then waits for running turns. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopPolling?.();
    this.endPoll.stop();
    this.timers.cancelAll();
    await this.idle();
  }

  private async turnOnce(id: string, options: TurnOptions, conflicts = 0): Promise<TurnResult> {
    let result: TurnResult;
    const startedAt = performance.now();
    try {
      result = await this.host.runTurn(id, options);
    } catch (error) {
      this.host.dropWarm(id);
      // Another writer moved the execution on under this turn: a fresh turn continues from what is stored (it finds
      // the other turn's lease, or the work done).
      if (error instanceof ConcurrencyError && conflicts < TURN_RETRIES_ON_CONFLICT) return this.turnOnce(id, options, conflicts + 1);
      this.report(id, startedAt, undefined, error);
      // Retrying cannot help: the execution waits for a fix (a deploy, a terminate); run() tells its waiting callers.
      if (isPermanent(error)) this.failures.set(id, error);
      throw error;
    }
    this.report(id, startedAt, result);
    if (result.busyUntil !== undefined) {
      // Another process runs it now; look again when its lease runs out, in case that process dies.
      this.scheduleWake(id, result.busyUntil);
      return result;
    }
    this.failures.delete(id);
    this.retries.delete(id);
    if (CLOSED_STATUSES.has(result.status)) {
      this.timers.cancel(id); // its waiting callers are told once its turns are over (run())
    } else if (result.status === "running") {
      this.kick(id); // more to do now (a continueAsNew started the next run)
    } else if (result.wakeAt !== undefined) {
      this.scheduleWake(id, result.wakeAt);
    } else {
      this.timers.cancel(id);
    }
    return result;
  }

  private report(id: string, startedAt: number, result: TurnResult | undefined, error?: unknown): void {
    if (this.listeners.size === 0) return;
    const report = turnReport(id, startedAt, result, error);
    for (const listener of this.listeners) {
      try {
        listener(report);
      } catch (failure) {
        this.host.logger.error(`An onTurn listener threw: ${(failure as Error)?.message ?? failure}`, { executionId: id });
      }
    }
  }

  private backgroundFailure(id: string, error: unknown): void {
    if (error instanceof ConcurrencyError) {
      // Another writer (a terminate, another process) moved the execution on: look again from the stored state.
      this.kick(id);
      return;
    }
    const permanent = isPermanent(error);
    this.host.logger.error(`Turn of execution '${id}' failed: ${(error as Error)?.message ?? String(error)}`, {
      executionId: id,
      code: (error as { code?: string })?.code,
      retrying: !permanent,
    });
    if (permanent) return;
    // A store hiccup or an engine bug: try again later, backing off, so the execution is not left behind.
    const attempt = (this.retries.get(id) ?? 0) + 1;
    this.retries.set(id, attempt);
    this.scheduleWake(id, this.host.clock.now() + Math.min(1000 * 2 ** (attempt - 1), 60_000));
  }

  private scheduleWake(id: string, at: number): void {
    if (this.host.mode === "in-process" && !this.closed) this.timers.set(id, at);
  }

  /**
   * Reads the record for the execution's waiting callers and tells them if it has ended. When the read fails they get
   * its error ("reject": the turn saw the end), or go on waiting for the next turn's end ("wait").
   */
  private settledById(id: string, onReadFailure: "reject" | "wait"): void {
    if (!this.watchers.has(id)) return;
    this.host.getRecord(id).then(
      (record) => {
        this.settled(record);
        if (this.watchers.has(id)) this.endPoll.wake();
      },
      (error: unknown) => (onReadFailure === "reject" ? this.rejectWatchers(id, error) : this.endPoll.wake()),
    );
  }

  /**
   * One read of the records of callers still waiting with no turn of theirs here (another process may have ended
   * them); true while some still wait. A record gone (purged) rejects its callers; other read failures wait for the
   * next read.
   */
  private async pollEnds(): Promise<boolean> {
    const ids = this.watchers.ids().filter((id) => !this.active.has(id));
    for (let i = 0; i < ids.length; i += POLL_READS_AT_ONCE) {
      await Promise.all(
        ids.slice(i, i + POLL_READS_AT_ONCE).map((id) =>
          this.host.getRecord(id).then(
            (record) => this.settled(record),
            (error: unknown) => error instanceof ExecutionNotFoundError && this.rejectWatchers(id, error),
          ),
        ),
      );
    }
    return this.watchers.size > 0;
  }

  private rejectWatchers(id: string, error: unknown, during?: Waiting): void {
    this.answerWatchers(id, during, undefined, error);
  }

  /**
   * Answers the execution's waiting callers in the order they came (in the map, on its turns' entry, then `during`):
   * the outcome of the closed `record`, or without one, `error`.
   */
  private answerWatchers(id: string, during: Waiting | undefined, record: ExecutionRecord | undefined, error?: unknown): void {
    const inMap = this.watchers.take(id);
    const active = this.active.get(id);
    const queued = active?.waiting;
    if (active) active.waiting = undefined;
    answerAll(inMap, record, error);
    answerAll(queued, record, error);
    answerAll(during, record, error);
  }
}
