// The interpreter: pure, no I/O, no clock, no store. Given a workflow body, its recorded history (in the replayer),
// the unread inbox with arrival times and the current time, `advance(now)` drives the body's fibers as far as they
// go and hands back what the engine must do: step attempts to run, child executions to create, attempts and children
// no longer wanted, or the run's end. New events wait in the replayer's buffer until the engine writes them.
//
// Recorded time decides. The interpreter keeps its own clock, the recorded time it has reached, which starts at the
// history's last event. Timers and deadlines falling due, inbox items arriving and step attempts settling are taken
// one at a time, earliest first (ties to the earlier position), until the next one lies after `now`. A turn that runs
// late therefore resolves every wait, timeout and race as a turn on time would have.
import { endRun, reconsiderEnding } from "./ending.js";
import type { Settled, Settlement, StepRun, WaitWake } from "./fibers.js";
import { Fiber, GroupRun, RunningSteps, WaitingFibers } from "./fibers.js";
import { childRefused, childStarted } from "./handlers/children.js";
import { giveBack } from "./handlers/events.js";
import { groupSettled } from "./handlers/groups.js";
import { recordAttempt } from "./handlers/step.js";
import { earlier, OccurrenceQueue, SettledQueue } from "./occurrences.js";
import type { Advance, ChildRun, InterpreterOptions } from "./effects.js";
import { emptyAdvance, NONE } from "./effects.js";
import type { Ending } from "./ending.js";
import type { Decision, InboxItem } from "./replayer.js";
import { Replayer } from "./replayer.js";
import type { ChildCommand } from "./yieldable.js";

export type { Ending } from "./ending.js";
export type { Settlement, StepRun } from "./fibers.js";
export type { Advance, ChildRun, InterpreterOptions } from "./effects.js";

/** Drives one run of an execution. Open one per cold turn; the engine's warm cache keeps it between turns. */
export class Interpreter {
  readonly replayer: Replayer;
  readonly root: Fiber;
  /** The recorded time reached: every new event is stamped with it. */
  private time: number;
  private readonly ready: Fiber[] = [];
  /** The fibers waiting at an operation. */
  readonly waiting = new WaitingFibers();
  /** Waiting fibers' next times, earliest first. */
  private readonly wakes = new OccurrenceQueue<WaitWake>();
  /** Settled attempts in the order they settled (so in time order). */
  private readonly settled = new SettledQueue<Settled>();
  private readonly running = new RunningSteps();
  private out: Advance = emptyAdvance();
  /** What the last advanceTo handed out, until takeAdvance takes it. */
  private advanced: Advance | undefined;
  /** How the body ended, once it has. */
  private rootOutcome: Settlement | undefined;
  /** The fiber being decided again because its time came. */
  private woken: Fiber | undefined;

  constructor(private readonly options: InterpreterOptions) {
    this.replayer = new Replayer(
      options.executionId,
      options.runId,
      options.history,
      { now: () => this.time, random: options.random, uuid: options.uuid },
      options.valueLimit,
    );
    this.time = this.replayer.recordedUntil;
    this.root = new Fiber(this.replayer.root, options.body);
    this.ready.push(this.root);
  }

  /** True once the body has run (a warm session continues instead of replaying). */
  get started(): boolean {
    return this.root.started;
  }

  /** True when attempts settled that `advance` has not taken yet. */
  get hasSettled(): boolean {
    return this.settled.peek() !== undefined;
  }

  /** Step attempts running now. */
  get runningSteps(): number {
    return this.running.size;
  }

  /** Replaces the view of unread inbox items (arrival order); every waiting fiber is looked at again. */
  setInbox(items: readonly InboxItem[]): void {
    this.replayer.setInbox(items);
    this.wakes.clear();
    for (const fiber of this.waiting) this.schedule(fiber);
  }

  /**
   * Runs the body's fibers as far as they go at `now`: first what is ready, then, earliest first, every timer,
   * deadline, arrival and settled attempt up to `now`; hands back what the engine must do.
   * @throws NonDeterminismError when the code no longer matches the history (before any new effect is handed out).
   */
  async advance(now: number): Promise<Advance> {
    await this.advanceTo(now);
    return this.takeAdvance();
  }

  /** What the last `advanceTo` handed out (once). */
  takeAdvance(): Advance {
    const advanced = this.advanced ?? emptyAdvance();
    this.advanced = undefined;
    return advanced;
  }

  /**
   * `advance` for a caller that runs it once per step (the engine's turn): its promise settles with nothing, and what
   * it hands out is taken with `takeAdvance`. A promise resolved with an object looks the object's `then` up first.
   * @throws NonDeterminismError as `advance`.
   */
  async advanceTo(now: number): Promise<void> {
    for (;;) {
      // Ready fibers run until each waits, runs a step, or ends; one that gets its answer at once goes on. The
      // generator's own promise is the only await per operation (a nested async call would cost a promise and a tick).
      while (this.ready.length > 0 && !this.out.ending) {
        const fiber = this.ready.shift()!;
        if (fiber.dead) continue;
        let next: IteratorResult<unknown, unknown> | undefined;
        do {
          try {
            next = await this.resume(fiber);
          } catch (error) {
            fiber.started = true;
            this.fiberEnded(fiber, { ok: false, error });
            break;
          }
        } while (this.answer(fiber, next));
      }
      if (this.out.ending) break;
      const settled = this.settled.peek();
      const wake = this.nextWake();
      // A settled attempt and a waiting fiber's time: the earlier goes first (the earlier position on a tie).
      if (settled && (!wake || earlier(settled, wake))) {
        if (settled.at > now) break;
        this.settled.pop();
        if (settled.at > this.time) this.time = settled.at;
        this.deliverSettled(settled);
        continue;
      }
      if (!wake || wake.at > now) break;
      this.wakes.pop();
      if (wake.at > this.time) this.time = wake.at;
      this.deliverWake(wake);
    }
    this.advanced = this.out;
    this.out = emptyAdvance();
  }

  /** Hands back the outcome of a step attempt that settled at `at` (the engine's clock); `advance` records it. */
  stepSettled(run: StepRun, outcome: Settlement, at: number): void {
    if (!run.active) return;
    run.outcome = outcome;
    run.at = at;
    this.settled.push(run as Settled);
  }

  /** The child execution of `run` exists now (created at `at`). */
  childStarted(run: ChildRun, at: number): void {
    if (at > this.time) this.time = at;
    if (run.fiber.dead) return;
    this.apply(run.fiber, childStarted(this.replayer, run.position, run.childId));
  }

  /** Creating the child of `run` was refused (a bad input, an unknown workflow): the error is thrown into the body. */
  childFailed(run: ChildRun, error: Error): void {
    if (run.fiber.dead) return;
    this.apply(run.fiber, childRefused(this.replayer, run.position, error));
  }

  /** Records the attempts that settled and were not taken yet (the turn stops at its deadline); nothing else runs. */
  recordSettled(): void {
    for (let run = this.settled.peek(); run; run = this.settled.peek()) {
      this.settled.pop();
      if (run.at > this.time) this.time = run.at;
      this.retire(run);
      recordAttempt(this.replayer, run, run.outcome);
    }
  }

  /** Takes back an attempt not yet started (a command arrived): its fiber decides again. False if its start is recorded. */
  recall(run: StepRun): boolean {
    if (!run.active || run.recordedStart) return false;
    this.retire(run);
    this.apply(run.fiber, this.replayer.redecide(run.fiber.position!));
    return true;
  }

  /** Every running attempt, given up (the turn stops at its deadline): they run again in a later turn. */
  abandonRunning(): StepRun[] {
    const runs = this.running.all();
    for (const run of runs) this.retire(run);
    return runs;
  }

  /** The earliest recorded time at which something already known happens to a waiting fiber, if any. */
  earliestWake(): number | undefined {
    const settled = this.settled.peek()?.at;
    const wake = this.nextWake()?.at;
    return settled === undefined ? wake : wake === undefined ? settled : Math.min(settled, wake);
  }

  /** The run's end was refused for commands that arrived meanwhile (now in `setInbox`): a cancel among them wins. */
  reconsiderEnding<E extends Ending>(ending: E): E | { status: "cancelled" } {
    return this.rootOutcome ? reconsiderEnding(this.replayer, this.options, this.rootOutcome, ending) : ending;
  }

  /** Ends a turn: a cancellation delivered in it reaches no fiber in later turns. */
  endTurn(): void {
    this.replayer.endTurn();
  }

  // --- driving fibers -------------------------------------------------------------------------------------------

  /** The earliest waiting fiber's entry that is still current. */
  private nextWake(): WaitWake | undefined {
    for (let next = this.wakes.peek(); next; next = this.wakes.peek()) {
      const fiber = next.fiber;
      if (fiber.wait !== undefined && fiber.waitVersion === next.version && !fiber.dead) return next;
      this.wakes.pop();
    }
    return undefined;
  }

  private deliverSettled(run: Settled): void {
    this.retire(run);
    let decision = recordAttempt(this.replayer, run, run.outcome);
    // A callback's send step runs at <id>.0 while its fiber waits at the callback itself: decide that next.
    if (run.position !== run.fiber.position) decision = this.replayer.redecide(run.fiber.position!);
    this.apply(run.fiber, decision);
  }

  private deliverWake(wake: WaitWake): void {
    const fiber = wake.fiber;
    this.waiting.delete(fiber);
    fiber.wait = undefined;
    this.woken = fiber;
    try {
      this.apply(fiber, this.replayer.redecide(fiber.position!));
    } finally {
      this.woken = undefined;
    }
  }

  /** Resumes a fiber's generator with what it receives. */
  private resume(fiber: Fiber): Promise<IteratorResult<unknown, unknown>> {
    const input = fiber.input;
    fiber.input = undefined;
    if (input === undefined) return fiber.generator.next();
    if (input.type === "resume") return fiber.generator.next(input.value);
    return fiber.generator.throw((input as { error: Error }).error);
  }

  /**
   * Takes what a fiber's generator yielded or returned. True when the fiber goes on at once: its operation was answered
   * immediately and no other fiber is ready (the queue would hand it back next).
   */
  private answer(fiber: Fiber, next: IteratorResult<unknown, unknown>): boolean {
    fiber.started = true;
    if (next.done) {
      this.fiberEnded(fiber, { ok: true, value: next.value });
      return false;
    }
    const { position, decision } = this.replayer.next(fiber.scope, next.value as never);
    if (position) fiber.position = position;
    if ((decision.type === "resume" || decision.type === "throw") && this.ready.length === 0) {
      fiber.input = decision;
      return true;
    }
    this.apply(fiber, decision);
    return false;
  }

  private apply(fiber: Fiber, decision: Decision): void {
    switch (decision.type) {
      case "resume":
      case "throw":
        fiber.input = decision;
        this.ready.push(fiber);
        return;
      case "wait":
        fiber.wait = decision.wait;
        fiber.waitVersion++;
        this.waiting.add(fiber);
        this.schedule(fiber);
        return;
      case "run": {
        const run: StepRun = { fiber, position: decision.position, attempt: decision.attempt, recordedStart: decision.flushFirst, active: true };
        fiber.running = run;
        this.running.add(run);
        if (this.out.steps === NONE) this.out.steps = [run]; // most advances hand out one step: no room for more
        else this.out.steps.push(run);
        return;
      }
      case "group":
        return this.startGroup(fiber, new GroupRun(decision.position, decision.position.command as never, fiber, decision.settled, this.replayer.cancelWasDelivered));
      case "startChild": {
        const command = decision.position.command as ChildCommand;
        (this.out.children === NONE ? (this.out.children = []) : this.out.children).push({
          fiber,
          position: decision.position,
          childId: decision.childId,
          workflow: command.name,
          wait: command.wait,
          ...(decision.input === undefined ? {} : { input: decision.input }),
        });
        return;
      }
      case "continueAsNew":
        this.out.ending = decision.input === undefined ? { status: "continueAsNew" } : { status: "continueAsNew", input: decision.input };
        return;
    }
  }

  /** Queues the next time something may happen to a waiting fiber: its own time, or an arrival it would take. */
  private schedule(fiber: Fiber): void {
    const position = fiber.position!;
    const until = fiber.wait!.until;
    let arrival = this.replayer.arrivalFor(position);
    // Woken for an arrival it could not take yet (a callback's completion while its send step waits for a retry): it
    // takes it once something else moves it on, not again at this time.
    if (fiber === this.woken && arrival !== undefined && arrival <= this.time) arrival = undefined;
    const at = until === undefined ? arrival : arrival === undefined ? until : Math.min(until, arrival);
    if (at === undefined) return;
    this.wakes.push({ at: Math.max(at, this.time), position, fiber, version: fiber.waitVersion });
  }

  private orphan(...childIds: string[]): void {
    if (childIds.length === 0) return;
    (this.out.orphans === NONE ? (this.out.orphans = []) : this.out.orphans).push(...childIds);
  }

  private retire(run: StepRun): void {
    if (!run.active) return;
    run.active = false;
    this.running.delete(run);
    if (run.fiber.running === run) run.fiber.running = undefined;
  }

  // --- groups -----------------------------------------------------------------------------------------------------

  private startGroup(parent: Fiber, group: GroupRun): void {
    parent.inGroup = group;
    const empty = group.whenEmpty();
    if (empty) {
      group.done = true;
      parent.inGroup = undefined;
      parent.input = empty;
      this.ready.push(parent);
      return;
    }
    for (const child of group.openChildren(this.replayer)) this.ready.push(child);
  }

  private fiberEnded(fiber: Fiber, outcome: Settlement): void {
    if (fiber === this.root) {
      this.rootOutcome = outcome;
      this.out.ending = endRun(this.replayer, this.options, outcome);
      this.orphan(...this.replayer.openChildren());
      return;
    }
    const group = fiber.group!;
    if (group.done || fiber.dead) return;
    this.replayer.checkScopeReached(fiber.scope);
    const settled = group.childFinished(fiber.index, outcome, this.options.executionId);
    if (!settled) {
      for (const child of group.openChildren(this.replayer)) this.ready.push(child);
      return;
    }
    group.done = true;
    group.checkNeverStarted(this.replayer);
    for (const other of group.children.values()) this.drop(other);
    if (settled.early !== undefined) groupSettled(this.replayer, group.position, settled.early);
    group.parent.inGroup = undefined;
    group.parent.input = settled.parent;
    this.ready.push(group.parent);
  }

  /** Drops a fiber and everything under it: its waits go, its running attempt is not recorded. */
  private drop(fiber: Fiber): void {
    fiber.dead = true;
    if (fiber.wait?.kind === "child") this.orphan(fiber.wait.name);
    if (this.waiting.delete(fiber)) fiber.wait = undefined;
    const run = fiber.running;
    if (run?.active) {
      this.retire(run);
      (this.out.dropped === NONE ? (this.out.dropped = []) : this.out.dropped).push(run);
    }
    // An event this branch took in this turn, unused, goes back to the inbox for the next wait.
    if (fiber.input?.type === "resume" && fiber.position?.command.kind === "waitForEvent") {
      giveBack(this.replayer, fiber.position.opId);
    }
    const group = fiber.inGroup;
    if (group && !group.done) {
      group.done = true;
      for (const child of group.children.values()) this.drop(child);
    }
  }
}
