// workflow(): a name, optional zod schemas for input, output and events, and an async generator body. The body is
// called afresh from the top on every replay, so it is a factory, never a generator object.
import type { z } from "zod";
import type { Envelope as CoreEnvelope } from "./core/yieldable.js";
import { ValidationError } from "./errors.js";
import type { Logger } from "./engine/log.js";
import type { WaitForEventOptions } from "./operations/events.js";
import { waitForEvent } from "./operations/events.js";
import type { Envelope, Yieldable } from "./operations/yieldable.js";

/**
 * Event schemas by event name: a workflow's `events` option.
 *
 * @example
 * ```ts
 * const events: EventSchemas = { paid: z.object({ ref: z.string() }) };
 * ```
 */
export type EventSchemas = Record<string, z.ZodType>;

/**
 * Schemas a workflow may declare: the options of `workflow(name, options, body)`.
 *
 * @example
 * ```ts
 * workflow("order", { input: z.object({ orderId: z.string() }), events: { paid: z.object({ ref: z.string() }) } }, body);
 * ```
 */
export interface WorkflowOptions<IS extends z.ZodType | undefined, OS extends z.ZodType | undefined, ES extends EventSchemas> {
  /** Checked when the workflow is started; failure: ValidationError, nothing recorded. */
  input?: IS;
  /** Checked when the workflow returns; failure ends it as failed with ValidationError. */
  output?: OS;
  /** Checked when an event is sent; an event name not listed here is refused. */
  events?: ES;
  /** Checked when a callback of this name is completed (completeCallback); a bad value is refused, nothing stored. */
  callbacks?: Record<string, z.ZodType>;
}

/**
 * What the body receives besides its input.
 *
 * @example
 * ```ts
 * workflow("order", async function* (input: { orderId: string }, ctx: WorkflowContext) {
 *   ctx.log.info(`order ${input.orderId} in execution ${ctx.executionId}`);
 * });
 * ```
 */
export interface WorkflowContext<ES extends EventSchemas = EventSchemas> {
  executionId: string;
  runId: string;
  workflowName: string;
  /** A logger that is silent while the workflow replays, so each line is written once. */
  log: Logger;
  /**
   * `waitForEvent` typed from the workflow's `events` schemas.
   * @example
   * ```ts
   * const paid = yield* ctx.waitForEvent("paid", { timeout: "24h" }); // { ref: string }
   * ```
   */
  waitForEvent<K extends keyof ES & string>(name: K, options?: Omit<WaitForEventOptions<unknown>, "schema">): Yieldable<z.output<ES[K]>>;
}

/**
 * The body of a workflow: an async generator that yields operations with `yield*`.
 *
 * @example
 * ```ts
 * const body: WorkflowBody<{ name: string }, string, EventSchemas> = async function* (input) {
 *   return yield* step("greet", () => `Hello, ${input.name}`);
 * };
 * const greet = workflow("greet", body);
 * ```
 */
export type WorkflowBody<I, R, ES extends EventSchemas> = (
  input: I,
  ctx: WorkflowContext<ES>,
) => AsyncGenerator<Envelope, R, unknown>;

/**
 * A workflow definition, created by `workflow()`. Register it with `createEngine({ workflows })`.
 * Type parameters: what `start` accepts, what the body receives, what `result()` gives, and the event schemas.
 *
 * @example
 * ```ts
 * const greet: Workflow<{ name: string }, { name: string }, string> = workflow("greet", async function* (input: { name: string }) {
 *   return `Hello, ${input.name}`;
 * });
 * ```
 */
export interface Workflow<In = unknown, I = In, O = unknown, ES extends EventSchemas = EventSchemas> {
  readonly name: string;
  readonly inputSchema?: z.ZodType;
  readonly outputSchema?: z.ZodType;
  readonly eventSchemas?: ES;
  readonly callbackSchemas?: Record<string, z.ZodType>;
  /**
   * The body as the engine calls it (its envelopes are core's commands).
   * @internal
   */
  readonly body: (input: I, ctx: WorkflowContext<ES>) => AsyncGenerator<CoreEnvelope, unknown, unknown>;
  /** Type-level only. */
  readonly types?: { start: In; input: I; output: O };
}

/**
 * Any workflow, whatever its types.
 *
 * @example
 * ```ts
 * const workflows: AnyWorkflow[] = [order, greet];
 * createEngine({ store, workflows });
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyWorkflow = Workflow<any, any, any, any>;

/**
 * What `engine.start` accepts for a workflow.
 *
 * @example
 * ```ts
 * const input: WorkflowStartInput<typeof order> = { orderId: "o-1", amount: 5 };
 * ```
 */
export type WorkflowStartInput<W> = W extends { readonly types?: { start: infer In } } ? In : unknown;
/**
 * What `run.result()` resolves to for a workflow.
 *
 * @example
 * ```ts
 * const run = await engine.start(order, { orderId: "o-1", amount: 5 });
 * const output: WorkflowOutput<typeof order> = await run.result();
 * ```
 */
export type WorkflowOutput<W> = W extends { readonly types?: { output: infer O } } ? O : unknown;

type StartOf<IS, I = unknown> = IS extends z.ZodType ? z.input<IS> : I;
type InputOf<IS, I = unknown> = IS extends z.ZodType ? z.output<IS> : I;
type OutputOf<OS, R> = OS extends z.ZodType ? z.output<OS> : R;

/**
 * Defines a workflow. Without an `input` schema the body's parameter annotation types the input (unchecked at run
 * time); with one, the schema types and checks it.
 *
 * @example
 * ```ts
 * const greet = workflow("greet", { input: z.object({ name: z.string() }) }, async function* (input) {
 *   const text = yield* step("compose", () => `Hello, ${input.name}`);
 *   yield* sleep("1s");
 *   return text;
 * });
 * ```
 * @throws ValidationError when the name is empty or the body is not a function.
 */
export function workflow<I = unknown, R = unknown>(name: string, body: WorkflowBody<I, R, EventSchemas>): Workflow<I, I, R>;
export function workflow<
  R,
  IS extends z.ZodType | undefined = undefined,
  OS extends z.ZodType | undefined = undefined,
  ES extends EventSchemas = EventSchemas,
  I = unknown,
>(
  name: string,
  options: WorkflowOptions<IS, OS, ES>,
  body: WorkflowBody<InputOf<IS, I>, R, ES>,
): Workflow<StartOf<IS, I>, InputOf<IS, I>, OutputOf<OS, R>, ES>;
export function workflow(
  name: string,
  optionsOrBody: WorkflowOptions<z.ZodType, z.ZodType, EventSchemas> | WorkflowBody<unknown, unknown, EventSchemas>,
  maybeBody?: WorkflowBody<unknown, unknown, EventSchemas>,
): AnyWorkflow {
  const options = typeof optionsOrBody === "function" ? {} : optionsOrBody;
  const body = typeof optionsOrBody === "function" ? optionsOrBody : maybeBody;
  if (typeof name !== "string" || name.trim() === "") {
    throw new ValidationError(`workflow(name, ...): the name must be a non-empty string, got ${JSON.stringify(name)}.`);
  }
  if (typeof body !== "function") {
    throw new ValidationError(`workflow('${name}'): the body must be an async generator function (async function*).`);
  }
  return {
    name,
    ...(options.input ? { inputSchema: options.input } : {}),
    ...(options.output ? { outputSchema: options.output } : {}),
    ...(options.events ? { eventSchemas: options.events } : {}),
    ...(options.callbacks ? { callbackSchemas: options.callbacks } : {}),
    body: body as unknown as AnyWorkflow["body"],
  };
}

/** Builds the context handed to a workflow body. */
export function workflowContext(fields: Omit<WorkflowContext, "waitForEvent">): WorkflowContext {
  return { ...fields, waitForEvent: (name, options) => waitForEvent(name, options) };
}
