// The replay state machine: pure, no I/O, no clock of its own. It reads a run's history by operation id (op-index.ts:
// a cursor over the body's operations, O(1) per event), checks kind and name at every position, and hands each
// command a fiber yields to the handler of its kind (handlers/, one file per kind), which answers from the history or,
// at the frontier, decides what is new at the recorded time the interpreter has reached. New events are buffered with
// their sequence numbers until the engine writes them. Each branch of a group has its own scope, so ids stay
// deterministic whatever order concurrent work completes in.
import { ValidationError } from "../errors.js";
import type { EncodeSite } from "./codec.js";
import type { HistoryEvent, NewEvent } from "./history.js";
import { EXECUTION_OP, HISTORY_VERSION } from "./history-check.js";
import { callback } from "./handlers/callbacks.js";
import { child } from "./handlers/children.js";
import { waitForEvent } from "./handlers/events.js";
import { dag } from "./handlers/dag.js";
import { group } from "./handlers/groups.js";
import type { OpRecord } from "./handlers/prelude.js";
import { cancelled, describeYielded, mismatch, NO_EVENTS, side } from "./handlers/prelude.js";
import { step } from "./handlers/step.js";
import { sleep } from "./handlers/timers.js";
import { setStatus, value } from "./handlers/values.js";
import { continueAsNew, deprecatePatch, patched } from "./handlers/versioning.js";
import type { Decision, Environment, InboxItem } from "./decision.js";
import { NONE, pushed } from "./effects.js";
import { InboxView } from "./inbox-view.js";
import { OpIndex } from "./op-index.js";
import { liveEvents } from "./redrive.js";
import { Position, Scope } from "./position.js";
import type { Command, OperationKind } from "./yieldable.js";

export type { Decision, Environment, InboxItem, WaitInfo } from "./decision.js";

type Handler<C extends Command> = (replayer: Replayer, command: C, op: OpRecord | undefined, position: Position) => Decision;
type Handlers = { [K in OperationKind]: Handler<Extract<Command, { kind: K }>> };

/** One handler per operation kind: the mapped type makes the compiler demand each. */
const handlers: Handlers = {
  step,
  sleep,
  waitForEvent,
  now: value,
  random: value,
  uuid: value,
  setStatus,
  all: group,
  race: group,
  allSettled: group,
  map: group,
  branch: group,
  dag,
  child,
  callback,
  continueAsNew,
  patched: () => {
    throw new Error("Spindle internal error: patched() is answered by next(), not by a handler");
  },
};

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

  /** The recorded operations, and per scope one past the highest recorded position (the unreached check, holes). */
  readonly ops: OpIndex;
  /** The operation being decided sits in a hole: below recorded positions but with nothing recorded itself. */
  private inHole = false;
  /** patched() answers per change id for this run: one id answers the same everywhere in a run. */
  readonly patches = new Map<string, boolean>();
  /** The change ids the code asked patched() about in this run (patches also holds ids known from markers alone). */
  readonly patchesAsked = new Set<string>();
  lastSeq: number;
  buffer: HistoryEvent[] = NONE;
  private consumedNow: string[] = NONE;
  private readonly consumed = new Set<string>();
  /** "none": no cancellation yet; "delivering": delivered this turn (to every fiber it reaches); "done". */
  cancelState: "none" | "delivering" | "done" = "none";
  private cancelReason: string | undefined;
  private cancelInboxId: string | undefined;
  /** The unread inbox. */
  readonly inbox = new InboxView();
  /** A cancellation recorded at the end of the run, when it reached no operation (never lost): its reason. */
  cancelledAtEnd: { reason?: string } | undefined;
  /** Events taken from the inbox by a wait since the last flush, by operation id: they can still be given back. */
  takenNow: Map<string, { item: InboxItem; event: HistoryEvent }> | undefined;
  /** Children started (not detached) and not yet reported, by operation id. */
  private waitedChildren: Map<string, string> | undefined;

  constructor(
    readonly executionId: string,
    readonly runId: string,
    history: readonly HistoryEvent[],
    readonly env: Environment,
    /** Largest value the store accepts, in UTF-8 bytes. */
    readonly valueLimit: number,
  ) {
    // A redriven run is read without what its redrive superseded (redrive.ts); its recorded time is the whole run's.
    let latest = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < history.length; i++) if (history[i]!.at > latest) latest = history[i]!.at;
    this.recordedUntil = latest;
    this.ops = new OpIndex(liveEvents(history), (event) => this.note(event, true)); // the history itself without a redrive
    this.replaying = this.ops.extent("") > 0;
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
    this.inbox.set(items, this.consumed);
  }

  /** Ends a turn: a cancellation delivered in it reaches no fiber in later turns. */
  endTurn(): void {
    if (this.cancelState === "delivering") this.cancelState = "done";
  }

  /** Takes the events and consumed inbox ids recorded since the last call. */
  takeBuffer(): { events: HistoryEvent[]; consumed: string[] } {
    const taken = { events: this.buffer, consumed: this.consumedNow };
    this.buffer = NONE; // no array made until the next event (most writes take one step's event)
    this.consumedNow = NONE;
    this.takenNow = undefined;
    return taken;
  }

  /** An item taken in this turn goes back to the unread inbox, ahead of the others of its name. */
  unconsume(item: InboxItem): void {
    this.consumed.delete(item.id);
    this.consumedNow = this.consumedNow.filter((id) => id !== item.id);
    this.inbox.putBack(item);
  }

  /** Puts back what takeBuffer took when its write was refused, ahead of anything recorded since. */
  restoreBuffer(taken: { events: HistoryEvent[]; consumed: string[] }): void {
    this.buffer = taken.events.concat(this.buffer);
    this.consumedNow = taken.consumed.concat(this.consumedNow);
  }

  /** Takes back the last buffered event (a run's end that gives way to a cancellation). */
  dropLast(): void {
    if (this.buffer.length === 0) return;
    this.buffer.pop();
    this.lastSeq -= 1;
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
    const kind = (command as { kind?: unknown } | null)?.kind;
    if (kind !== "step" && (typeof kind !== "string" || !Object.hasOwn(handlers, kind))) {
      const error = new ValidationError(
        `Execution '${this.executionId}': the workflow yielded ${describeYielded(command)} at operation ` +
          `#${scope.opId(scope.counter)}, which is not an operation. Yield operations with yield* (yield* step(...)), ` +
          `not yield.`,
        { executionId: this.executionId, operation: `#${scope.opId(scope.counter)}` },
      );
      return { position: undefined, decision: { type: "throw", error } };
    }
    if (command.kind === "patched") {
      const decision = command.deprecated ? deprecatePatch(this, scope, command.name) : patched(this, scope, command.name);
      return { position: undefined, decision };
    }
    const index = scope.counter++;
    const op = scope.prefix === "" ? this.ops.root(index) : this.ops.get(scope.opId(index));
    if (op && (op.kind !== command.kind || op.name !== command.name)) {
      throw mismatch(this, scope.opId(index), side(op.kind, op.name), side(command.kind, command.name));
    }
    const position = new Position(scope, index, command);
    // An operation that threw at the frontier without recording anything (a refused value) leaves a hole: replaying
    // over it is still replay, so nothing is delivered there and logging stays quiet.
    this.inHole = !op && index < this.ops.extent(scope.prefix);
    return { position, decision: this.decide(position, op) };
  }

  /** Decides again for an operation a fiber waits at (after new inbox items, time, or its sub-step finishing). */
  redecide(position: Position): Decision {
    this.inHole = false;
    return this.decide(position, this.opAt(position.opId));
  }

  /**
   * Checks that a fiber reached every operation recorded in its scope before it ended.
   * @throws NonDeterminismError when recorded operations were left unreached.
   */
  checkScopeReached(scope: Scope): void {
    if (scope.counter >= this.ops.extent(scope.prefix)) return;
    const opId = scope.opId(scope.counter);
    const op = this.opAt(opId);
    throw mismatch(this, opId, op ? side(op.kind, op.name) : { text: "an operation" }, { text: "the code ended there" });
  }

  /** Records the end of the run, after checking the body reached every recorded operation. */
  finish(event: NewEvent): void {
    this.checkScopeReached(this.root);
    this.record(event);
  }

  /** The encode site for a step's result at `position`. */
  siteOfResult(position: Position): EncodeSite {
    this.resultPosition = position;
    return this.resultSite;
  }

  // --- helpers --------------------------------------------------------------------------------------------------

  /** A fiber reaches work the history does not hold: logs speak from here, and a pending cancellation lands here. */
  enterFrontier(position: Position): Decision | undefined {
    this.atFrontier();
    return this.deliverCancel(position);
  }

  /** Past the recorded history: logs speak from here on (holes do not count). */
  atFrontier(): void {
    if (!this.inHole) this.replaying = false;
  }

  private decide(position: Position, op: OpRecord | undefined): Decision {
    const handler = handlers[position.command.kind] as Handler<Command>;
    return handler(this, position.command, op, position);
  }

  opAt(opId: string): OpRecord | undefined {
    return this.ops.get(opId);
  }

  /** Takes the first unread item of this type and name that arrived by the recorded time (and before a deadline). */
  take(type: InboxItem["type"], name: string, deadline?: number): InboxItem | undefined {
    const item = this.inbox.take(type, name, this.env.now(), deadline);
    if (item) this.consume(item);
    return item;
  }

  /**
   * When the operation a fiber waits at could next take an inbox item: the arrival time of the first unread item it
   * would take (its event, its callback's completion, its child's outcome) or of a cancellation it would receive.
   * Undefined when nothing in the inbox concerns it.
   */
  arrivalFor(position: Position): number | undefined {
    let at: number | undefined;
    const scope = position.scope;
    const cancel = this.inbox.cancel;
    if (cancel && this.cancelState === "none" && !scope.cancelled && !scope.afterCancel) at = cancel.at;
    else if (this.cancelState === "delivering" && !scope.cancelled && !scope.afterCancel) at = this.env.now();
    const taken = this.inboxNameOf(position);
    const head = taken === undefined ? undefined : this.inbox.head(taken[0], taken[1]);
    if (head && (at === undefined || head.at < at)) at = head.at;
    return at;
  }

  /** The inbox name of the items the operation at `position` takes, if it takes any. */
  private inboxNameOf(position: Position): [InboxItem["type"], string] | undefined {
    const command = position.command;
    if (command.kind === "waitForEvent") return ["event", command.name];
    if (command.kind !== "callback" && command.kind !== "child") return undefined;
    for (const event of this.opAt(position.opId)?.events ?? NO_EVENTS) {
      if (event.type === "CallbackCreated") return ["callback", `callback:${event.token}`];
      if (event.type === "ChildStarted") return ["child", `child:${event.childId}`];
    }
    return undefined;
  }

  /**
   * Delivers a pending cancellation at this frontier operation: once to every fiber the turn of delivery reaches,
   * never to scopes opened after it (compensation code) nor in later turns.
   */
  private deliverCancel(position: Position): Decision | undefined {
    const scope = position.scope;
    if (this.inHole || scope.cancelled || scope.afterCancel || this.cancelState === "done") return undefined;
    if (this.cancelState === "none") {
      const item = this.inbox.cancel;
      if (!item || item.at > this.env.now()) return undefined;
      this.inbox.cancel = undefined;
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
    return { type: "throw", error: cancelled(this, position, reason) };
  }

  consume(item: InboxItem): void {
    this.consumed.add(item.id);
    this.consumedNow = pushed(this.consumedNow, item.id);
  }

  record(event: NewEvent): void {
    this.push({ v: HISTORY_VERSION, seq: ++this.lastSeq, ...event } as HistoryEvent);
  }

  private push(event: HistoryEvent): void {
    this.bufferEvent(event);
    this.index(event);
  }

  /** Buffers a new event. */
  bufferEvent(event: HistoryEvent): void {
    this.buffer = pushed(this.buffer, event);
  }

  /** Indexes an event recorded in this session. */
  index(event: HistoryEvent): void {
    this.note(event, false);
    this.ops.add(event);
  }

  /** What an event tells besides its operation's record: inbox items consumed, cancellation, status, children. */
  private note(event: HistoryEvent, loading: boolean): void {
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
        if (event.opId === EXECUTION_OP) this.cancelledAtEnd = event.reason === undefined ? {} : { reason: event.reason };
        break;
      case "StatusSet":
        this.customStatus = event.value;
        break;
      case "ChildStarted":
        if (!event.detached) (this.waitedChildren ??= new Map()).set(event.opId, event.childId);
        break;
      case "PatchMarker":
        this.patches.set(event.name, true);
        break;
      default:
        break;
    }
  }

  tag(position: Position): { opId: string; kind: string; name: string; at: number } {
    return { opId: position.opId, kind: position.command.kind, name: position.command.name, at: this.env.now() };
  }

}

export { decodeToken, encodeToken } from "./token.js";
export { Position, Scope } from "./position.js";
