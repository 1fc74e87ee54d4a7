// The replay state machine: pure, no I/O, no clock of its own. It indexes a run's history by operation id once
// (O(1) per event), then answers each command a workflow fiber yields, at a position (scope + index): from the
// history when it is recorded there, or, at the frontier, by deciding what new work is due (run a step attempt,
// fire a timer, deliver an event or a cancellation, start a child, or wait). New events are buffered with their
// sequence numbers until the engine flushes them. Fibers are the workflow body and its branches; each branch has
// its own scope, so ids stay deterministic whatever order concurrent work completes in.
import { CancelledError, NonDeterminismError, StepFailedError, TimeoutError, ValidationError } from "../errors.js";
import type { EncodeSite } from "./codec.js";
import { decodeValue, encodeValue } from "./codec.js";
import type { ErrorRecord } from "./error-record.js";
import { reviveError, toErrorRecord } from "./error-record.js";
import type { EventOf, HistoryEvent, NewEvent } from "./history.js";
import { EXECUTION_OP, HISTORY_VERSION } from "./history.js";
import { Position, rootPosition, Scope } from "./position.js";
import { backoffMs, willRetry } from "./retry.js";
import { encodeToken } from "./token.js";
import type {
  CallbackCommand,
  ChildCommand,
  Command,
  ContinueAsNewCommand,
  GroupCommand,
  BranchCommand,
  OperationKind,
  SchemaLike,
  SetStatusCommand,
  SleepCommand,
  StepCommand,
  ValueCommand,
  WaitForEventCommand,
} from "./yieldable.js";

/** An item in an execution's inbox: an event, a cancellation, a callback completion or a child's outcome. */
export interface InboxItem {
  /** Unique id, sortable by arrival (a ULID). */
  id: string;
  /** Idempotency key; writes with a key already present are duplicates. */
  key: string;
  type: "event" | "cancel" | "callback" | "child";
  /** Event name; `callback:<token>` or `child:<childId>` for those; `cancel` for cancellations. */
  name: string;
  /** JSON text: the event payload, the cancellation reason, or the callback's/child's outcome. */
  payload?: string;
  /** When it arrived (epoch ms). */
  at: number;
}

/** What a suspended execution waits for. */
export interface WaitInfo {
  kind: "timer" | "event" | "retry" | "callback" | "child";
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
  /** Run attempt `attempt` of the step at `position` (for a callback, its send step). */
  | { type: "run"; position: Position; attempt: number; flushFirst: boolean }
  | { type: "wait"; wait: WaitInfo }
  /** Run a group: open its children's scopes. `settled` is the child index a recorded early settlement names. */
  | { type: "group"; position: Position; settled?: number }
  /** Create the child execution (idempotently), then call childStarted. */
  | { type: "startChild"; position: Position; childId: string; input?: string }
  /** End the run and start the next with this input. */
  | { type: "continueAsNew"; input?: string };

interface OpRecord {
  kind: string;
  name: string;
  events: HistoryEvent[];
}

type Handler<C extends Command> = (replayer: Replayer, command: C, op: OpRecord | undefined, position: Position) => Decision;
type Handlers = { [K in OperationKind]: Handler<Extract<Command, { kind: K }>> };

const NO_EVENTS: readonly HistoryEvent[] = Object.freeze([]);
/** Shared by replayers whose turn brought no inbox items; never written to. */
const NO_ITEMS: Map<string, InboxItem[]> = new Map();

/** Replays one run of an execution. Create one per cold turn; a warm cache keeps it with its fibers. */
export class Replayer {
  /** True until a fiber first reaches work the history does not hold; logs are silent meanwhile. */
  replaying: boolean;
  /** The last value set with setStatus, as JSON text. */
  customStatus: string | undefined;
  /** The latest recorded time in the history this replayer was opened on: where a cold replay's clock starts. */
  readonly recordedUntil: number;
  /** The workflow body's scope. */
  readonly root = new Scope("", false);
  /** Where step results are encoded (one object, re-aimed per result; its message is built only on refusal). */
  private readonly resultSite: EncodeSite;
  private resultPosition: Position | undefined;

  /** Operations of the root scope by position; other ids (nested scopes) by id. */
  private readonly rootOps: (OpRecord | undefined)[] = [];
  private readonly otherOps = new Map<string, OpRecord>();
  /** Per scope prefix: one past the highest recorded position (the unreached check, and holes below it). */
  private readonly extentPerScope = new Map<string, number>();
  /** The operation being decided sits in a hole: below recorded positions but with nothing recorded itself. */
  private inHole = false;
  /** patched() answers per change id for this run: one id answers the same everywhere in a run. */
  private readonly patches = new Map<string, boolean>();
  private lastSeq: number;
  private buffer: HistoryEvent[] = [];
  private consumedNow: string[] = [];
  private readonly consumed = new Set<string>();
  /** "none": no cancellation yet; "delivering": delivered this turn (to every fiber it reaches); "done". */
  private cancelState: "none" | "delivering" | "done" = "none";
  private cancelReason: string | undefined;
  private cancelInboxId: string | undefined;
  /** Unread items by name; the shared empty map until a turn brings items (most turns bring none). */
  private inboxByName: Map<string, InboxItem[]> = NO_ITEMS;
  private cancelItem: InboxItem | undefined;
  /** One handler per operation kind: the mapped type makes the compiler demand each. Shared by all replayers. */
  private static readonly handlers: Handlers = {
    step: (r, command, op, position) => r.step(command, op, position),
    sleep: (r, command, op, position) => r.sleep(command, op, position),
    waitForEvent: (r, command, op, position) => r.waitForEvent(command, op, position),
    now: (r, command, op, position) => r.value(command, op, position),
    random: (r, command, op, position) => r.value(command, op, position),
    uuid: (r, command, op, position) => r.value(command, op, position),
    setStatus: (r, command, op, position) => r.setStatus(command, op, position),
    all: (r, command, op, position) => r.group(command, op, position),
    race: (r, command, op, position) => r.group(command, op, position),
    allSettled: (r, command, op, position) => r.group(command, op, position),
    map: (r, command, op, position) => r.group(command, op, position),
    branch: (r, command, op, position) => r.group(command, op, position),
    child: (r, command, op, position) => r.child(command, op, position),
    callback: (r, command, op, position) => r.callback(command, op, position),
    continueAsNew: (r, command, op, position) => r.continueAsNew(command, op, position),
    patched: () => {
      throw new Error("Spindle internal error: patched() is answered by next(), not by a handler");
    },
  };
  /** Events taken from the inbox by a wait since the last flush, by operation id: they can still be given back. */
  private takenNow: Map<string, { item: InboxItem; event: HistoryEvent }> | undefined;
  /** Children started (not detached) and not yet reported, by operation id. */
  private waitedChildren: Map<string, string> | undefined;

  constructor(
    readonly executionId: string,
    readonly runId: string,
    history: readonly HistoryEvent[],
    private readonly env: Environment,
    /** Largest value the store accepts, in UTF-8 bytes. */
    private readonly valueLimit: number,
  ) {
    let latest = Number.NEGATIVE_INFINITY;
    for (const event of history) {
      this.index(event, true);
      if (event.at > latest) latest = event.at;
    }
    this.recordedUntil = latest;
    this.replaying = (this.extentPerScope.get("") ?? 0) > 0;
    this.lastSeq = history.length === 0 ? 0 : history[history.length - 1]!.seq;
    const replayer = this;
    this.resultSite = {
      executionId,
      limit: valueLimit,
      get operation() {
        return `${replayer.resultPosition?.describe() ?? "a step"} result`;
      },
    };
  }

  /** True once a cancellation has been delivered to the workflow (this turn or before). */
  get cancelWasDelivered(): boolean {
    return this.cancelState !== "none";
  }

  /**
   * Opens the scope of a group's child. A group started after the cancellation (compensation code) opens scopes that
   * are not cancelled again.
   */
  openScope(prefix: string, parent?: Scope, afterCancel = this.cancelState !== "none"): Scope {
    return new Scope(prefix, afterCancel, parent);
  }

  /** Children this run started and waits for that have not reported (to cancel when they are no longer awaited). */
  openChildren(): string[] {
    return this.waitedChildren ? [...this.waitedChildren.values()] : [];
  }

  /** Replaces the view of pending inbox items (arrival order). Items the history consumed are ignored. */
  setInbox(items: readonly InboxItem[]): void {
    this.inboxByName = items.length === 0 ? NO_ITEMS : new Map();
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

  /** Ends a turn: a cancellation delivered in it reaches no fiber in later turns. */
  endTurn(): void {
    if (this.cancelState === "delivering") this.cancelState = "done";
  }

  /** Takes the events and consumed inbox ids recorded since the last call. */
  takeBuffer(): { events: HistoryEvent[]; consumed: string[] } {
    const taken = { events: this.buffer, consumed: this.consumedNow };
    this.buffer = [];
    this.consumedNow = [];
    this.takenNow = undefined;
    return taken;
  }

  /**
   * Gives back an event a dropped branch took but never used (its race was won by a sibling in the same turn): the
   * unflushed EventReceived is removed and the item goes back to the front of the inbox for the next wait.
   */
  giveBack(opId: string): void {
    const taken = this.takenNow?.get(opId);
    if (!taken) return;
    this.takenNow!.delete(opId);
    const index = this.buffer.indexOf(taken.event);
    if (index < 0) return;
    this.buffer.splice(index, 1);
    for (let i = index; i < this.buffer.length; i++) (this.buffer[i] as { seq: number }).seq -= 1;
    this.lastSeq -= 1;
    const op = this.opAt(opId);
    if (op) op.events = op.events.filter((event) => event !== taken.event);
    this.consumed.delete(taken.item.id);
    this.consumedNow = this.consumedNow.filter((id) => id !== taken.item.id);
    if (this.inboxByName === NO_ITEMS) this.inboxByName = new Map();
    const queue = this.inboxByName.get(taken.item.name);
    if (queue) queue.unshift(taken.item);
    else this.inboxByName.set(taken.item.name, [taken.item]);
  }

  /** True when events are waiting to be flushed. */
  get hasBuffered(): boolean {
    return this.buffer.length > 0;
  }

  /**
   * Answers the next command a fiber yields in `scope`.
   * @throws NonDeterminismError when the history holds a different operation at this position.
   */
  next(scope: Scope, command: Command): { position: Position; decision: Decision } | { position: undefined; decision: Decision } {
    if (typeof (command as { kind?: unknown } | null)?.kind !== "string" || !Object.hasOwn(Replayer.handlers, command.kind)) {
      const error = new ValidationError(
        `Execution '${this.executionId}': the workflow yielded ${describeYielded(command)} at operation ` +
          `#${scope.opId(scope.counter)}, which is not an operation. Yield operations with yield* (yield* step(...)), ` +
          `not yield.`,
        { executionId: this.executionId, operation: `#${scope.opId(scope.counter)}` },
      );
      return { position: undefined, decision: { type: "throw", error } };
    }
    if (command.kind === "patched") return { position: undefined, decision: this.patched(scope, command.name) };
    const index = scope.counter++;
    const op = scope.prefix === "" ? this.rootOps[index] : this.otherOps.get(scope.opId(index));
    if (op && (op.kind !== command.kind || op.name !== command.name)) {
      throw this.mismatch(scope.opId(index), `${op.kind} '${op.name}'`, `${command.kind} '${command.name}'`);
    }
    const position = new Position(scope, index, command);
    // An operation that threw at the frontier without recording anything (a refused value) leaves a hole: replaying
    // over it is still replay, so nothing is delivered there and logging stays quiet.
    this.inHole = !op && index < (this.extentPerScope.get(scope.prefix) ?? 0);
    return { position, decision: this.decide(position, op) };
  }

  /** Decides again for an operation a fiber waits at (after new inbox items, time, or its sub-step finishing). */
  redecide(position: Position): Decision {
    this.inHole = false;
    return this.decide(position, this.opAt(position.opId));
  }

  /** Records a successful step attempt; returns the decoded result. */
  stepSucceeded(position: Position, attempt: number, resultText: string | undefined): Decision {
    // Built directly (no spreads): this is the hottest path of a running workflow.
    const event: EventOf<"StepCompleted"> = {
      v: HISTORY_VERSION,
      seq: ++this.lastSeq,
      type: "StepCompleted",
      opId: position.opId,
      kind: "step",
      name: position.command.name,
      at: this.env.now(),
      attempt,
    };
    if (resultText !== undefined) event.result = resultText;
    this.buffer.push(event);
    // A step completed here is never looked up again in this session, so a fresh root-scope operation is not
    // indexed (an operation with earlier events, or a nested one such as a callback's send, keeps its record).
    if (position.scope.prefix !== "" || this.rootOps[position.index]) this.index(event, false);
    return { type: "resume", value: decodeValue(resultText) };
  }

  /** Records a failed step attempt; decides on a retry (durable backoff) or the step's final failure. */
  stepFailed(position: Position, attempt: number, error: ErrorRecord): Decision {
    const command = position.command as StepCommand;
    if (willRetry(command.retry, attempt, error)) {
      const retryAt = this.env.now() + backoffMs(command.retry, attempt);
      this.record({ type: "StepFailed", ...this.tag(position), attempt, error, retryAt });
      return this.nextAttempt(position, attempt + 1, retryAt);
    }
    this.record({ type: "StepFailed", ...this.tag(position), attempt, error });
    return { type: "throw", error: this.stepFailure(position, attempt, error) };
  }

  /** Records that a child execution exists; a detached child's start returns its id at once. */
  childStarted(position: Position, childId: string): Decision {
    const command = position.command as ChildCommand;
    this.record({ type: "ChildStarted", ...this.tag(position), childId, ...(command.wait ? {} : { detached: true }) });
    return this.redecide(position);
  }

  /**
   * Records that the child could not be created (its input failed its schema, its workflow is unknown, its id is
   * taken): the child operation fails with that error, now and on every replay.
   */
  childRefused(position: Position, error: unknown): Decision {
    const event: NewEvent = { type: "ChildCompleted", ...this.tag(position), inboxId: "", status: "failed", error: toErrorRecord(error) };
    this.record(event);
    return this.childOutcome(position, event as EventOf<"ChildCompleted">);
  }

  /** Records a group's early settlement on child `index` (once). */
  groupSettled(position: Position, index: number): void {
    const recorded = this.opAt(position.opId)?.events.some((event) => event.type === "GroupSettled");
    if (!recorded) this.record({ type: "GroupSettled", ...this.tag(position), index });
  }

  /**
   * Checks that a fiber reached every operation recorded in its scope before it ended.
   * @throws NonDeterminismError when recorded operations were left unreached.
   */
  checkScopeReached(scope: Scope): void {
    const extent = this.extentPerScope.get(scope.prefix) ?? 0;
    if (scope.counter >= extent) return;
    const opId = scope.opId(scope.counter);
    const op = this.opAt(opId);
    throw this.mismatch(opId, op ? `${op.kind} '${op.name}'` : "an operation", "the code ended there");
  }

  /** Records the end of the run, after checking the body reached every recorded operation. */
  finish(event: NewEvent): void {
    this.checkScopeReached(this.root);
    this.record(event);
  }

  /** Records the end of this run by continue-as-new. */
  continuedAsNew(nextRunId: string, input: string | undefined, workflow: string): void {
    this.record({
      type: "ContinuedAsNew",
      opId: EXECUTION_OP,
      kind: "execution",
      name: workflow,
      at: this.env.now(),
      nextRunId,
      ...(input === undefined ? {} : { input }),
    });
  }

  /** The encode site for a step's result at `position`. */
  siteOfResult(position: Position): EncodeSite {
    this.resultPosition = position;
    return this.resultSite;
  }

  /** The encode site for a value produced at an operation. */
  site(position: Position | undefined, what: string): EncodeSite {
    return {
      executionId: this.executionId,
      get operation() {
        return position ? `${position.describe()} ${what}` : what;
      },
      limit: this.valueLimit,
    };
  }

  // --- handlers, one per operation kind -------------------------------------------------------------------------

  private step(command: StepCommand, op: OpRecord | undefined, position: Position): Decision {
    let started = 0;
    let lastFailed: EventOf<"StepFailed"> | undefined;
    for (const event of op ? op.events : NO_EVENTS) {
      switch (event.type) {
        case "StepCompleted":
          return { type: "resume", value: decodeValue(event.result) };
        case "StepFailed":
          if (event.retryAt === undefined) return { type: "throw", error: this.stepFailure(position, event.attempt, event.error) };
          lastFailed = event;
          break;
        case "StepStarted":
          started = event.attempt;
          break;
        case "CancelRequested":
          return { type: "throw", error: this.cancelled(position, event.reason) };
        default:
          throw this.unexpected(event);
      }
    }
    const cancel = this.enterFrontier(position);
    if (cancel) return cancel;
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
      return this.stepFailed(position, started, error);
    }
    if (lastFailed) return this.nextAttempt(position, lastAttempt + 1, lastFailed.retryAt!);
    return this.startAttempt(position, 1);
  }

  private sleep(command: SleepCommand, op: OpRecord | undefined, position: Position): Decision {
    let fireAt: number | undefined;
    for (const event of op ? op.events : NO_EVENTS) {
      switch (event.type) {
        case "TimerScheduled":
          fireAt = event.fireAt;
          break;
        case "TimerFired":
          return { type: "resume", value: undefined };
        case "CancelRequested":
          return { type: "throw", error: this.cancelled(position, event.reason) };
        default:
          throw this.unexpected(event);
      }
    }
    const cancel = this.enterFrontier(position);
    if (cancel) return cancel;
    if (fireAt === undefined) {
      fireAt = command.until ?? this.env.now() + (command.durationMs ?? 0);
      this.record({ type: "TimerScheduled", ...this.tag(position), fireAt });
    }
    if (this.env.now() >= fireAt) {
      this.record({ type: "TimerFired", ...this.tag(position) });
      return { type: "resume", value: undefined };
    }
    return { type: "wait", wait: { kind: "timer", opId: position.opId, name: command.name, until: fireAt } };
  }

  private waitForEvent(command: WaitForEventCommand, op: OpRecord | undefined, position: Position): Decision {
    let started = false;
    let deadline: number | undefined;
    for (const event of op ? op.events : NO_EVENTS) {
      switch (event.type) {
        case "EventReceived":
          return this.delivered(position, command.schema, decodeValue(event.payload), `event '${command.name}'`);
        case "WaitStarted":
          started = true;
          deadline = event.deadline;
          break;
        case "TimerFired":
          return { type: "throw", error: this.timedOut(position, command.timeoutMs) };
        case "CancelRequested":
          return { type: "throw", error: this.cancelled(position, event.reason) };
        default:
          throw this.unexpected(event);
      }
    }
    const cancel = this.enterFrontier(position);
    if (cancel) return cancel;
    const item = this.take(command.name);
    if (item) {
      this.record({
        type: "EventReceived",
        ...this.tag(position),
        inboxId: item.id,
        ...(item.payload === undefined ? {} : { payload: item.payload }),
      });
      (this.takenNow ??= new Map()).set(position.opId, { item, event: this.buffer[this.buffer.length - 1]! });
      return this.delivered(position, command.schema, decodeValue(item.payload), `event '${command.name}'`);
    }
    return this.waitForEventOrDeadline(position, command, started, deadline);
  }

  private value(command: ValueCommand, op: OpRecord | undefined, position: Position): Decision {
    const recorded = op?.events[0];
    if (recorded) {
      if (recorded.type === "CancelRequested") return { type: "throw", error: this.cancelled(position, recorded.reason) };
      if (recorded.type !== "ValueRecorded") throw this.unexpected(recorded);
      return { type: "resume", value: decodeValue(recorded.value) };
    }
    const cancel = this.enterFrontier(position);
    if (cancel) return cancel;
    const value = command.kind === "now" ? this.env.now() : command.kind === "random" ? this.env.random() : this.env.uuid();
    this.record({ type: "ValueRecorded", ...this.tag(position), value: JSON.stringify(value) });
    return { type: "resume", value };
  }

  private setStatus(command: SetStatusCommand, op: OpRecord | undefined, position: Position): Decision {
    const recorded = op?.events[0];
    if (recorded) {
      if (recorded.type === "CancelRequested") return { type: "throw", error: this.cancelled(position, recorded.reason) };
      if (recorded.type !== "StatusSet") throw this.unexpected(recorded);
      return { type: "resume", value: undefined };
    }
    const cancel = this.enterFrontier(position);
    if (cancel) return cancel;
    let text: string;
    try {
      // undefined clears the status (recorded as null).
      text = encodeValue(command.value, this.site(position, "value")) ?? "null";
    } catch (error) {
      return { type: "throw", error: error as Error };
    }
    this.customStatus = text;
    this.record({ type: "StatusSet", ...this.tag(position), value: text });
    return { type: "resume", value: undefined };
  }

  private group(command: GroupCommand | BranchCommand, op: OpRecord | undefined, position: Position): Decision {
    let started = false;
    let settled: number | undefined;
    const size = command.kind === "branch" ? 1 : command.size;
    for (const event of op ? op.events : NO_EVENTS) {
      if (event.type === "GroupStarted") {
        started = true;
        // The group's shape is in the history: branches added or dropped are a change of code, caught before
        // anything new runs, even when the group completed long ago.
        if (event.size !== size) {
          throw this.mismatch(position.opId, `${command.kind} '${command.name}' of ${plural(event.size, "branch")}`,
            `${command.kind} '${command.name}' of ${plural(size, "branch")}`);
        }
      } else if (event.type === "GroupSettled") settled = event.index;
      else throw this.unexpected(event);
    }
    if (!started) {
      this.atFrontier();
      this.record({ type: "GroupStarted", ...this.tag(position), size });
    }
    return settled === undefined ? { type: "group", position } : { type: "group", position, settled };
  }

  private child(command: ChildCommand, op: OpRecord | undefined, position: Position): Decision {
    let childId: string | undefined;
    for (const event of op ? op.events : NO_EVENTS) {
      switch (event.type) {
        case "ChildStarted":
          childId = event.childId;
          if (!command.wait) return { type: "resume", value: { id: childId } };
          break;
        case "ChildCompleted":
          return this.childOutcome(position, event);
        case "CancelRequested":
          return { type: "throw", error: this.cancelled(position, event.reason) };
        default:
          throw this.unexpected(event);
      }
    }
    const cancel = this.enterFrontier(position);
    if (cancel) return cancel;
    if (childId === undefined) {
      let input: string | undefined;
      try {
        input = encodeValue(command.input, this.site(position, "input"));
      } catch (error) {
        return { type: "throw", error: error as Error };
      }
      const id = command.id ?? `${this.executionId}:${this.runId}:${position.opId}`;
      return input === undefined ? { type: "startChild", position, childId: id } : { type: "startChild", position, childId: id, input };
    }
    const item = this.take(`child:${childId}`);
    if (item) {
      const outcome = decodeValue(item.payload) as { status: EventOf<"ChildCompleted">["status"]; result?: string; error?: ErrorRecord };
      const event: NewEvent = {
        type: "ChildCompleted",
        ...this.tag(position),
        inboxId: item.id,
        status: outcome.status,
        ...(outcome.result === undefined ? {} : { result: outcome.result }),
        ...(outcome.error === undefined ? {} : { error: outcome.error }),
      };
      this.record(event);
      return this.childOutcome(position, event as EventOf<"ChildCompleted">);
    }
    return { type: "wait", wait: { kind: "child", opId: position.opId, name: childId } };
  }

  private callback(command: CallbackCommand, op: OpRecord | undefined, position: Position): Decision {
    let token: string | undefined;
    let deadline: number | undefined;
    for (const event of op ? op.events : NO_EVENTS) {
      switch (event.type) {
        case "CallbackCreated":
          token = event.token;
          deadline = event.deadline;
          break;
        case "CallbackCompleted":
          if (event.error) return { type: "throw", error: reviveError(event.error) };
          return this.delivered(position, command.schema, decodeValue(event.value), `callback '${command.name}'`);
        case "TimerFired":
          return { type: "throw", error: this.timedOut(position, command.timeoutMs) };
        case "CancelRequested":
          return { type: "throw", error: this.cancelled(position, event.reason) };
        default:
          throw this.unexpected(event);
      }
    }
    const cancel = this.enterFrontier(position);
    if (cancel) return cancel;
    let created = false;
    if (token === undefined) {
      token = encodeToken(this.executionId, this.runId, position.opId, this.env.uuid());
      if (command.timeoutMs !== undefined) deadline = this.env.now() + command.timeoutMs;
      this.record({ type: "CallbackCreated", ...this.tag(position), token, ...(deadline === undefined ? {} : { deadline }) });
      created = true;
    }
    // The token goes out through a step of its own, operation <id>.0, with the usual retries.
    const sendToken = token;
    const send = new Position(this.openScope(position.opId, position.scope), 0, {
      kind: "step",
      name: `${command.name}:send`,
      run: () => command.send(sendToken),
      retry: command.retry,
      atMostOnce: false,
    });
    const sent = this.step(send.command as StepCommand, this.opAt(send.opId), send);
    // A new token is saved before it goes out: a completion may arrive at once, and a crash must not mint another.
    if (sent.type === "run" && created) return { ...sent, flushFirst: true };
    if (sent.type !== "resume") return sent;
    const item = this.take(`callback:${token}`);
    if (item) {
      const outcome = (decodeValue(item.payload) ?? {}) as { value?: string; error?: ErrorRecord };
      this.record({
        type: "CallbackCompleted",
        ...this.tag(position),
        inboxId: item.id,
        ...(outcome.value === undefined ? {} : { value: outcome.value }),
        ...(outcome.error === undefined ? {} : { error: outcome.error }),
      });
      if (outcome.error) return { type: "throw", error: reviveError(outcome.error) };
      return this.delivered(position, command.schema, decodeValue(outcome.value), `callback '${command.name}'`);
    }
    if (deadline !== undefined && this.env.now() >= deadline) {
      this.record({ type: "TimerFired", ...this.tag(position) });
      return { type: "throw", error: this.timedOut(position, command.timeoutMs) };
    }
    const wait: WaitInfo = { kind: "callback", opId: position.opId, name: command.name };
    if (deadline !== undefined) wait.until = deadline;
    return { type: "wait", wait };
  }

  private continueAsNew(command: ContinueAsNewCommand, _op: OpRecord | undefined, position: Position): Decision {
    this.atFrontier();
    let input: string | undefined;
    try {
      input = encodeValue(command.input, this.site(position, "input"));
    } catch (error) {
      return { type: "throw", error: error as Error };
    }
    return input === undefined ? { type: "continueAsNew" } : { type: "continueAsNew", input };
  }

  /**
   * patched(changeId): true when the history has this change's marker, or when the code is past the recorded
   * history here (new work: the marker is recorded); false while replaying a history recorded before the change.
   * It takes no position, so adding it does not shift the ids of the operations after it.
   */
  private patched(scope: Scope, changeId: string): Decision {
    const known = this.patches.get(changeId);
    if (known !== undefined) return { type: "resume", value: known };
    // Replaying old history here: the run predates the change, and every later call for this id must agree.
    const value = this.opAt(scope.opId(scope.counter)) === undefined;
    this.patches.set(changeId, value);
    if (value) this.record({ type: "PatchMarker", opId: `patch:${changeId}`, kind: "patched", name: changeId, at: this.env.now() });
    return { type: "resume", value };
  }

  // --- helpers --------------------------------------------------------------------------------------------------

  /** A fiber reaches work the history does not hold: logs speak from here, and a pending cancellation lands here. */
  private enterFrontier(position: Position): Decision | undefined {
    this.atFrontier();
    return this.deliverCancel(position);
  }

  /** Past the recorded history: logs speak from here on (holes do not count). */
  private atFrontier(): void {
    if (!this.inHole) this.replaying = false;
  }

  private decide(position: Position, op: OpRecord | undefined): Decision {
    const handler = Replayer.handlers[position.command.kind] as Handler<Command>;
    return handler(this, position.command, op, position);
  }

  private opAt(opId: string): OpRecord | undefined {
    const index = rootPosition(opId);
    return index >= 0 ? this.rootOps[index] : this.otherOps.get(opId);
  }

  /** Takes the first unread item of this name that had arrived by the current recorded time. */
  private take(name: string): InboxItem | undefined {
    const queue = this.inboxByName.get(name);
    const head = queue?.[0];
    if (!head || head.at > this.env.now()) return undefined;
    queue!.shift();
    this.consume(head);
    return head;
  }

  /**
   * When the operation a fiber waits at could next take an inbox item: the arrival time of the first unread item it
   * would take (its event, its callback's completion, its child's outcome) or of a cancellation it would receive.
   * Undefined when nothing in the inbox concerns it.
   */
  arrivalFor(position: Position): number | undefined {
    let at: number | undefined;
    const scope = position.scope;
    const cancel = this.cancelItem;
    if (cancel && this.cancelState === "none" && !scope.cancelled && !scope.afterCancel) at = cancel.at;
    else if (this.cancelState === "delivering" && !scope.cancelled && !scope.afterCancel) at = this.env.now();
    const name = this.inboxNameOf(position);
    const head = name === undefined ? undefined : this.inboxByName.get(name)?.[0];
    if (head && (at === undefined || head.at < at)) at = head.at;
    return at;
  }

  /** The inbox name of the items the operation at `position` takes, if it takes any. */
  private inboxNameOf(position: Position): string | undefined {
    const command = position.command;
    if (command.kind === "waitForEvent") return command.name;
    if (command.kind !== "callback" && command.kind !== "child") return undefined;
    for (const event of this.opAt(position.opId)?.events ?? NO_EVENTS) {
      if (event.type === "CallbackCreated") return `callback:${event.token}`;
      if (event.type === "ChildStarted") return `child:${event.childId}`;
    }
    return undefined;
  }

  private waitForEventOrDeadline(
    position: Position,
    command: WaitForEventCommand,
    started: boolean,
    recordedDeadline: number | undefined,
  ): Decision {
    let deadline = recordedDeadline;
    if (!started) {
      // Recorded even without a timeout, so a later change of the code at this position is caught on replay.
      if (command.timeoutMs !== undefined) deadline = this.env.now() + command.timeoutMs;
      this.record({ type: "WaitStarted", ...this.tag(position), ...(deadline === undefined ? {} : { deadline }) });
    }
    if (deadline !== undefined && this.env.now() >= deadline) {
      this.record({ type: "TimerFired", ...this.tag(position) });
      return { type: "throw", error: this.timedOut(position, command.timeoutMs) };
    }
    const wait: WaitInfo = { kind: "event", opId: position.opId, name: command.name };
    if (deadline !== undefined) wait.until = deadline;
    return { type: "wait", wait };
  }

  private startAttempt(position: Position, attempt: number): Decision {
    if ((position.command as StepCommand).atMostOnce) {
      this.record({ type: "StepStarted", ...this.tag(position), attempt });
      return { type: "run", position, attempt, flushFirst: true };
    }
    return { type: "run", position, attempt, flushFirst: false };
  }

  private nextAttempt(position: Position, attempt: number, retryAt: number): Decision {
    if (this.env.now() >= retryAt) return this.startAttempt(position, attempt);
    return { type: "wait", wait: { kind: "retry", opId: position.opId, name: position.command.name, until: retryAt } };
  }

  private childOutcome(position: Position, event: EventOf<"ChildCompleted">): Decision {
    switch (event.status) {
      case "completed":
        return { type: "resume", value: decodeValue(event.result) };
      case "failed":
        return { type: "throw", error: reviveError(event.error ?? { name: "Error", message: "the child execution failed" }) };
      default:
        return {
          type: "throw",
          error: new CancelledError(
            `Execution '${this.executionId}': child ${position.describe()} was ${event.status}.`,
            { executionId: this.executionId, operation: position.describe() },
          ),
        };
    }
  }

  private delivered(position: Position, schema: SchemaLike<unknown> | undefined, value: unknown, what: string): Decision {
    if (!schema) return { type: "resume", value };
    const parsed = schema.safeParse(value);
    if (parsed.success) return { type: "resume", value: parsed.data };
    const error = new ValidationError(
      `Execution '${this.executionId}': ${what} at ${position.describe()} does not match its schema: ` +
        `${JSON.stringify(parsed.error.issues)}. Send a value that matches, or widen the schema.`,
      { executionId: this.executionId, operation: position.describe(), issues: parsed.error.issues },
    );
    return { type: "throw", error };
  }

  /**
   * Delivers a pending cancellation at this frontier operation: once to every fiber the turn of delivery reaches,
   * never to scopes opened after it (compensation code) nor in later turns.
   */
  private deliverCancel(position: Position): Decision | undefined {
    const scope = position.scope;
    if (this.inHole || scope.cancelled || scope.afterCancel || this.cancelState === "done") return undefined;
    if (this.cancelState === "none") {
      const item = this.cancelItem;
      if (!item || item.at > this.env.now()) return undefined;
      this.cancelItem = undefined;
      this.consume(item);
      this.cancelState = "delivering";
      this.cancelReason = item.payload;
      this.cancelInboxId = item.id;
    }
    // The scope and those above it have now seen the cancellation: code they run next (compensation) is not cancelled.
    for (let at: Scope | undefined = scope; at; at = at.parent) at.cancelled = true;
    const reason = this.cancelReason;
    this.record({
      type: "CancelRequested",
      ...this.tag(position),
      inboxId: this.cancelInboxId!,
      ...(reason === undefined ? {} : { reason }),
    });
    return { type: "throw", error: this.cancelled(position, reason) };
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
    this.index(event, false);
  }

  private index(event: HistoryEvent, loading: boolean): void {
    switch (event.type) {
      case "ChildCompleted":
        this.waitedChildren?.delete(event.opId);
        this.consumed.add(event.inboxId);
        break;
      case "EventReceived":
      case "CallbackCompleted":
        this.consumed.add(event.inboxId);
        break;
      case "CancelRequested":
        this.consumed.add(event.inboxId);
        if (loading) this.cancelState = "done";
        break;
      case "StatusSet":
        this.customStatus = event.value;
        break;
      case "ChildStarted":
        if (!event.detached) (this.waitedChildren ??= new Map()).set(event.opId, event.childId);
        break;
      case "PatchMarker":
        this.patches.set(event.name, true);
        return;
      default:
        break;
    }
    if (event.opId === EXECUTION_OP) return;
    const index = rootPosition(event.opId);
    const op = index >= 0 ? this.rootOps[index] : this.otherOps.get(event.opId);
    if (op) {
      op.events.push(event);
      return;
    }
    const created: OpRecord = { kind: event.kind, name: event.name, events: [event] };
    if (index >= 0) this.rootOps[index] = created;
    else this.otherOps.set(event.opId, created);
    const dot = event.opId.lastIndexOf(".");
    const scope = index >= 0 ? "" : event.opId.slice(0, dot);
    const position = index >= 0 ? index : Number(event.opId.slice(dot + 1));
    if (position + 1 > (this.extentPerScope.get(scope) ?? 0)) this.extentPerScope.set(scope, position + 1);
  }

  private tag(position: Position): { opId: string; kind: string; name: string; at: number } {
    return { opId: position.opId, kind: position.command.kind, name: position.command.name, at: this.env.now() };
  }

  private stepFailure(position: Position, attempts: number, error: ErrorRecord): StepFailedError {
    const name = position.command.name;
    const plural = attempts === 1 ? "attempt" : "attempts";
    return new StepFailedError(
      `Step '${name}' (#${position.opId}) of execution '${this.executionId}' failed after ${attempts} ${plural}: ` +
        `${error.name}: ${error.message.replace(/\.+$/, "")}. Catch StepFailedError in the workflow to handle it, or ` +
        `adjust the step's retry policy.`,
      { executionId: this.executionId, operation: position.describe(), stepName: name, attempts, cause: reviveError(error) },
    );
  }

  private timedOut(position: Position, timeoutMs: number | undefined): TimeoutError {
    return new TimeoutError(
      `Execution '${this.executionId}': ${position.describe()} timed out after ${timeoutMs} ms with nothing ` +
        `received. Catch TimeoutError to handle it, or raise the timeout.`,
      { executionId: this.executionId, operation: position.describe() },
    );
  }

  private cancelled(position: Position, reason: string | undefined): CancelledError {
    const why = reason === undefined ? "" : ` (${reason})`;
    return new CancelledError(
      `Execution '${this.executionId}' was cancelled${why} at ${position.describe()}. Run compensation steps in ` +
        `catch/finally and rethrow to end as cancelled.`,
      { executionId: this.executionId, operation: position.describe(), ...(reason === undefined ? {} : { reason }) },
    );
  }

  private mismatch(opId: string, recorded: string, found: string): NonDeterminismError {
    return new NonDeterminismError(
      `Execution '${this.executionId}' is not deterministic at operation #${opId}: the history holds ${recorded} ` +
        `but the code now does ${found}. Nothing new ran. Deploy the code that recorded this history, or guard ` +
        `the change with patched(). If the code did not change, the body depends on something that is not ` +
        `recorded: Math.random() (use random()), Date.now() or new Date() (use now()), I/O or mutable state read ` +
        `outside a step (move it into step()), or iteration over an unordered source (sort it first).`,
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

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "es"}`;
}

function describeYielded(value: unknown): string {
  if (value === null || typeof value !== "object") return `a ${value === null ? "null" : typeof value}`;
  if (typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function") {
    return "an operation object (a bare yield)";
  }
  return "an object";
}

export { decodeToken, encodeToken } from "./token.js";
export { Position, Scope } from "./position.js";
