// spindle/lambda against DynamoDB Local: a redelivered SQS message, callback outcome or retried POST is recognised
// and answered as a duplicate, never written again.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "spindle";
import { callback, workflow } from "spindle";
import type { HttpResponse, SqsBatchResponse } from "spindle/lambda";
import { VirtualClock } from "spindle/testing";
import { container, effects, json, state, useHandlerTable } from "./handler-fixtures.js";
import { API_HOST, httpRequest, invocationContext, sqsBatch } from "../../examples/lambda-dynamodb/aws-events.js";

useHandlerTable("lambda-redelivery");

describe("redelivery is not a new write", () => {
  const failed = (response: unknown) => (response as SqsBatchResponse).batchItemFailures.map((failure) => failure.itemIdentifier);
  const eventsReceived = (history: HistoryEvent[]) => history.filter((event) => event.type === "EventReceived").length;

  it("records the event an SQS message carries once, however often the message is delivered; another message is another event", async () => {
    const clock = new VirtualClock();
    const a = container(clock);
    const b = container(clock); // the redelivery reaches another container: nothing is remembered in memory
    await a.handler({ action: "start", workflow: "tally", id: "tally-1" }, invocationContext(clock));
    const send = (payload: unknown, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ action: "sendEvent", executionId: "tally-1", name: "scan", payload, ...extra });
    const scan = { messageId: "0b5e7d2c-1f7a-4c55-9a43-6f1d2b8e4a01", body: send({ box: 1 }) };
    // The same message twice in one batch, then once more in a later invocation.
    expect(failed(await a.handler(sqsBatch([scan, scan], clock.now()), invocationContext(clock)))).toEqual([]);
    expect(failed(await b.handler(sqsBatch([scan], clock.now()), invocationContext(clock)))).toEqual([]);
    // Another message with the same body is another event; a key in the body wins over the messageId.
    const other = { messageId: "5c2a9e4f-8d31-4b6e-b0f7-2e9c1a7d3b02", body: scan.body };
    const keyed = (messageId: string) => ({ messageId, body: send({ box: 2 }, { idempotencyKey: "scan-2" }) });
    expect(failed(await b.handler(sqsBatch([other], clock.now()), invocationContext(clock)))).toEqual([]);
    expect(failed(await b.handler(sqsBatch([keyed("m-3"), keyed("m-4")], clock.now()), invocationContext(clock)))).toEqual([]);

    clock.set(clock.now() + 2 * 60_000);
    await b.handler({ action: "resume", executionId: "tally-1" }, invocationContext(clock));
    expect(await b.engine.result("tally-1")).toEqual([{ box: 1 }, { box: 1 }, { box: 2 }]);
    expect(eventsReceived(await b.engine.history("tally-1"))).toBe(3);
  });

  it("starts one execution for an SQS start message without an id delivered twice, with an id derived from the messageId", async () => {
    const clock = new VirtualClock();
    const lines: Record<string, unknown>[] = [];
    const a = container(clock, lines);
    const b = container(clock, lines);
    effects.clear();
    const start = { messageId: "9d4f1b6a-3e2c-4a7b-8f15-c0a2e6d9b703", body: JSON.stringify({ action: "start", workflow: "shipment", input: { orderId: "s-1" } }) };
    expect(failed(await a.handler(sqsBatch([start, start], clock.now()), invocationContext(clock)))).toEqual([]);
    expect(failed(await b.handler(sqsBatch([start], clock.now()), invocationContext(clock)))).toEqual([]);
    expect(effects.get("reserve:s-1")).toBe(1);
    const started = new Set(lines.filter((line) => line.message === "turn" && line.workflow === "shipment").map((line) => line.executionId));
    expect(started.size).toBe(1);
    const [id] = [...started] as string[];
    expect(id).toMatch(/^idem-[0-9a-f]{32}$/);
    expect(await b.engine.describe(id!)).toMatchObject({ status: "suspended", input: { orderId: "s-1" } });
  });

  it("acknowledges a redelivered callback completion as a duplicate; another outcome for the used token is still refused", async () => {
    const clock = new VirtualClock();
    const { handler } = container(clock);
    state.tokens = [];
    await handler({ action: "start", workflow: "shipment", input: { orderId: "r-3" }, id: "ship-r-3" }, invocationContext(clock));
    clock.set(clock.now() + 10 * 60_000);
    await handler({ action: "resume", executionId: "ship-r-3" }, invocationContext(clock));
    await handler({ action: "sendEvent", executionId: "ship-r-3", name: "picked", payload: { by: "ed" } }, invocationContext(clock));
    const token = state.tokens[0]!;
    const complete = (value: unknown) => JSON.stringify({ action: "completeCallback", token, value });
    const approve = { messageId: "e1a7c3d9-6b2f-4d8e-a5c1-7f3b9e2d4c04", body: complete({ ok: true }) };
    expect(failed(await handler(sqsBatch([approve, approve], clock.now()), invocationContext(clock)))).toEqual([]);
    expect(failed(await handler(sqsBatch([approve], clock.now()), invocationContext(clock)))).toEqual([]);
    // The same completion by direct invocation or HTTP (a client's retry) is a duplicate too.
    expect(await handler({ action: "completeCallback", token, value: { ok: true } }, invocationContext(clock))).toMatchObject({
      ok: true,
      executionId: "ship-r-3",
      duplicate: true,
    });
    const retried = (await handler(httpRequest("POST", `/callbacks/${token}/complete`, { ok: true }), invocationContext(clock))) as HttpResponse;
    expect([retried.statusCode, json(retried)]).toEqual([200, { executionId: "ship-r-3", duplicate: true }]);
    // Another decision for the used token did not count: refused, and from SQS handed back (towards the DLQ).
    const reject = { messageId: "f2b8d4e0-7c3a-4e9f-b6d2-8a4c0f3e5d05", body: complete({ ok: false }) };
    expect(failed(await handler(sqsBatch([reject], clock.now()), invocationContext(clock)))).toEqual([reject.messageId]);
    expect(await handler({ action: "failCallback", token, error: "too late" }, invocationContext(clock))).toMatchObject({
      ok: false,
      statusCode: 404,
      error: { name: "CallbackNotFoundError" },
    });
    expect(await handler({ action: "describe", executionId: "ship-r-3" }, invocationContext(clock))).toMatchObject({
      execution: { status: "completed", result: { approved: true } },
    });
  });

  it("acknowledges a repeated callback failure with the same error as a duplicate, and refuses one with another error", async () => {
    const clock = new VirtualClock();
    const { handler } = container(clock);
    state.tokens = [];
    await handler({ action: "start", workflow: "shipment", input: { orderId: "r-4" }, id: "ship-r-4" }, invocationContext(clock));
    clock.set(clock.now() + 10 * 60_000);
    await handler({ action: "resume", executionId: "ship-r-4" }, invocationContext(clock));
    await handler({ action: "sendEvent", executionId: "ship-r-4", name: "picked", payload: { by: "fa" } }, invocationContext(clock));
    const fail = (error: unknown) => handler({ action: "failCallback", token: state.tokens[0], error }, invocationContext(clock));
    expect(await fail({ name: "Rejected", message: "no stock", code: "R1" })).toMatchObject({ ok: true, duplicate: false, status: "failed" });
    expect(await fail({ name: "Rejected", message: "no stock", code: "R1" })).toMatchObject({ ok: true, executionId: "ship-r-4", duplicate: true });
    expect(await fail({ name: "Rejected", message: "no stock", code: "R2" })).toMatchObject({ ok: false, statusCode: 404 });
  });

  it("starts one execution for POST /executions retried with one Idempotency-Key, and answers the retry with created: false", async () => {
    const clock = new VirtualClock();
    const { handler, engine } = container(clock);
    effects.clear();
    const post = (input: unknown, key: string) =>
      handler(httpRequest("POST", "/executions", { workflow: "shipment", input }, { "Idempotency-Key": key }), invocationContext(clock)) as Promise<HttpResponse>;
    const first = await post({ orderId: "h-1" }, "checkout-41");
    expect(first.statusCode).toBe(202);
    const id = json(first).executionId as string;
    expect(id).toMatch(/^idem-[0-9a-f]{32}$/);
    expect(first.headers.location).toBe(`/executions/${id}`);
    expect(json(first)).toMatchObject({ created: true, status: "suspended" });

    const retry = await post({ orderId: "h-1" }, "checkout-41");
    expect(retry.statusCode).toBe(202);
    expect(retry.headers.location).toBe(`/executions/${id}`);
    expect(json(retry)).toMatchObject({ executionId: id, created: false, status: "suspended", statusUrl: `https://${API_HOST}/executions/${id}` });
    expect(effects.get("reserve:h-1")).toBe(1);

    // The same key with another body is a conflict; nothing is stored.
    const conflict = await post({ orderId: "h-2" }, "checkout-41");
    expect(conflict.statusCode).toBe(409);
    expect(json(conflict)).toMatchObject({ error: { name: "IdempotencyConflictError" } });
    expect(effects.get("reserve:h-2")).toBeUndefined();
    expect(await engine.describe(id)).toMatchObject({ input: { orderId: "h-1" } });

    // A key with odd characters never reaches the id; an empty one is refused.
    const odd = await post({ orderId: "h-3" }, "cart/7?#ü ../");
    expect(json(odd).executionId).toMatch(/^idem-[0-9a-f]{32}$/);
    expect((await post({ orderId: "h-4" }, "")).statusCode).toBe(400);
  });
});
