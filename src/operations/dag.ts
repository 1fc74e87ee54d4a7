// dag() and task(): named tasks with dependencies, each run as a durable step (or a child workflow) as soon as its
// dependencies allow, under a concurrency bound, with Airflow's trigger rules. The DAG is checked here (names, cycles,
// unknown dependencies, options); a problem is thrown at the yield naming the execution (handlers/dag.ts), before
// anything is recorded. Task names stay data: they are never part of an operation id (tasks run in scopes
// `<dag id>.<index>`) and never a key of an object the SDK reads back by name from a prototype.
import { toMillis } from "../core/duration.js";
import { resolveRetry } from "../core/retry.js";
import type { DagTaskShape, StepContext, TriggerRule } from "../core/yieldable.js";
import { operation } from "../core/yieldable.js";
import { ValidationError } from "../errors.js";
import type { AnyWorkflow, WorkflowOutput, WorkflowStartInput } from "../workflow.js";
import { child } from "./child.js";
import type { JsonCheck, Jsonify } from "./json.js";
import { requireName } from "./names.js";
import type { StepOptions } from "./step.js";
import { step } from "./step.js";
import type { Yieldable } from "./yieldable.js";
import { internal } from "./yieldable.js";
import { taskProblem, dagProblem } from "./dag-validate.js";

export type { TriggerRule } from "../core/yieldable.js";

declare const taskBrand: unique symbol;

/**
 * Options of a task that runs as a step: the step's options (retry policy, timeout, semantics) and its trigger rule.
 *
 * @example
 * ```ts
 * const options: TaskOptions = { retry: { maxAttempts: 5 }, timeout: "30s", trigger: "all-done" };
 * ```
 */
export interface TaskOptions<Rule extends TriggerRule = TriggerRule> extends Omit<StepOptions<unknown>, "schema"> {
  /** When the task runs, given how its dependencies ended. Default `"all-success"`. */
  trigger?: Rule;
}

/**
 * Options of a task that runs as a child workflow: its input, built from the dependencies' results, and its trigger.
 *
 * @example
 * ```ts
 * const report = task(["clean"], reportWorkflow, { input: (deps: { clean: Row[] }) => ({ rows: deps.clean.length }) });
 * ```
 */
export interface ChildTaskOptions<I, In, Rule extends TriggerRule = TriggerRule> {
  /** The child's input, from the dependencies' results. */
  input: (inputs: I) => In;
  /** When the task runs, given how its dependencies ended. Default `"all-success"`. */
  trigger?: Rule;
}

/**
 * One task of a `dag`: made by `task(...)`. `D` names its dependencies, `I` is the inputs its function declares, `R`
 * its result as the workflow receives it, and `Rule` its trigger rule.
 *
 * @example
 * ```ts
 * const clean: Task<"extract", { extract: Row[] }, Row[]> = task(["extract"], (deps: { extract: Row[] }) => dedupe(deps.extract));
 * ```
 */
export interface Task<D extends string, I, R, Rule extends TriggerRule = TriggerRule> {
  readonly [taskBrand]: { deps: D; inputs: (inputs: I) => void; result: R; rule: Rule };
}

/** A task of any types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTask = Task<string, any, any, TriggerRule>;

/** What a task receives for dependency `K`: its value; `undefined` possible unless the rule is all-success. */
type InputOf<T, K, Rule> = (K extends keyof T ? ResultOf<T[K]> : never) | (Rule extends "all-success" ? never : undefined);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ResultOf<X> = X extends Task<string, any, infer R, TriggerRule> ? R : never;

/**
 * What each task of a DAG receives: its dependencies' results by name (`Jsonify`'d, as steps' are). Under a trigger
 * rule other than `"all-success"`, a dependency that did not succeed gives `undefined`.
 *
 * @example
 * ```ts
 * type CleanInputs = DagInputs<typeof tasks, "clean">; // { extract: Row[] }
 * ```
 */
export type DagInputs<T, K extends keyof T> =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  T[K] extends Task<infer D, any, unknown, infer Rule> ? { [Dep in D]: InputOf<T, Dep, Rule> } : never;

/**
 * One task's outcome in a DAG's result.
 *
 * @example
 * ```ts
 * const outcome: TaskResult<number> = results.count;
 * if (outcome.status === "success") console.log(outcome.value);
 * ```
 */
export type TaskResult<R> = { status: "success"; value: R } | { status: "failed"; error: Error } | { status: "skipped" };

/**
 * What `dag` returns: each task's outcome by name.
 *
 * @example
 * ```ts
 * const results: DagResults<typeof tasks> = yield* dag(tasks);
 * ```
 */
export type DagResults<T> = { [K in keyof T]: TaskResult<ResultOf<T[K]>> };

/** Each task's declared inputs checked against its dependencies' results (an unknown dependency has no result). */
type Checked<T> = {
  [K in keyof T]: T[K] extends Task<infer D, infer I, infer R, infer Rule>
    ? [D] extends [keyof T] ? ({ [Dep in D]: InputOf<T, Dep, Rule> } extends I ? unknown : Task<D, { [Dep in D]: InputOf<T, Dep, Rule> }, R, Rule>)
      : { "unknown dependency": Exclude<D, keyof T> }
    : never;
};

/**
 * Options of `dag`.
 *
 * @example
 * ```ts
 * const options: DagOptions = { concurrency: 4, failFast: false, name: "nightly" };
 * ```
 */
export interface DagOptions {
  /** Most tasks running at once. Default: no limit. */
  concurrency?: number;
  /**
   * `true` (default): after a failure no new task starts; running ones finish, then the DAG throws DagFailedError.
   * `false`: every task that can still run does (trigger rules decide), then the DAG throws if any task failed.
   */
  failFast?: boolean;
  /** Name recorded in the history. Default `"dag"`. */
  name?: string;
}

/** What task() keeps: the dependencies, the trigger, and how to build the task's operation from its inputs. */
interface TaskSpec {
  deps: readonly string[];
  trigger: TriggerRule;
  build: (name: string, inputs: Record<string, unknown>) => Yieldable<unknown>;
  problem?: string;
}

const specs = new WeakMap<object, TaskSpec>();

function makeTask(spec: TaskSpec): AnyTask {
  const made = Object.freeze({}) as AnyTask;
  specs.set(made, spec);
  return made;
}

/**
 * A task of a `dag`. `task(fn, options?)` has no dependencies; `task(deps, fn, options?)` runs once its dependencies'
 * trigger rule is met, and `fn` receives their results by name (annotate the parameter: `dag` checks it against the
 * dependencies' results). `fn` runs as a durable step named after the task, with the step's retry policy, timeout and
 * semantics. Given a workflow instead of a function, the task runs it as a child workflow, its input built by
 * `options.input` from the dependencies' results.
 *
 * @example
 * ```ts
 * const results = yield* dag({
 *   extract: task(() => source.rows()),
 *   clean: task(["extract"], (deps: { extract: Row[] }) => dedupe(deps.extract), { retry: { maxAttempts: 5 } }),
 *   report: task(["clean"], reportWorkflow, { input: (deps: { clean: Row[] }) => ({ count: deps.clean.length }) }),
 * });
 * ```
 * @throws ValidationError (at the dag's yield) for dependencies that are not a list of names, or a bad option.
 */
export function task<R, Rule extends TriggerRule = "all-success">(
  fn: ((context: StepContext) => R) & JsonCheck<Awaited<R>>,
  options?: TaskOptions<Rule>,
): Task<never, unknown, Jsonify<Awaited<R>>, Rule>;
export function task<const D extends string, I extends Partial<Record<D, unknown>>, R, Rule extends TriggerRule = "all-success">(
  deps: readonly D[],
  fn: ((inputs: I, context: StepContext) => R) & JsonCheck<Awaited<R>>,
  options?: TaskOptions<Rule>,
): Task<D, I, Jsonify<Awaited<R>>, Rule>;
export function task<const D extends string, I extends Partial<Record<D, unknown>>, W extends AnyWorkflow, Rule extends TriggerRule = "all-success">(
  deps: readonly D[],
  workflow: W,
  options: ChildTaskOptions<I, WorkflowStartInput<W>, Rule>,
): Task<D, I, WorkflowOutput<W>, Rule>;
export function task(...args: unknown[]): AnyTask {
  const [deps, body, options] = Array.isArray(args[0]) ? [args[0] as unknown[], args[1], args[2]] : [[], args[0], args[1]];
  const opts = (options ?? {}) as TaskOptions & Partial<ChildTaskOptions<unknown, unknown>>;
  const trigger = opts.trigger ?? "all-success";
  const problem = taskProblem(deps, body, opts, trigger);
  if (problem !== undefined) return makeTask({ deps: [], trigger: "all-success", build: () => step("-", () => null), problem });
  if (typeof body === "function") {
    const fn = body as (inputs: unknown, context: StepContext) => unknown;
    const stepOptions: TaskOptions = {};
    if (opts.retry !== undefined) stepOptions.retry = opts.retry;
    if (opts.timeout !== undefined) stepOptions.timeout = opts.timeout;
    if (opts.semantics !== undefined) stepOptions.semantics = opts.semantics;
    // Checked here so a bad retry policy or timeout fails the dag's build, not the task's start.
    resolveRetry(stepOptions.retry, stepOptions.semantics === "at-most-once");
    if (stepOptions.timeout !== undefined) toMillis(stepOptions.timeout, "timeout of a dag task");
    return makeTask({
      deps: deps as string[],
      trigger,
      // task(fn) receives the step's context; task(deps, fn) its inputs, then the context.
      build: (name, inputs) =>
        step(name, (context) => (Array.isArray(args[0]) ? fn(inputs, context) : (body as (c: StepContext) => unknown)(context)), stepOptions as never),
    });
  }
  const workflow = body as AnyWorkflow;
  const input = opts.input!;
  return makeTask({ deps: deps as string[], trigger, build: (_name, inputs) => child(workflow, input(inputs) as never) });
}

/**
 * Runs a DAG of named tasks inside a workflow. Each task starts as soon as its dependencies are done and its trigger
 * rule is met (`"all-success"` by default; `"all-done"`, `"one-success"`, `"one-failed"`, `"none-failed"`), at most
 * `concurrency` at once, ready tasks in declaration order. A task whose rule can no longer be met is `skipped`.
 * Returns each task's `{ status, value?, error? }`; when a task failed it throws DagFailedError listing each failed
 * task with its cause (see `failFast`). The tasks and edges are recorded: changing them on a recorded execution is a
 * NonDeterminismError.
 *
 * @example
 * ```ts
 * const results = yield* dag({
 *   extract: task(() => source.rows()),
 *   clean: task(["extract"], (deps: { extract: Row[] }) => dedupe(deps.extract)),
 *   load: task(["clean"], (deps: { clean: Row[] }) => warehouse.load(deps.clean)),
 * }, { concurrency: 2 });
 * results.load.status; // "success"
 * ```
 * @throws ValidationError (at the yield, naming the execution) for a cycle, an unknown dependency, a bad name or option.
 * @throws DagFailedError when tasks failed.
 */
export function dag<const T extends Record<string, unknown>>(tasks: T & Checked<T>, options: DagOptions = {}): Yieldable<DagResults<T>> {
  const name = options.name ?? "dag";
  requireName("dag", name);
  const names = tasks !== null && typeof tasks === "object" && !Array.isArray(tasks) ? Object.keys(tasks) : [];
  const list = names.map((key) => specs.get((tasks as Record<string, object>)[key]!));
  const shapes: DagTaskShape[] = [];
  const index = new Map(names.map((key, at) => [key, at]));
  let problem = dagProblem(tasks, names, list, options);
  if (problem === undefined) {
    for (let at = 0; at < names.length; at++) {
      const spec = list[at]!;
      shapes.push({ name: names[at]!, deps: spec.deps.map((dep) => index.get(dep)!), trigger: spec.trigger });
    }
  }
  const concurrency = options.concurrency ?? Math.max(1, names.length);
  const shape = problem === undefined ? JSON.stringify(shapes.map((t) => [t.name, t.deps.map((d) => names[d]!)])) : "";
  return operation({
    kind: "dag",
    name,
    size: problem === undefined ? names.length : 0,
    tasks: shapes,
    shape,
    child: (at, inputs) => internal(list[at]!.build(names[at]!, inputs)),
    concurrency,
    failFast: options.failFast ?? true,
    ...(problem === undefined ? {} : { problem }),
  });
}
