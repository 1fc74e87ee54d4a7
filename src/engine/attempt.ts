// Running one step attempt: the context the step function receives, and the timeout that aborts its signal.
import type { StepContext } from "../core/yieldable.js";
import { StepTimeoutError } from "../errors.js";
import type { Clock } from "./clock.js";

/** A step function as the engine calls it. */
export type StepFunction = (context: StepContext) => unknown;

/** What a step attempt receives. A class, so the hot path allocates one small object and no closures. */
export class AttemptContext implements StepContext {
  private controller: AbortController | undefined;

  constructor(
    readonly attempt: number,
    private readonly executionId: string,
    private readonly runId: string,
    private readonly opId: string,
  ) {}

  get idempotencyKey(): string {
    return `${this.executionId}:${this.runId}:${this.opId}`;
  }

  get signal(): AbortSignal {
    return this.abortController.signal;
  }

  get abortController(): AbortController {
    return (this.controller ??= new AbortController());
  }

  /** Aborts the signal if the step looked at it (a dropped branch's step: its result will not be recorded). */
  abortIfWatched(reason: Error): void {
    this.controller?.abort(reason);
  }
}

/** Calls a step function, enforcing its timeout with the engine's clock: the signal aborts and the attempt fails. */
export function invokeWithTimeout(
  fn: StepFunction,
  context: AttemptContext,
  timeoutMs: number,
  deps: { clock: Clock; timedSteps: { running: number } },
  executionId: string,
  operation: string,
): Promise<unknown> {
  const { clock, timedSteps } = deps;
  timedSteps.running++;
  return new Promise((resolve, reject) => {
    let settled = false;
    let stopTimer: (() => void) | undefined;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      timedSteps.running--;
      stopTimer?.();
      return true;
    };
    stopTimer = clock.setTimer(clock.now() + timeoutMs, () => {
      if (!settle()) return;
      const error = new StepTimeoutError(
        `Execution '${executionId}': attempt ${context.attempt} of ${operation} ran past its timeout of ` +
          `${timeoutMs} ms and was aborted. Raise the timeout or make the step faster.`,
        { executionId, operation },
      );
      context.abortController.abort(error);
      reject(error);
    });
    if (settled) return;
    new Promise((run) => run(fn(context))).then(
      (value) => settle() && resolve(value),
      (error: unknown) => settle() && reject(error),
    );
  });
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  return typeof (value as { then?: unknown }).then === "function";
}
