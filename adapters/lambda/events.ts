// The shapes a Spindle Lambda function receives, and their checks, written by hand so the handler loads no zod: direct
// invocations (one object per action), API Gateway HTTP API requests (payload format 2.0), EventBridge schedule ticks
// and SQS batches. The public zod schemas of the same shapes live in schemas.ts (test/lambda/event-check.test.ts holds
// the two to the same values accepted and refused). Only the fields Spindle reads are checked; AWS adds fields over
// time, so unknown fields of AWS's own events pass. A direct invocation is the caller's own object, so an unknown
// field there (a typo such as `executionID`) is refused.
import type { DirectInvocation, HttpRequest, SqsBody, SqsEvent } from "./schemas.js";

export type { DirectInvocation, HttpRequest, SqsBody, SqsEvent } from "./schemas.js";

/** What an HTTP API integration returns (payload format 2.0). */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** What an SQS-triggered function returns: the messages to deliver again (ReportBatchItemFailures). */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * Which shape an event has, judged by the fields that mark each: Spindle's own (an HTTP API request, an SQS batch, a
 * schedule tick, a direct invocation), a batch of other records (`records`: S3, DynamoDB or Kinesis streams, SNS),
 * any other object (`event`: an EventBridge rule event, a custom payload), or `unknown` (not an object).
 *
 * @example
 * ```ts
 * kindOf({ action: "resume", executionId: "o-1" }); // "direct"
 * ```
 */
export function kindOf(event: unknown): "http" | "sqs" | "schedule" | "direct" | "records" | "event" | "unknown" {
  if (typeof event !== "object" || event === null || Array.isArray(event)) return "unknown";
  const fields = event as Record<string, unknown>;
  const context = fields.requestContext as Record<string, unknown> | undefined;
  if (typeof context === "object" && context !== null && "http" in context) return "http";
  if (Array.isArray(fields.Records) && fields.Records.length > 0) {
    const source = (fields.Records[0] as { eventSource?: unknown; EventSource?: unknown } | undefined) ?? {};
    return source.eventSource === "aws:sqs" ? "sqs" : "records";
  }
  if (fields.source === "aws.events" && fields["detail-type"] === "Scheduled Event") return "schedule";
  if ("action" in fields) return "direct";
  return "event";
}

/**
 * A hand-written check: why a value is not a `T` (a path and what was wrong), or `undefined` when it is one.
 * @internal
 */
export type Check<T> = ((value: unknown) => string | undefined) & { readonly shape?: T };

/**
 * What a field holds; a trailing `?` makes it optional (absent or undefined). `text` is a non-empty string, `id` an
 * execution id (1 to 1024 characters), `reason` a cancel reason (at most 4096), `limit` a resumeDue limit, `error` a
 * callback's error.
 * @internal
 */
export type FieldKind = "text" | "id" | "string" | "reason" | "any" | "limit" | "bool" | "error";
/** Fields of an object, as `name: kind`. @internal */
export type Fields = Readonly<Record<string, FieldKind | `${FieldKind}?`>>;

const EXPECTED: Readonly<Record<FieldKind, string>> = {
  text: "a non-empty string",
  id: "a string of 1 to 1024 characters",
  string: "a string",
  reason: "a string of at most 4096 characters",
  any: "any value",
  limit: "a whole number from 1 to 10000",
  bool: "a boolean",
  error: "a non-empty string or { message, name?, code? }",
};

/**
 * Every direct invocation's fields besides `action` (the compiler asks for every action; the test compares each
 * field with the schema's).
 * @internal
 */
export const DIRECT_FIELDS = {
  start: { workflow: "text", input: "any?", id: "id?" },
  sendEvent: { executionId: "id", name: "text", payload: "any?", idempotencyKey: "text?" },
  completeCallback: { token: "text", value: "any?" },
  failCallback: { token: "text", error: "error" },
  resume: { executionId: "id" },
  describe: { executionId: "id" },
  cancel: { executionId: "id", reason: "reason?" },
  redrive: { executionId: "id" },
  resumeDue: { limit: "limit?" },
} as const satisfies Readonly<Record<DirectInvocation["action"], Fields>>;

/** What was found where something else was expected. */
function received(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return value.length > 40 ? `a string of ${value.length} characters` : `the string ${JSON.stringify(value)}`;
  return typeof value === "number" ? `the number ${value}` : `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const said = (path: string, what: string, value: unknown) => `${path === "" ? "" : `${path}: `}expected ${what}, received ${received(value)}`;
const join = (path: string, name: string) => (path === "" ? name : `${path}.${name}`);

function fits(kind: FieldKind, value: unknown): boolean {
  const size = typeof value === "string" ? value.length : -1;
  switch (kind) {
    case "text":
      return size >= 1;
    case "id":
      return size >= 1 && size <= 1024;
    case "string":
      return size >= 0;
    case "reason":
      return size >= 0 && size <= 4096;
    case "any":
      return true;
    case "limit":
      return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= 10_000;
    case "bool":
      return typeof value === "boolean";
    case "error":
      return size >= 1 || (isObject(value) && objectProblem(value, CALLBACK_ERROR_FIELDS, "", true) === undefined);
  }
}

const CALLBACK_ERROR_FIELDS: Fields = { name: "text?", message: "string", code: "text?" };

/**
 * Why `value` is not an object with `fields` (`strict`: and no others), or undefined.
 * @internal
 */
export function objectProblem(value: unknown, fields: Fields, path: string, strict: boolean): string | undefined {
  if (!isObject(value)) return said(path, "an object", value);
  if (strict) for (const key of Object.keys(value)) if (!Object.hasOwn(fields, key)) return `${join(path, key)}: unknown field`;
  for (const name in fields) {
    const spec = fields[name]!;
    const optional = spec.endsWith("?");
    const kind = (optional ? spec.slice(0, -1) : spec) as FieldKind;
    const field = value[name];
    if (field === undefined ? optional : fits(kind, field)) continue;
    // A callback error's own fields are named where they are wrong.
    if (kind === "error" && isObject(field)) return objectProblem(field, CALLBACK_ERROR_FIELDS, join(path, name), true);
    return said(join(path, name), EXPECTED[kind], field);
  }
  return undefined;
}

/** A literal field, or why it is not that literal. */
function literalProblem(value: Record<string, unknown>, name: string, literal: string): string | undefined {
  return value[name] === literal ? undefined : said(name, JSON.stringify(literal), value[name]);
}

/**
 * How an object with `fields` is written, for messages: `{ first, second? }`, after `lead` when given.
 * @internal
 */
export function shapeOf(fields: Fields, lead?: string): string {
  const names = Object.entries(fields).map(([name, spec]) => (spec.endsWith("?") ? `${name}?` : name));
  return `{ ${(lead === undefined ? names : [lead, ...names]).join(", ")} }`;
}

/**
 * A direct invocation: `{ action, ... }` with the action's fields and no others.
 * @internal
 */
export const directInvocation: Check<DirectInvocation> = (value) => {
  if (!isObject(value)) return said("", "an object { action, ... }", value);
  const action = value.action;
  if (typeof action !== "string" || !Object.hasOwn(DIRECT_FIELDS, action)) {
    return said("action", `one of ${Object.keys(DIRECT_FIELDS).map((name) => `"${name}"`).join(", ")}`, action);
  }
  const name = action as keyof typeof DIRECT_FIELDS;
  const problem = objectProblem(value, { action: "string", ...DIRECT_FIELDS[name] }, "", true);
  return problem && `${problem}; a "${name}" invocation is ${shapeOf(DIRECT_FIELDS[name], `action: "${name}"`)}`;
};

/**
 * An SQS message's body: a resume request `{ executionId }`, or a direct invocation.
 * @internal
 */
export const sqsBody: Check<SqsBody> = (value) => {
  if (!isObject(value) || "action" in value) return directInvocation(value);
  const problem = objectProblem(value, { executionId: "id" }, "", true);
  return problem && `${problem}; a resume request is { executionId }, anything else a direct invocation { action, ... }`;
};

/**
 * An HTTP API request, payload format 2.0 (the fields Spindle reads).
 * @internal
 */
export const httpRequest: Check<HttpRequest> = (value) => {
  if (!isObject(value)) return said("", "an object", value);
  const problem =
    literalProblem(value, "version", "2.0") ??
    objectProblem(value, { rawPath: "string", rawQueryString: "string?", body: "string?", isBase64Encoded: "bool?" }, "", false) ??
    headersProblem(value.headers) ??
    objectProblem(value.requestContext, { domainName: "string?", stage: "string?", requestId: "string?" }, "requestContext", false) ??
    objectProblem((value.requestContext as Record<string, unknown>).http, { method: "string", path: "string?" }, "requestContext.http", false);
  return problem && `${problem}; the API's integration must use payload format version 2.0`;
};

/** Headers: absent, or a plain object of strings. */
function headersProblem(headers: unknown): string | undefined {
  if (headers === undefined) return undefined;
  const prototype = isObject(headers) ? (Object.getPrototypeOf(headers) as unknown) : undefined;
  if (prototype !== Object.prototype && prototype !== null) return said("headers", "an object of strings", headers);
  for (const [name, value] of Object.entries(headers as object)) if (typeof value !== "string") return said(`headers.${name}`, "a string", value);
  return undefined;
}

/**
 * An SQS batch: `Records`, at least one, each with a messageId, a body and eventSource "aws:sqs".
 * @internal
 */
export const sqsEvent: Check<SqsEvent> = (value) => {
  if (!isObject(value)) return said("", "an object", value);
  const records = value.Records;
  if (!Array.isArray(records) || records.length === 0) return said("Records", "a list of at least one message", records);
  for (let index = 0; index < records.length; index++) {
    const path = `Records.${index}`;
    const problem = objectProblem(records[index], { messageId: "text", body: "string" }, path, false);
    if (problem !== undefined) return problem;
    if (records[index].eventSource !== "aws:sqs") return said(`${path}.eventSource`, '"aws:sqs"', records[index].eventSource);
  }
  return undefined;
};

/**
 * A callback's error: a non-empty message, or `{ message, name?, code? }`.
 * @internal
 */
export const callbackError: Check<string | { name?: string; message: string; code?: string }> = (value) =>
  fits("error", value) ? undefined : isObject(value) ? objectProblem(value, CALLBACK_ERROR_FIELDS, "", true) : said("", EXPECTED.error, value);

/**
 * An object with `fields` and no others: the bodies of HTTP requests (`POST /executions`, a cancel).
 * @internal
 */
export function strictObject<T>(fields: Fields): Check<T> {
  return (value) => objectProblem(value, fields, "", true);
}
