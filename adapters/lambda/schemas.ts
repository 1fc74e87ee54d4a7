// The public zod schemas of the shapes a Spindle Lambda function receives: direct invocations (one object per action),
// API Gateway HTTP API requests (payload format 2.0), EventBridge schedule ticks and SQS batches. The handler itself
// checks events by hand (events.ts), so it loads no zod: only index.ts re-exports this module, and every schema is
// built in a call marked pure, so a bundle that does not use a schema leaves it, and zod, out.
// test/lambda/event-check.test.ts holds the hand-written checks to these schemas. Only the fields Spindle reads are
// checked; AWS adds fields over time, so unknown fields of AWS's own events pass. A direct invocation is the caller's
// own object, so an unknown field there (a typo such as `executionID`) is refused.
import { z } from "zod";

const text = () => z.string().min(1);
const executionId = () => text().max(1024);
const callbackError = () =>
  z.union([text(), z.strictObject({ name: text().optional(), message: z.string(), code: text().optional() })]);

/**
 * One direct invocation: `{ action, ... }`. Unknown fields are refused.
 *
 * @example
 * ```ts
 * const action = directInvocationSchema.parse({ action: "sendEvent", executionId: "o-1", name: "paid", payload: { ref: "r" } });
 * ```
 */
export const directInvocationSchema = /* @__PURE__ */ (() =>
  z.discriminatedUnion("action", [
    z.strictObject({ action: z.literal("start"), workflow: text(), input: z.unknown().optional(), id: executionId().optional() }),
    z.strictObject({
      action: z.literal("sendEvent"),
      executionId: executionId(),
      name: text(),
      payload: z.unknown().optional(),
      idempotencyKey: text().optional(),
    }),
    z.strictObject({ action: z.literal("completeCallback"), token: text(), value: z.unknown().optional() }),
    z.strictObject({ action: z.literal("failCallback"), token: text(), error: callbackError() }),
    z.strictObject({ action: z.literal("resume"), executionId: executionId() }),
    z.strictObject({ action: z.literal("describe"), executionId: executionId() }),
    z.strictObject({ action: z.literal("cancel"), executionId: executionId(), reason: z.string().max(4096).optional() }),
    z.strictObject({ action: z.literal("redrive"), executionId: executionId() }),
    z.strictObject({ action: z.literal("resumeDue"), limit: z.number().int().min(1).max(10_000).optional() }),
  ]))();

/** A direct invocation, as parsed. */
export type DirectInvocation = z.infer<typeof directInvocationSchema>;

/**
 * An API Gateway HTTP API request, payload format 2.0 (the fields Spindle reads).
 *
 * @example
 * ```ts
 * const ok = httpRequestSchema.safeParse(event).success; // false for a REST API (payload 1.0) event
 * ```
 */
export const httpRequestSchema = /* @__PURE__ */ (() =>
  z.looseObject({
    version: z.literal("2.0"),
    rawPath: z.string(),
    rawQueryString: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.string().optional(),
    isBase64Encoded: z.boolean().optional(),
    requestContext: z.looseObject({
      http: z.looseObject({ method: z.string(), path: z.string().optional() }),
      domainName: z.string().optional(),
      stage: z.string().optional(),
      requestId: z.string().optional(),
    }),
  }))();

/** An HTTP API request, as parsed. */
export type HttpRequest = z.infer<typeof httpRequestSchema>;

/**
 * An EventBridge (CloudWatch Events) scheduled event: a tick of the wake-up schedule.
 *
 * @example
 * ```ts
 * scheduleEventSchema.parse({ source: "aws.events", "detail-type": "Scheduled Event", time: "2026-11-21T10:00:00Z" });
 * ```
 */
export const scheduleEventSchema = /* @__PURE__ */ (() =>
  z.looseObject({ source: z.literal("aws.events"), "detail-type": z.literal("Scheduled Event"), time: z.string().optional() }))();

/**
 * An SQS batch (the fields Spindle reads).
 *
 * @example
 * ```ts
 * const { Records } = sqsEventSchema.parse(event);
 * ```
 */
export const sqsEventSchema = /* @__PURE__ */ (() =>
  z.looseObject({
    Records: z.array(z.looseObject({ messageId: text(), body: z.string(), eventSource: z.literal("aws:sqs") })).min(1),
  }))();

/** An SQS batch, as parsed. */
export type SqsEvent = z.infer<typeof sqsEventSchema>;

/**
 * The body of an SQS message: a resume request, or any direct invocation.
 *
 * @example
 * ```ts
 * await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ executionId: "o-1" }) }));
 * sqsBodySchema.parse({ executionId: "o-1" });
 * ```
 */
export const sqsBodySchema = /* @__PURE__ */ (() => z.union([z.strictObject({ executionId: executionId() }), directInvocationSchema]))();

/** The body of an SQS message, as parsed. */
export type SqsBody = z.infer<typeof sqsBodySchema>;

/**
 * The error a callback fails with (the `error` of a `failCallback`, the body of `POST /callbacks/{token}/fail`): a
 * message, or `{ message, name?, code? }`.
 *
 * @example
 * ```ts
 * callbackErrorSchema.parse({ name: "Rejected", message: "not this quarter" });
 * ```
 */
export const callbackErrorSchema = /* @__PURE__ */ (() => callbackError())();
