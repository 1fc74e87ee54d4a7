// The checks a DAG passes before anything runs: task arguments, names (as operation names are checked, and never one
// an object's prototype answers to), dependencies that exist, no cycle (the cycle is named), and the options. Each
// returns what is wrong and what to do, or undefined; handlers/dag.ts throws it at the yield as a ValidationError
// naming the execution and the operation.
import { isWellFormedText, MAX_ID_BYTES, utf8Length } from "../core/codec.js";
import type { TriggerRule } from "../core/yieldable.js";

const RULES: ReadonlySet<unknown> = new Set<TriggerRule>(["all-success", "all-done", "one-success", "one-failed", "none-failed"]);

/** What is wrong with task(...)'s arguments, or undefined. */
export function taskProblem(deps: unknown[], body: unknown, options: { input?: unknown }, trigger: unknown): string | undefined {
  if (!deps.every((dep) => typeof dep === "string")) {
    return "a task's dependencies must be a list of task names, e.g. task([\"extract\"], fn).";
  }
  if (new Set(deps).size !== deps.length) return `a task lists a dependency twice (${JSON.stringify(deps)}); list each once.`;
  if (!RULES.has(trigger)) {
    return `unknown trigger rule ${JSON.stringify(trigger)}; use one of ${[...RULES].map((r) => `"${r}"`).join(", ")}.`;
  }
  if (typeof body === "function") return undefined;
  const isWorkflow = body !== null && typeof body === "object" && typeof (body as { name?: unknown }).name === "string";
  if (!isWorkflow) return "a task runs a function (as a step) or a workflow() definition (as a child); got neither.";
  if (typeof options.input !== "function") return "a task that runs a child workflow needs options.input: (deps) => the child's input.";
  return undefined;
}

/** What is wrong with a task's name, or undefined. */
function nameProblem(name: string): string | undefined {
  if (name === "" || !isWellFormedText(name)) return `the task name ${JSON.stringify(name.slice(0, 80))} is empty or not well-formed Unicode; use text that encodes as UTF-8.`;
  if (utf8Length(name) > MAX_ID_BYTES) return `the task name '${name.slice(0, 40)}…' is over ${MAX_ID_BYTES} bytes in UTF-8; use a shorter name.`;
  if (name === "__proto__" || name in Object.prototype) return `'${name}' cannot name a task (objects already answer to it); rename the task.`;
  return undefined;
}

/** What is wrong with a DAG, or undefined: tasks, names, dependencies, cycles, options. */
export function dagProblem(
  tasks: unknown,
  names: readonly string[],
  specs: readonly ({ deps: readonly string[]; problem?: string } | undefined)[],
  options: { concurrency?: unknown; failFast?: unknown },
): string | undefined {
  if (tasks === null || typeof tasks !== "object" || Array.isArray(tasks) || Object.getPrototypeOf(tasks) !== Object.prototype) {
    return "dag(tasks) takes a plain object of named tasks: { extract: task(fn), clean: task([\"extract\"], fn) } ('__proto__' cannot name a task).";
  }
  if (options.concurrency !== undefined && (!Number.isInteger(options.concurrency) || (options.concurrency as number) < 1)) {
    return `concurrency must be a whole number of at least 1, got ${String(options.concurrency)}; leave it out for no limit.`;
  }
  if (options.failFast !== undefined && typeof options.failFast !== "boolean") return "failFast must be true or false.";
  const known = new Set(names);
  for (let at = 0; at < names.length; at++) {
    const name = names[at]!;
    const problem = nameProblem(name);
    if (problem) return problem;
    const spec = specs[at];
    if (!spec) return `task '${name}' is not a task; make it with task(fn) or task(deps, fn).`;
    if (spec.problem) return `task '${name}': ${spec.problem}`;
    for (const dep of spec.deps) {
      if (!known.has(dep)) return `task '${name}' depends on '${dep}', which is not a task of this dag; add it or fix the name.`;
    }
  }
  const cycle = findCycle(names, specs as { deps: readonly string[] }[]);
  return cycle ? `the tasks form a cycle: ${cycle.map((name) => `'${name}'`).join(" -> ")}; each arrow reads "depends on"; a task cannot depend on itself, even through others.` : undefined;
}

/** A cycle of dependencies as a path of names (first and last the same), or undefined. Iterative: deep DAGs are fine. */
function findCycle(names: readonly string[], specs: readonly { deps: readonly string[] }[]): string[] | undefined {
  const index = new Map(names.map((name, at) => [name, at]));
  const state = new Uint8Array(names.length); // 0 new, 1 on the path, 2 done
  for (let root = 0; root < names.length; root++) {
    if (state[root] !== 0) continue;
    const path: number[] = [root];
    const next: number[] = [0];
    state[root] = 1;
    while (path.length > 0) {
      const node = path[path.length - 1]!;
      const deps = specs[node]!.deps;
      const at = next[next.length - 1]!;
      if (at >= deps.length) {
        state[node] = 2;
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = at + 1;
      const dep = index.get(deps[at]!)!;
      if (state[dep] === 1) return [...path.slice(path.indexOf(dep)), dep].map((i) => names[i]!);
      if (state[dep] === 0) {
        state[dep] = 1;
        path.push(dep);
        next.push(0);
      }
    }
  }
  return undefined;
}
