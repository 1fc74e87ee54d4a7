// Fibers and groups: the workflow body and each branch of a group run as fibers, each an async generator with its
// own operation-id scope. A group (all, race, allSettled, map, a lone branch) starts its children under its
// concurrency bound and decides, as each child ends, whether it has settled and what its parent fiber receives.
// Pure: the interpreter drives them; nothing here touches a store or a clock.
import { CancelledError, NonDeterminismError } from "../errors.js";
import { asError, isCancellation } from "./error-record.js";
import type { Position, Scope } from "./position.js";
import type { Decision, Replayer, WaitInfo } from "./replayer.js";
import { DagRun } from "./dag-run.js";
import type { BranchCommand, DagCommand, Envelope, GroupCommand, Yieldable } from "./yieldable.js";
import { commandOf } from "./yieldable.js";

/**
 * A step attempt the interpreter asks the engine to run. The engine runs it and hands the outcome back with
 * `Interpreter.stepSettled`; it never records anything itself.
 */
export interface StepRun {
  readonly fiber: Fiber;
  readonly position: Position;
  readonly attempt: number;
  /** The attempt's start is recorded (an at-most-once step, a callback's send): write it before running. */
  readonly recordedStart: boolean;
  /** Still wanted: false once settled or once its branch was dropped (its outcome is then not recorded). */
  active: boolean;
  /** The engine's own handle on the running attempt (its context, to abort it). */
  handle?: unknown;
  /** How the attempt ended, once it has, and when (the engine's clock): the interpreter takes it in time order. */
  outcome?: Settlement;
  at?: number;
  /** Where it sits in RunningSteps while it runs. */
  slot?: number;
}

/**
 * The step attempts running now. A Set would rehash each time it empties and fills again, once per step of a
 * sequential workflow; here an attempt leaves by taking the last one's slot.
 */
export class RunningSteps {
  private readonly runs: StepRun[] = [];

  get size(): number {
    return this.runs.length;
  }

  add(run: StepRun): void {
    run.slot = this.runs.length;
    this.runs.push(run);
  }

  delete(run: StepRun): void {
    const slot = run.slot!;
    const last = this.runs.pop()!;
    if (last !== run) {
      this.runs[slot] = last;
      last.slot = slot;
    }
    run.slot = undefined;
  }

  /** A copy of the running attempts. */
  all(): StepRun[] {
    return [...this.runs];
  }
}

/** A settled attempt, with when it settled (the interpreter takes them in time order). */
export type Settled = StepRun & { at: number; outcome: Settlement };

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
  /** What it waits for, while it waits. */
  wait: WaitInfo | undefined;
  /** Bumped each time it starts waiting: older wake-up entries for it are stale. */
  waitVersion = 0;
  /** The group it waits on, while its children run. */
  inGroup: GroupRun | undefined;
  /** The step attempt it is running, if any. */
  running: StepRun | undefined;

  constructor(
    readonly scope: Scope,
    readonly generator: AsyncGenerator<Envelope, unknown, unknown>,
    readonly group?: GroupRun,
    readonly index = 0,
  ) {}
}

/** The fibers waiting at an operation, and what they wait for. */
export class WaitingFibers extends Set<Fiber> {
  /** What the waiting fibers wait for. */
  waits(): WaitInfo[] {
    return [...this].map((fiber) => fiber.wait!);
  }

  /** Where the waiting fibers wait: operation id, kind and name. */
  positions(): { opId: string; kind: string; name: string }[] {
    return [...this].map(({ position }) => ({ opId: position!.opId, kind: position!.command.kind, name: position!.command.name }));
  }

  /** True when a waiting fiber waits for a child execution. */
  get forChildren(): boolean {
    if (this.size === 0) return false; // no iterator made for nothing (asked once per step)
    for (const fiber of this) if (fiber.wait!.kind === "child") return true;
    return false;
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
  /** A DAG's task bookkeeping (dag-run.ts); undefined for other groups. */
  private readonly dag: DagRun | undefined;

  constructor(
    readonly position: Position,
    readonly command: GroupCommand | DagCommand | BranchCommand,
    readonly parent: Fiber,
    /** A recorded early settlement: only that child is replayed. */
    readonly settled?: number,
    /** Started after the execution's cancellation (compensation): its children are not cancelled again. */
    readonly afterCancel = false,
  ) {
    this.remaining = this.size;
    this.dag = command.kind === "dag" ? new DagRun(command, position.describe()) : undefined;
  }

  /** Indexes of the children never started, once the group is cancelled (they settle as cancelled). */
  unstarted(): number[] {
    if (this.dag) return this.dag.unstarted();
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
    if (this.dag) return this.dag.startable(limit - this.children.size);
    while (this.next < this.size && this.children.size + start.length < limit) start.push(this.next++);
    return start;
  }

  /** The generator of child `index`. */
  generatorOf(index: number): AsyncGenerator<Envelope, unknown, unknown> {
    const command = this.command;
    if (command.kind === "branch") return command.body();
    const child = command.kind === "dag" ? command.child(index, this.dag!.inputs(index)) : command.child(index);
    const inner = commandOf(child);
    if (inner?.kind === "branch") return inner.body();
    return runOne(child);
  }

  /** Opens the children that may start now, each a fiber in its own operation-id scope. */
  openChildren(replayer: Replayer): Fiber[] {
    const opened: Fiber[] = [];
    for (const index of this.startable()) {
      const scope = replayer.openScope(`${this.position.opId}.${index}`, this.parent.scope, this.afterCancel);
      let generator;
      try {
        generator = this.generatorOf(index);
      } catch (error) {
        generator = failing(error);
      }
      const child = new Fiber(scope, generator, this, index);
      this.children.set(index, child);
      opened.push(child);
    }
    return opened;
  }

  /**
   * Child `index` ended: `childEnded`, and once a child was cancelled, the group starts nothing new and the children
   * it never started settle as cancelled.
   */
  childFinished(index: number, outcome: Settlement, executionId: string): { parent: Decision; early?: number } | undefined {
    let settled = this.childEnded(index, outcome, executionId);
    if (!outcome.ok && isCancellation(outcome.error)) this.cancelled = true;
    if (!settled && this.cancelled) {
      const error = outcome.ok ? new CancelledError(`Execution '${executionId}' was cancelled.`) : outcome.error;
      for (const rest of this.unstarted()) settled ??= this.childEnded(rest, { ok: false, error }, executionId);
    }
    return settled;
  }

  /**
   * A settled DAG: the tasks it never started must have nothing recorded in their scopes (a history in which a task ran
   * that today's code skips is a change of code).
   * @throws NonDeterminismError naming the first recorded operation of such a task.
   */
  checkNeverStarted(replayer: Replayer): void {
    for (const index of this.dag?.neverStarted() ?? []) {
      replayer.checkScopeReached(replayer.openScope(`${this.position.opId}.${index}`, this.parent.scope));
    }
  }

  /** Starts the group: the fibers ready now, its first children, or its parent at once when it is empty. */
  start(replayer: Replayer): Fiber[] {
    const parent = this.parent;
    const empty = this.whenEmpty();
    parent.inGroup = empty ? undefined : this;
    if (!empty) return this.openChildren(replayer);
    this.done = true;
    parent.input = empty;
    return [parent];
  }

  /** What the parent receives when the group is empty, if it is. */
  whenEmpty(): Decision | undefined {
    if (this.size > 0) return undefined;
    return { type: "resume", value: this.dag ? {} : [] };
  }

  /**
   * Child `index` ended. Returns what the parent fiber receives when the group settles now (and the index of an early
   * settlement to record), or undefined while the group goes on.
   */
  childEnded(index: number, outcome: Settlement, executionId: string): { parent: Decision; early?: number } | undefined {
    this.children.delete(index);
    if (this.dag) {
      // A DAG never settles early: running tasks finish, and it settles once every task is decided.
      const settled = this.dag.ended(index, outcome, executionId);
      if (!settled) return undefined;
      return { parent: settled.ok ? { type: "resume", value: settled.value } : thrown(settled.error) };
    }
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
        {
          operation: this.position.describe(),
          opId: this.position.opId,
          expected: { text: `${this.position.describe()} settled early on the failure of child ${index}` },
          found: { text: `child ${index} succeeds` },
        },
      );
    } else {
      this.results[index] = outcome.value;
    }
    if (--this.remaining > 0) return undefined;
    return { parent: { type: "resume", value: kind === "branch" ? this.results[0] : this.results } };
  }
}

function thrown(error: unknown): Decision {
  return { type: "throw", error: asError(error) };
}

/** A fiber for a single operation: yields it once and returns its answer. */
async function* runOne(operation: Yieldable<unknown>): AsyncGenerator<Envelope, unknown, unknown> {
  return yield* operation;
}

/** A generator that fails at once (a map function that threw while building its child). */
async function* failing(error: unknown): AsyncGenerator<never, never, unknown> {
  throw error;
}
