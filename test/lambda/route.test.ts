// createLambdaHandler({ route }) against DynamoDB Local, through handler invocations with AWS's event shapes: an
// EventBridge rule event starts a workflow (once, however often it is delivered), an S3 put notification starts one
// per object version, DynamoDB stream INSERTs send events (the first unrouted record and all after it go back as batch
// item failures), SQS records with their own bodies are routed per record beside Spindle's resume messages, an event
// completes a callback, and an event nobody routes is thrown, never acknowledged. The rules use Powertools' schemas.
import { JSONStringified } from "@aws-lambda-powertools/parser/helpers";
import { DynamoDBStreamRecord } from "@aws-lambda-powertools/parser/schemas/dynamodb";
import { EventBridgeSchema } from "@aws-lambda-powertools/parser/schemas/eventbridge";
import { S3Schema } from "@aws-lambda-powertools/parser/schemas/s3";
import { SqsRecordSchema } from "@aws-lambda-powertools/parser/schemas/sqs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { callback, createEngine, silentLogger, step, ValidationError, waitForEvent, workflow } from "spindle";
import { DynamoDBStore } from "spindle/dynamodb";
import { createLambdaHandler, rule } from "spindle/lambda";
import type { LambdaHandlerOptions, SqsBatchResponse } from "spindle/lambda";
import { VirtualClock } from "spindle/testing";
import { fileTable } from "../dynamodb/helpers.js";
import { dynamodbStreamBatch, eventBridgeEvent, invocationContext, s3PutNotification, sqsBatch } from "../../examples/lambda-dynamodb/aws-events.js";

const table = fileTable("lambda-route");

const ran: string[] = [];
const tokens = new Map<string, string>();

/** Started by an "Order Placed" event; waits for "shipped" (from a stream or a queue) and a payment callback. */
const fulfilment = workflow(
  "fulfilment",
  { input: z.object({ orderId: z.string(), amount: z.number() }) },
  async function* (input, ctx) {
    yield* step("reserve", () => void ran.push(`reserve:${input.orderId}`));
    const shipped = (yield* ctx.waitForEvent("shipped")) as { carrier: string };
    const paid = yield* callback<{ ref: string }>("payment", (token) => void tokens.set(input.orderId, token));
    return { orderId: input.orderId, carrier: shipped.carrier, ref: paid.ref };
  },
);

/** Started per uploaded object. */
const intake = workflow("intake", async function* (input: unknown) {
  return yield* step("scan", () => {
    ran.push(`scan:${JSON.stringify(input)}`);
    return "clean";
  });
});

/** Collects "note" events until "done". */
const notes = workflow("notes", async function* () {
  const seen: unknown[] = [];
  for (;;) {
    const note = yield* waitForEvent("note");
    if (note === "done") return seen;
    seen.push(note);
  }
});

const orderPlaced = EventBridgeSchema.extend({
  source: z.literal("com.example.orders"),
  "detail-type": z.literal("Order Placed"),
  detail: z.object({ orderId: z.string(), amount: z.number() }),
});
const paymentSettled = EventBridgeSchema.extend({
  "detail-type": z.literal("Payment Settled"),
  detail: z.object({ orderId: z.string(), ref: z.string() }),
});
const shipmentMessage = SqsRecordSchema.extend({ body: JSONStringified(z.object({ orderId: z.string(), carrier: z.string() })) });
const s3Record = S3Schema.shape.Records.element;

const route: LambdaHandlerOptions["route"] = [
  rule(orderPlaced, (event) => ({ start: { workflow: "fulfilment", id: `order-${event.detail.orderId}`, input: event.detail } })),
  rule(paymentSettled, (event) => {
    const token = tokens.get(event.detail.orderId);
    return token === undefined ? undefined : { completeCallback: { token, value: { ref: event.detail.ref } } };
  }),
  rule(s3Record, (record) => ({
    start: { workflow: "intake", id: `upload-${record.s3.object.key}-${record.s3.object.sequencer}`, input: { key: record.s3.object.key } },
  })),
  rule(DynamoDBStreamRecord, (record) =>
    record.eventName === "INSERT"
      ? { sendEvent: { executionId: `order-${String(record.dynamodb.NewImage?.orderId)}`, name: "shipped", payload: { carrier: record.dynamodb.NewImage?.carrier } } }
      : undefined,
  ),
  rule(shipmentMessage, (record) => ({ sendEvent: { executionId: "notes-1", name: "note", payload: record.body.carrier } })),
  rule(EventBridgeSchema.extend({ "detail-type": z.literal("Heartbeat") }), () => ({ skip: "heartbeats carry no work" })),
];

function container(clock: VirtualClock, options: LambdaHandlerOptions = { route }) {
  const client = table.client();
  const store = new DynamoDBStore({ client, tableName: table.name() });
  const engine = createEngine({ store, workflows: [fulfilment, intake, notes], clock, mode: "external", logger: silentLogger });
  const lines: Record<string, unknown>[] = [];
  const handler = createLambdaHandler(engine, { log: (line) => lines.push(line), ...options });
  return { engine, handler, lines };
}

const failed = (response: unknown) => (response as SqsBatchResponse).batchItemFailures.map((failure) => failure.itemIdentifier);

describe("route", () => {
  it("starts a workflow from an EventBridge rule event once, however often it is delivered, and completes its callback from another", async () => {
    const clock = new VirtualClock();
    const { engine, handler } = container(clock);
    const placed = eventBridgeEvent("Order Placed", "com.example.orders", { orderId: "o-1", amount: 40 }, clock.now(), "6a7e8feb-b491-4cf7-a9f1-bf3703467718");
    expect(await handler(placed, invocationContext(clock))).toEqual({
      ok: true,
      routed: [{ executionId: "order-o-1", created: true, status: "suspended" }],
    });
    expect(await handler(placed, invocationContext(clock))).toMatchObject({ ok: true, routed: [{ executionId: "order-o-1", created: false }] });
    expect(ran.filter((entry) => entry === "reserve:o-1")).toHaveLength(1);

    // The stream record of the shipment (INSERT) sends "shipped"; a MODIFY nobody routes goes back with all after it.
    const stream = dynamodbStreamBatch(
      [
        { eventName: "INSERT", keys: { pk: { S: "ship-1" } }, image: { pk: { S: "ship-1" }, orderId: { S: "o-1" }, carrier: { S: "DHL" } }, sequence: "111" },
        { eventName: "MODIFY", keys: { pk: { S: "ship-0" } }, image: { pk: { S: "ship-0" }, orderId: { S: "o-0" } }, sequence: "112" },
        { eventName: "INSERT", keys: { pk: { S: "ship-2" } }, image: { pk: { S: "ship-2" }, orderId: { S: "o-2" }, carrier: { S: "UPS" } }, sequence: "113" },
      ],
      clock.now(),
    );
    expect(failed(await handler(stream, invocationContext(clock)))).toEqual(["112", "113"]);
    expect((await engine.describe("order-o-1")).waitingFor).toMatchObject([{ kind: "callback" }]);
    // Redelivered, the INSERT is the same event (its eventID keys it): recorded once.
    const insert = { eventName: "INSERT", keys: { pk: { S: "ship-1" } }, image: { pk: { S: "ship-1" }, orderId: { S: "o-1" }, carrier: { S: "DHL" } }, sequence: "111" } as const;
    expect(failed(await handler(dynamodbStreamBatch([insert], clock.now()), invocationContext(clock)))).toEqual([]);
    expect((await engine.history("order-o-1")).filter((event) => event.type === "EventReceived")).toHaveLength(1);

    const settled = await handler(eventBridgeEvent("Payment Settled", "com.example.payments", { orderId: "o-1", ref: "pay-9" }, clock.now()), invocationContext(clock));
    expect(settled).toMatchObject({ ok: true, routed: [{ executionId: "order-o-1", duplicate: false, status: "completed" }] });
    expect(await engine.result("order-o-1")).toEqual({ orderId: "o-1", carrier: "DHL", ref: "pay-9" });
  });

  it("starts one execution per uploaded object version from an S3 put notification", async () => {
    const clock = new VirtualClock();
    const { engine, handler } = container(clock);
    const upload = s3PutNotification("intake-bucket", "scans/2026/form-17.pdf", clock.now(), "0A1B2C3D4E5F678901");
    expect(await handler(upload, invocationContext(clock))).toEqual({ batchItemFailures: [] });
    expect(await engine.result("upload-scans/2026/form-17.pdf-0A1B2C3D4E5F678901")).toBe("clean");
    await handler(upload, invocationContext(clock)); // S3 delivers at least once
    await handler(s3PutNotification("intake-bucket", "scans/2026/form-17.pdf", clock.now(), "0A1B2C3D4E5F678999"), invocationContext(clock));
    expect(ran.filter((entry) => entry === 'scan:{"key":"scans/2026/form-17.pdf"}')).toHaveLength(2);
  });

  it("routes each SQS record on its own beside Spindle's resume messages; an unrouted record is a batch item failure", async () => {
    const clock = new VirtualClock();
    const { engine, handler, lines } = container(clock);
    await engine.start(notes, undefined, { id: "notes-1" });
    const batch = sqsBatch(
      [
        { messageId: "m-resume", body: JSON.stringify({ executionId: "notes-1" }) },
        { messageId: "m-ship", body: JSON.stringify({ orderId: "o-5", carrier: "GLS" }) },
        { messageId: "m-junk", body: "hello" },
        { messageId: "m-other", body: JSON.stringify({ unknown: true }) },
      ],
      clock.now(),
      "shipments",
    );
    expect(failed(await handler(batch, invocationContext(clock))).sort()).toEqual(["m-junk", "m-other"]);
    expect(failed(await handler(sqsBatch([{ messageId: "m-ship", body: batch.Records[1]!.body }], clock.now()), invocationContext(clock)))).toEqual([]);
    await engine.sendEvent("notes-1", "note", "done");
    expect(await engine.resume("notes-1")).toMatchObject({ status: "completed" });
    expect(await engine.result("notes-1")).toEqual(["GLS"]); // the redelivered message was recorded once
    expect(lines.filter((line) => line.level === "WARN" && String(line.message).includes("m-junk"))).toHaveLength(1);
  });

  it("throws an event nobody routes, acknowledges one a rule skips, and refuses a rule's malformed action before doing anything", async () => {
    const clock = new VirtualClock();
    const { handler, lines } = container(clock);
    const unknown = eventBridgeEvent("Invoice Paid", "com.example.billing", { id: 1 }, clock.now());
    await expect(handler(unknown, invocationContext(clock))).rejects.toThrow(/No route for the event from com.example.billing \(Invoice Paid\)/);
    expect(lines.some((line) => line.level === "WARN" && (line.error as { message: string }).message.includes("No route"))).toBe(true);

    expect(await handler(eventBridgeEvent("Heartbeat", "com.example.ops", {}, clock.now()), invocationContext(clock))).toEqual({
      ok: true,
      routed: [{ skipped: "heartbeats carry no work" }],
    });

    const broken = container(clock, {
      route: (event) => [
        { start: { workflow: "intake", id: "never-started", input: event } },
        { sendEvent: { executionId: "x" } } as never,
      ],
    });
    await expect(broken.handler({ custom: true }, invocationContext(clock))).rejects.toThrow(ValidationError);
    await expect(broken.engine.describe("never-started")).rejects.toThrow(/does not exist/);
  });

  it("throws a batch of S3 records after trying each when one is not routed (S3 has no partial failures)", async () => {
    const clock = new VirtualClock();
    const { engine, handler } = container(clock, { route: [rule(S3Schema.shape.Records.element, (record) => (record.s3.object.key.endsWith(".pdf") ? { start: { workflow: "intake", id: `pdf-${record.s3.object.sequencer}`, input: {} } } : undefined))] });
    const batch = s3PutNotification("b", "a.txt", clock.now(), "01");
    batch.Records.push(s3PutNotification("b", "b.pdf", clock.now(), "02").Records[0]!);
    await expect(handler(batch, invocationContext(clock))).rejects.toThrow(/No route for record 0/);
    expect(await engine.result("pdf-02")).toBe("clean"); // the routed record was done; a retry finds it started
  });
});
