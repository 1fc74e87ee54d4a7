// A running DAG's bookkeeping: which tasks are waiting, ready, running or decided, and what each trigger rule makes of
// its dependencies' outcomes. Ready tasks start in declaration order (an ordered queue of indexes), under the DAG's
// concurrency bound; outcomes arrive in the order the interpreter takes them (recorded time), so the tasks started,
// skipped and the result replay identically. Pure: GroupRun (fibers.ts) drives it.
import { DagFailedError } from "../errors.js";
import { asError, isCancellation } from "./error-record.js";
import type { DagCommand, DagTaskShape } from "./yieldable.js";

type Status = "waiting" | "ready" | "running" | "success" | "failed" | "skipped";

/** One task's outcome in the DAG's result. */
export type TaskOutcome = { status: "success"; value: unknown } | { status: "failed"; error: Error } | { status: "skipped" };

/** What the DAG's parent receives once every task is decided. */
export type DagSettlement = { ok: true; value: Record<string, TaskOutcome> } | { ok: false; error: Error };

/**
 * The state of one running DAG: GroupRun asks it which tasks to start (`startable`), what a task receives (`inputs`)
 * and tells it each task's outcome (`ended`), which decides the tasks it makes ready or skips and, once every task is
 * decided, what the DAG's parent receives.
 */
export class DagRun {
  private readonly status: Status[];
  private readonly values: unknown[];
  private readonly errors: (Error | undefined)[];
  private readonly dependents: number[][];
  /** 1 for each task that was started (its scope opened). */
  private readonly started: Uint8Array;
  /** Ready task indexes, ascending: the next to start is the first. */
  private readonly ready: number[] = [];
  private running = 0;
  private failed = false;
  /** The task whose failure was taken first (recorded time): the error's cause, where a redrive starts. */
  private firstFailure: Error | undefined;
  private cancellation: Error | undefined;

  constructor(
    private readonly command: DagCommand,
    /** The DAG's operation, for messages: "dag 'etl' (#2)". */
    private readonly operation: string,
  ) {
    const size = command.tasks.length;
    this.status = new Array<Status>(size).fill("waiting");
    this.values = new Array<unknown>(size);
    this.errors = new Array<Error | undefined>(size);
    this.dependents = command.tasks.map(() => []);
    this.started = new Uint8Array(size);
    command.tasks.forEach((task, index) => {
      for (const dep of task.deps) this.dependents[dep]!.push(index);
      if (task.deps.length === 0) this.makeReady(index);
    });
  }

  /** The tasks to start now, at most `free` of them, in declaration order. */
  startable(free: number): number[] {
    if (this.stopped) return [];
    const start = this.ready.splice(0, Math.max(0, free));
    for (const index of start) {
      this.started[index] = 1;
      this.status[index] = "running";
      this.running++;
    }
    return start;
  }

  /** Task `index`'s inputs: each dependency's value by name (undefined for one that did not succeed). */
  inputs(index: number): Record<string, unknown> {
    const inputs: Record<string, unknown> = {};
    for (const dep of this.command.tasks[index]!.deps) {
      inputs[this.command.tasks[dep]!.name] = this.status[dep] === "success" ? this.values[dep] : undefined;
    }
    return inputs;
  }

  /** Tasks never started (skipped, or left when the DAG stopped): their scopes must hold nothing recorded. */
  neverStarted(): number[] {
    const never: number[] = [];
    for (let index = 0; index < this.started.length; index++) if (this.started[index] === 0) never.push(index);
    return never;
  }

  /** Tasks not started yet (a cancelled DAG settles them as cancelled). */
  unstarted(): number[] {
    const rest: number[] = [];
    this.status.forEach((status, index) => {
      if (status === "waiting" || status === "ready") rest.push(index);
    });
    this.ready.length = 0;
    return rest;
  }

  /** Task `index` ended. Returns the DAG's settlement once every task is decided, else undefined. */
  ended(index: number, outcome: { ok: true; value: unknown } | { ok: false; error: unknown }, executionId: string): DagSettlement | undefined {
    if (this.status[index] === "running") this.running--;
    else {
      const at = this.ready.indexOf(index);
      if (at >= 0) this.ready.splice(at, 1);
    }
    if (outcome.ok) {
      this.values[index] = outcome.value;
      this.decide(index, "success");
    } else {
      const error = asError(outcome.error);
      if (isCancellation(error)) this.cancellation ??= error;
      this.errors[index] = error;
      this.failed = true;
      this.firstFailure ??= error;
      this.decide(index, "failed");
    }
    return this.settlement(executionId);
  }

  private get stopped(): boolean {
    return this.cancellation !== undefined || (this.failed && this.command.failFast);
  }

  private settlement(executionId: string): DagSettlement | undefined {
    if (this.running > 0 || (!this.stopped && this.ready.length > 0)) return undefined;
    if (this.cancellation) return { ok: false, error: this.cancellation };
    const value: Record<string, TaskOutcome> = {};
    const failures: { task: string; error: Error }[] = [];
    this.command.tasks.forEach((task, index) => {
      const status = this.status[index]!;
      if (status === "success") value[task.name] = { status, value: this.values[index] };
      else if (status === "failed") {
        value[task.name] = { status, error: this.errors[index]! };
        failures.push({ task: task.name, error: this.errors[index]! });
      } else value[task.name] = { status: "skipped" };
    });
    if (failures.length === 0) return { ok: true, value };
    return { ok: false, error: dagFailed(executionId, this.operation, failures, value, this.firstFailure!) };
  }

  private makeReady(index: number): void {
    this.status[index] = "ready";
    let at = this.ready.length;
    while (at > 0 && this.ready[at - 1]! > index) at--;
    this.ready.splice(at, 0, index);
  }

  private decide(index: number, status: "success" | "failed" | "skipped"): void {
    this.status[index] = status;
    for (const dependent of this.dependents[index]!) {
      if (this.status[dependent] !== "waiting") continue;
      const verdict = this.verdict(this.command.tasks[dependent]!);
      if (verdict === "run") this.makeReady(dependent);
      else if (verdict === "skip") this.decide(dependent, "skipped");
    }
  }

  /** What a waiting task's trigger rule makes of its dependencies so far: run, skip, or wait. */
  private verdict(task: DagTaskShape): "run" | "skip" | "wait" {
    let success = 0;
    let failed = 0;
    let skipped = 0;
    for (const dep of task.deps) {
      const status = this.status[dep];
      if (status === "success") success++;
      else if (status === "failed") failed++;
      else if (status === "skipped") skipped++;
    }
    const all = task.deps.length;
    const done = success + failed + skipped === all;
    switch (task.trigger) {
      case "all-success":
        return failed + skipped > 0 ? "skip" : done ? "run" : "wait";
      case "all-done":
        return done ? "run" : "wait";
      case "one-success":
        return success > 0 ? "run" : done ? "skip" : "wait";
      case "one-failed":
        return failed > 0 ? "run" : done ? "skip" : "wait";
      case "none-failed":
        return failed > 0 ? "skip" : done ? "run" : "wait";
    }
  }
}

function dagFailed(
  executionId: string,
  operation: string,
  failures: { task: string; error: Error }[],
  results: Record<string, TaskOutcome>,
  first: Error,
): Error {
  const listed = failures.map(({ task, error }) => `'${task}' (${error.name}: ${error.message})`).join(", ");
  return new DagFailedError(
    `Execution '${executionId}': ${operation}: ${failures.length === 1 ? "task" : "tasks"} ${listed} failed. ` +
      `Catch DagFailedError to handle it (its results hold every task's outcome), or redrive the execution once fixed.`,
    {
      executionId,
      operation,
      cause: first,
      failures: failures.map(({ task, error }) => ({ task, error: error.name, message: error.message })),
      results: Object.fromEntries(Object.entries(results).map(([task, outcome]) => [task, outcome.status])),
    },
  );
}
