// workflow(): a name, optional zod schemas for input, output and events, and an async generator body. The body is
// called afresh from the top on every replay, so it is a factory, never a generator object.
import type { z } from "zod";
import type { Envelope as CoreEnvelope } from "./core/yieldable.js";
import { ValidationError } from "./errors.js";
import type { Logger } from "./engine/log.js";
import type { CallbackOptions } from "./operations/callback.js";
import { callback } from "./operations/callback.js";
import type { WaitForEventOptions } from "./operations/events.js";
import { waitForEvent } from "./operations/events.js";
import type { JsonCheck, Jsonify, NotJson, NotJsonData } from "./operations/json.js";
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
 * Callback schemas by callback name: a workflow's `callbacks` option.
 *
 * @example
 * ```ts
 * const callbacks: CallbackSchemas = { decision: z.object({ approved: z.boolean() }) };
 * ```
 */
export type CallbackSchemas = Record<string, z.ZodType>;

/**
 * Schemas a workflow may declare: the options of `workflow(name, options, body)`.
 *
 * @example
 * ```ts
 * workflow("order", { input: z.object({ orderId: z.string() }), events: { paid: z.object({ ref: z.string() }) } }, body);
 * ```
 */
export interface WorkflowOptions<
  IS extends z.ZodType | undefined,
  OS extends z.ZodType | undefined,
  ES extends EventSchemas,
  CS extends CallbackSchemas = CallbackSchemas,
> {
  /** Checked when the workflow is started; failure: ValidationError, nothing recorded. */
  input?: IS;
  /**
   * Checked when the workflow returns; failure ends it as failed with ValidationError. A body whose result is not
   * what it accepts does not compile.
   */
  output?: OS;
  /** Checked when an event is sent; an event name not listed here is refused. */
  events?: ES;
  /** Checked when a callback of this name is completed (completeCallback); a bad value is refused, nothing stored. */
  callbacks?: CS;
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
export interface WorkflowContext<ES extends EventSchemas = EventSchemas, CS extends CallbackSchemas = CallbackSchemas> {
  executionId: string;
  runId: string;
  workflowName: string;
  /** A logger that is silent while the workflow replays, so each line is written once. */
  log: Logger;
  /**
   * `waitForEvent` typed from the workflow's `events` schemas: the payload `sendEvent` checked, as JSON (a schema's
   * `Date` output arrives as its ISO string).
   * @example
   * ```ts
   * const paid = yield* ctx.waitForEvent("paid", { timeout: "24h" }); // { ref: string }
   * ```
   */
  waitForEvent<K extends keyof ES & string>(name: K, options?: Omit<WaitForEventOptions<unknown>, "schema">): Yieldable<Jsonify<z.output<ES[K]>>>;
  /**
   * `callback` typed from the workflow's `callbacks` schemas: the value `completeCallback` checked, as JSON.
   * @example
   * ```ts
   * const decision = yield* ctx.callback("decision", (token) => mailer.send(manager, token), { timeout: "24h" });
   * if (decision.approved) yield* step("grant", grant);
   * ```
   */
  callback<K extends keyof CS & string, S = unknown>(
    name: K,
    send: ((token: string) => S) & JsonCheck<Awaited<S>>,
    options?: Omit<CallbackOptions<unknown>, "schema">,
  ): Yieldable<Jsonify<z.output<CS[K]>>>;
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
export type WorkflowBody<I, R, ES extends EventSchemas, CS extends CallbackSchemas = CallbackSchemas> = (
  input: I,
  ctx: WorkflowContext<ES, CS>,
) => AsyncGenerator<Envelope, R, unknown>;

/**
 * A workflow definition, created by `workflow()`. Register it with `createEngine({ workflows })`.
 * Type parameters: what `start` accepts, what the body receives, what `result()` gives (the result as JSON), and the
 * event and callback schemas.
 *
 * @example
 * ```ts
 * const greet: Workflow<{ name: string }, { name: string }, string> = workflow("greet", async function* (input: { name: string }) {
 *   return `Hello, ${input.name}`;
 * });
 * ```
 */
export interface Workflow<In = unknown, I = In, O = unknown, ES extends EventSchemas = EventSchemas, CS extends CallbackSchemas = CallbackSchemas> {
  readonly name: string;
  readonly inputSchema?: z.ZodType;
  readonly outputSchema?: z.ZodType;
  readonly eventSchemas?: ES;
  readonly callbackSchemas?: CS;
  /**
   * The body as the engine calls it (its envelopes are core's commands).
   * @internal
   */
  readonly body: (input: I, ctx: WorkflowContext<ES, CS>) => AsyncGenerator<CoreEnvelope, unknown, unknown>;
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
export type AnyWorkflow = Workflow<any, any, any, any, any>;

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
 * What `run.result()` resolves to for a workflow (and what `child` gives its parent): the body's result, or the
 * `output` schema's, as JSON.
 *
 * @example
 * ```ts
 * const run = await engine.start(order, { orderId: "o-1", amount: 5 });
 * const output: WorkflowOutput<typeof order> = await run.result();
 * ```
 */
export type WorkflowOutput<W> = W extends { readonly types?: { output: infer O } } ? O : unknown;

/** What `start` accepts: the input schema's input, or the body's annotation. */
/**
 * The event names `sendEvent` accepts for a workflow: those its `events` declare (any name when it declares none).
 *
 * @example
 * ```ts
 * const name: WorkflowEventName<typeof order> = "paid";
 * ```
 */
export type WorkflowEventName<W extends AnyWorkflow> = keyof NonNullable<W["eventSchemas"]> & string;
/**
 * The payload `sendEvent` accepts for an event of a workflow: what its schema accepts (anything when undeclared).
 *
 * @example
 * ```ts
 * const payload: WorkflowEventPayload<typeof order, "paid"> = { ref: "r-9" };
 * ```
 */
export type WorkflowEventPayload<W extends AnyWorkflow, K extends WorkflowEventName<W>> = z.input<NonNullable<W["eventSchemas"]>[K]>;
/**
 * The callback names `completeCallback` types for a workflow: those its `callbacks` declare (any name when it
 * declares none).
 *
 * @example
 * ```ts
 * const name: WorkflowCallbackName<typeof approval> = "decision";
 * ```
 */
export type WorkflowCallbackName<W extends AnyWorkflow> = keyof NonNullable<W["callbackSchemas"]> & string;
/**
 * The value `completeCallback` accepts for a callback of a workflow: what its schema accepts (anything when
 * undeclared).
 *
 * @example
 * ```ts
 * const value: WorkflowCallbackValue<typeof approval, "decision"> = { approved: true };
 * ```
 */
export type WorkflowCallbackValue<W extends AnyWorkflow, K extends WorkflowCallbackName<W>> = z.input<
  NonNullable<W["callbackSchemas"]>[K]
>;

type StartOf<IS, I = unknown> = IS extends z.ZodType ? z.input<IS> : I;
/** What the body receives: the input schema's output as JSON (the input is stored, then decoded), or the annotation. */
type InputOf<IS, I = unknown> = IS extends z.ZodType ? Jsonify<z.output<IS>> : I;
/** What the body must return: what the output schema accepts, or anything it returns. */
type ReturnOf<OS, R> = OS extends z.ZodType ? z.input<OS> : R;
/** What `result()` gives: the output schema's output, or the body's result, as JSON. */
type OutputOf<OS, R> = Jsonify<OS extends z.ZodType ? z.output<OS> : R>;

/**
 * The compile-time checks of a body: its result is JSON data (unless an `output` schema decides), and an input it
 * annotates (without an `input` schema) is what it receives: JSON, so no `Date` or other value JSON changes.
 */
type BodyCheck<I, R> = JsonCheck<R> & ([NotJson<I, [], true>] extends [never] ? unknown : NotJsonData<NotJson<I, [], true>>);

/**
 * Defines a workflow. Without an `input` schema the body's parameter annotation types the input (unchecked at run
 * time); with one, the schema types and checks it. The input reaches the body as JSON, as does the result its
 * callers get: the body's result must be JSON data, and with an `output` schema it must be what the schema accepts.
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
export function workflow<I = unknown, R = unknown>(
  name: string,
  body: WorkflowBody<I, R, EventSchemas> & BodyCheck<I, R>,
): Workflow<I, I, Jsonify<R>>;
export function workflow<
  R,
  IS extends z.ZodType | undefined = undefined,
  OS extends z.ZodType | undefined = undefined,
  ES extends EventSchemas = EventSchemas,
  I = unknown,
  CS extends CallbackSchemas = CallbackSchemas,
>(
  name: string,
  options: WorkflowOptions<IS, OS, ES, CS>,
  body: WorkflowBody<InputOf<IS, I>, ReturnOf<OS, R>, ES, CS> &
    BodyCheck<IS extends z.ZodType ? unknown : I, OS extends z.ZodType ? unknown : R>,
): Workflow<StartOf<IS, I>, InputOf<IS, I>, OutputOf<OS, R>, ES, CS>;
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
export function workflowContext(fields: Omit<WorkflowContext, "waitForEvent" | "callback">): WorkflowContext {
  return {
    ...fields,
    waitForEvent: (name, options) => waitForEvent(name, options),
    callback: (name, send, options) => callback(name, send, options),
  };
}
