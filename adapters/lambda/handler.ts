// createLambdaHandler: one Lambda function serves every way Spindle is driven on AWS. It tells the event's shape
// (direct invocation, API Gateway HTTP API, EventBridge schedule tick, SQS batch, or any other event for `route`) by
// the fields that mark each, checks it (by hand, events.ts: no zod is loaded), runs it against an engine in external
// mode, and keeps each turn inside the invocation's remaining time. The engine lives at module scope, so a warm
// container keeps suspended workflows in its cache and the next invocation for them continues without replaying. Each
// invocation's turns are logged and counted (telemetry.ts) and their near wake-ups scheduled (wakeups.ts) before it
// returns.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Engine } from "spindle";
import { ValidationError } from "spindle";
import type { ActionResult, Budget } from "./actions.js";
import { Actions } from "./actions.js";
import type { BatchHost } from "./batches.js";
import { handleRecords, handleSqs, routeOne } from "./batches.js";
import type { Check, HttpResponse, SqsBatchResponse } from "./events.js";
import { directInvocation, httpRequest, kindOf, sqsEvent } from "./events.js";
import { handleHttp } from "./http.js";
import type { LambdaHandlerOptions } from "./options.js";
import { readOptions } from "./options.js";
import type { ErrorBody } from "./outcomes.js";
import { BadRequest, errorBody, errorFields, statusOf } from "./outcomes.js";
import type { InvocationTelemetry } from "./telemetry.js";
import { Telemetry } from "./telemetry.js";
import type { PendingWakeups } from "./wakeups.js";
import { Wakeups } from "./wakeups.js";

/** The part of the Lambda context Spindle uses. */
export interface LambdaContext {
  /** Milliseconds left before Lambda stops the invocation. */
  getRemainingTimeInMillis?(): number;
  awsRequestId?: string;
  functionName?: string;
  functionVersion?: string;
}

/** What a direct invocation answers: the action's result, or the error of a request a retry cannot fix. */
export type DirectResponse = ({ ok: true } & ActionResult) | { ok: false; statusCode: number; error: ErrorBody };

/**
 * What a routed event (not a batch) answers: the results of the actions it was mapped to, in order.
 *
 * @example
 * ```ts
 * const { routed } = (await handler(orderPlacedEvent, context)) as RoutedResponse; // [{ executionId, created, status }]
 * ```
 */
export interface RoutedResponse {
  ok: true;
  routed: unknown[];
}

/** The Lambda handler: pass it to Lambda as `export const handler = createLambdaHandler(engine)`. */
export type SpindleLambdaHandler = (
  event: unknown,
  context?: LambdaContext,
) => Promise<DirectResponse | HttpResponse | SqsBatchResponse | RoutedResponse>;

/** One invocation in flight: whose it is, and what it did. */
interface Invocation {
  handler: object;
  telemetry: InvocationTelemetry;
  wakeups: PendingWakeups;
  dueBacklog?: number;
}

/** Time kept at the very end of an invocation to return its answer: store retries stop before it. */
const ANSWER_RESERVE_MS = 250;

/**
 * Creates the Lambda handler for an engine in external mode.
 *
 * @example
 * ```ts
 * import { createEngine } from "spindle";
 * import { DynamoDBStore } from "spindle/dynamodb";
 * import { createLambdaHandler } from "spindle/lambda";
 *
 * const store = new DynamoDBStore({ client: new DynamoDBClient({}), tableName: process.env.TABLE_NAME! });
 * const engine = createEngine({ store, workflows: [order], mode: "external" });
 * export const handler = createLambdaHandler(engine, { safetyMargin: "5s" });
 * ```
 * @throws ValidationError when the engine is not in external mode or an option is malformed.
 */
export function createLambdaHandler(engine: Engine, options: LambdaHandlerOptions = {}): SpindleLambdaHandler {
  if (engine.mode !== "external") {
    throw new ValidationError(
      `createLambdaHandler: the engine must be created with mode: "external" (it is "${engine.mode}"). A frozen Lambda ` +
        `container cannot keep in-process timers; the schedule and the handler's own turns wake executions instead.`,
    );
  }
  const settings = readOptions(options);
  const actions = new Actions(engine, settings.runTurns, {
    limit: settings.resumeDueLimit,
    pageSize: settings.resumeDuePageSize,
    concurrency: settings.resumeDueConcurrency,
  });
  const telemetry = new Telemetry(settings);
  const wakeups = new Wakeups(settings.scheduleWakeup, settings.tickPeriodMs, settings.wakeupTimeoutMs, () => engine.clock.now(), telemetry);
  // Each invocation's turns are logged by its own handler with its own request id, even when invocations overlap (in
  // tests) or several handlers share an engine; a turn runs in the async context of the invocation that asked for it.
  const invocations = new AsyncLocalStorage<Invocation>();
  const self = {};
  engine.onTurn((turn) => {
    const invocation = invocations.getStore();
    if (invocation?.handler !== self) return;
    telemetry.turn(turn, invocation.telemetry);
    wakeups.consider(turn, invocation.wakeups, invocation.telemetry);
  });

  return (event, context) => {
    const invocation: Invocation = { handler: self, telemetry: telemetry.begin(context), wakeups: { asked: new Set(), calls: [] } };
    return invocations.run(invocation, async () => {
      try {
        return await handle(event, context, invocation);
      } finally {
        await wakeups.settle(invocation.wakeups);
        telemetry.end(invocation.telemetry, invocation.dueBacklog);
      }
    });
  };

  async function handle(event: unknown, context: LambdaContext | undefined, invocation: Invocation): Promise<DirectResponse | HttpResponse | SqsBatchResponse | RoutedResponse> {
    const requestId = context?.awsRequestId;
    const remaining = context?.getRemainingTimeInMillis?.();
    const deadline = remaining === undefined ? undefined : engine.clock.now() + Math.max(0, remaining - settings.safetyMarginMs);
    // The writes of a turn stopped at its deadline have the safety margin, less the time to answer, for their retries.
    const writeDeadline = remaining === undefined ? undefined : engine.clock.now() + Math.max(0, remaining - ANSWER_RESERVE_MS);
    const budget = (maxWait: number): Budget => ({ ...(deadline === undefined ? {} : { deadline, writeDeadline }), maxWait });
    const fail = (error: unknown, what: string) => {
      telemetry.log(statusOf(error) >= 500 ? "error" : "warn", what, { requestId, error: errorFields(error) }, invocation.telemetry);
    };
    const batchHost = (maxWait: number): BatchHost => ({
      actions,
      budget: budget(maxWait),
      deadline,
      now: () => engine.clock.now(),
      route: settings.route,
      fail,
      skipped: (reason, what) => telemetry.log("debug", "event skipped by its route", { what, reason }, invocation.telemetry),
      parse: parseEvent,
    });
    switch (kindOf(event)) {
      case "http": {
        const httpDeadline = Math.min(deadline ?? Infinity, engine.clock.now() + settings.httpTurnBudgetMs);
        return answerHttp(event, actions, { deadline: httpDeadline, maxWait: 0 }, settings.basePath, requestId, fail);
      }
      case "sqs":
        return handleSqs(parseEvent(sqsEvent, event, "SQS batch"), batchHost(settings.maxWaitMs), settings.sqsConcurrency);
      case "schedule":
        return answerDirect(async () => {
          const tick = await actions.resumeDue(budget(0));
          invocation.dueBacklog = tick.left;
          return tick;
        }, requestId, fail);
      case "direct":
        return answerDirect(() => actions.perform(parseEvent(directInvocation, event, "direct invocation"), budget(settings.maxWaitMs)), requestId, fail);
      case "records":
        return handleRecords((event as { Records: unknown[] }).Records, batchHost(settings.maxWaitMs));
      case "event":
      case "unknown":
        try {
          return { ok: true, routed: await routeOne(event, batchHost(settings.maxWaitMs), describeEvent(event)) };
        } catch (error) {
          // Thrown, never answered: Lambda retries an asynchronous invocation and then hands it to its failure destination.
          fail(error, "event failed; it is retried, then sent to the failure destination");
          throw error;
        }
    }
  }
}

/** A short name for an event in messages: its EventBridge source and detail-type, when it has them. */
function describeEvent(event: unknown): string {
  const fields = (typeof event === "object" && event !== null ? event : {}) as Record<string, unknown>;
  if (typeof fields.source === "string") return `the event from ${fields.source} (${String(fields["detail-type"] ?? "no detail-type")})`;
  return typeof event === "object" && event !== null ? "the event" : `the ${event === null ? "null" : typeof event} event`;
}

/** Runs a direct invocation's action; a request a retry cannot fix is answered, not thrown. */
async function answerDirect(
  perform: () => Promise<ActionResult>,
  requestId: string | undefined,
  fail: (error: unknown, what: string) => void,
): Promise<DirectResponse> {
  try {
    return { ok: true, ...(await perform()) };
  } catch (error) {
    const status = statusOf(error);
    fail(error, "direct invocation failed");
    // A retry can help a 5xx: throwing lets Lambda retry an asynchronous invocation and tells a caller to try again.
    if (status >= 500) throw error;
    return { ok: false, statusCode: status, error: errorBody(error, requestId) };
  }
}

async function answerHttp(
  event: unknown,
  actions: Actions,
  budget: Budget,
  basePath: string,
  requestId: string | undefined,
  fail: (error: unknown, what: string) => void,
): Promise<HttpResponse> {
  try {
    return await handleHttp(parseEvent(httpRequest, event, "HTTP API request (payload format 2.0)"), actions, budget, basePath);
  } catch (error) {
    const status = statusOf(error);
    fail(error, "HTTP request failed");
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (status === 503) headers["retry-after"] = "1";
    return { statusCode: status, headers, body: JSON.stringify({ error: errorBody(error, requestId) }) };
  }
}

/** @throws BadRequest naming what is wrong with the event and how it is written. */
function parseEvent<T>(check: Check<T>, event: unknown, what: string): T {
  const problem = check(event);
  if (problem === undefined) return event as T;
  throw new BadRequest(`Malformed ${what}: ${problem}. Nothing was done.`);
}

