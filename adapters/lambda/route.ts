// `route`: events that are none of Spindle's own shapes (EventBridge rule events, S3 notifications, DynamoDB stream
// records, SQS messages with your own bodies) mapped to engine actions. A rule pairs a schema (any object with zod's
// `safeParse`, e.g. `@aws-lambda-powertools/parser`'s schemas, which this file does not import) with a function from
// the parsed event to actions; the first rule whose schema accepts the event and whose function returns something
// decides. An event no rule routes is an error: it is retried and ends in the dead-letter queue, never dropped.
import { ValidationError } from "spindle";
import type { ActionResult, Actions, Budget } from "./actions.js";
import type { Fields } from "./events.js";
import { objectProblem, shapeOf } from "./events.js";

/**
 * An engine action a route asks for. `skip` acknowledges an event on purpose (it is logged at debug level).
 *
 * @example
 * ```ts
 * const action: RouteAction = { sendEvent: { executionId: "order-o-1", name: "shipped", payload: { carrier: "DHL" } } };
 * ```
 */
export type RouteAction =
  | { start: { workflow: string; id: string; input?: unknown } }
  | { sendEvent: { executionId: string; name: string; payload?: unknown; idempotencyKey?: string } }
  | { completeCallback: { token: string; value?: unknown } }
  | { failCallback: { token: string; error: string | { name?: string; message: string; code?: string } } }
  | { skip: string };

/**
 * What a rule's function returns: one action, several, or `undefined` to leave the event to the next rule.
 *
 * @example
 * ```ts
 * const none: RouteResult = undefined; // not mine: the next rule tries
 * ```
 */
export type RouteResult = RouteAction | readonly RouteAction[] | undefined;

/**
 * A schema as the route uses it: zod's (3 or 4, classic or mini) and Powertools' parser schemas fit.
 *
 * @example
 * ```ts
 * const schema: EventSchema<{ id: string }> = z.object({ id: z.string() });
 * ```
 */
export interface EventSchema<T> {
  safeParse(input: unknown): { success: true; data: T } | { success: false; error?: unknown };
}

/**
 * One rule: events `match` accepts are passed, parsed, to `to`. Make rules with `rule(match, to)`, which types `to`.
 *
 * @example
 * ```ts
 * const rules: RouteRule[] = [rule(EventBridgeSchema, (event) => ({ skip: `not handled: ${event["detail-type"]}` }))];
 * ```
 */
export interface RouteRule<T = never> {
  match: EventSchema<T>;
  to(event: T): RouteResult | Promise<RouteResult>;
}

/**
 * Rules tried in order, or one function deciding for every event.
 *
 * @example
 * ```ts
 * const route: Route = (event) => (isMine(event) ? { start: { workflow: "intake", id: idOf(event), input: event } } : undefined);
 * ```
 */
export type Route = readonly RouteRule<never>[] | ((event: unknown) => RouteResult | Promise<RouteResult>);

/**
 * A route rule, typed by its schema.
 *
 * @example
 * ```ts
 * import { EventBridgeSchema } from "@aws-lambda-powertools/parser/schemas/eventbridge";
 * const handler = createLambdaHandler(engine, {
 *   route: [rule(EventBridgeSchema, (event) => ({ start: { workflow: "invoice", id: `inv-${event.id}`, input: event.detail } }))],
 * });
 * ```
 */
export function rule<T>(match: EventSchema<T>, to: (event: T) => RouteResult | Promise<RouteResult>): RouteRule<never> {
  if (typeof match?.safeParse !== "function" || typeof to !== "function") {
    throw new ValidationError("rule(match, to): match must be a schema with safeParse (zod, Powertools' parser) and to a function.");
  }
  return { match, to } as unknown as RouteRule<never>;
}

/**
 * The actions `route` maps `event` to; `undefined` when nothing routes it.
 * @throws ValidationError when a rule returns something that is not an action; whatever a rule's function throws.
 */
export async function resolveRoute(route: Route | undefined, event: unknown): Promise<RouteAction[] | undefined> {
  if (route === undefined) return undefined;
  let result: RouteResult;
  if (typeof route === "function") {
    result = await route(event);
  } else {
    for (const { match, to } of route as readonly RouteRule<unknown>[]) {
      const parsed = match.safeParse(event);
      if (!parsed.success) continue;
      result = await to(parsed.data);
      if (result !== undefined) break;
    }
  }
  if (result === undefined) return undefined;
  const actions = (Array.isArray(result) ? result : [result]) as RouteAction[];
  actions.forEach(checkAction);
  return actions.length === 0 ? undefined : actions;
}

/**
 * The key a redelivery of `event` shares: an SQS messageId, an EventBridge event id, a DynamoDB or Kinesis stream
 * record's eventID, an SNS MessageId, or an S3 object's bucket, key and version (or sequencer). `undefined` for others.
 *
 * @example
 * ```ts
 * eventKey({ messageId: "059f36b4", body: "{}", eventSource: "aws:sqs" }); // "059f36b4"
 * ```
 */
export function eventKey(event: unknown): string | undefined {
  if (typeof event !== "object" || event === null) return undefined;
  const fields = event as Record<string, any>;
  if (fields.eventSource === "aws:sqs" && typeof fields.messageId === "string") return fields.messageId;
  if (fields.eventSource === "aws:s3" && typeof fields.s3 === "object" && fields.s3 !== null) {
    const { bucket, object } = fields.s3;
    return `s3:${bucket?.name}/${object?.key}@${object?.versionId ?? object?.sequencer ?? object?.eTag}`;
  }
  if ((fields.eventSource === "aws:dynamodb" || fields.eventSource === "aws:kinesis") && typeof fields.eventID === "string") return fields.eventID;
  if (typeof fields.Sns?.MessageId === "string") return fields.Sns.MessageId;
  if (typeof fields.id === "string" && typeof fields["detail-type"] === "string") return fields.id;
  return undefined;
}

/**
 * Performs one routed action. A sendEvent without its own idempotency key takes the event's (`eventKey`; the n-th
 * action of one event, counted from 0, `<key>#<n>` when n > 0), so a redelivered event is recorded once.
 */
export async function performRouted(action: RouteAction, actions: Actions, budget: Budget, key: string | undefined, index: number): Promise<ActionResult> {
  if ("start" in action) return actions.start(action.start.workflow, action.start.input, action.start.id, budget);
  if ("sendEvent" in action) {
    const { executionId, name, payload, idempotencyKey } = action.sendEvent;
    const derived = key === undefined ? undefined : index === 0 ? key : `${key}#${index}`;
    return actions.sendEvent(executionId, name, payload, idempotencyKey ?? derived, budget);
  }
  if ("completeCallback" in action) return actions.perform({ action: "completeCallback", token: action.completeCallback.token, value: action.completeCallback.value }, budget);
  if ("failCallback" in action) return actions.perform({ action: "failCallback", token: action.failCallback.token, error: action.failCallback.error }, budget);
  return { skipped: action.skip };
}

/** Each action's fields (`skip` is a string): what checkAction holds a rule's result to, and how messages write it. */
const ACTION_FIELDS: Readonly<Record<Exclude<ActionKind, "skip">, Fields>> = {
  start: { workflow: "text", id: "text", input: "any?" },
  sendEvent: { executionId: "text", name: "text", payload: "any?", idempotencyKey: "text?" },
  completeCallback: { token: "text", value: "any?" },
  failCallback: { token: "text", error: "error" },
};

/** The key of each kind of action: "start", "sendEvent", ..., "skip". */
type ActionKind = RouteAction extends infer A ? (A extends unknown ? keyof A : never) : never;

/** @throws ValidationError naming what the returned action lacks. */
function checkAction(action: unknown): void {
  const fields = (typeof action === "object" && action !== null ? action : {}) as Record<string, unknown>;
  const keys = Object.keys(fields);
  const kind = keys.length === 1 ? keys[0]! : "";
  const problem =
    kind === "skip"
      ? typeof fields.skip === "string"
        ? undefined
        : "skip: expected a string"
      : Object.hasOwn(ACTION_FIELDS, kind)
        ? objectProblem(fields[kind], ACTION_FIELDS[kind as keyof typeof ACTION_FIELDS], kind, false)
        : `expected one key, one of ${[...Object.keys(ACTION_FIELDS), "skip"].join(", ")}`;
  if (problem !== undefined) {
    const shapes = Object.entries(ACTION_FIELDS).map(([name, spec]) => `{ ${name}: ${shapeOf(spec)} }`);
    throw new ValidationError(
      `route: a rule returned ${JSON.stringify(action)?.slice(0, 200)}, which is not an action (${problem}). Return ` +
        `${shapes.join(", ")}, { skip: "why" }, a list of them, or undefined. Nothing was done for this event.`,
    );
  }
}
