// The hostile inputs of the hostile-input scenario that are values: over the store's maxValueBytes, a 300 KB string
// of quotes (twice that as JSON), quotes just under the limit as JSON (which a store must not escape twice), values
// nested 10,000 levels deep, and thrown values nobody can read (a throwing message getter, a Proxy, a revoked Proxy),
// from a step and from the workflow body.
import type { AnyWorkflow } from "spindle";
import { step, StepFailedError, workflow } from "spindle";
import type { HostileCase, HostileEnv, Observation } from "./hostile-kit.js";
import { answerOf, attempt, behaves, outcome, refused, settle, started, tokenOf } from "./hostile-kit.js";
import { approver, tokenStillValid, waiter } from "./hostile-fixtures.js";

const KB = 1024;

/** An array nested `levels` deep: [[[...[1]...]]]. */
function deep(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

const echo = workflow("hostile-echo", async function* (input: unknown) {
  return input;
});

/** A value sent three ways: as a start input, an event payload and a callback value. */
type Delivery = "start" | "sendEvent" | "completeCallback";

/** Delivers `value` by `delivery`; returns the call and the execution it concerns. */
async function deliver(env: HostileEnv, delivery: Delivery, value: unknown): Promise<{ id: string; call: () => Promise<unknown>; token?: string }> {
  const engine = env.engine([echo]);
  if (delivery === "start") {
    const id = env.id("value-start");
    return { id, call: () => engine.start(echo, value as never, { id }) };
  }
  if (delivery === "sendEvent") {
    const id = await started(env, waiter, undefined, "value-event");
    return { id, call: () => engine.sendEvent(id, "go", value) };
  }
  const id = await started(env, approver, undefined, "value-callback");
  const token = await tokenOf(env, id);
  return { id, token, call: () => engine.completeCallback(token, value) };
}

/** A value that must be refused with `error`, nothing stored (a callback's token still valid). */
const refusedValue = (input: string, delivery: Delivery, make: (env: HostileEnv) => unknown, error: string): HostileCase => ({
  input,
  call: delivery,
  expected: `${error}, nothing stored${delivery === "completeCallback" ? ", the token still valid" : ""}`,
  run: async (env) => {
    const { id, call, token } = await deliver(env, delivery, make(env));
    return refused(env, {
      ids: { execution: id },
      call,
      accept: [error],
      ...(token ? { afterwards: () => tokenStillValid(env, id, token) } : {}),
    });
  },
});

/** A value that must fit and come back intact as the workflow's result. */
const fittingValue = (input: string, delivery: Delivery, make: (env: HostileEnv) => unknown): HostileCase => ({
  input,
  call: delivery,
  expected: "stored and given back intact",
  run: async (env) => {
    const value = make(env);
    const { id, call } = await deliver(env, delivery, value);
    return behaves(env, {
      ids: { execution: id },
      call,
      verify: async () => {
        const errors = await settle(env, env.engine([echo]), [id]);
        const seen = await outcome(env, id);
        if (errors.length > 0) return { problem: `a resume threw ${String(errors[0])}`.slice(0, 120), note: "" };
        if (seen.status !== "completed") return { problem: `ended ${seen.status} (${seen.error ?? ""})`, note: "" };
        return seen.result === value ? { note: "given back intact" } : { problem: "given back changed", note: "" };
      },
    });
  },
});

/** Quotes whose JSON text is `bytes` bytes: each quote is escaped to two bytes, plus the two enclosing quotes. */
const quotesOfJsonBytes = (bytes: number) => '"'.repeat(Math.floor((bytes - 2) / 2));
const limitOf = (env: HostileEnv) => env.store.limits.maxValueBytes;
const deliveries: readonly Delivery[] = ["start", "sendEvent", "completeCallback"];

const sizeCases: HostileCase[] = [
  ...deliveries.map((delivery) => refusedValue("a value over maxValueBytes", delivery, (env) => "x".repeat(limitOf(env) + 1), "PayloadTooLargeError")),
  ...deliveries.map((delivery) => refusedValue("a 300 KB string of quotes (600 KB as JSON)", delivery, () => '"'.repeat(300 * KB), "PayloadTooLargeError")),
  ...deliveries.map((delivery) => fittingValue("quotes just under maxValueBytes as JSON", delivery, (env) => quotesOfJsonBytes(limitOf(env) - 64))),
  {
    input: "quotes just under maxValueBytes as JSON",
    call: "step result",
    expected: "stored and given back intact",
    run: async (env) => {
      const value = quotesOfJsonBytes(limitOf(env) - 64);
      const wf = workflow("hostile-quotes-step", async function* () {
        const got = yield* step("quotes", () => value);
        return got === value;
      });
      return stepCase(env, wf, (seen) => (seen.result === true ? undefined : `ended ${JSON.stringify(seen).slice(0, 100)}`), "given back intact");
    },
  },
];

const DEPTH = 10_000;
const deepCases: HostileCase[] = [
  ...deliveries.map((delivery) => refusedValue(`a value nested ${DEPTH.toLocaleString("en")} levels deep`, delivery, () => deep(DEPTH), "SerializationError")),
  {
    input: `a value nested ${DEPTH.toLocaleString("en")} levels deep`,
    call: "step result",
    expected: "StepFailedError (cause SerializationError) after 1 attempt; the workflow goes on",
    run: async (env) => {
      const wf = workflow("hostile-deep-step", async function* () {
        try {
          yield* step("deep", () => deep(DEPTH));
          return "stored";
        } catch (error) {
          if (!(error instanceof StepFailedError)) throw error;
          return { cause: error.cause.name, attempts: error.attempts };
        }
      });
      const want = { cause: "SerializationError", attempts: 1 };
      return stepCase(env, wf, (seen) => (JSON.stringify(seen.result) === JSON.stringify(want) ? undefined : `ended ${JSON.stringify(seen)}`), "StepFailedError(SerializationError), 1 attempt");
    },
  },
  {
    input: `a value nested ${DEPTH.toLocaleString("en")} levels deep`,
    call: "workflow result",
    expected: "the execution fails with SerializationError",
    run: async (env) => {
      const wf = workflow("hostile-deep-result", async function* () {
        yield* step("before", () => 1);
        return deep(DEPTH);
      });
      return stepCase(env, wf, (seen) => (seen.status === "failed" && seen.error === "SerializationError" ? undefined : `ended ${JSON.stringify(seen)}`), "failed with SerializationError");
    },
  },
];

/** Thrown values that cannot be read. */
const UNREADABLE: readonly [string, () => unknown][] = [
  [
    "an error whose message getter throws",
    () => {
      const error = new Error("hidden");
      Object.defineProperty(error, "message", {
        get() {
          throw new Error("no message for you");
        },
      });
      return error;
    },
  ],
  [
    "a Proxy whose every trap throws",
    () => {
      const trap = () => {
        throw new Error("trapped");
      };
      return new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap });
    },
  ],
  [
    "a revoked Proxy",
    () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    },
  ],
];

const unreadableCases: HostileCase[] = UNREADABLE.flatMap(([label, make]): HostileCase[] => [
  {
    input: `${label}, thrown by a step`,
    call: "step",
    expected: "StepFailedError (cause UnreadableError) after the policy's 2 attempts; the workflow goes on",
    run: async (env) => {
      const wf = workflow("hostile-unreadable-step", async function* () {
        try {
          yield* step("throws", () => {
            throw make();
          }, { retry: { maxAttempts: 2, initialInterval: "1s" } });
          return "no throw";
        } catch (error) {
          if (!(error instanceof StepFailedError)) throw error;
          return { cause: error.cause.name, attempts: error.attempts };
        }
      });
      const want = { cause: "UnreadableError", attempts: 2 };
      return stepCase(env, wf, (seen) => (JSON.stringify(seen.result) === JSON.stringify(want) ? undefined : `ended ${JSON.stringify(seen)}`), "StepFailedError(UnreadableError), 2 attempts");
    },
  },
  {
    input: `${label}, thrown by the workflow body`,
    call: "workflow body",
    expected: "the execution fails with a recorded error",
    run: async (env) => {
      const wf = workflow("hostile-unreadable-body", async function* () {
        yield* step("before", () => 1);
        throw make();
      });
      return stepCase(env, wf, (seen) => (seen.status === "failed" && typeof seen.error === "string" ? undefined : `ended ${JSON.stringify(seen)}`), "failed");
    },
  },
]);

/** Starts `wf`, runs it to its end (moving the clock for retries) and judges its outcome with `problem`. */
async function stepCase(
  env: HostileEnv,
  wf: AnyWorkflow,
  problem: (seen: Awaited<ReturnType<typeof outcome>>) => string | undefined,
  note: string,
): Promise<Observation> {
  const engine = env.engine([wf]);
  const id = env.id("value-step");
  return behaves(env, {
    ids: { execution: id },
    call: () => engine.start(wf, undefined, { id }),
    verify: async () => {
      const errors = await settle(env, engine, [id], { advance: true });
      const seen = await outcome(env, id);
      if (errors.length > 0) {
        // Once more: does every resume throw (the execution wedged), or was it one turn?
        const again = await attempt(() => engine.resume(id));
        const left = (await outcome(env, id)).status;
        const wedged = again.threw ? `, and again on the next resume; the execution is left ${left}` : `; the next resume left it ${left}`;
        return { problem: `a resume threw ${answerOf(errors[0])}${wedged}`, note: "" };
      }
      const found = problem(seen);
      return found ? { problem: found, note: "" } : { note: `${note}${seen.error ? ` (${seen.error})` : ""}` };
    },
  });
}

/** The cases of values, in table order. */
export const VALUE_CASES: readonly HostileCase[] = [...sizeCases, ...deepCases, ...unreadableCases];
