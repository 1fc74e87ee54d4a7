// The workflows of the real-crash run, shared by the child processes that run them and the parent that checks them.
// Every step has a side effect: before its work it appends a line to its process's log (the effect ledger, keyed by
// the step's idempotency key and attempt), so the parent can count how often each step ran against how often it is
// recorded. Steps take a few real milliseconds, so a SIGKILL lands inside them as often as between them. Each kind's
// result is a pure function of its input (`expectedResult`), except the at-most-once payout, which may end
// "interrupted" when a kill cut its one attempt off.
import { all, child, sleep, step, StepFailedError, waitForEvent, workflow } from "spindle";
import type { AnyWorkflow, StepContext, StepOptions, Yieldable } from "spindle";

/** Where effects go: set by the child process to its log. */
let effectSink: (context: StepContext, step: string) => void = () => {};

/** Routes every step's effect line to `sink`. */
export function onEffect(sink: (context: StepContext, step: string) => void): void {
  effectSink = sink;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A step with a side effect that takes `ms` of real time and returns `value`. */
function work<T extends number | string>(name: string, ms: number, value: T, options: Omit<StepOptions<unknown>, "schema"> = {}): Yieldable<T> {
  return step(
    name,
    async (context: StepContext): Promise<number | string> => {
      effectSink(context, name);
      await pause(ms);
      return value;
    },
    options,
  ) as Yieldable<T>;
}

const chain = workflow("crash-chain", async function* (input: { n: number }) {
  let total = 0;
  for (let i = 1; i <= 6; i++) total += yield* work(`add-${i}`, 3 + ((input.n + i) % 5) * 4, i * input.n);
  return { total };
});

const fanOut = workflow("crash-fan-out", async function* (input: { n: number }) {
  const parts = yield* all([work("part-a", 15, input.n), work("part-b", 25, input.n * 2), work("part-c", 5, input.n * 3), work("part-d", 20, input.n * 4)]);
  const sum = yield* work("sum", 5, parts.reduce((a, b) => a + b, 0));
  return { parts, sum };
});

const retried = workflow("crash-retry", async function* (input: { n: number }) {
  const value = yield* step(
    "flaky",
    async (context: StepContext) => {
      effectSink(context, "flaky");
      await pause(10);
      if (context.attempt < 3) throw new Error(`flaky attempt ${context.attempt}`);
      return input.n;
    },
    { retry: { maxAttempts: 6, initialInterval: "20ms", backoffCoefficient: 1 } },
  );
  return { value: yield* work("after-flaky", 10, value + 1) };
});

const timer = workflow("crash-timer", async function* (input: { n: number }) {
  const before = yield* work("before-sleep", 10, input.n);
  yield* sleep("nap", "250ms");
  return { before, after: yield* work("after-sleep", 10, input.n + 1) };
});

const kid = workflow("crash-kid", async function* (input: { n: number }) {
  const one: number = yield* work("kid-one", 10, input.n);
  const two: number = yield* work("kid-two", 15, 100);
  return one + two;
});

const parent = workflow("crash-parent", async function* (input: { n: number }) {
  const first = yield* work("parent-first", 10, input.n);
  const fromKid = yield* child(kid, { n: input.n });
  return { first, fromKid, last: yield* work("parent-last", 5, "done") };
});

const waiter = workflow("crash-event", async function* (input: { n: number }) {
  const got = yield* waitForEvent<{ n: number }>("go");
  return { got: got.n, step: yield* work("after-event", 10, input.n) };
});

const payout = workflow("crash-payout", async function* (input: { n: number }) {
  const held = yield* work("hold", 10, input.n);
  try {
    yield* work("send-money", 25, `tx-${input.n}`, { semantics: "at-most-once" });
    return { held, sent: "done" };
  } catch (error) {
    if (!(error instanceof StepFailedError)) throw error;
    return { held, sent: "interrupted", cause: error.cause.name };
  }
});

/** Every workflow a process registers. */
export const CRASH_WORKFLOWS: readonly AnyWorkflow[] = [chain, fanOut, retried, timer, kid, parent, waiter, payout];

/** The kinds the parent starts (the kid is started by the parent workflow). */
export const CRASH_KINDS = ["crash-chain", "crash-fan-out", "crash-retry", "crash-timer", "crash-parent", "crash-event", "crash-payout"] as const;
export type CrashKind = (typeof CRASH_KINDS)[number];

/** Steps that must never run twice. */
export const AT_MOST_ONCE_STEPS: ReadonlySet<string> = new Set(["send-money"]);

/** The workflow of a kind. */
export const workflowOf = (kind: CrashKind): AnyWorkflow => CRASH_WORKFLOWS.find((wf) => wf.name === kind)!;

/** The results an execution of `kind` may end with (JSON text, as the record keeps it). */
export function expectedResults(kind: CrashKind, n: number): string[] {
  switch (kind) {
    case "crash-chain":
      return [JSON.stringify({ total: 21 * n })];
    case "crash-fan-out":
      return [JSON.stringify({ parts: [n, 2 * n, 3 * n, 4 * n], sum: 10 * n })];
    case "crash-retry":
      return [JSON.stringify({ value: n + 1 })];
    case "crash-timer":
      return [JSON.stringify({ before: n, after: n + 1 })];
    case "crash-parent":
      return [JSON.stringify({ first: n, fromKid: n + 100, last: "done" })];
    case "crash-event":
      return [JSON.stringify({ got: n, step: n })];
    case "crash-payout":
      return [JSON.stringify({ held: n, sent: "done" }), JSON.stringify({ held: n, sent: "interrupted", cause: "StepInterruptedError" })];
  }
}
