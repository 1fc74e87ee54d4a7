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
import type { Settled, Settlement, StepRun } from "./fibers.js";
import { Fiber, GroupRun, RunningSteps, WaitingFibers } from "./fibers.js";
import { childRefused, childStarted } from "./handlers/children.js";
import { giveBack } from "./handlers/events.js";
import { groupSettled } from "./handlers/groups.js";
import { recordAttempt } from "./handlers/step.js";
import type { WaitWake } from "./occurrences.js";
import { earlier, FiberWakes, SettledQueue } from "./occurrences.js";
import type { Advance, ChildRun, InterpreterOptions } from "./effects.js";
import { emptyAdvance, pushed } from "./effects.js";
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
  private readonly wakes = new FiberWakes();
  /** Settled attempts in the order they settled (so in time order). */
  private readonly settled = new SettledQueue<Settled>();
  private readonly running = new RunningSteps();
  private out: Advance = emptyAdvance();
  /** While an advance runs (see `begin`): its time, and the fiber resumed. */
  private until = 0;
  private current: Fiber | undefined;
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
   * The engine's turn runs this loop inline (src/engine/turn.ts): keep the two in step.
   */
  async advance(now: number): Promise<Advance> {
    for (let pending = this.begin(now); pending !== undefined; ) {
      let next: IteratorResult<unknown, unknown>;
      try {
        next = await pending;
      } catch (error) {
        pending = this.threw(error);
        continue;
      }
      pending = this.resumed(next);
    }
    return this.takeAdvance();
  }

  /**
   * `advance` in parts, for a caller awaiting each generator itself (the engine's turn: no async frame between, per
   * step). Each part hands back the promise of the fiber it resumed, for `resumed` (or `threw`) to take, and undefined
   * once the advance is done: `takeAdvance` then gives what the engine must do. @throws NonDeterminismError.
   */
  begin(now: number): Promise<IteratorResult<unknown, unknown>> | undefined {
    this.until = now;
    return this.resumeNext();
  }

  /** The resumed fiber yielded or returned `next` (see `begin`); the fiber goes on at once if its answer is known. */
  resumed(next: IteratorResult<unknown, unknown>): Promise<IteratorResult<unknown, unknown>> | undefined {
    const fiber = this.current!;
    return this.answer(fiber, next) ? this.resume(fiber) : this.resumeNext();
  }

  /** The resumed fiber threw (see `begin`): it ended with that error. */
  threw(error: unknown): Promise<IteratorResult<unknown, unknown>> | undefined {
    const fiber = this.current!;
    fiber.started = true;
    this.fiberEnded(fiber, { ok: false, error });
    return this.resumeNext();
  }

  /** What the advance just done hands out; what happens from here on goes to the next one. */
  takeAdvance(): Advance {
    const out = this.out;
    this.out = emptyAdvance();
    return out;
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
    const wake = this.wakes.next()?.at;
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

  /** Resumes the next fiber to run (see `begin`); undefined when there is none (the advance is done). */
  private resumeNext(): Promise<IteratorResult<unknown, unknown>> | undefined {
    const fiber = this.nextFiber(this.until);
    this.current = fiber;
    return fiber === undefined ? undefined : this.resume(fiber);
  }

  /**
   * The next fiber to resume: a ready one (each runs until it waits, runs a step or ends), else the one a settled
   * attempt or a waiting fiber's time makes ready, earliest first up to `now` (the earlier position on a tie).
   * Undefined once the run has ended or nothing more happens by `now`.
   */
  private nextFiber(now: number): Fiber | undefined {
    for (;;) {
      if (this.out.ending) return undefined;
      while (this.ready.length > 0) {
        const fiber = this.ready.shift()!;
        if (!fiber.dead) return fiber;
      }
      const settled = this.settled.peek();
      const wake = this.wakes.next();
      if (settled && (!wake || earlier(settled, wake))) {
        if (settled.at > now) return undefined;
        this.settled.pop();
        if (settled.at > this.time) this.time = settled.at;
        this.deliverSettled(settled);
        continue;
      }
      if (!wake || wake.at > now) return undefined;
      this.wakes.pop();
      if (wake.at > this.time) this.time = wake.at;
      this.deliverWake(wake);
    }
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
        this.out.steps = pushed(this.out.steps, run);
        return;
      }
      case "group": {
        const group = new GroupRun(decision.position, decision.position.command as never, fiber, decision.settled, this.replayer.cancelWasDelivered);
        for (const ready of group.start(this.replayer)) this.ready.push(ready);
        return;
      }
      case "startChild": {
        const command = decision.position.command as ChildCommand;
        this.out.children = pushed(this.out.children, {
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
    let arrival = this.replayer.arrivalFor(fiber.position!);
    // Woken for an arrival it could not take yet (a callback's completion while its send step waits for a retry): it
    // takes it once something else moves it on, not again at this time.
    if (fiber === this.woken && arrival !== undefined && arrival <= this.time) arrival = undefined;
    this.wakes.schedule(fiber, arrival, this.time);
  }

  private orphan(...childIds: string[]): void {
    for (const childId of childIds) this.out.orphans = pushed(this.out.orphans, childId);
  }

  private retire(run: StepRun): void {
    if (!run.active) return;
    run.active = false;
    this.running.delete(run);
    if (run.fiber.running === run) run.fiber.running = undefined;
  }

  // --- groups -----------------------------------------------------------------------------------------------------

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
      this.out.dropped = pushed(this.out.dropped, run);
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
