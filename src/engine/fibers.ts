// Fibers and groups: the workflow body and each branch of a group run as fibers, each an async generator with its
// own operation-id scope. A group (all, race, allSettled, map, a lone branch) starts its children under its
// concurrency bound and decides, as each child ends, whether it has settled and what its parent fiber receives.
import type { Decision, InboxItem, Position, Scope, WaitInfo } from "../core/replayer.js";
import type { BranchCommand, Envelope, GroupCommand, Yieldable } from "../core/yieldable.js";
import { commandOf } from "../core/yieldable.js";
import { NonDeterminismError } from "../errors.js";
import type { RunningStep } from "./turn.js";

/** How a fiber ended. */
export type Settlement = { ok: true; value: unknown } | { ok: false; error: unknown };

/** One generator of the workflow: the body, or a group's child. */
export class Fiber {
  /** Dropped (a race loser, the rest of a failed all): nothing it does is recorded any more. */
  dead = false;
  /** Has run to its first yield. */
  started = false;
  /** The operation it is at. */
  position: Position | undefined;
  /** What it receives when it next runs. */
  input: Decision | undefined;
  /** What it waits for, while in the session's waiting set. */
  wait: WaitInfo | undefined;
  /** The group it waits on, while its children run. */
  inGroup: GroupRun | undefined;
  /** The step attempt it is running, if any. */
  running: RunningStep | undefined;

  constructor(
    readonly scope: Scope,
    readonly generator: AsyncGenerator<Envelope, unknown, unknown>,
    readonly group?: GroupRun,
    readonly index = 0,
  ) {}
}

/**
 * The fibers waiting at an operation, indexed by what can wake them, so an inbox item re-checks only the fibers it
 * may concern (a parent with thousands of children stays linear).
 */
export class WaitingFibers implements Iterable<Fiber> {
  private readonly fibers = new Set<Fiber>();
  private readonly byKey = new Map<string, Set<Fiber>>();

  get size(): number {
    return this.fibers.size;
  }

  [Symbol.iterator](): Iterator<Fiber> {
    return this.fibers.values();
  }

  /** Parks a fiber at its wait. */
  add(fiber: Fiber, wait: WaitInfo): void {
    fiber.wait = wait;
    this.fibers.add(fiber);
    const key = keyOf(wait);
    if (key === undefined) return;
    const set = this.byKey.get(key);
    if (set) set.add(fiber);
    else this.byKey.set(key, new Set([fiber]));
  }

  delete(fiber: Fiber): void {
    if (!this.fibers.delete(fiber) || !fiber.wait) return;
    const key = keyOf(fiber.wait);
    const set = key === undefined ? undefined : this.byKey.get(key);
    set?.delete(fiber);
    if (set?.size === 0) this.byKey.delete(key!);
  }

  /** The fibers an inbox item may wake: all of them for a cancellation. */
  matching(item: InboxItem): Iterable<Fiber> {
    if (item.type === "cancel") return [...this.fibers];
    return [...(this.byKey.get(item.type === "callback" ? CALLBACK_KEY : item.name) ?? [])];
  }

  /** The earliest time a waiting fiber wakes by itself, if any does. */
  earliest(): number | undefined {
    let earliest: number | undefined;
    for (const fiber of this.fibers) {
      const at = fiber.wait?.until;
      if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
    }
    return earliest;
  }

  /** The fibers whose wait has a time that has come. */
  due(now: number): Fiber[] {
    const due: Fiber[] = [];
    for (const fiber of this.fibers) if (fiber.wait?.until !== undefined && fiber.wait.until <= now) due.push(fiber);
    return due;
  }
}

const CALLBACK_KEY = "callback";

/** The inbox name an inbox item for this wait carries (callbacks share one key: their names hold the token). */
function keyOf(wait: WaitInfo): string | undefined {
  switch (wait.kind) {
    case "event":
      return wait.name;
    case "child":
      return `child:${wait.name}`;
    case "callback":
      return CALLBACK_KEY;
    default:
      return undefined;
  }
}

/** A running group: its children, their results so far, and which child to start next. */
export class GroupRun {
  readonly children = new Map<number, Fiber>();
  readonly results: unknown[] = [];
  done = false;
  /** A child was cancelled: the group starts no new children; the rest settle as cancelled. */
  cancelled = false;
  private remaining: number;
  private next = 0;

  constructor(
    readonly position: Position,
    readonly command: GroupCommand | BranchCommand,
    readonly parent: Fiber,
    /** A recorded early settlement: only that child is replayed. */
    readonly settled?: number,
    /** Started after the execution's cancellation (compensation): its children are not cancelled again. */
    readonly afterCancel = false,
  ) {
    this.remaining = this.size;
  }

  /** Indexes of the children never started, once the group is cancelled (they settle as cancelled). */
  unstarted(): number[] {
    const rest: number[] = [];
    while (this.next < this.size) rest.push(this.next++);
    return rest;
  }

  get size(): number {
    return this.command.kind === "branch" ? 1 : this.command.size;
  }

  /** The indexes of the children to start now. */
  startable(): number[] {
    const start: number[] = [];
    if (this.settled !== undefined) {
      if (this.next === 0) start.push(this.settled);
      this.next = this.size;
      return start;
    }
    const limit = this.command.kind === "branch" ? 1 : this.command.concurrency;
    while (this.next < this.size && this.children.size + start.length < limit) start.push(this.next++);
    return start;
  }

  /** The generator of child `index`. */
  generatorOf(index: number): AsyncGenerator<Envelope, unknown, unknown> {
    const command = this.command;
    if (command.kind === "branch") return command.body();
    const child = command.child(index);
    const inner = commandOf(child);
    if (inner?.kind === "branch") return inner.body();
    return runOne(child);
  }

  /** What the parent receives when the group is empty, if it is. */
  whenEmpty(): Decision | undefined {
    if (this.size > 0) return undefined;
    return { type: "resume", value: [] };
  }

  /**
   * Child `index` ended. Returns what the parent fiber receives when the group settles now (and the index of an early
   * settlement to record), or undefined while the group goes on.
   */
  childEnded(index: number, outcome: Settlement): { parent: Decision; early?: number } | undefined {
    this.children.delete(index);
    const kind = this.command.kind;
    const settles = kind === "allSettled" || (kind === "map" && (this.command as GroupCommand).settle);
    if (kind === "race") {
      return { parent: outcome.ok ? { type: "resume", value: { index, value: outcome.value } } : thrown(outcome.error), early: index };
    }
    if (settles) {
      this.results[index] = outcome.ok
        ? { status: "fulfilled", value: outcome.value }
        : { status: "rejected", reason: outcome.error };
    } else if (!outcome.ok) {
      return { parent: thrown(outcome.error), early: index };
    } else if (this.settled !== undefined) {
      throw new NonDeterminismError(
        `Group ${this.position.describe()} settled early on the failure of child ${index} in the history, but the ` +
          `child now succeeds. The code changed what the group's children do.`,
        { operation: this.position.describe() },
      );
    } else {
      this.results[index] = outcome.value;
    }
    if (--this.remaining > 0) return undefined;
    return { parent: { type: "resume", value: kind === "branch" ? this.results[0] : this.results } };
  }
}

function thrown(error: unknown): Decision {
  return { type: "throw", error: error instanceof Error ? error : new Error(String(error)) };
}

/** A fiber for a single operation: yields it once and returns its answer. */
async function* runOne(operation: Yieldable<unknown>): AsyncGenerator<Envelope, unknown, unknown> {
  return yield* operation;
}
