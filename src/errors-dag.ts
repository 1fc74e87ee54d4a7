// DagFailedError: the error a DAG throws when tasks failed. Kept beside errors.ts (which re-exports it and revives it
// from history records) so that file stays one screen of the tree per class.
import type { SpindleErrorOptions } from "./error-base.js";
import { identify, SpindleError } from "./error-base.js";

/** One failed task of a DAG, as DagFailedError lists it (plain data: it is recorded in the history). */
export interface DagTaskFailure {
  /** The task's name. */
  task: string;
  /** The name of the task's error (e.g. "StepFailedError"). */
  error: string;
  /** Its message. */
  message: string;
}

/**
 * A `dag` ended with failed tasks. `failures` lists each failed task with its error's name and message, `results`
 * every task's status (`"success" | "failed" | "skipped"`), and `cause` is the error of the failure recorded first
 * (revived from the history, like a step's; a redrive starts there).
 *
 * @example
 * ```ts
 * try { yield* dag({ extract: task(extract), load: task(["extract"], load) }); }
 * catch (e) { if (e instanceof DagFailedError) yield* step("alert", () => page(e.failures)); else throw e; }
 * ```
 */
export class DagFailedError extends SpindleError {
  static {
    identify(this, "DagFailedError");
  }

  override readonly code = "DAG_FAILED" as const;
  /** Each failed task with its error's name and message, in declaration order. */
  readonly failures: DagTaskFailure[];
  /** Every task's status by task name. */
  readonly results: Record<string, "success" | "failed" | "skipped">;
  constructor(
    message: string,
    options: SpindleErrorOptions & { failures: DagTaskFailure[]; results: Record<string, "success" | "failed" | "skipped"> },
  ) {
    super(message, options);
    this.failures = options.failures;
    this.results = options.results;
  }
}
