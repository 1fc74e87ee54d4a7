// setStatus(): a custom status for dashboards and callers, visible through engine.describe.
import { operation } from "../core/yieldable.js";
import type { Yieldable } from "./yieldable.js";

/**
 * Sets the execution's custom status (JSON data), shown by `engine.describe(id).customStatus`.
 *
 * @example
 * ```ts
 * yield* setStatus({ stage: "waiting-for-payment" });
 * ```
 * @throws SerializationError (in the workflow) when the value is not JSON data.
 */
export function setStatus(value: unknown): Yieldable<void> {
  return operation({ kind: "setStatus", name: "status", value });
}
