// The hostile inputs of the hostile-input scenario that are names: ill-formed Unicode in ids, names, keys, reasons
// and tokens; prototype-like names (constructor, __proto__, toString) as workflow, step, event and callback names.
// Forged internal messages and tokens are in hostile-messages.ts, values in hostile-values.ts; NAME_CASES gathers
// the names and the messages.
import { z } from "zod";
import { callback, step, waitForEvent, workflow } from "spindle";
import type { HostileCase, HostileEnv } from "./hostile-kit.js";
import { behaves, outcome, refused, settle, started, tokenOf } from "./hostile-kit.js";
import { approver, declared, same, tokenStillValid, waiter } from "./hostile-fixtures.js";
import { failCallbackCases, forgedCases, tokenCases } from "./hostile-messages.js";

/** A lone high surrogate between two letters: ill-formed UTF-16, which UTF-8 stores turn into U+FFFD. */
const LONE = "a\ud800b";
/** What a store that keeps text as UTF-8 would make of it. */
const TWIN = "a\ufffdb";
const PROTOTYPE_NAMES = ["constructor", "__proto__", "toString"] as const;

/** `prefix` followed by "€" (3 bytes in UTF-8) and ASCII up to exactly `bytes` UTF-8 bytes. */
function ofBytes(prefix: string, bytes: number): string {
  const room = bytes - Buffer.byteLength(prefix) - 1;
  return `${prefix}-${"€".repeat(Math.floor(room / 3))}${"x".repeat(room % 3)}`;
}

// ---- ill-formed Unicode ---------------------------------------------------------------------------------------------

const unicodeCases: HostileCase[] = [
  {
    input: "an execution id with a lone surrogate",
    call: "start",
    expected: "ValidationError, nothing stored (nor under its U+FFFD twin)",
    run: async (env) => {
      const base = env.id("id");
      return refused(env, {
        ids: { "the id": `${base}-${LONE}`, "its U+FFFD twin": `${base}-${TWIN}` },
        call: () => env.engine().start(waiter, undefined, { id: `${base}-${LONE}` }),
        accept: ["ValidationError"],
      });
    },
  },
  ...(["sendEvent", "cancel"] as const).map((call): HostileCase => ({
    input: "an execution id with a lone surrogate whose U+FFFD twin exists",
    call,
    expected: "ValidationError or ExecutionNotFoundError; the twin unchanged",
    run: async (env) => {
      const base = env.id("twin");
      const twin = `${base}-${TWIN}`;
      await env.engine().start(waiter, undefined, { id: twin });
      await settle(env, env.engine(), [twin]);
      const engine = env.engine();
      return refused(env, {
        ids: { "the twin": twin },
        call: () => (call === "cancel" ? engine.cancel(`${base}-${LONE}`, "r") : engine.sendEvent(`${base}-${LONE}`, "go", 1)),
        accept: ["ValidationError", "ExecutionNotFoundError"],
      });
    },
  })),
  {
    input: "a workflow name with a lone surrogate",
    call: "workflow() / start",
    expected: "ValidationError, nothing stored",
    run: async (env) => {
      const id = env.id("wf-name");
      return refused(env, {
        ids: { execution: id },
        call: () => {
          const wf = workflow(`hostile-${LONE}`, async function* () {
            return 1;
          });
          return env.engine([wf]).start(wf, undefined, { id });
        },
        accept: ["ValidationError"],
      });
    },
  },
  ...([
    ["an event name with a lone surrogate", (id: string, env: HostileEnv) => env.engine().sendEvent(id, LONE, 1)],
    ["an idempotency key with a lone surrogate", (id: string, env: HostileEnv) => env.engine().sendEvent(id, "go", 1, { idempotencyKey: LONE })],
    ["a cancel reason with a lone surrogate", (id: string, env: HostileEnv) => env.engine().cancel(id, LONE)],
  ] as const).map(([input, call]): HostileCase => ({
    input,
    call: input.includes("cancel") ? "cancel" : "sendEvent",
    expected: "ValidationError, nothing stored",
    run: async (env) => {
      const id = await started(env, waiter, undefined, "unicode");
      return refused(env, { ids: { execution: id }, call: () => call(id, env), accept: ["ValidationError"] });
    },
  })),
  {
    input: "a step name with a lone surrogate",
    call: "step",
    expected: "the execution fails with ValidationError",
    run: async (env) => {
      const wf = workflow("hostile-step-name", async function* () {
        return yield* step(`step-${LONE}`, () => 1);
      });
      const engine = env.engine([wf]);
      const id = env.id("step-name");
      return behaves(env, {
        ids: { execution: id },
        call: () => engine.start(wf, undefined, { id }),
        verify: async () => {
          const errors = await settle(env, engine, [id]);
          const seen = await outcome(env, id);
          if (errors.length > 0 || seen.status !== "failed" || seen.error !== "ValidationError") {
            return { problem: `ended ${JSON.stringify(seen)} ${errors.map(String).join(" ")}`.trim(), note: "" };
          }
          return { note: "failed with ValidationError" };
        },
      });
    },
  },
  {
    input: "an execution id of 1,001 UTF-8 bytes",
    call: "start",
    expected: "ValidationError, nothing stored",
    run: async (env) => {
      const id = ofBytes(env.id("long"), 1001);
      return refused(env, { ids: { execution: id }, call: () => env.engine().start(waiter, undefined, { id }), accept: ["ValidationError"] });
    },
  },
  {
    input: "an execution id of exactly 1,000 UTF-8 bytes of multibyte text",
    call: "start",
    expected: "works like any other id",
    run: async (env) => {
      const id = ofBytes(env.id("long"), 1000);
      const engine = env.engine();
      return behaves(env, {
        ids: { execution: id },
        call: () => engine.start(waiter, undefined, { id }),
        verify: async () => {
          await settle(env, engine, [id]);
          await engine.sendEvent(id, "go", "long");
          await settle(env, engine, [id]);
          const seen = await outcome(env, id);
          return seen.result === "long" ? { note: "waited and took its event" } : { problem: `ended ${JSON.stringify(seen)}`, note: "" };
        },
      });
    },
  },
  {
    input: "an event name of 1,001 UTF-8 bytes",
    call: "sendEvent",
    expected: "ValidationError, nothing stored",
    run: async (env) => {
      const id = await started(env, waiter, undefined, "long-name");
      return refused(env, { ids: { execution: id }, call: () => env.engine().sendEvent(id, ofBytes("go", 1001), 1), accept: ["ValidationError"] });
    },
  },
  {
    input: "a callback token with a lone surrogate",
    call: "completeCallback",
    expected: "CallbackNotFoundError or ValidationError, nothing stored",
    run: async (env) => {
      const id = await started(env, approver, undefined, "token-unicode");
      const token = await tokenOf(env, id);
      return refused(env, {
        ids: { execution: id },
        call: () => env.engine().completeCallback(`${token}${LONE}`, { ok: false }),
        accept: ["CallbackNotFoundError", "ValidationError"],
        afterwards: () => tokenStillValid(env, id, token),
      });
    },
  },
];

// ---- prototype-like names -------------------------------------------------------------------------------------------

const prototypeCases: HostileCase[] = PROTOTYPE_NAMES.flatMap((name): HostileCase[] => [
  {
    input: `a workflow and a step named '${name}'`,
    call: "start",
    expected: "runs to its result",
    run: async (env) => {
      const wf = workflow(name, async function* () {
        return yield* step(name, () => `ran ${name}`);
      });
      const engine = env.engine([wf]);
      const id = env.id("proto-wf");
      return behaves(env, {
        ids: { execution: id },
        call: () => engine.start(wf, undefined, { id }),
        verify: async () => {
          const errors = await settle(env, engine, [id]);
          const seen = await outcome(env, id);
          if (errors.length > 0 || seen.result !== `ran ${name}`) return { problem: `ended ${JSON.stringify(seen)} ${errors.map(String).join(" ")}`, note: "" };
          return { note: "completed with the step's result" };
        },
      });
    },
  },
  {
    input: `an event named '${name}'`,
    call: "sendEvent",
    expected: `delivered to waitForEvent('${name}')`,
    run: async (env) => {
      const wf = workflow(`hostile-event-${name}`, async function* () {
        return yield* waitForEvent<unknown>(name);
      });
      const engine = env.engine([wf]);
      const id = await started(env, wf, undefined, "proto-event", engine);
      return behaves(env, {
        ids: { execution: id },
        call: () => engine.sendEvent(id, name, { n: 1 }),
        verify: async () => {
          await settle(env, engine, [id]);
          const seen = await outcome(env, id);
          return same(seen.result, { n: 1 }) ? { note: "the workflow got the payload" } : { problem: `ended ${JSON.stringify(seen)}`, note: "" };
        },
      });
    },
  },
  {
    input: `a callback named '${name}'`,
    call: "completeCallback",
    expected: `completes callback('${name}')`,
    run: async (env) => {
      const wf = workflow(`hostile-callback-${name}`, async function* () {
        return yield* callback<unknown>(name, () => undefined);
      });
      const engine = env.engine([wf]);
      const id = await started(env, wf, undefined, "proto-callback", engine);
      const token = await tokenOf(env, id);
      return behaves(env, {
        ids: { execution: id },
        call: () => engine.completeCallback(token, { by: name }),
        verify: async () => {
          await settle(env, engine, [id]);
          const seen = await outcome(env, id);
          return same(seen.result, { by: name }) ? { note: "the workflow got the value" } : { problem: `ended ${JSON.stringify(seen)}`, note: "" };
        },
      });
    },
  },
  {
    input: `an event named '${name}' the workflow does not declare`,
    call: "sendEvent",
    expected: "ValidationError, nothing stored",
    run: async (env) => {
      const id = await started(env, declared, undefined, "proto-undeclared");
      return refused(env, { ids: { execution: id }, call: () => env.engine().sendEvent(id, name, { by: "x" }), accept: ["ValidationError"] });
    },
  },
  {
    input: `a callback named '${name}' the workflow does not declare (it declares others)`,
    call: "completeCallback",
    expected: "completes the callback",
    run: async (env) => {
      const wf = workflow(`hostile-undeclared-${name}`, { callbacks: { approve: z.object({ ok: z.boolean() }) } }, async function* () {
        return yield* callback<unknown>(name, () => undefined);
      });
      const engine = env.engine([wf]);
      const id = await started(env, wf, undefined, "proto-undeclared-cb", engine);
      const token = await tokenOf(env, id);
      return behaves(env, {
        ids: { execution: id },
        call: () => engine.completeCallback(token, { by: name }),
        verify: async () => {
          await settle(env, engine, [id]);
          const seen = await outcome(env, id);
          return same(seen.result, { by: name }) ? { note: "the workflow got the value" } : { problem: `ended ${JSON.stringify(seen)}`, note: "" };
        },
      });
    },
  },
  {
    input: `an execution of workflow '${name}' resumed by an engine that does not register it`,
    call: "resume",
    // The failed turn counts toward stuck (issue 13's poison executions): it backs the due time off and keeps the
    // reason on the record, and stores nothing else; the history and the inbox stay as they were.
    expected: "WorkflowNotFoundError; nothing stored but the failed turn's count and next try",
    run: async (env) => {
      const wf = workflow(name, async function* () {
        return yield* step("s", () => 1);
      });
      const id = env.id("proto-unregistered");
      await env.engine([wf]).start(wf, undefined, { id });
      return refused(env, {
        ids: { execution: id },
        call: () => env.engine().resume(id),
        accept: ["WorkflowNotFoundError"],
        bookkeeping: ["turnFailures", "wakeAt", "updatedAt"],
      });
    },
  },
]);
/** The cases of names and messages, in table order. */
export const NAME_CASES: readonly HostileCase[] = [...unicodeCases, ...prototypeCases, ...forgedCases, ...tokenCases, ...failCallbackCases];
