// A turn's writes, each named for what it does: a checkpoint in the middle of the turn (renews the lease), a
// suspension, the end of the run, the move to a next run (continue-as-new), a stop at the deadline. Each takes the
// events the interpreter buffered and appends them at the version the turn holds. The lease lives here too: taken
// before a step runs, renewed while steps run, released by the turn's last write.
import type { ErrorRecord } from "../core/error-record.js";
import type { Interpreter } from "../core/interpreter.js";
import type { WaitInfo } from "../core/replayer.js";
import { ConcurrencyError } from "../errors.js";
import type { AppendRequest, ExecutionRecord, ExecutionStatus, HistoryStore, RecordUpdate } from "../store/history-store.js";
import { CLOSED_STATUSES, leaseHeldByOther } from "../store/history-store.js";
import type { Clock } from "./clock.js";
import type { Logger } from "./log.js";
import type { Session } from "./session.js";

/** What the writer needs from the engine. */
export interface WriterDeps {
  store: HistoryStore;
  clock: Clock;
  logger: Logger;
  staleTurnMs: number;
  historyWarningThreshold: number;
}

/** Stops a turn that found the execution leased to another owner. */
export class Busy {
  constructor(readonly record: ExecutionRecord) {}
}

/** One write: what the record becomes, besides the events. */
interface Write {
  status: ExecutionStatus;
  waitingFor?: WaitInfo[];
  wakeAt: number | null;
  result?: string;
  error?: ErrorRecord;
  continueAsNew?: AppendRequest["continueAsNew"];
  /** The last write of the turn: it releases the lease. */
  release: boolean;
  /** Closes the run: refused (nothing written, the events kept) if a command arrived since the inbox was read. */
  closing?: boolean;
  /** The clock's time already read for this write (else it is read when the write is made). */
  now?: number;
}

/** Appends a turn's events and holds its lease. */
export class TurnWriter {
  version: number;
  inboxSeen: number;
  appended = 0;
  /** When this turn's lease ends, while it holds one. */
  leaseUntil: number | undefined;
  /** When the turn must stop (epoch ms): passed with each store call, so the store's retries end by then. */
  deadline: number | undefined;

  constructor(
    private readonly deps: WriterDeps,
    /** This engine's name on leases; undefined when the turn does not lease (the store has no leases). */
    private readonly leaseOwner: string | undefined,
    private readonly session: Session,
    public record: ExecutionRecord,
  ) {
    this.version = record.version;
    this.inboxSeen = record.inboxSeq;
    // Only a traced turn needs its start (its span's); an untraced one reads no clock for it.
    this.startedAt = session.trace === undefined ? 0 : deps.clock.now();
  }

  /**
   * When the turn (or its part since it last released the execution) began, on the engine's clock: its span's start.
   * Kept only when the session is traced.
   */
  private startedAt: number;

  private get id(): string {
    return this.session.executionId;
  }

  private get interpreter(): Interpreter {
    return this.session.interpreter;
  }

  /**
   * Writes what is buffered in the middle of the turn, keeping (or taking) the lease. `now`: a time the turn read
   * earlier (when a step settled), no later than the clock's, taken as the write's time instead of reading the clock
   * again (it runs per step). A lease renewal that raced the step's settling may have used a later time, so the
   * record's `updatedAt` can step back by that much. An earlier time only makes the write's lease checks stricter and
   * its lease and wake-up end sooner; `claim` reads the clock itself before any attempt starts.
   */
  checkpoint(now = this.deps.clock.now()): Promise<void> {
    return this.write(this.checkpointAt(now));
  }

  /** A mid-turn write at `now`: still running, due again once the lease would lapse, the lease kept. */
  private checkpointAt(now: number): Write {
    return { status: "running", wakeAt: now + this.deps.staleTurnMs, release: false, now };
  }

  /** The run waits: the record says for what and when it wakes; the lease is released. */
  suspend(waitingFor: WaitInfo[], wakeAt: number | null): Promise<void> {
    return this.write({ status: "suspended", waitingFor, wakeAt, release: true });
  }

  /**
   * The run ended (its end event is buffered).
   * @throws ConcurrencyError, with the events kept in the buffer, when commands arrived since the inbox was read.
   */
  end(status: ExecutionStatus, outcome: { result?: string; error?: ErrorRecord }): Promise<void> {
    return this.write({ status, wakeAt: null, ...outcome, release: true, closing: true });
  }

  /** True when the last write found inbox items this turn has not read (another process sent a command). */
  get inboxBehind(): boolean {
    return this.record.inboxSeq > this.inboxSeen;
  }

  /** The run ended by continue-as-new: its last events and the next run's first go in one write. */
  nextRun(next: NonNullable<AppendRequest["continueAsNew"]>): Promise<void> {
    const started = next.events[0];
    // The next run stays in the trace the execution joined.
    if (this.session.traceparent !== undefined && started?.type === "ExecutionStarted") started.traceparent = this.session.traceparent;
    return this.write({ status: "running", wakeAt: this.deps.clock.now(), continueAsNew: next, release: true });
  }

  /** The turn ran out of time: what is recorded is written and the execution is left due at once. */
  stopAtDeadline(): Promise<void> {
    return this.write({ status: "running", wakeAt: this.deps.clock.now(), release: true });
  }

  /**
   * Makes sure this turn holds the lease before a step runs, so no other process runs the same step meanwhile. Events
   * waiting to be appended take it with them (one write); otherwise the lease is taken alone. Returns undefined when
   * the lease is held and nothing needs writing (so the caller's step does not wait a tick for nothing).
   * @throws Busy when another owner holds a live lease.
   */
  claim(): Promise<void> | undefined {
    if (this.leaseOwner === undefined) return undefined;
    // A lease taken earlier in the turn may be near its end, or past it (a write that came back late): renewed first,
    // at the version this turn holds, so no effect starts on a lease another process may have taken over.
    if (this.leaseUntil !== undefined && this.deps.clock.now() < this.renewAt!) return undefined; // held: no await
    if (this.interpreter.replayer.hasBuffered) return this.checkpoint();
    return this.renewLease();
  }

  /** When the lease should be renewed, while steps run. */
  get renewAt(): number | undefined {
    return this.leaseUntil === undefined ? undefined : this.leaseUntil - this.deps.staleTurnMs / 2;
  }

  /**
   * Takes or extends the lease, at the version this turn holds.
   * @throws Busy when another owner holds it; ConcurrencyError when the execution moved on (another turn wrote, or
   * ended it): this turn's history is stale and it must not run steps.
   */
  async renewLease(): Promise<void> {
    const owner = this.leaseOwner!;
    const now = this.deps.clock.now();
    const outcome = await this.deps.store.acquireLease!(this.id, {
      owner,
      until: now + this.deps.staleTurnMs,
      now,
      expect: { runId: this.session.runId, version: this.version },
      ...(this.deadline === undefined ? {} : { deadline: this.wallDeadline() }),
    });
    if (!outcome.acquired) {
      const record = outcome.record;
      if (leaseHeldByOther(record, owner, now)) throw new Busy(record);
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

  /** Moves the view of the record on after a re-read of the inbox. */
  reloaded(record: ExecutionRecord): void {
    this.record = record;
    this.inboxSeen = record.inboxSeq;
  }

  /** The deadline on the wall clock stores use (the engine's clock may be virtual): the time left, from now. */
  private wallDeadline(): number {
    return Date.now() + Math.max(0, this.deadline! - this.deps.clock.now());
  }

  /** An append this turn made without holding the lease failed: another owner's live lease, or a plain race. */
  private async refusedForLease(error: unknown): Promise<never> {
    if (error instanceof ConcurrencyError && this.leaseOwner !== undefined && this.leaseUntil === undefined) {
      const current = await this.deps.store.get(this.id);
      if (current && leaseHeldByOther(current, this.leaseOwner, this.deps.clock.now())) throw new Busy(current);
    }
    throw error;
  }

  /**
   * The per-step checkpoint (`now` as in `checkpoint`) as the store's own call, for the turn to await itself (no
   * async frame of the writer's in between, at each step): its answer goes to `acknowledge`. Undefined when a refusal
   * would need looking into (no lease held yet: another owner's lease may be why): the turn calls `checkpoint`.
   */
  sendCheckpoint(now: number): Promise<ExecutionRecord> | undefined {
    if (this.leaseOwner !== undefined && this.leaseUntil === undefined) return undefined;
    const request = this.request(this.checkpointAt(now));
    this.sent = request;
    return this.deps.store.append(this.id, request);
  }

  /** The store acknowledged the checkpoint `sendCheckpoint` sent. */
  acknowledge(record: ExecutionRecord): void {
    this.written(record, this.sent!, false);
  }

  /** The request of the checkpoint in flight from `sendCheckpoint`. */
  private sent: AppendRequest | undefined;

  private async write(write: Write): Promise<void> {
    const request = this.request(write);
    let record: ExecutionRecord;
    try {
      record = await this.deps.store.append(this.id, request); // no .catch: a promise and a closure less per write
    } catch (error) {
      if (write.closing) this.interpreter.replayer.restoreBuffer({ events: request.events, consumed: request.consumeInbox });
      return await this.refusedForLease(error);
    }
    this.written(record, request, write.release);
  }

  /** The append of a write: the buffered events, the record's new state, the lease, at the version this turn holds. */
  private request(write: Write): AppendRequest {
    const replayer = this.interpreter.replayer;
    const { events, consumed } = replayer.takeBuffer();
    const update: RecordUpdate = {
      status: write.status,
      waitingFor: write.waitingFor ?? [],
      wakeAt: write.wakeAt,
      inboxSeen: this.inboxSeen,
      updatedAt: write.now ?? this.deps.clock.now(),
    };
    if (replayer.customStatus !== undefined) update.customStatus = replayer.customStatus;
    if (write.result !== undefined) update.result = write.result;
    if (write.error !== undefined) update.error = write.error;
    const request: AppendRequest = { runId: this.session.runId, expectedVersion: this.version, events, update, consumeInbox: consumed };
    if (write.continueAsNew) request.continueAsNew = write.continueAsNew;
    const owner = this.leaseOwner;
    if (owner !== undefined) {
      // A lease far from its end is kept as it is (and a checkpoint's wake-up with it): an append that changes nothing
      // in the record but its version can then be one put of its events on stores that write steps that way.
      const keep = !write.release && this.leaseUntil !== undefined && update.updatedAt < this.renewAt!;
      const until = write.release ? null : keep ? this.leaseUntil! : update.updatedAt + this.deps.staleTurnMs;
      if (keep && write.status === "running") update.wakeAt = until;
      request.lease = { owner, until };
    }
    if (write.closing) request.expectInboxSeq = this.inboxSeen;
    if (this.deadline !== undefined) request.deadline = this.wallDeadline();
    return request;
  }

  /** The store acknowledged a write: the turn's view of the record, its lease and its version move on. */
  private written(record: ExecutionRecord, request: AppendRequest, release: boolean): void {
    this.record = record;
    this.leaseUntil = request.lease !== undefined && !release ? request.lease.until! : undefined;
    this.version = record.version;
    const events = request.events;
    this.appended += events.length;
    // Acknowledged: the spans these events end are emitted now, once (never from a replayed history).
    const trace = this.session.trace;
    if (trace !== undefined) {
      const updatedAt = request.update.updatedAt;
      trace.written(events, { startedAt: this.startedAt, release, updatedAt, status: record.status });
      if (release) this.startedAt = updatedAt;
    }
    if (!this.session.warned && this.version >= this.deps.historyWarningThreshold) {
      this.session.warned = true;
      this.deps.logger.warn(
        `Execution '${this.id}' has ${this.version} events in its history. Long histories slow replay; ` +
          `end the run with continueAsNew to start a fresh history.`,
        { executionId: this.id, workflow: this.session.workflow.name, events: this.version },
      );
    }
  }

  /** True when the buffer holds a step's outcome (written before the next attempt runs). */
  get outcomesBuffered(): boolean {
    const buffer = this.interpreter.replayer.buffer;
    for (let i = 0; i < buffer.length; i++) {
      if (buffer[i]!.type === "StepCompleted" || buffer[i]!.type === "StepFailed") return true;
    }
    return false;
  }
}

/** True when the record already says what a suspension would write. */
export function sameWaits(a: readonly WaitInfo[], b: readonly WaitInfo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.opId !== y.opId || x.kind !== y.kind || x.name !== y.name || x.until !== y.until || x.token !== y.token) return false;
  }
  return true;
}
