// Batches of records: SQS messages, and the records of other event sources (S3 notifications, DynamoDB and Kinesis
// streams, SNS) that only `route` understands. Each record is handled on its own; the records that failed are
// reported so that only they are delivered again (SQS and streams, with ReportBatchItemFailures), or, for sources
// without partial failures (S3, SNS), the invocation throws after trying every record.
import type { Actions, Budget } from "./actions.js";
import type { Check, DirectInvocation, SqsBatchResponse, SqsBody, SqsEvent } from "./events.js";
import { sqsBody } from "./events.js";
import { executionIdFromKey } from "./idempotency.js";
import { BadRequest } from "./outcomes.js";
import type { Route } from "./route.js";
import { eventKey, performRouted, resolveRoute } from "./route.js";

/** What a batch needs from the handler. */
export interface BatchHost {
  actions: Actions;
  budget: Budget;
  deadline: number | undefined;
  now(): number;
  route: Route | undefined;
  /** Logs a record's failure. */
  fail(error: unknown, what: string): void;
  /** Logs a record a route skipped on purpose. */
  skipped(reason: string, what: string): void;
  /** Checks a value; @throws BadRequest naming what is wrong with it. */
  parse<T>(check: Check<T>, value: unknown, what: string): T;
}

/**
 * Each message is a resume request (`{ executionId }`), a direct invocation, or (with `route`) whatever a rule maps
 * it to. A message delivered twice (the same messageId, in one batch or in two) writes once: its messageId keys what
 * it writes (see `keyedByMessage`; routed sendEvents take it as their idempotency key), and a copy in the same batch
 * is not run again. Every message that did not succeed is delivered again: one a retry can fix gets its retry, and
 * one refused for good (malformed, unrouted, or refused by the engine) ends in the dead-letter queue, where nothing is
 * lost and an operator sees it; each failure is logged. Messages the deadline left unstarted go back too. A FIFO
 * queue's messages run one at a time, in order, and everything after a failure is delivered again, keeping the order.
 */
export async function handleSqs(batch: SqsEvent, host: BatchHost, concurrency: number): Promise<SqsBatchResponse> {
  const records = batch.Records;
  const fifo = String((records[0] as { eventSourceARN?: unknown }).eventSourceARN ?? "").endsWith(".fifo");
  const failures = new Set<string>();
  const seen = new Set<string>();
  let next = 0;
  let stopped = false;
  const handle = async (record: (typeof records)[number]): Promise<boolean> => {
    try {
      const body = spindleMessage(record.body, host, host.route !== undefined);
      if (body === undefined) await routeOne(record, host, `SQS message ${record.messageId}`);
      else if ("action" in body) await host.actions.perform(keyedByMessage(body, record.messageId), host.budget);
      else await host.actions.perform({ action: "resume", executionId: body.executionId }, host.budget);
      return true;
    } catch (error) {
      host.fail(error, `SQS message ${record.messageId} failed; it is delivered again (or dead-lettered)`);
      return false;
    }
  };
  const worker = async () => {
    while (next < records.length && !stopped) {
      const record = records[next++]!;
      if (seen.has(record.messageId)) continue;
      seen.add(record.messageId);
      if (host.deadline !== undefined && host.now() >= host.deadline) {
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
 * The records of a source other than SQS, each routed on its own, in order (a stream's order is the order of its
 * changes). A stream (DynamoDB, Kinesis) gets the failed record and every one after it reported by sequence number,
 * as Lambda retries a stream from the first failure; any other source throws once every record was tried.
 * @throws the first record's error, for a source without partial batch failures.
 */
export async function handleRecords(records: readonly unknown[], host: BatchHost): Promise<SqsBatchResponse> {
  const sequences = records.map(sequenceOf);
  const stream = sequences.every((sequence) => sequence !== undefined);
  const errors: unknown[] = [];
  for (const [index, record] of records.entries()) {
    if (stream && host.deadline !== undefined && host.now() >= host.deadline) {
      return { batchItemFailures: sequences.slice(index).map((itemIdentifier) => ({ itemIdentifier: itemIdentifier! })) };
    }
    try {
      await routeOne(record, host, `record ${index} (${String((record as { eventSource?: unknown })?.eventSource ?? "unknown source")})`);
    } catch (error) {
      host.fail(error, `record ${index} of the batch failed; it is delivered again (or sent to the failure destination)`);
      if (stream) return { batchItemFailures: sequences.slice(index).map((itemIdentifier) => ({ itemIdentifier: itemIdentifier! })) };
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
  return { batchItemFailures: [] };
}

/**
 * Routes one event (or record) and performs its actions, in order.
 * @throws BadRequest when nothing routes it; the actions' errors.
 */
export async function routeOne(event: unknown, host: Pick<BatchHost, "route" | "actions" | "budget" | "skipped">, what: string): Promise<unknown[]> {
  const routed = await resolveRoute(host.route, event);
  if (routed === undefined) {
    throw new BadRequest(
      `No route for ${what}: ${host.route === undefined ? "the handler has no route option" : "no rule matched it and returned an action"}. ` +
        `It was not acknowledged: it is retried, then sent to the dead-letter queue or failure destination. Add a rule for it ` +
        `(createLambdaHandler(engine, { route: [rule(schema, to)] })), or return { skip: "why" } to acknowledge it on purpose.`,
    );
  }
  const key = eventKey(event);
  const results: unknown[] = [];
  for (const [index, action] of routed.entries()) {
    if ("skip" in action) host.skipped(action.skip, what);
    results.push(await performRouted(action, host.actions, host.budget, key, index));
  }
  return results;
}

/** A DynamoDB or Kinesis stream record's sequence number (its batch item identifier). */
function sequenceOf(record: unknown): string | undefined {
  const fields = record as { dynamodb?: { SequenceNumber?: unknown }; kinesis?: { sequenceNumber?: unknown } } | null;
  const sequence = fields?.dynamodb?.SequenceNumber ?? fields?.kinesis?.sequenceNumber;
  return typeof sequence === "string" ? sequence : undefined;
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

/**
 * The body as one of Spindle's own messages. With a route, a body that is not one of them is left to the route
 * (`undefined`); without one it is refused.
 * @throws BadRequest for a body that is not Spindle's, when there is no route.
 */
function spindleMessage(body: string, host: BatchHost, routed: boolean): SqsBody | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    if (routed) return undefined;
    throw new BadRequest(`The message body is not JSON: ${JSON.stringify(body.slice(0, 80))}. Send { "executionId": "..." } or a direct invocation.`);
  }
  if (routed && sqsBody(json) !== undefined) return undefined;
  return host.parse(sqsBody, json, "SQS message body");
}
