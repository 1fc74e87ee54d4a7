// The console's picture of one execution: its recorded history as lanes on a time axis. Each operation is a lane
// with its segments (a step's attempts and the backoffs between them, a timer, a wait for an event or a callback up to
// its deadline, a child); a concurrency group (all, race, map, dag, ...) holds one nested lane per branch or task, and
// an operation's own inner operations (a callback's send step) nest under it. Pure: recorded times decide, `now` only
// closes what is still open. Events a redrive superseded are left out (the raw history table still shows them).
import type { EventOf, HistoryEvent } from "../core/history.js";
import { liveEvents } from "../core/redrive.js";
import type { Context } from "./waterfall-segments.js";
import { layoutStep, layoutWait } from "./waterfall-segments.js";

/**
 * How an operation stands: `waiting` for a time, an event, a callback or a child; `running` a step now; `recorded`
 * for an instant record (setStatus, now, patched).
 *
 * @example
 * ```ts
 * const open = (status: LaneStatus) => status === "waiting" || status === "running";
 * ```
 */
export type LaneStatus = "completed" | "failed" | "timed-out" | "cancelled" | "running" | "waiting" | "recorded";

/**
 * One stretch of a lane on the time axis. `to` is undefined while it is still open (it runs up to `now`).
 *
 * @example
 * ```ts
 * const backoff: Segment = { kind: "backoff", from: 1_000, to: 3_000, attempt: 1 };
 * ```
 */
export interface Segment {
  kind: "attempt" | "backoff" | "timer" | "wait" | "child";
  from: number;
  to?: number;
  /** The step attempt this is (or the attempt a backoff follows). */
  attempt?: number;
  outcome?: "completed" | "failed" | "timed-out" | "cancelled";
  /** Short text: the attempt's error, the event that ended a wait. */
  note?: string;
}

/**
 * One operation on the waterfall, with what ran inside it.
 *
 * @example
 * ```ts
 * const lane: Lane = { opId: "1", kind: "step", name: "charge", start: 0, end: 5, status: "completed", segments: [], lanes: [] };
 * ```
 */
export interface Lane {
  opId: string;
  kind: string;
  name: string;
  start: number;
  /** Undefined while the operation is open. */
  end?: number;
  status: LaneStatus;
  segments: Segment[];
  /** When a timer fires, a wait or a callback times out, or a failed step's next attempt may run. */
  deadline?: number;
  /** The child execution a `child`/`startChild` started. */
  childId?: string;
  /** Short text: the result, error or event. */
  note?: string;
  /** Operations in this one's scope (a callback's send step). */
  lanes: Lane[];
  /** A group's branches (a dag's tasks, by name), each with its operations. */
  branches?: { label: string; lanes: Lane[] }[];
}

/**
 * The waterfall of one run: its lanes, and the time axis they fit on.
 *
 * @example
 * ```ts
 * const picture: Waterfall = buildWaterfall(await engine.history(id), engine.clock.now());
 * ```
 */
export interface Waterfall {
  start: number;
  /** The end of the activity: the last recorded time, or now while the run is open. */
  end: number;
  /** The latest time on the picture: `end`, or a later deadline (a timer, a timeout, a retry). */
  horizon: number;
  /** When the run ended; undefined while it is open. */
  closedAt?: number;
  now: number;
  lanes: Lane[];
  /** Sequence numbers of the events a redrive superseded. */
  superseded: number[];
}

interface Node {
  opId: string;
  events: HistoryEvent[];
  children: Node[];
}

const ENDINGS: ReadonlySet<string> = new Set(["ExecutionCompleted", "ExecutionFailed", "ExecutionCancelled", "ContinuedAsNew"]);

/**
 * Builds the waterfall of a run's history.
 *
 * @example
 * ```ts
 * const { lanes, start, end } = buildWaterfall(await engine.history("order-o-1"), Date.now());
 * ```
 */
export function buildWaterfall(history: readonly HistoryEvent[], now: number): Waterfall {
  const live = liveEvents(history);
  const liveSeqs = new Set(live.map((event) => event.seq));
  const superseded = history.filter((event) => !liveSeqs.has(event.seq)).map((event) => event.seq);
  const start = history[0]?.at ?? now;
  const ending = live.find((event) => ENDINGS.has(event.type));
  const closedAt = ending?.at;
  const roots = buildTree(live);
  const context: Context = { now: closedAt ?? now, closed: closedAt !== undefined };
  const lanes = layoutScope(roots, start, context);
  let end = closedAt ?? Math.max(now, start);
  let horizon = end;
  const stretch = (lane: Lane) => {
    end = Math.max(end, lane.end ?? lane.start);
    if (lane.end === undefined && lane.deadline !== undefined) horizon = Math.max(horizon, lane.deadline);
    for (const segment of lane.segments) end = Math.max(end, segment.to !== undefined && segment.kind !== "backoff" ? segment.to : segment.from);
    lane.lanes.forEach(stretch);
    lane.branches?.forEach((branch) => branch.lanes.forEach(stretch));
  };
  lanes.forEach(stretch);
  horizon = Math.max(horizon, end);
  return { start, end, horizon, ...(closedAt === undefined ? {} : { closedAt }), now, lanes, superseded };
}

/** Operations by id, each under the nearest operation whose id prefixes its own. */
function buildTree(events: readonly HistoryEvent[]): Node[] {
  const nodes = new Map<string, Node>();
  for (const event of events) {
    if (event.opId === "-") continue;
    let node = nodes.get(event.opId);
    if (!node) nodes.set(event.opId, (node = { opId: event.opId, events: [], children: [] }));
    node.events.push(event);
  }
  const roots: Node[] = [];
  for (const node of nodes.values()) {
    const parent = parentOf(node.opId, nodes);
    (parent ? parent.children : roots).push(node);
  }
  const order = (list: Node[]) => {
    list.sort((a, b) => compareOpIds(a.opId, b.opId));
    for (const node of list) order(node.children);
  };
  order(roots);
  return roots;
}

function parentOf(opId: string, nodes: ReadonlyMap<string, Node>): Node | undefined {
  for (let cut = opId.lastIndexOf("."); cut > 0; cut = opId.lastIndexOf(".", cut - 1)) {
    const parent = nodes.get(opId.slice(0, cut));
    if (parent) return parent;
  }
  return undefined;
}

/**
 * Operation ids in program order: "2" < "2.0.0" < "2.1.0" < "10".
 *
 * @example
 * ```ts
 * ["10", "2.1.0", "2"].sort(compareOpIds); // ["2", "2.1.0", "10"]
 * ```
 */
export function compareOpIds(a: string, b: string): number {
  const left = a.split(".");
  const right = b.split(".");
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = Number(left[i]) - Number(right[i]);
    if (difference !== 0 && !Number.isNaN(difference)) return difference;
    if (left[i] !== right[i]) return left[i]! < right[i]! ? -1 : 1;
  }
  return left.length - right.length;
}

/** Lays out a scope's operations in order: each starts when the one before it in the scope ended. */
function layoutScope(nodes: readonly Node[], scopeStart: number, context: Context): Lane[] {
  const lanes: Lane[] = [];
  let cursor = scopeStart;
  for (const node of nodes) {
    const lane = layoutNode(node, cursor, context);
    lanes.push(lane);
    cursor = Math.max(cursor, lane.end ?? lane.start);
  }
  return lanes;
}

function layoutNode(node: Node, reachedAt: number, context: Context): Lane {
  const first = node.events[0]!;
  // An operation recorded when it began (a timer, a wait, a group) starts at that record; a step's first record is
  // usually its end, so it starts when the operation before it in its scope ended (or at its recorded StepStarted).
  const begins = first.type !== "StepCompleted" && first.type !== "StepFailed";
  const start = begins ? first.at : Math.min(reachedAt, first.at);
  const lane: Lane = { opId: node.opId, kind: first.kind, name: first.name, start, status: "recorded", segments: [], lanes: [] };
  if (first.kind === "step" || first.type === "StepStarted" || first.type === "StepCompleted" || first.type === "StepFailed") {
    layoutStep(lane, node.events, context);
  } else {
    layoutWait(lane, node.events);
  }
  const group = node.events.find((event): event is EventOf<"GroupStarted"> => event.type === "GroupStarted");
  const settled = node.events.find((event): event is EventOf<"GroupSettled"> => event.type === "GroupSettled");
  if (group) layoutGroup(lane, group, settled, node.children, context);
  else if (node.children.length > 0) lane.lanes = layoutScope(node.children, lane.start, context);
  const inner = [...lane.lanes, ...(lane.branches ?? []).flatMap((branch) => branch.lanes)];
  if (group) {
    const open = inner.some((child) => child.end === undefined);
    lane.status = open ? (context.closed ? "cancelled" : "running") : "completed";
    if (!open) lane.end = Math.max(lane.start, ...inner.map((child) => child.end ?? child.start), ...node.events.map((event) => event.at));
  }
  // A cancel delivered at the operation ends it there; one still open when the run ended was cut by that end.
  const cancel = node.events.find((event) => event.type === "CancelRequested");
  if (cancel && lane.end === undefined) endOpen(lane, cancel.at);
  else if (lane.end === undefined && context.closed && !group) endOpen(lane, context.now);
  return lane;
}

/** Ends what is still open in `lane` and inside it at `at`, as cancelled (a branch a settled group stopped). */
function stopOpen(lane: Lane, at: number): void {
  if (lane.end === undefined) endOpen(lane, at);
  lane.lanes.forEach((inner) => stopOpen(inner, at));
  lane.branches?.forEach((branch) => branch.lanes.forEach((inner) => stopOpen(inner, at)));
}

function endOpen(lane: Lane, at: number): void {
  lane.end = Math.max(lane.start, at);
  lane.status = "cancelled";
  for (const segment of lane.segments) {
    if (segment.to !== undefined) continue;
    segment.to = Math.max(segment.from, at);
    segment.outcome = "cancelled";
  }
}

function layoutGroup(
  lane: Lane,
  group: EventOf<"GroupStarted">,
  settled: EventOf<"GroupSettled"> | undefined,
  children: readonly Node[],
  context: Context,
): void {
  let labels: string[] = [];
  if (group.shape !== undefined) {
    try {
      labels = (JSON.parse(group.shape) as [string, string[]][]).map(([name]) => name);
    } catch {
      labels = [];
    }
  }
  const prefix = `${group.opId}.`;
  const branches: { label: string; lanes: Lane[] }[] = [];
  for (let index = 0; index < group.size; index++) {
    const scope = `${prefix}${index}.`;
    const own = children.filter((child) => child.opId.startsWith(scope));
    const label = labels[index] ?? `${group.kind === "map" ? "item" : "branch"} ${index}`;
    branches.push({ label, lanes: layoutScope(own, group.at, context) });
  }
  // A group that settled early (a race's winner, a fail-fast group's first failure) stopped its other branches there.
  if (settled) {
    branches.forEach((branch, index) => {
      if (index !== settled.index) branch.lanes.forEach((inner) => stopOpen(inner, settled.at));
    });
  }
  // Anything in the group's scope outside its branches (none today) still shows.
  const rest = children.filter((child) => !/^\d+\./.test(child.opId.slice(prefix.length)));
  lane.branches = branches;
  if (rest.length > 0) lane.lanes = layoutScope(rest, group.at, context);
}
