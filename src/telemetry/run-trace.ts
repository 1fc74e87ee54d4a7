// The spans of one run, built from its history. Fed every event of the run in order: events loaded from the store
// (replayed) only rebuild what is open; events this process has just written and seen acknowledged end spans, and
// each span is handed to the tracing backend then, by the event that ends it. An event is written once, so each span
// is emitted once in its lifetime, never on replay or in a later turn. Times are the events' recorded `at`.
//
// Spans: the run (ExecutionStarted to its ending), each step attempt, timer, wait, callback, child and group, and each
// turn that wrote something. An operation ends with its own closing event; one that has none (a group whose branches
// all ended) ends when a later operation of its scope, or the run's ending, is recorded.
import type { ErrorRecord } from "../core/error-record.js";
import type { HistoryEvent } from "../core/history.js";
import { EXECUTION_OP } from "../core/history-check.js";
import type { TraceContext } from "./ids.js";
import { formatTraceparent, parseTraceparent, spanIdFor, traceIdFor } from "./ids.js";
import type { SpindleSpan, Tracing } from "./span.js";

/** An operation span that has begun and not ended. */
interface OpenSpan {
  opId: string;
  kind: string;
  name: string;
  spanId: string;
  parentSpanId: string;
  start: number;
  /** Latest recorded time in its scope (a group's branches, a callback's send). */
  lastAt: number;
  attempt?: number;
  /** Groups and callbacks: operations run in their scope. */
  container: boolean;
}

/** The events that end a run, and the outcome each gives. */
const ENDINGS: Readonly<Record<string, string>> = {
  ExecutionCompleted: "completed",
  ExecutionFailed: "failed",
  ExecutionCancelled: "cancelled",
  ContinuedAsNew: "continued-as-new",
};

/** The scope ("3.1") and index (0) of an operation id ("3.1.0"); the root scope is "". */
function placeOf(opId: string): { scope: string; index: number } {
  const dot = opId.lastIndexOf(".");
  return dot < 0 ? { scope: "", index: Number(opId) } : { scope: opId.slice(0, dot), index: Number(opId.slice(dot + 1)) };
}

function errorOf(record: ErrorRecord): { code: string; message: string } {
  return { code: record.code ?? record.name, message: record.message.slice(0, 1024) };
}

/** The spans of one run of one execution. */
export class RunTrace {
  private traceId: string;
  private traceFlags = 1;
  /** The caller's span (a recorded traceparent): the run span's parent. */
  private callerSpanId: string | undefined;
  /** Seq of the ExecutionRedriven in force (0: none): spans begun after a redrive get ids of their own. */
  private epoch = 0;
  private runSpanId: string;
  private runStart = 0;
  private readonly open = new Map<string, OpenSpan>();
  /** Open operations by scope, to end those a later operation of their scope shows are over. */
  private readonly byScope = new Map<string, Set<OpenSpan>>();
  /** Span ids of groups and callbacks, the parents of operations in their scopes. */
  private readonly containers = new Map<string, string>();
  /** When this process started attempts whose start is not recorded (plain steps), by `<opId>#<attempt>`. */
  private readonly attemptStarts = new Map<string, number>();
  /** This process's writes since the turn began (on the engine's clock, as it read it then): its span. */
  private turn: { firstSeq: number; firstAt: number; lastAt: number; events: number } | undefined;

  constructor(
    private readonly tracing: Tracing,
    private readonly report: (error: unknown) => void,
    readonly executionId: string,
    readonly runId: string,
    readonly workflow: string,
    history: readonly HistoryEvent[],
  ) {
    this.traceId = traceIdFor(executionId);
    this.runSpanId = this.idOf("run");
    for (const event of history) this.feed(event, false);
  }

  /** The W3C traceparent a child started by operation `opId` records: its parent span is that operation's. */
  childTraceparent(opId: string): string {
    return formatTraceparent({ traceId: this.traceId, spanId: this.idOf(opId), traceFlags: this.traceFlags });
  }

  /**
   * This process starts an attempt (`at` on the engine's clock: the span's start when none is recorded). Returns the
   * attempt's function, run inside the attempt's span context when the backend can activate one.
   */
  attemptStarted<F extends (...args: never[]) => unknown>(opId: string, attempt: number, at: number, fn: F): F {
    this.attemptStarts.set(`${opId}#${attempt}`, at);
    const activate = this.tracing.activate;
    if (activate === undefined) return fn;
    const traceparent = formatTraceparent({ traceId: this.traceId, spanId: this.idOf(opId, attempt), traceFlags: this.traceFlags });
    return ((...args: Parameters<F>) => activate.call(this.tracing, traceparent, () => fn(...args))) as F;
  }

  /**
   * The store acknowledged a write of these events: the spans they end are emitted. `release` marks the turn's last
   * write (it suspended, ended, or stopped): the turn's span is emitted with it.
   */
  written(events: readonly HistoryEvent[], write: { startedAt: number; release: boolean; updatedAt: number; status: string }): void {
    if (events.length > 0) {
      const first = events[0]!;
      const start = Math.min(write.startedAt, first.at);
      const turn = (this.turn ??= { firstSeq: first.seq, firstAt: start, lastAt: first.at, events: 0 });
      turn.events += events.length;
      for (const event of events) {
        if (event.at > turn.lastAt) turn.lastAt = event.at;
        this.feed(event, true);
      }
    }
    const turn = this.turn;
    if (!write.release || turn === undefined) return;
    this.turn = undefined;
    const attributes = this.attributes("turn", this.workflow, EXECUTION_OP, write.status);
    attributes["spindle.turn.events"] = turn.events;
    this.deliver(`turn ${this.workflow}`, this.idOf("turn", turn.firstSeq), this.runSpanId, turn.firstAt, Math.max(turn.lastAt, write.updatedAt), attributes);
  }

  // --- events -----------------------------------------------------------------------------------------------------

  private feed(event: HistoryEvent, live: boolean): void {
    switch (event.type) {
      case "ExecutionStarted": {
        this.runStart = event.at;
        const caller = parseTraceparent(event.traceparent);
        if (caller) this.joined(caller);
        return;
      }
      case "ExecutionRedriven":
        this.epoch = event.seq;
        this.runStart = event.at;
        this.runSpanId = this.idOf("run");
        return;
      case "ExecutionCompleted":
      case "ExecutionFailed":
      case "ExecutionCancelled":
      case "ContinuedAsNew":
        return this.ended(event, live);
      case "PatchMarker":
        return;
      default:
        if (event.opId === EXECUTION_OP) return;
    }
    this.passed(event, live);
    const { opId, at } = event;
    switch (event.type) {
      case "StepStarted":
        this.begin(event, false, event.attempt);
        return;
      case "StepCompleted":
      case "StepFailed": {
        const key = `${opId}#${event.attempt}`;
        const open = this.open.get(opId);
        const begun = open !== undefined && open.attempt === event.attempt ? open : this.begin(event, false, event.attempt);
        begun.start = Math.min(begun.start, this.attemptStarts.get(key) ?? begun.start);
        this.attemptStarts.delete(key);
        if (event.type === "StepCompleted") return this.end(begun, at, live, "completed");
        return this.end(begun, at, live, event.retryAt === undefined ? "failed" : "retried", errorOf(event.error));
      }
      case "TimerScheduled":
      case "WaitStarted":
        this.begin(event, false);
        return;
      case "CallbackCreated":
      case "GroupStarted":
        this.begin(event, true);
        return;
      case "ChildStarted": {
        const child = this.begin(event, false);
        if (event.detached) this.end(child, at, live, "started");
        return;
      }
      case "TimerFired": {
        const timer = this.open.get(opId) ?? this.begin(event, false);
        if (timer.kind === "sleep") return this.end(timer, at, live, "fired");
        return this.end(timer, at, live, "timed-out", { code: "TIMEOUT", message: `${timer.kind} '${timer.name}' timed out` });
      }
      case "EventReceived": {
        const link = parseTraceparent(event.link);
        return this.end(this.open.get(opId) ?? this.begin(event, false), at, live, "received", undefined, link);
      }
      case "CallbackCompleted": {
        const callback = this.open.get(opId) ?? this.begin(event, true);
        return this.end(callback, at, live, event.error ? "failed" : "completed", event.error ? errorOf(event.error) : undefined);
      }
      case "ChildCompleted": {
        const child = this.open.get(opId) ?? this.begin(event, false);
        return this.end(child, at, live, event.status, event.error ? errorOf(event.error) : undefined);
      }
      case "GroupSettled": {
        const group = this.open.get(opId);
        if (group === undefined) return;
        this.endScope(opId, at, live, "dropped");
        this.end(group, at, live, "settled", undefined, undefined, { "spindle.group.settled_index": event.index });
        return;
      }
      case "CancelRequested": {
        const cancelled = this.open.get(opId);
        if (cancelled) this.end(cancelled, at, live, "cancelled", { code: "CANCELLED", message: event.reason ?? "cancelled" });
        return;
      }
      default:
        return;
    }
  }

  /**
   * An event of operation `opId` is recorded: operations before it in its scope are over (the code went on past
   * them), and the groups and callbacks around it saw something happen at this time.
   */
  private passed(event: HistoryEvent, live: boolean): void {
    const { scope, index } = placeOf(event.opId);
    const siblings = this.byScope.get(scope);
    if (siblings !== undefined) {
      for (const sibling of [...siblings]) {
        if (this.open.has(sibling.opId) && placeOf(sibling.opId).index < index) this.endImplicitly(sibling, event.at, live, "dropped");
      }
    }
    for (let prefix = scope; prefix !== ""; prefix = placeOf(prefix).scope) {
      const around = this.open.get(prefix);
      if (around !== undefined && event.at > around.lastAt) around.lastAt = event.at;
    }
  }

  /** The run ended: what is still open ends with it, then the run's span. */
  private ended(event: HistoryEvent, live: boolean): void {
    const cancelled = event.type === "ExecutionCancelled";
    const leftOpen = cancelled ? "cancelled" : "abandoned";
    for (const span of [...this.open.values()]) {
      if (this.open.has(span.opId) && placeOf(span.opId).scope === "") this.endImplicitly(span, event.at, live, leftOpen);
    }
    for (const span of [...this.open.values()]) this.end(span, event.at, live, leftOpen);
    if (!live) return;
    let outcome = ENDINGS[event.type]!;
    if (event.type === "ExecutionCancelled" && event.terminated) outcome = "terminated";
    const attributes = this.attributes("workflow", this.workflow, EXECUTION_OP, outcome);
    if (this.epoch > 0) attributes["spindle.redrive_seq"] = this.epoch;
    const error = event.type === "ExecutionFailed" ? errorOf(event.error) : undefined;
    this.deliver(`workflow ${this.workflow}`, this.runSpanId, this.callerSpanId, this.runStart, event.at, attributes, error);
  }

  // --- spans ------------------------------------------------------------------------------------------------------

  private joined(caller: TraceContext): void {
    this.traceId = caller.traceId;
    this.traceFlags = caller.traceFlags;
    this.callerSpanId = caller.spanId;
  }

  /** Opens the span of the operation an event belongs to. */
  private begin(event: HistoryEvent, container: boolean, attempt?: number): OpenSpan {
    const { opId } = event;
    const span: OpenSpan = {
      opId,
      kind: event.kind,
      name: event.name,
      spanId: attempt === undefined ? this.idOf(opId) : this.idOf(opId, attempt),
      parentSpanId: this.parentOf(opId),
      start: event.at,
      lastAt: event.at,
      container,
    };
    if (attempt !== undefined) span.attempt = attempt;
    const previous = this.open.get(opId);
    if (previous !== undefined) this.forget(previous);
    this.open.set(opId, span);
    const scope = placeOf(opId).scope;
    let siblings = this.byScope.get(scope);
    if (siblings === undefined) this.byScope.set(scope, (siblings = new Set()));
    siblings.add(span);
    if (container) this.containers.set(opId, span.spanId);
    return span;
  }

  /** The span of the nearest group or callback around `opId`, else the run's. */
  private parentOf(opId: string): string {
    for (let prefix = placeOf(opId).scope; prefix !== ""; prefix = placeOf(prefix).scope) {
      const container = this.containers.get(prefix);
      if (container !== undefined) return container;
    }
    return this.runSpanId;
  }

  /**
   * An operation without a closing event of its own is over at `at`. A group or callback whose scope holds nothing
   * open completed with the last thing recorded in it; anything still open (and the operation itself, if it is not
   * a group) ends at `at` with `ifOpen`.
   */
  private endImplicitly(span: OpenSpan, at: number, live: boolean, ifOpen: string): void {
    const leftOpen = this.endScope(span.opId, at, live, ifOpen);
    if (span.container && !leftOpen) this.end(span, span.lastAt, live, "completed");
    else this.end(span, at, live, ifOpen);
  }

  /** Ends every open operation in the scope of `opId`; true when there was one. */
  private endScope(opId: string, at: number, live: boolean, outcome: string): boolean {
    const prefix = `${opId}.`;
    let any = false;
    for (const inner of [...this.open.values()]) {
      if (!inner.opId.startsWith(prefix) || !this.open.has(inner.opId)) continue;
      any = true;
      if (inner.container) this.endScope(inner.opId, at, live, outcome);
      this.end(inner, at, live, outcome);
    }
    return any;
  }

  private forget(span: OpenSpan): void {
    this.open.delete(span.opId);
    this.byScope.get(placeOf(span.opId).scope)?.delete(span);
  }

  private end(
    span: OpenSpan,
    at: number,
    live: boolean,
    outcome: string,
    error?: { code: string; message: string },
    link?: TraceContext,
    extra?: Record<string, string | number>,
  ): void {
    if (this.open.get(span.opId) === span) this.forget(span);
    if (!live) return;
    const attributes = this.attributes(span.kind, span.name, span.opId, outcome);
    if (span.attempt !== undefined) attributes["spindle.attempt"] = span.attempt;
    if (extra !== undefined) Object.assign(attributes, extra);
    const end = at > span.start ? at : span.start;
    // An unnamed group is named by its kind: `all`, not `all all`.
    this.deliver(span.name === span.kind ? span.kind : `${span.kind} ${span.name}`, span.spanId, span.parentSpanId, span.start, end, attributes, error, link);
  }

  private attributes(kind: string, name: string, opId: string, outcome: string): Record<string, string | number> {
    return {
      "spindle.workflow": this.workflow,
      "spindle.execution_id": this.executionId,
      "spindle.run_id": this.runId,
      "spindle.operation.kind": kind,
      "spindle.operation.name": name,
      "spindle.operation.id": opId,
      "spindle.outcome": outcome,
    };
  }

  /** A span id in this run; spans begun after a redrive are told apart by its seq. */
  private idOf(...parts: (string | number)[]): string {
    if (this.epoch === 0) return spanIdFor([this.executionId, this.runId, ...parts]);
    return spanIdFor([this.executionId, this.runId, `redrive@${this.epoch}`, ...parts]);
  }

  /** Hands a finished span to the backend; what the backend throws is reported, never thrown into the turn. */
  private deliver(
    name: string,
    spanId: string,
    parentSpanId: string | undefined,
    startTime: number,
    endTime: number,
    attributes: Record<string, string | number>,
    error?: { code: string; message: string },
    link?: TraceContext,
  ): void {
    const span: SpindleSpan = { name, traceId: this.traceId, spanId, traceFlags: this.traceFlags, startTime, endTime, attributes, links: link === undefined ? [] : [link] };
    if (parentSpanId !== undefined) span.parentSpanId = parentSpanId;
    if (error !== undefined) {
      span.error = error;
      attributes["spindle.error.code"] = error.code;
    }
    try {
      this.tracing.emit(span);
    } catch (failure) {
      this.report(failure);
    }
  }
}
