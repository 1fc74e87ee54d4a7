// The replay state machine: pure, no I/O, no clock of its own. It indexes a run's history by operation id once
// (O(1) per event), then answers each command the workflow yields: from the history when it is recorded there, or,
// at the frontier, by deciding what new work is due (run a step attempt, fire a timer, deliver an event or a
// cancellation, or wait). New events are buffered with their sequence numbers until the engine flushes them.
import { CancelledError, NonDeterminismError, StepFailedError, TimeoutError, ValidationError } from "../errors.js";
import type { EncodeSite } from "./codec.js";
import { decodeValue, encodeValue } from "./codec.js";
import type { ErrorRecord } from "./error-record.js";
import { reviveError, toErrorRecord } from "./error-record.js";
import type { EventOf, HistoryEvent, NewEvent } from "./history.js";
import { EXECUTION_OP, HISTORY_VERSION } from "./history.js";
import { backoffMs, willRetry } from "./retry.js";
import type {
  Command,
  OperationKind,
  SchemaLike,
  SetStatusCommand,
  SleepCommand,
  StepCommand,
  ValueCommand,
  WaitForEventCommand,
} from "./yieldable.js";

/** An item in an execution's inbox: an event sent to it, or a cancellation request. */
export interface InboxItem {
  /** Unique id, sortable by arrival (a ULID). */
  id: string;
  /** Idempotency key; writes with a key already present are duplicates. */
  key: string;
  type: "event" | "cancel";
  /** Event name (`"cancel"` for cancellations). */
  name: string;
  /** JSON text of the event payload, or the cancellation reason. */
  payload?: string;
  /** When it arrived (epoch ms). */
  at: number;
}

/** What a suspended execution waits for. */
export interface WaitInfo {
  kind: "timer" | "event" | "retry";
  opId: string;
  name: string;
  /** When it wakes up by itself (epoch ms), if ever. */
  until?: number;
}

/** What the replayer injects at the frontier: time and randomness come from outside. */
export interface Environment {
  now(): number;
  random(): number;
  uuid(): string;
}

/** The answer to one yielded command. */
export type Decision =
  | { type: "resume"; value: unknown }
  | { type: "throw"; error: Error }
  | { type: "run"; attempt: number; flushFirst: boolean }
  | { type: "wait"; wait: WaitInfo };

interface OpRecord {
  kind: string;
  name: string;
  events: HistoryEvent[];
}

/** The operation the workflow is at: its position in the root scope and its command. */
class Current {
  private id: string | undefined;

  constructor(
    readonly index: number,
    readonly command: Command,
  ) {}

  /** The operation id, built only when an event or a message needs it. */
  get opId(): string {
    return (this.id ??= String(this.index));
  }
}

type Handlers = { [K in OperationKind]: (command: Extract<Command, { kind: K }>, op: OpRecord | undefined) => Decision };

/** Replays one run of an execution. Create one per cold turn; a warm cache keeps it with its generator. */
export class Replayer {
  /** True until the workflow first reaches work the history does not hold; logs are silent meanwhile. */
  replaying = true;
  /** The last value set with setStatus, as JSON text. */
  customStatus: string | undefined;

  /** Operations of the root scope by position; ids of other shapes (nested scopes) by id. */
  private readonly rootOps: (OpRecord | undefined)[] = [];
  private readonly otherOps = new Map<string, OpRecord>();
  private opCount = 0;
  private readonly recordedOps: number;
  private counter = 0;
  private lastSeq: number;
  private buffer: HistoryEvent[] = [];
  private consumedNow: string[] = [];
  private readonly consumed = new Set<string>();
  private cancelDelivered = false;
  private inboxByName = new Map<string, InboxItem[]>();
  private cancelItem: InboxItem | undefined;
  private current: Current | undefined;
  private readonly handlers: Handlers;
  /** Where step results are encoded; one object per replayer, its message built only when a value is refused. */
  readonly resultSite: EncodeSite;

  constructor(
    readonly executionId: string,
    history: readonly HistoryEvent[],
    private readonly env: Environment,
    /** Largest value the store accepts, in UTF-8 bytes. */
    private readonly valueLimit: number,
  ) {
    for (const event of history) this.index(event);
    this.recordedOps = this.opCount;
    this.replaying = this.recordedOps > 0;
    this.lastSeq = history.length === 0 ? 0 : history[history.length - 1]!.seq;
    const replayer = this;
    this.resultSite = {
      executionId,
      limit: valueLimit,
      get operation() {
        return `${replayer.describeCurrent()} result`;
      },
    };
    this.handlers = {
      step: (command, op) => this.step(command, op),
      sleep: (command, op) => this.sleep(command, op),
      waitForEvent: (command, op) => this.waitForEvent(command, op),
      now: (command, op) => this.value(command, op),
      random: (command, op) => this.value(command, op),
      uuid: (command, op) => this.value(command, op),
      setStatus: (command, op) => this.setStatus(command, op),
    };
  }

  /** Sequence number of the last event, flushed or not. */
  get seq(): number {
    return this.lastSeq;
  }

  /** The command of the operation the workflow is at, if any. */
  get currentCommand(): Command | undefined {
    return this.current?.command;
  }

  /** True once a cancellation has been delivered to the workflow. */
  get cancelWasDelivered(): boolean {
    return this.cancelDelivered;
  }

  /** The operation the workflow is at, if any. */
  get position(): { opId: string; kind: string; name: string } | undefined {
    const current = this.current;
    return current && { opId: current.opId, kind: current.command.kind, name: current.command.name };
  }

  /** Replaces the view of pending inbox items (arrival order). Items the history consumed are ignored. */
  setInbox(items: readonly InboxItem[]): void {
    this.inboxByName = new Map();
    this.cancelItem = undefined;
    for (const item of items) {
      if (this.consumed.has(item.id)) continue;
      if (item.type === "cancel") {
        this.cancelItem ??= item;
        continue;
      }
      const queue = this.inboxByName.get(item.name);
      if (queue) queue.push(item);
      else this.inboxByName.set(item.name, [item]);
    }
  }

  /** Takes the events and consumed inbox ids recorded since the last call. */
  takeBuffer(): { events: HistoryEvent[]; consumed: string[] } {
    const taken = { events: this.buffer, consumed: this.consumedNow };
    this.buffer = [];
    this.consumedNow = [];
    return taken;
  }

  /** True when events are waiting to be flushed. */
  get hasBuffered(): boolean {
    return this.buffer.length > 0;
  }

  /**
   * Answers the next command the workflow yields.
   * @throws NonDeterminismError when the history holds a different operation at this position.
   */
  next(command: Command): Decision {
    const index = this.counter++;
    const op = this.rootOps[index];
    if (op && (op.kind !== command.kind || op.name !== command.name)) {
      throw this.mismatch(String(index), `${op.kind} '${op.name}'`, `${command.kind} '${command.name}'`);
    }
    this.current = new Current(index, command);
    return this.decide(command, op);
  }

  /** Decides again for the operation the workflow waits at (after new inbox items or time). */
  redecide(): Decision {
    const current = this.current;
    if (!current) throw new Error("Spindle internal error: redecide() with no current operation");
    return this.decide(current.command, this.rootOps[current.index]);
  }

  /** Records a successful step attempt; returns the decoded result for the workflow. */
  stepSucceeded(attempt: number, resultText: string | undefined): Decision {
    const current = this.currentStep();
    // Built directly (no spreads): this is the hottest path of a running workflow.
    const event: EventOf<"StepCompleted"> = {
      v: HISTORY_VERSION,
      seq: ++this.lastSeq,
      type: "StepCompleted",
      opId: current.opId,
      kind: "step",
      name: current.command.name,
      at: this.env.now(),
      attempt,
    };
    if (resultText !== undefined) event.result = resultText;
    this.push(event);
    return { type: "resume", value: decodeValue(resultText) };
  }

  /** Records a failed step attempt; decides on a retry (durable backoff) or the step's final failure. */
  stepFailed(attempt: number, error: ErrorRecord): Decision {
    const current = this.currentStep();
    const command = current.command as StepCommand;
    if (willRetry(command.retry, attempt, error)) {
      const retryAt = this.env.now() + backoffMs(command.retry, attempt);
      this.record({ type: "StepFailed", ...this.tag(current), attempt, error, retryAt });
      return this.nextAttempt(current, command, attempt + 1, retryAt);
    }
    this.record({ type: "StepFailed", ...this.tag(current), attempt, error });
    return { type: "throw", error: this.stepFailure(current.opId, command, attempt, error) };
  }

  /**
   * Checks that the workflow reached every recorded operation before it ended.
   * @throws NonDeterminismError when recorded operations were left unreached.
   */
  checkAllReached(): void {
    if (this.counter >= this.recordedOps) return;
    const op = this.rootOps[this.counter];
    throw this.mismatch(String(this.counter), op ? `${op.kind} '${op.name}'` : "an operation", "the workflow ended");
  }

  /** Records the end of the run. */
  finish(event: NewEvent): void {
    this.checkAllReached();
    this.record(event);
  }

  /** The encode site for a value produced at the current operation. */
  site(what: string): EncodeSite {
    const current = this.current;
    return {
      executionId: this.executionId,
      // Only read when a value is refused: not built on the hot path.
      get operation() {
        return current ? `${current.command.kind} '${current.command.name}' (#${current.opId}) ${what}` : what;
      },
      limit: this.valueLimit,
    };
  }

  /** Human-readable name of the current operation, for errors. */
  describeCurrent(): string {
    const current = this.current;
    return current ? `${current.command.kind} '${current.command.name}' (#${current.opId})` : "the workflow body";
  }

  // --- handlers, one per operation kind -------------------------------------------------------------------------

  private step(command: StepCommand, op: OpRecord | undefined): Decision {
    let started = 0;
    let lastFailed: EventOf<"StepFailed"> | undefined;
    for (const event of op ? op.events : NO_EVENTS) {
      switch (event.type) {
        case "StepCompleted":
          return { type: "resume", value: decodeValue(event.result) };
        case "StepFailed":
          if (event.retryAt === undefined) {
            return { type: "throw", error: this.stepFailure(event.opId, command, event.attempt, event.error) };
          }
          lastFailed = event;
          break;
        case "StepStarted":
          started = event.attempt;
          break;
        case "CancelRequested":
          return { type: "throw", error: this.cancelled(event.reason) };
        default:
          throw this.unexpected(event);
      }
    }
    this.replaying = false;
    const cancel = this.deliverCancel();
    if (cancel) return cancel;
    const current = this.current!;
    const lastAttempt = lastFailed?.attempt ?? 0;
    if (started > lastAttempt) {
      // An at-most-once attempt started and never reported: it may or may not have had its effect, so it is not
      // rerun blindly. It counts as a failed attempt and the retry policy decides.
      const error = toErrorRecord(
        new Error(
          `attempt ${started} of at-most-once step '${command.name}' was interrupted before its outcome was ` +
            `recorded; it was not run again`,
        ),
      );
      error.name = "StepInterruptedError";
      delete error.stack;
      return this.stepFailed(started, error);
    }
    if (lastFailed) return this.nextAttempt(current, command, lastAttempt + 1, lastFailed.retryAt!);
    return this.startAttempt(current, command, 1);
  }

  private sleep(command: SleepCommand, op: OpRecord | undefined): Decision {
    let fireAt: number | undefined;
    for (const event of op ? op.events : NO_EVENTS) {
      switch (event.type) {
        case "TimerScheduled":
          fireAt = event.fireAt;
          break;
        case "TimerFired":
          return { type: "resume", value: undefined };
        case "CancelRequested":
          return { type: "throw", error: this.cancelled(event.reason) };
        default:
          throw this.unexpected(event);
      }
    }
    this.replaying = false;
    const cancel = this.deliverCancel();
    if (cancel) return cancel;
    const current = this.current!;
    if (fireAt === undefined) {
      fireAt = command.until ?? this.env.now() + (command.durationMs ?? 0);
      this.record({ type: "TimerScheduled", ...this.tag(current), fireAt });
    }
    if (this.env.now() >= fireAt) {
      this.record({ type: "TimerFired", ...this.tag(current) });
      return { type: "resume", value: undefined };
    }
    return { type: "wait", wait: { kind: "timer", opId: current.opId, name: command.name, until: fireAt } };
  }

  private waitForEvent(command: WaitForEventCommand, op: OpRecord | undefined): Decision {
    let started = false;
    let deadline: number | undefined;
    for (const event of op ? op.events : NO_EVENTS) {
      switch (event.type) {
        case "EventReceived":
          return this.deliverPayload(command, event.payload);
        case "WaitStarted":
          started = true;
          deadline = event.deadline;
          break;
        case "TimerFired":
          return { type: "throw", error: this.timedOut(command) };
        case "CancelRequested":
          return { type: "throw", error: this.cancelled(event.reason) };
        default:
          throw this.unexpected(event);
      }
    }
    this.replaying = false;
    const cancel = this.deliverCancel();
    if (cancel) return cancel;
    const current = this.current!;
    const item = this.inboxByName.get(command.name)?.shift();
    if (item) {
      this.consume(item);
      this.record({
        type: "EventReceived",
        ...this.tag(current),
        inboxId: item.id,
        ...(item.payload === undefined ? {} : { payload: item.payload }),
      });
      return this.deliverPayload(command, item.payload);
    }
    if (!started) {
      // Recorded even without a timeout, so a later change of the code at this position is caught on replay.
      if (command.timeoutMs !== undefined) deadline = this.env.now() + command.timeoutMs;
      this.record({ type: "WaitStarted", ...this.tag(current), ...(deadline === undefined ? {} : { deadline }) });
    }
    if (deadline !== undefined && this.env.now() >= deadline) {
      this.record({ type: "TimerFired", ...this.tag(current) });
      return { type: "throw", error: this.timedOut(command) };
    }
    const wait: WaitInfo = { kind: "event", opId: current.opId, name: command.name };
    if (deadline !== undefined) wait.until = deadline;
    return { type: "wait", wait };
  }

  private value(command: ValueCommand, op: OpRecord | undefined): Decision {
    const recorded = op?.events[0];
    if (recorded) {
      if (recorded.type !== "ValueRecorded") throw this.unexpected(recorded);
      return { type: "resume", value: decodeValue(recorded.value) };
    }
    this.replaying = false;
    const cancel = this.deliverCancel();
    if (cancel) return cancel;
    const value = command.kind === "now" ? this.env.now() : command.kind === "random" ? this.env.random() : this.env.uuid();
    this.record({ type: "ValueRecorded", ...this.tag(this.current!), value: JSON.stringify(value) });
    return { type: "resume", value };
  }

  private setStatus(command: SetStatusCommand, op: OpRecord | undefined): Decision {
    const recorded = op?.events[0];
    if (recorded) {
      if (recorded.type !== "StatusSet") throw this.unexpected(recorded);
      return { type: "resume", value: undefined };
    }
    this.replaying = false;
    const cancel = this.deliverCancel();
    if (cancel) return cancel;
    let text: string | undefined;
    try {
      text = encodeValue(command.value, this.site("value"));
    } catch (error) {
      return { type: "throw", error: error as Error };
    }
    this.customStatus = text;
    this.record({ type: "StatusSet", ...this.tag(this.current!), ...(text === undefined ? {} : { value: text }) });
    return { type: "resume", value: undefined };
  }

  // --- helpers --------------------------------------------------------------------------------------------------

  private decide(command: Command, op: OpRecord | undefined): Decision {
    return (this.handlers[command.kind] as (command: Command, op: OpRecord | undefined) => Decision)(command, op);
  }

  private startAttempt(current: Current, command: StepCommand, attempt: number): Decision {
    if (command.atMostOnce) {
      this.record({ type: "StepStarted", ...this.tag(current), attempt });
      return { type: "run", attempt, flushFirst: true };
    }
    return { type: "run", attempt, flushFirst: false };
  }

  private nextAttempt(current: Current, command: StepCommand, attempt: number, retryAt: number): Decision {
    if (this.env.now() >= retryAt) return this.startAttempt(current, command, attempt);
    return { type: "wait", wait: { kind: "retry", opId: current.opId, name: command.name, until: retryAt } };
  }

  private deliverPayload(command: WaitForEventCommand, payload: string | undefined): Decision {
    const value = decodeValue(payload);
    if (!command.schema) return { type: "resume", value };
    return this.validated(command.schema, value, `event '${command.name}'`);
  }

  private validated(schema: SchemaLike<unknown>, value: unknown, what: string): Decision {
    const parsed = schema.safeParse(value);
    if (parsed.success) return { type: "resume", value: parsed.data };
    const error = new ValidationError(
      `Execution '${this.executionId}': ${what} at ${this.describeCurrent()} does not match its schema: ` +
        `${JSON.stringify(parsed.error.issues)}. Send a value that matches, or widen the schema.`,
      { executionId: this.executionId, operation: this.describeCurrent(), issues: parsed.error.issues },
    );
    return { type: "throw", error };
  }

  private deliverCancel(): Decision | undefined {
    const item = this.cancelItem;
    if (!item || this.cancelDelivered) return undefined;
    this.cancelItem = undefined;
    this.consume(item);
    this.record({
      type: "CancelRequested",
      ...this.tag(this.current!),
      inboxId: item.id,
      ...(item.payload === undefined ? {} : { reason: item.payload }),
    });
    return { type: "throw", error: this.cancelled(item.payload) };
  }

  private consume(item: InboxItem): void {
    this.consumed.add(item.id);
    this.consumedNow.push(item.id);
  }

  private record(event: NewEvent): void {
    this.push({ v: HISTORY_VERSION, seq: ++this.lastSeq, ...event } as HistoryEvent);
  }

  private push(event: HistoryEvent): void {
    this.buffer.push(event);
    this.index(event);
  }

  private index(event: HistoryEvent): void {
    if (event.type === "EventReceived" || event.type === "CancelRequested") this.consumed.add(event.inboxId);
    if (event.type === "CancelRequested") this.cancelDelivered = true;
    if (event.type === "StatusSet") this.customStatus = event.value;
    if (event.opId === EXECUTION_OP) return;
    const position = rootPosition(event.opId);
    const op = position >= 0 ? this.rootOps[position] : this.otherOps.get(event.opId);
    if (op) {
      op.events.push(event);
      return;
    }
    const created: OpRecord = { kind: event.kind, name: event.name, events: [event] };
    if (position >= 0) this.rootOps[position] = created;
    else this.otherOps.set(event.opId, created);
    this.opCount++;
  }

  private tag(current: Current): { opId: string; kind: string; name: string; at: number } {
    return { opId: current.opId, kind: current.command.kind, name: current.command.name, at: this.env.now() };
  }

  private currentStep(): Current {
    const current = this.current;
    if (current?.command.kind !== "step") throw new Error("Spindle internal error: no step is running");
    return current;
  }

  private stepFailure(opId: string, command: StepCommand, attempts: number, error: ErrorRecord): StepFailedError {
    const operation = `step '${command.name}' (#${opId})`;
    const plural = attempts === 1 ? "attempt" : "attempts";
    return new StepFailedError(
      `Step '${command.name}' (#${opId}) of execution '${this.executionId}' failed after ${attempts} ${plural}: ` +
        `${error.name}: ${error.message.replace(/\.+$/, "")}. Catch StepFailedError in the workflow to handle it, or ` +
        `adjust the step's retry policy.`,
      { executionId: this.executionId, operation, stepName: command.name, attempts, cause: reviveError(error) },
    );
  }

  private timedOut(command: WaitForEventCommand): TimeoutError {
    return new TimeoutError(
      `Execution '${this.executionId}': ${this.describeCurrent()} timed out after ${command.timeoutMs} ms with no ` +
        `event '${command.name}'. Catch TimeoutError to handle it, or raise the timeout.`,
      { executionId: this.executionId, operation: this.describeCurrent() },
    );
  }

  private cancelled(reason: string | undefined): CancelledError {
    const why = reason === undefined ? "" : ` (${reason})`;
    return new CancelledError(
      `Execution '${this.executionId}' was cancelled${why} at ${this.describeCurrent()}. Run compensation steps in ` +
        `catch/finally and rethrow to end as cancelled.`,
      { executionId: this.executionId, operation: this.describeCurrent(), ...(reason === undefined ? {} : { reason }) },
    );
  }

  private mismatch(opId: string, recorded: string, found: string): NonDeterminismError {
    return new NonDeterminismError(
      `Execution '${this.executionId}' is not deterministic at operation #${opId}: the history holds ${recorded} ` +
        `but the code now does ${found}. Nothing new ran. Deploy the code that recorded this history, or guard ` +
        `the change with patched().`,
      { executionId: this.executionId, operation: `#${opId}` },
    );
  }

  private unexpected(event: HistoryEvent): Error {
    return new NonDeterminismError(
      `Execution '${this.executionId}': event #${event.seq} (${event.type}) cannot belong to ${event.kind} ` +
        `'${event.name}' (#${event.opId}). The history was recorded by different code or edited.`,
      { executionId: this.executionId, operation: `#${event.opId}` },
    );
  }
}

const NO_EVENTS: readonly HistoryEvent[] = Object.freeze([]);

/** The position of a root-scope operation id ("0", "17"), or -1 for any other id. */
function rootPosition(opId: string): number {
  const length = opId.length;
  if (length === 0 || length > 15 || (length > 1 && opId.charCodeAt(0) === 48)) return -1;
  let position = 0;
  for (let i = 0; i < length; i++) {
    const digit = opId.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    position = position * 10 + digit;
  }
  return position;
}
