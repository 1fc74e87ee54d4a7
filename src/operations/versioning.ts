// patched() and continueAsNew(): changing code with executions in flight, and keeping histories bounded.
import { operation } from "../core/yieldable.js";
import { requireName } from "./names.js";
import type { Yieldable } from "./yieldable.js";

/**
 * Versioning. True for executions that reach this point on code that has the change (a marker is recorded), false
 * when replaying a history recorded before it. It takes no operation id, so adding it shifts nothing.
 * Deploy flow: guard the new code with `if (yield* patched("id"))`, wait until executions started before the deploy
 * have finished, then remove the old branch (keep the call only while old histories may still replay).
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
