// Redrive through the Lambda handler, against DynamoDB Local: a failed execution is put back to work by a direct
// invocation `{ action: "redrive", executionId }` or by `POST /executions/{id}/redrive`, its failed step runs again in
// the same invocation and what completed before it does not; an execution that cannot be redriven is answered 409
// (RedriveRefusedError), an unknown one 404, a malformed request 400, and none of them changes anything.
import { describe, expect, it } from "vitest";
import { createEngine, silentLogger, step, workflow } from "spindle";
import { DynamoDBStore } from "spindle/dynamodb";
import { createLambdaHandler } from "spindle/lambda";
import type { HttpResponse } from "spindle/lambda";
import { VirtualClock } from "spindle/testing";
import { fileTable } from "../dynamodb/helpers.js";
import { API_HOST, httpRequest, invocationContext } from "../../examples/lambda-dynamodb/aws-events.js";

const table = fileTable("lambda-redrive");

/** While `down`, charge fails (one attempt), and the execution fails with it. */
const state = { down: true };
const calls = { reserve: 0, charge: 0 };
const order = workflow("order", async function* () {
  const reserved = yield* step("reserve", () => ++calls.reserve);
  const charged = yield* step(
    "charge",
    () => {
      calls.charge++;
      if (state.down) throw new Error("card service down");
      return "charged";
    },
    { retry: { maxAttempts: 1 } },
  );
  return { reserved, charged };
});

function container(clock: VirtualClock) {
  const client = table.client();
  const engine = createEngine({ store: new DynamoDBStore({ client, tableName: table.name() }), workflows: [order], clock, mode: "external", logger: silentLogger });
  return { engine, handler: createLambdaHandler(engine, { log: false }) };
}

const json = (response: unknown) => JSON.parse((response as HttpResponse).body) as Record<string, unknown>;

describe("redrive through the handler", () => {
  it("reruns a failed execution's failed step from a direct invocation and from POST /executions/{id}/redrive", async () => {
    const clock = new VirtualClock();
    const { engine, handler } = container(clock);
    const context = () => invocationContext(clock);
    expect(await handler({ action: "start", workflow: "order", id: "order-1" }, context())).toMatchObject({ ok: true, created: true, status: "failed" });

    // Still down: redriven, the step runs again in the same invocation, and fails again.
    expect(await handler({ action: "redrive", executionId: "order-1" }, context())).toEqual({
      ok: true,
      executionId: "order-1",
      redriven: true,
      from: "failed",
      rerun: { opId: "1", name: "charge" },
      status: "failed",
    });
    expect(calls).toEqual({ reserve: 1, charge: 2 });

    // Fixed: the HTTP route redrives it, answers 202 with its status URL, and the turn completes it.
    state.down = false;
    const redriven = (await handler(httpRequest("POST", "/executions/order-1/redrive"), context())) as HttpResponse;
    expect(redriven.statusCode).toBe(202);
    expect(redriven.headers.location).toBe("/executions/order-1");
    expect(json(redriven)).toEqual({
      executionId: "order-1",
      redriven: true,
      from: "failed",
      rerun: { opId: "1", name: "charge" },
      status: "completed",
      statusUrl: `https://${API_HOST}/executions/order-1`,
    });
    expect(await engine.result("order-1")).toEqual({ reserved: 1, charged: "charged" });
    expect(calls).toEqual({ reserve: 1, charge: 3 });
    expect((await engine.history("order-1")).filter((event) => event.type === "ExecutionRedriven")).toHaveLength(2);
  });

  it("answers 409 for an execution that cannot be redriven, 404 for an unknown one, 400 for a malformed request; nothing changes", async () => {
    const clock = new VirtualClock();
    const { engine, handler } = container(clock);
    const context = () => invocationContext(clock);
    state.down = false;
    await handler({ action: "start", workflow: "order", id: "order-done" }, context());
    const before = await engine.history("order-done");
    expect(before.at(-1)?.type).toBe("ExecutionCompleted");

    expect(await handler({ action: "redrive", executionId: "order-done" }, context())).toMatchObject({
      ok: false,
      statusCode: 409,
      error: { name: "RedriveRefusedError", executionId: "order-done", message: expect.stringContaining("completed") },
    });
    const http = (await handler(httpRequest("POST", "/executions/order-done/redrive"), context())) as HttpResponse;
    expect(http.statusCode).toBe(409);
    expect(json(http).error).toMatchObject({ name: "RedriveRefusedError", code: "REDRIVE_REFUSED" });

    expect(await handler({ action: "redrive", executionId: "order-none" }, context())).toMatchObject({ ok: false, statusCode: 404, error: { name: "ExecutionNotFoundError" } });
    expect(await handler({ action: "redrive", id: "order-done" }, context())).toMatchObject({
      ok: false,
      statusCode: 400,
      error: { message: expect.stringContaining('a "redrive" invocation is { action: "redrive", executionId }') },
    });
    const withBody = (await handler(httpRequest("POST", "/executions/order-done/redrive", { force: true }), context())) as HttpResponse;
    expect(withBody.statusCode).toBe(400);
    expect(json(withBody).error).toMatchObject({ message: expect.stringContaining("takes no body") });
    const wrongMethod = (await handler(httpRequest("GET", "/executions/order-done/redrive"), context())) as HttpResponse;
    expect(wrongMethod.statusCode).toBe(405);

    expect(await engine.history("order-done")).toEqual(before);
  });
});
