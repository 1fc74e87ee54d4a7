// patched(), deprecatePatch() and continueAsNew(): changing code with executions in flight, and keeping histories
// bounded.
import { operation } from "../core/yieldable.js";
import { requireName } from "./names.js";
import type { Yieldable } from "./yieldable.js";

/**
 * Versioning. True for executions that reach this point on code that has the change (a marker is recorded), false
 * when replaying a history recorded before it. It takes no operation id, so adding it shifts nothing.
 * Deploy flow: guard the new code with `if (yield* patched("id"))`; once no open execution depends on the old branch
 * (`spindle check` says "safe to remove"), remove the old branch and put `yield* deprecatePatch("id")` in place of
 * the call; once no worker runs the `patched()` build, remove that too.
 *
 * @example
 * ```ts
 * if (yield* patched("send-sms")) yield* step("sms", () => sms.send(phone));
 * else yield* step("email", () => mail.send(address));
 * ```
 */
export function patched(changeId: string): Yieldable<boolean> {
  requireName("patched", changeId);
  return operation({ kind: "patched", name: changeId });
}

/**
 * The step after removing a patch's old branch (Temporal's `deprecatePatch`): put it where `patched("id")` was, once
 * no open execution still depends on the old branch (`spindle check` reports it as "safe to remove"). It records the
 * change's marker on executions that reach it fresh, so that during a rolling deploy a worker still on the
 * `patched()` build takes the new branch of an execution this build started; it takes no position and replays any
 * history, with or without the marker, without a NonDeterminismError. Once no worker runs the `patched()` build,
 * remove the call too.
 *
 * @example
 * ```ts
 * // before: if (yield* patched("send-sms")) yield* step("sms", ...); else yield* step("email", ...);
 * yield* deprecatePatch("send-sms");
 * yield* step("sms", () => sms.send(phone));
 * ```
 * @throws ValidationError when the change id is not a non-empty, well-formed string.
 */
export function deprecatePatch(changeId: string): Yieldable<void> {
  requireName("deprecatePatch", changeId);
  return operation({ kind: "patched", name: changeId, deprecated: true });
}

/**
 * Ends this run and starts a fresh run of the same execution (same id, empty history) with `input`. Events and
 * callback completions waiting in the inbox carry over. Use it to keep long-lived workflows' histories short.
 *
 * @example
 * ```ts
 * if (state.count >= 1000) return yield* continueAsNew({ total: state.total });
 * ```
 */
export function continueAsNew(input: unknown): Yieldable<never> {
  return operation({ kind: "continueAsNew", name: "continueAsNew", input });
}
