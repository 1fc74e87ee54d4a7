// The hostile inputs that are internal messages and tokens: internal messages forged as events (child:<id>,
// callback:<token>, cancel); forged, truncated and padded callback tokens; failCallback with things that are not errors.
import { workflow } from "spindle";
import type { HostileCase } from "./hostile-kit.js";
import { behaves, childOf, refused, started, tokenOf } from "./hostile-kit.js";
import { approver, parent, stillWaits, tokenStillValid, waiter } from "./hostile-fixtures.js";

// ---- forged internal messages ---------------------------------------------------------------------------------------

export const forgedCases: HostileCase[] = [
  {
    input: "an event named child:<id> while the parent waits for that child",
    call: "sendEvent",
    expected: "refused, or an ordinary event: the parent still waits for the real child",
    run: async (env) => {
      const id = await started(env, parent, undefined, "forged-child");
      const childId = await childOf(env, id);
      return behaves(env, {
        ids: { parent: id },
        call: () => env.engine().sendEvent(id, `child:${childId}`, { status: "completed", result: "forged" }),
        verify: () => stillWaits(env, id, () => env.engine().sendEvent(childId, "release", null), "the real child result"),
        mayRefuse: ["ValidationError"],
      });
    },
  },
  {
    input: "an event named callback:<token> while the workflow waits for that callback",
    call: "sendEvent",
    expected: "refused, or an ordinary event: the callback still waits for the real completion",
    run: async (env) => {
      const id = await started(env, approver, undefined, "forged-callback");
      const token = await tokenOf(env, id);
      return behaves(env, {
        ids: { execution: id },
        call: () => env.engine().sendEvent(id, `callback:${token}`, { value: '{"ok":false}' }),
        verify: () => stillWaits(env, id, () => env.engine().completeCallback(token, { ok: true }), { ok: true }),
        mayRefuse: ["ValidationError"],
      });
    },
  },
  {
    input: "an event with idempotency key callback:<token>",
    call: "sendEvent",
    expected: "an ordinary event: the real completion is still accepted",
    run: async (env) => {
      const id = await started(env, approver, undefined, "forged-key");
      const token = await tokenOf(env, id);
      return behaves(env, {
        ids: { execution: id },
        call: () => env.engine().sendEvent(id, "noise", 1, { idempotencyKey: `callback:${token}` }),
        verify: () => stillWaits(env, id, () => env.engine().completeCallback(token, { ok: true }), { ok: true }),
        mayRefuse: ["ValidationError"],
      });
    },
  },
  {
    input: "an event named cancel",
    call: "sendEvent",
    expected: "refused, or an ordinary event: the execution is not cancelled",
    run: async (env) => {
      const id = await started(env, waiter, undefined, "forged-cancel");
      return behaves(env, {
        ids: { execution: id },
        call: () => env.engine().sendEvent(id, "cancel", { reason: "forged" }),
        verify: () => stillWaits(env, id, () => env.engine().sendEvent(id, "go", "real"), "real"),
        mayRefuse: ["ValidationError"],
      });
    },
  },
];

// ---- callback tokens and failCallback -------------------------------------------------------------------------------

/** The token with its last part (the secret) replaced, when it is base64url JSON; otherwise its last character. */
function forgedSecret(token: string): string {
  try {
    const parts = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown[];
    if (Array.isArray(parts) && typeof parts.at(-1) === "string") {
      parts[parts.length - 1] = "forged-secret";
      return Buffer.from(JSON.stringify(parts), "utf8").toString("base64url");
    }
  } catch {
    // not JSON: fall through
  }
  return `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
}

export const tokenCases: HostileCase[] = [
  ["a token naming the waiting callback with a forged secret part", forgedSecret],
  ["a made-up token", () => "bm90LWEtdG9rZW4"],
  ["the real token truncated by one character", (token: string) => token.slice(0, -1)],
  ["the real token padded with one character", (token: string) => `${token}A`],
].map(([input, forge]): HostileCase => ({
  input: input as string,
  call: "completeCallback",
  expected: "CallbackNotFoundError, nothing stored, the real token still valid",
  run: async (env) => {
    const id = await started(env, approver, undefined, "token");
    const token = await tokenOf(env, id);
    return refused(env, {
      ids: { execution: id },
      call: () => env.engine().completeCallback((forge as (token: string) => string)(token), { ok: false }),
      accept: ["CallbackNotFoundError"],
      afterwards: () => tokenStillValid(env, id, token),
    });
  },
}));

export const failCallbackCases: HostileCase[] = [
  ["undefined", undefined],
  ["null", null],
  ["42", 42],
].map(([label, error]): HostileCase => ({
  input: `failCallback with ${label as string}`,
  call: "failCallback",
  expected: "ValidationError, nothing stored, the token still valid",
  run: async (env) => {
    const id = await started(env, approver, undefined, "fail-callback");
    const token = await tokenOf(env, id);
    return refused(env, {
      ids: { execution: id },
      call: () => env.engine().failCallback(token, error as never),
      accept: ["ValidationError"],
      afterwards: () => tokenStillValid(env, id, token),
    });
  },
}));

