// createLambdaHandler: one Lambda function serves every way Spindle is driven on AWS. It tells the event's shape
// (direct invocation, API Gateway HTTP API, EventBridge schedule tick, SQS batch) by the fields that mark each,
// parses it with zod, runs it against an engine in external mode, and keeps each turn inside the invocation's
// remaining time. The engine lives at module scope, so a warm container keeps suspended workflows in its cache and
// the next invocation for them continues without replaying.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Duration, Engine, TurnReport } from "spindle";
import { toMillis, ValidationError } from "spindle";
import { z } from "zod";
import type { ActionResult, Budget } from "./actions.js";
import { Actions } from "./actions.js";
import type { DirectInvocation, HttpResponse, SqsBatchResponse, SqsEvent } from "./events.js";
import { directInvocationSchema, httpRequestSchema, kindOf, scheduleEventSchema, sqsBodySchema, sqsEventSchema } from "./events.js";
import { handleHttp } from "./http.js";
import { executionIdFromKey } from "./idempotency.js";
import type { ErrorBody } from "./outcomes.js";
import { BadRequest, errorBody, errorFields, statusOf } from "./outcomes.js";

/** The part of the Lambda context Spindle uses. */
export interface LambdaContext {
  /** Milliseconds left before Lambda stops the invocation. */
  getRemainingTimeInMillis?(): number;
  awsRequestId?: string;
}

/** Options of `createLambdaHandler`. */
export interface LambdaHandlerOptions {
  /**
   * Time kept back at the end of every invocation: no step starts, and no running step is waited for, once less than
   * this remains; the turn writes what it has and the execution stays due. Cover your slowest store write. Default 5 s.
   */
  safetyMargin?: Duration;
  /**
   * A direct or SQS-triggered turn waits in the invocation for a timer due this soon (and before the margin) instead of
   * suspending, saving a cold resume. HTTP requests and schedule ticks never wait. Default 10 s; 0 turns it off.
   */
  maxWait?: Duration;
  /** Time an HTTP request may spend on the turn that follows its write, before it answers 202. Default 3 s. */
  httpTurnBudget?: Duration;
  /** After start, sendEvent, completeCallback, failCallback or cancel, run the execution's turn now. Default true. */
  runTurns?: boolean;
  /** Executions resumed per schedule tick (and per `resumeDue` invocation). Default 100. */
  resumeDueLimit?: number;
  /** Turns a schedule tick runs at once. Default 10. */
  resumeDueConcurrency?: number;
  /** SQS messages of a standard queue handled at once. Default 10 (FIFO queues: one at a time, in order). */
  sqsConcurrency?: number;
  /** A prefix of every HTTP route (a custom domain's base path), e.g. `"/orders"`. Default none. */
  basePath?: string;
  /** Where the JSON log lines go (one per turn, one per failed request). Default: `console.log`; `false` for none. */
  log?: ((line: Record<string, unknown>) => void) | false;
}

/** What a direct invocation answers: the action's result, or the error of a request a retry cannot fix. */
export type DirectResponse = ({ ok: true } & ActionResult) | { ok: false; statusCode: number; error: ErrorBody };

/** The Lambda handler: pass it to Lambda as `export const handler = createLambdaHandler(engine)`. */
export type SpindleLambdaHandler = (
  event: unknown,
  context?: LambdaContext,
) => Promise<DirectResponse | HttpResponse | SqsBatchResponse | ActionResult>;

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
  const actions = new Actions(engine, settings.runTurns, settings.resumeDueLimit, settings.resumeDueConcurrency);
  // Each invocation's turns are logged by its own handler with its own request id, even when invocations overlap (in
  // tests) or several handlers share an engine; a turn runs in the async context of the invocation that asked for it.
  const invocations = new AsyncLocalStorage<{ handler: object; requestId: string | undefined }>();
  const self = {};
  const log = settings.log;
  if (log) {
    engine.onTurn((turn) => {
      const invocation = invocations.getStore();
      if (invocation?.handler === self) log(turnLine(turn, invocation.requestId));
    });
  }

  return (event, context) => invocations.run({ handler: self, requestId: context?.awsRequestId }, () => handle(event, context));

  async function handle(event: unknown, context: LambdaContext | undefined): Promise<DirectResponse | HttpResponse | SqsBatchResponse> {
    const requestId = context?.awsRequestId;
    const remaining = context?.getRemainingTimeInMillis?.();
    const deadline = remaining === undefined ? undefined : engine.clock.now() + Math.max(0, remaining - settings.safetyMarginMs);
    const budget = (maxWait: number): Budget => ({ ...(deadline === undefined ? {} : { deadline }), maxWait });
    const fail = (error: unknown, what: string) => {
      if (log) log({ level: statusOf(error) >= 500 ? "error" : "warn", msg: what, requestId, error: errorFields(error) });
    };
    switch (kindOf(event)) {
      case "http": {
        const httpDeadline = Math.min(deadline ?? Infinity, engine.clock.now() + settings.httpTurnBudgetMs);
        return answerHttp(event, actions, { deadline: httpDeadline, maxWait: 0 }, settings.basePath, requestId, fail);
      }
      case "sqs":
        return handleSqs(parseEvent(sqsEventSchema, event, "SQS batch"), actions, budget(settings.maxWaitMs), deadline, settings.sqsConcurrency, engine, fail);
      case "schedule":
        return answerDirect(() => {
          parseEvent(scheduleEventSchema, event, "EventBridge scheduled event");
          return { action: "resumeDue" };
        }, actions, budget(0), requestId, fail);
      case "direct":
        return answerDirect(() => parseEvent(directInvocationSchema, event, "direct invocation"), actions, budget(settings.maxWaitMs), requestId, fail);
      case "unknown":
        return answerDirect(() => {
          throw new BadRequest(
            "The event is none of the shapes Spindle handles: a direct invocation ({ action, ... }), an API Gateway " +
              "HTTP API request (payload format 2.0), an EventBridge scheduled event, or an SQS batch.",
          );
        }, actions, budget(0), requestId, fail);
    }
  }
}

/** Runs the action `parse` reads from the event; a request a retry cannot fix is answered, not thrown. */
async function answerDirect(
  parse: () => DirectInvocation,
  actions: Actions,
  budget: Budget,
  requestId: string | undefined,
  fail: (error: unknown, what: string) => void,
): Promise<DirectResponse> {
  try {
    return { ok: true, ...(await actions.perform(parse(), budget)) };
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
    return await handleHttp(parseEvent(httpRequestSchema, event, "HTTP API request (payload format 2.0)"), actions, budget, basePath);
  } catch (error) {
    const status = statusOf(error);
    fail(error, "HTTP request failed");
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (status === 503) headers["retry-after"] = "1";
    return { statusCode: status, headers, body: JSON.stringify({ error: errorBody(error, requestId) }) };
  }
}

/**
 * Each message is a resume request (`{ executionId }`) or a direct invocation. A message delivered twice (the same
 * messageId, in one batch or in two) writes once: its messageId keys what it writes (see `keyedByMessage`), and a copy
 * in the same batch is not run again (the batch answers for the messageId once). Every message that did not succeed is
 * delivered again: one a retry can fix gets its retry, and one refused for good (malformed, or refused by the engine:
 * an input that fails its schema, an event for a finished execution) ends in the dead-letter queue, where nothing is
 * lost and an operator sees it; each failure is logged. Messages the deadline left unstarted go back too. A FIFO
 * queue's messages run one at a time, in order, and everything after a failure is delivered again, keeping the order.
 */
async function handleSqs(
  batch: SqsEvent,
  actions: Actions,
  budget: Budget,
  deadline: number | undefined,
  concurrency: number,
  engine: Engine,
  fail: (error: unknown, what: string) => void,
): Promise<SqsBatchResponse> {
  const records = batch.Records;
  const fifo = String((records[0] as { eventSourceARN?: unknown }).eventSourceARN ?? "").endsWith(".fifo");
  const failures = new Set<string>();
  const seen = new Set<string>();
  let next = 0;
  let stopped = false;
  const handle = async (record: (typeof records)[number]): Promise<boolean> => {
    try {
      const body = parseMessage(record.body);
      if ("action" in body) await actions.perform(keyedByMessage(body, record.messageId), budget);
      else await actions.perform({ action: "resume", executionId: body.executionId }, budget);
      return true;
    } catch (error) {
      fail(error, `SQS message ${record.messageId} failed; it is delivered again (or dead-lettered)`);
      return false;
    }
  };
  const worker = async () => {
    while (next < records.length && !stopped) {
      const record = records[next++]!;
      if (seen.has(record.messageId)) continue;
      seen.add(record.messageId);
      if (deadline !== undefined && engine.clock.now() >= deadline) {
        failures.add(record.messageId);
        continue;
      }
      if (await handle(record)) continue;
      failures.add(record.messageId);
      if (fifo) stopped = true;
    }
  };
  await Promise.all(Array.from({ length: fifo ? 1 : concurrency }, worker));
  for (const record of records.slice(next)) failures.add(record.messageId);
  return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) };
}

/**
 * A message's writes keyed by its messageId, unless the body names its own key: a sendEvent without `idempotencyKey`
 * takes the messageId, a start without `id` an id derived from it (`executionIdFromKey`), so a redelivery is answered
 * as a duplicate (`created: false`, `duplicate: true`) instead of writing again. A callback's token is already its key,
 * and a cancel is one per run.
 */
function keyedByMessage(action: DirectInvocation, messageId: string): DirectInvocation {
  if (action.action === "sendEvent" && action.idempotencyKey === undefined) return { ...action, idempotencyKey: messageId };
  if (action.action === "start" && action.id === undefined) return { ...action, id: executionIdFromKey(action.workflow, messageId) };
  return action;
}

function parseMessage(body: string): z.infer<typeof sqsBodySchema> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new BadRequest(`The message body is not JSON: ${JSON.stringify(body.slice(0, 80))}. Send { "executionId": "..." } or a direct invocation.`);
  }
  return parseEvent(sqsBodySchema, json, "SQS message body");
}

function parseEvent<T>(schema: z.ZodType<T>, event: unknown, what: string): T {
  const parsed = schema.safeParse(event);
  if (parsed.success) return parsed.data;
  throw new BadRequest(`Malformed ${what}: ${z.prettifyError(parsed.error)}`);
}

function turnLine(turn: TurnReport, requestId: string | undefined): Record<string, unknown> {
  const line: Record<string, unknown> = {
    level: turn.outcome === "failed" ? "error" : "info",
    msg: "turn",
    executionId: turn.executionId,
    workflow: turn.workflow,
    outcome: turn.outcome,
    appended: turn.appended,
    replayed: turn.replayed,
    durationMs: turn.durationMs,
  };
  if (turn.outOfTime) line.outOfTime = true;
  if (requestId !== undefined) line.requestId = requestId;
  if (turn.error !== undefined) line.error = errorFields(turn.error);
  return line;
}

interface Settings {
  safetyMarginMs: number;
  maxWaitMs: number;
  httpTurnBudgetMs: number;
  runTurns: boolean;
  resumeDueLimit: number;
  resumeDueConcurrency: number;
  sqsConcurrency: number;
  basePath: string;
  log: ((line: Record<string, unknown>) => void) | false;
}

function readOptions(options: LambdaHandlerOptions): Settings {
  const count = (value: number | undefined, fallback: number, what: string) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 1) throw new ValidationError(`createLambdaHandler: ${what} must be a whole number of at least 1, got ${value}.`);
    return value;
  };
  const basePath = (options.basePath ?? "").replace(/\/+$/, "");
  if (basePath !== "" && !basePath.startsWith("/")) {
    throw new ValidationError(`createLambdaHandler: basePath must start with "/", got '${options.basePath}'.`);
  }
  return {
    safetyMarginMs: toMillis(options.safetyMargin ?? "5s", "safetyMargin"),
    maxWaitMs: toMillis(options.maxWait ?? "10s", "maxWait"),
    httpTurnBudgetMs: toMillis(options.httpTurnBudget ?? "3s", "httpTurnBudget"),
    runTurns: options.runTurns ?? true,
    resumeDueLimit: count(options.resumeDueLimit, 100, "resumeDueLimit"),
    resumeDueConcurrency: count(options.resumeDueConcurrency, 10, "resumeDueConcurrency"),
    sqsConcurrency: count(options.sqsConcurrency, 10, "sqsConcurrency"),
    basePath,
    log: options.log === false ? false : (options.log ?? ((line) => console.log(JSON.stringify(line)))),
  };
}
