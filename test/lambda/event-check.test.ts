// The handler's own event checks (events.ts, written by hand so the handler loads no zod) and the public zod schemas
// (schemas.ts) describe the same shapes: for every field of every shape, the same values are accepted and refused.
import { describe, expect, it } from "vitest";
import type { Check, FieldKind } from "../../adapters/lambda/events.js";
import { callbackError, DIRECT_FIELDS, directInvocation, httpRequest, sqsBody, sqsEvent } from "../../adapters/lambda/events.js";
import { resolveRoute } from "../../adapters/lambda/route.js";
import {
  callbackErrorSchema,
  directInvocationSchema,
  httpRequestSchema,
  sqsBodySchema,
  sqsEventSchema,
} from "../../adapters/lambda/schemas.js";

const PROBES: unknown[] = [
  undefined,
  null,
  "",
  "x",
  "x".repeat(1024),
  "x".repeat(1025),
  "x".repeat(4097),
  "2.0",
  "aws:sqs",
  0,
  1,
  10_000,
  10_001,
  1.5,
  -1,
  2 ** 60,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  {},
  [],
  ["a"],
  new Date(0),
  { message: "m" },
  { message: "" },
  { name: "E", message: "m", code: "C" },
  { name: "", message: "m" },
  { message: "m", extra: 1 },
  { message: 1 },
  { a: "b" },
  { a: 1 },
];

interface Schema {
  safeParse(value: unknown): { success: boolean };
}

/** Asserts the check and the schema agree on `value`; returns whether it was accepted. */
function agree(check: Check<unknown>, schema: Schema, value: unknown): boolean {
  const accepted = check(value) === undefined;
  const label = JSON.stringify(value, (_key, inner: unknown) => (inner === undefined ? "<undefined>" : inner))?.slice(0, 200);
  expect(accepted, `check vs schema on ${label}`).toBe(schema.safeParse(value).success);
  return accepted;
}

/** Every value `base` has at `path` replaced by each probe (and the field removed), checked by both. */
function probeField(check: Check<unknown>, schema: Schema, base: Record<string, unknown>, path: string[]): { accepted: number; refused: number } {
  const counts = { accepted: 0, refused: 0 };
  const variants: unknown[] = [...PROBES.map((probe) => set(base, path, probe)), set(base, path, REMOVE)];
  for (const variant of variants) counts[agree(check, schema, variant) ? "accepted" : "refused"]++;
  return counts;
}

const REMOVE = Symbol("remove");

function set(base: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(base);
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  if (value === REMOVE) delete target[path.at(-1)!];
  else target[path.at(-1)!] = value;
  return copy;
}

const VALID: Record<FieldKind, unknown> = {
  text: "x",
  id: "o-1",
  string: "",
  reason: "why",
  any: { any: "thing" },
  limit: 5,
  bool: false,
  error: { name: "Rejected", message: "no" },
};

function validDirect(action: keyof typeof DIRECT_FIELDS): Record<string, unknown> {
  const value: Record<string, unknown> = { action };
  for (const [name, spec] of Object.entries(DIRECT_FIELDS[action])) value[name] = VALID[spec.replace("?", "") as FieldKind];
  return value;
}

describe("the handler's event checks match the public schemas", () => {
  it("direct invocations: the same actions and fields as the schema", () => {
    const shapes = directInvocationSchema.options.map((option) => Object.keys(option.shape).sort());
    const fields = Object.entries(DIRECT_FIELDS).map(([, spec]) => ["action", ...Object.keys(spec)].sort());
    expect(fields).toEqual(shapes);
  });

  it("direct invocations: every field of every action accepts and refuses what the schema does", () => {
    for (const action of Object.keys(DIRECT_FIELDS) as (keyof typeof DIRECT_FIELDS)[]) {
      const valid = validDirect(action);
      expect(agree(directInvocation, directInvocationSchema, valid)).toBe(true);
      for (const name of Object.keys(valid)) {
        const { accepted, refused } = probeField(directInvocation, directInvocationSchema, valid, [name]);
        // A payload-like field (input, payload, value) takes anything; every other field refuses something.
        const takesAnything = (DIRECT_FIELDS[action] as Record<string, string>)[name] === "any?";
        expect(refused > 0, `${action}.${name} refuses something`).toBe(!takesAnything);
        if (name !== "action") expect(accepted, `${action}.${name} accepts something`).toBeGreaterThan(0);
      }
      expect(agree(directInvocation, directInvocationSchema, { ...valid, executionID: "o-1" })).toBe(false);
      // The callback error's own fields, nested.
      if (action === "failCallback") for (const name of ["name", "message", "code"]) probeField(directInvocation, directInvocationSchema, valid, ["error", name]);
    }
    for (const probe of PROBES) agree(directInvocation, directInvocationSchema, probe);
  });

  it("SQS message bodies: a resume request or a direct invocation", () => {
    probeField(sqsBody, sqsBodySchema, { executionId: "o-1" }, ["executionId"]);
    probeField(sqsBody, sqsBodySchema, { executionId: "o-1" }, ["action"]);
    probeField(sqsBody, sqsBodySchema, { executionId: "o-1" }, ["extra"]);
    for (const action of Object.keys(DIRECT_FIELDS) as (keyof typeof DIRECT_FIELDS)[]) expect(agree(sqsBody, sqsBodySchema, validDirect(action))).toBe(true);
    for (const probe of PROBES) agree(sqsBody, sqsBodySchema, probe);
  });

  it("HTTP API requests: every field Spindle reads, nested ones too; other fields pass", () => {
    const valid = {
      version: "2.0",
      rawPath: "/executions",
      rawQueryString: "",
      headers: { "content-type": "application/json" },
      body: "{}",
      isBase64Encoded: false,
      routeKey: "$default",
      requestContext: { http: { method: "POST", path: "/executions", sourceIp: "1.2.3.4" }, domainName: "api", stage: "$default", requestId: "r", accountId: "1" },
    };
    expect(agree(httpRequest, httpRequestSchema, valid)).toBe(true);
    const paths = [
      ["version"],
      ["rawPath"],
      ["rawQueryString"],
      ["headers"],
      ["headers", "x-custom"],
      ["body"],
      ["isBase64Encoded"],
      ["routeKey"],
      ["requestContext"],
      ["requestContext", "http"],
      ["requestContext", "http", "method"],
      ["requestContext", "http", "path"],
      ["requestContext", "domainName"],
      ["requestContext", "stage"],
      ["requestContext", "requestId"],
    ];
    for (const path of paths) probeField(httpRequest, httpRequestSchema, valid, path);
    for (const probe of PROBES) agree(httpRequest, httpRequestSchema, probe);
  });

  it("SQS batches: at least one record, each with a messageId, a body and eventSource aws:sqs", () => {
    const record = { messageId: "m-1", body: "{}", eventSource: "aws:sqs", receiptHandle: "h", attributes: {} };
    const valid = { Records: [record, { ...record, messageId: "m-2" }] };
    expect(agree(sqsEvent, sqsEventSchema, valid)).toBe(true);
    for (const path of [["Records"], ["Records", "1"], ["Records", "1", "messageId"], ["Records", "1", "body"], ["Records", "1", "eventSource"], ["Records", "0", "receiptHandle"]]) {
      probeField(sqsEvent, sqsEventSchema, valid, path);
    }
    expect(agree(sqsEvent, sqsEventSchema, { Records: [] })).toBe(false);
    for (const probe of PROBES) agree(sqsEvent, sqsEventSchema, probe);
  });

  it("callback errors: a message, or { message, name?, code? } and nothing else", () => {
    for (const probe of PROBES) agree(callbackError, callbackErrorSchema, probe);
  });

  it("says where a value is wrong and how the shape is written", () => {
    expect(directInvocation({ action: "resume", executionID: "o-1" })).toBe(
      'executionID: unknown field; a "resume" invocation is { action: "resume", executionId }',
    );
    expect(directInvocation({ action: "cancel", executionId: "o-1", reason: 7 })).toBe(
      'reason: expected a string of at most 4096 characters, received the number 7; a "cancel" invocation is { action: "cancel", executionId, reason? }',
    );
    expect(directInvocation({ action: "explode" })).toMatch(/^action: expected one of "start", .*"redrive", "resumeDue", received the string "explode"$/);
    expect(directInvocation({ action: "failCallback", token: "t", error: { message: "m", name: 3 } })).toMatch(/^error\.name: expected a non-empty string/);
    expect(sqsEvent({ Records: [{ messageId: "m", body: "{}", eventSource: "aws:sns" }] })).toBe('Records.0.eventSource: expected "aws:sqs", received the string "aws:sns"');
    expect(httpRequest({ version: "1.0" })).toMatch(/^version: expected "2\.0", received the string "1\.0"; the API's integration must use payload format version 2\.0$/);
  });

  it("holds a route's actions to the same field table, naming the action and field that is wrong", async () => {
    const routed = (action: unknown) => resolveRoute(() => action as never, {});
    await expect(routed({ sendEvent: { executionId: "o-1" } })).rejects.toThrow(
      /which is not an action \(sendEvent\.name: expected a non-empty string, received nothing\)\. Return \{ start: \{ workflow, id, input\? \} \}, /,
    );
    await expect(routed({ failCallback: { token: "t", error: 42 } })).rejects.toThrow(/failCallback\.error: expected a non-empty string or \{ message, name\?, code\? \}/);
    await expect(routed({ start: { workflow: "w", id: "i" }, skip: "both" })).rejects.toThrow(/expected one key, one of start, sendEvent, completeCallback, failCallback, skip/);
    await expect(routed({ skip: 1 })).rejects.toThrow(/skip: expected a string/);
    expect(await routed([{ failCallback: { token: "t", error: { message: "no" } } }, { skip: "" }])).toEqual([
      { failCallback: { token: "t", error: { message: "no" } } },
      { skip: "" },
    ]);
  });
});
