// Property-based scenario (fast-check): random workflows built from the operations (steps that fail and retry,
// sleeps, event waits, all, race, map, child workflows) under random fault schedules (crashes before and after
// calls, failures, throttling, ambiguous writes and delays that reorder parallel steps), each checked against the
// invariants. Seeded: a failure reports the seed and path that replay it (`fc.check(..., { seed, path })`).
import fc from "fast-check";
import type { Yieldable } from "spindle";
import { all, child, map, race, sleep, step, waitForEvent, workflow } from "spindle";
import { randomFaults } from "spindle/testing";
import { checkedRun } from "../checked-run.js";
import type { ScenarioResult } from "../report.js";
import { bump, newResult } from "../report.js";
import type { Subject } from "../subjects.js";
import type { StoreTarget } from "../targets.js";

/** One operation of a generated workflow (JSON, so it travels as the workflow's input). */
export type Op =
  | { kind: "step"; failures: number; delayMs: number }
  | { kind: "sleep"; seconds: number }
  | { kind: "event" }
  | { kind: "all"; children: Op[] }
  | { kind: "race"; contender: Op }
  | { kind: "map"; items: number }
  | { kind: "child"; ops: Op[] };

interface Program {
  ops: Op[];
  prefix: string;
}

const leaf: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("step" as const), failures: fc.integer({ min: 0, max: 2 }), delayMs: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant("sleep" as const), seconds: fc.integer({ min: 1, max: 600 }) }),
  fc.record({ kind: fc.constant("event" as const) }),
);

/** Random operation trees, at most three levels deep. */
export const opArbitrary: fc.Arbitrary<Op> = fc.letrec<{ op: Op }>((tie) => ({
  op: fc.oneof(
    { maxDepth: 3, depthIdentifier: "op" },
    leaf,
    fc.record({ kind: fc.constant("all" as const), children: fc.array(tie("op"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant("race" as const), contender: leaf }),
    fc.record({ kind: fc.constant("map" as const), items: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant("child" as const), ops: fc.array(tie("op"), { minLength: 1, maxLength: 3 }) }),
  ),
})).op;

/** The interpreter: one workflow that runs any program, children included (as new executions of itself). */
const program = workflow("generated", async function* (input: Program) {
  const results: unknown[] = [];
  for (const [i, op] of input.ops.entries()) results.push(yield* build(op, `${input.prefix}${i}`));
  return results;
});

function build(op: Op, path: string): Yieldable<unknown> {
  switch (op.kind) {
    case "step":
      return step(
        `s${path}`,
        async ({ attempt }) => {
          if (op.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, op.delayMs));
          if (attempt <= op.failures) throw new Error(`step ${path} fails attempt ${attempt}`);
          return path;
        },
        { retry: { maxAttempts: 3, initialInterval: "1s" } },
      );
    case "sleep":
      return sleep(`z${path}`, op.seconds * 1000);
    case "event":
      return waitForEvent(`e${path}`);
    case "all":
      return all(op.children.map((childOp, i) => build(childOp, `${path}.${i}`)));
    case "race":
      // The contender wins: the outside world answers events before the clock reaches the hour.
      return race([build(op.contender, `${path}.0`), sleep(`rz${path}`, "1h")]);
    case "map":
      return map(Array.from({ length: op.items }, (_, i) => i), (i) => step(`m${path}.${i}`, () => i * 2), { concurrency: 2 });
    case "child":
      return child(program, { ops: op.ops, prefix: `${path}/` });
  }
}

/** Every event name a program waits for, with the payload the driver sends. */
function eventsOf(ops: readonly Op[], prefix: string, into: Record<string, unknown[]>): Record<string, unknown[]> {
  ops.forEach((op, i) => {
    const path = `${prefix}${i}`;
    if (op.kind === "event") into[`e${path}`] = [{ for: path }];
    if (op.kind === "all") eventsOf(op.children, `${path}.`, into);
    if (op.kind === "race" && op.contender.kind === "event") into[`e${path}.0`] = [{ for: path }];
    if (op.kind === "child") eventsOf(op.ops, `${path}/`, into);
  });
  return into;
}

/** A subject for one generated program. */
export function programSubject(ops: Op[]): Subject {
  return {
    name: "generated",
    setup: () => ({ workflows: [program], root: program, input: { ops, prefix: "" } }),
    events: eventsOf(ops, "", {}),
  };
}

const ratesArbitrary = fc.record({
  crashBefore: fc.double({ min: 0, max: 0.06, noNaN: true }),
  crashAfter: fc.double({ min: 0, max: 0.06, noNaN: true }),
  fail: fc.double({ min: 0, max: 0.02, noNaN: true }),
  throttle: fc.double({ min: 0, max: 0.1, noNaN: true }),
  ambiguous: fc.double({ min: 0, max: 0.05, noNaN: true }),
  delay: fc.double({ min: 0, max: 0.3, noNaN: true }),
});

/** Runs `runs` generated programs with generated fault schedules on the target. */
export async function randomPrograms(target: StoreTarget, options: { runs: number; seed: number }): Promise<ScenarioResult> {
  const result = newResult("random workflows and fault schedules (fast-check)", target.name, `fast-check seed ${options.seed}, ${options.runs} runs`);
  let lastViolations: string[] = [];
  const property = fc.asyncProperty(
    fc.array(opArbitrary, { minLength: 1, maxLength: 5 }),
    fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    ratesArbitrary,
    async (ops, faultSeed, rates) => {
      const subject = programSubject(ops);
      const scratch = newResult(result.scenario, target.name, "");
      const baseline = await checkedRun({ target, subject, where: "fault-free" }, scratch);
      await checkedRun({ target, subject, seed: faultSeed, plan: randomFaults(rates), expected: baseline.outcome, where: `fault seed ${faultSeed}` }, scratch);
      result.executions += scratch.executions;
      result.faults += scratch.faults;
      bump(result, "operations generated", countOps(ops));
      lastViolations = scratch.violations;
      return scratch.violations.length === 0;
    },
  );
  const details = await fc.check(property, { seed: options.seed, numRuns: options.runs });
  if (details.failed) {
    result.violations.push(
      `fast-check seed ${details.seed}, path "${"path" in details ? details.path : ""}": counterexample ${JSON.stringify(details.counterexample)}` +
        (details.errorInstance ? `, error ${String(details.errorInstance)}` : ""),
      ...lastViolations,
    );
  }
  return result;
}

function countOps(ops: readonly Op[]): number {
  let total = 0;
  for (const op of ops) {
    total++;
    if (op.kind === "all") total += countOps(op.children);
    if (op.kind === "race") total += countOps([op.contender]);
    if (op.kind === "child") total += countOps(op.ops);
  }
  return total;
}
