// The static types of dag() and task(): each task's result is typed per task (as a step's, Jsonify'd), a task's
// declared inputs are checked against its dependencies' results, an unknown dependency does not compile, and a rule
// other than all-success gives `undefined` for a dependency that did not succeed.
import { describe, expectTypeOf, it } from "vitest";
import type { DagResults, TaskResult, Yieldable } from "spindle";
import { dag, task, workflow } from "spindle";

describe("dag types", () => {
  it("types each task's outcome and checks declared inputs against the dependencies' results", () => {
    const tasks = {
      extract: task(() => [{ id: 1, at: new Date() }]),
      count: task(["extract"], (deps: { extract: { id: number; at: string }[] }) => deps.extract.length),
      alert: task(["count"], (deps: { count: number | undefined }) => String(deps.count), { trigger: "one-failed" }),
    };
    const op = dag(tasks);
    expectTypeOf(op).toEqualTypeOf<Yieldable<DagResults<typeof tasks>>>();
    expectTypeOf<DagResults<typeof tasks>["count"]>().toEqualTypeOf<TaskResult<number>>();
    expectTypeOf<DagResults<typeof tasks>["extract"]>().toEqualTypeOf<TaskResult<{ id: number; at: string }[]>>();

    // Inline, as written in a workflow body: all-success inputs are the dependencies' results, never undefined.
    const inline = dag({ a: task(() => 1), b: task(["a"], (deps: { a: number }) => deps.a + 1) });
    expectTypeOf(inline).toEqualTypeOf<Yieldable<{ readonly a: TaskResult<number>; readonly b: TaskResult<number> }>>();
    // @ts-expect-error a Date arrives as its JSON string: declaring `at: Date` does not match the dependency's result
    dag({ extract: task(() => ({ at: new Date() })), use: task(["extract"], (deps: { extract: { at: Date } }) => deps.extract.at.getTime()) });
    // @ts-expect-error a dependency that is not a task of the dag
    dag({ a: task(() => 1), b: task(["missing"], () => 2) });
    // @ts-expect-error under one-failed a dependency may not have succeeded: its input may be undefined
    dag({ a: task(() => 1), b: task(["a"], (deps: { a: number }) => deps.a, { trigger: "one-failed" }) });
  });

  it("types a child-workflow task by the child's output", () => {
    const double = workflow("double", async function* (input: { n: number }) {
      return input.n * 2;
    });
    const tasks = { seed: task(() => 2), doubled: task(["seed"], double, { input: (deps: { seed: number }) => ({ n: deps.seed }) }) };
    expectTypeOf<DagResults<typeof tasks>["doubled"]>().toEqualTypeOf<TaskResult<number>>();
  });
});
