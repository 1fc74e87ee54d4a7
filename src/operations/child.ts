// Child workflows: another workflow started as its own execution (own history, own id), awaited or detached.
import { operation } from "../core/yieldable.js";
import { ValidationError } from "../errors.js";
import type { AnyWorkflow, WorkflowOutput, WorkflowStartInput } from "../workflow.js";
import type { Yieldable } from "./yieldable.js";

/**
 * Options of child and startChild.
 *
 * @example
 * ```ts
 * const options: ChildOptions = { id: `payment-${orderId}` };
 * const receipt = yield* child(payment, { orderId, amount }, options);
 * ```
 */
export interface ChildOptions {
  /** The child's execution id. Default: derived from the parent's id, run and operation. */
  id?: string;
}

function childCommand(workflow: AnyWorkflow, input: unknown, options: ChildOptions, wait: boolean) {
  if (typeof workflow?.name !== "string") {
    throw new ValidationError("child(workflow, input): pass a workflow() definition registered with the engine.");
  }
  if (options.id !== undefined && (typeof options.id !== "string" || options.id === "")) {
    throw new ValidationError(`child('${workflow.name}'): the id must be a non-empty string.`);
  }
  return { kind: "child" as const, name: workflow.name, input, wait, ...(options.id === undefined ? {} : { id: options.id }) };
}

/**
 * Starts another workflow as its own execution and waits for its result. The child's failure is thrown here (its
 * own error, revived); a cancelled child throws CancelledError. Cancelling the parent cancels the child.
 *
 * @example
 * ```ts
 * const receipt = yield* child(payment, { orderId: input.orderId, amount: 5 });
 * ```
 */
export function child<W extends AnyWorkflow>(
  workflow: W,
  input: WorkflowStartInput<W>,
  options: ChildOptions = {},
): Yieldable<WorkflowOutput<W>> {
  return operation(childCommand(workflow, input, options, true));
}

/**
 * Starts another workflow as its own execution without waiting for it (fire and forget). Returns its id.
 *
 * @example
 * ```ts
 * const { id } = yield* startChild(sendNewsletter, { userId });
 * ```
 */
export function startChild<W extends AnyWorkflow>(
  workflow: W,
  input: WorkflowStartInput<W>,
  options: ChildOptions = {},
): Yieldable<{ id: string }> {
  return operation(childCommand(workflow, input, options, false));
}
