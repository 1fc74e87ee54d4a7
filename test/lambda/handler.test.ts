// spindle/lambda against DynamoDB Local, driven only through handler invocations with real event shapes: HTTP API
// requests, EventBridge ticks, SQS batches and direct invocations. The engine's clock is virtual so sleeps and the
// invocation's remaining time can be moved; the store is real.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "spindle";
import { callback, createEngine, silentLogger, sleep, step, StoreUnavailableError, workflow } from "spindle";
import { DynamoDBStore } from "spindle/dynamodb";
import { createLambdaHandler } from "spindle/lambda";
import type { HttpResponse, SqsBatchResponse } from "spindle/lambda";
import { VirtualClock } from "spindle/testing";
import { completionsPerStep, isGapless, until } from "../helpers.js";
import { makeClient } from "../dynamodb/helpers.js";
import { container, currentTable, effects, json, slow, state, useHandlerTable, workflowLog } from "./handler-fixtures.js";
import { API_HOST, httpRequest, invocationContext, scheduleTick, sqsBatch } from "../../examples/lambda-dynamodb/aws-events.js";


useHandlerTable("lambda");

describe("a whole workflow through handler invocations", () => {
  it("runs a sleep, an event and a callback from HTTP requests and schedule ticks; every step recorded once", async () => {
    const clock = new VirtualClock();
    const lines: Record<string, unknown>[] = [];
    const { handler } = container(clock, lines);
    state.tokens = [];

    const started = (await handler(httpRequest("POST", "/executions", { workflow: "shipment", input: { orderId: "o-1" }, id: "ship-o-1" }), invocationContext(clock))) as HttpResponse;
    expect(started.statusCode).toBe(202);
    expect(started.headers.location).toBe("/executions/ship-o-1");
    expect(json(started)).toMatchObject({
      executionId: "ship-o-1",
      created: true,
      status: "suspended",
      statusUrl: `https://${API_HOST}/executions/ship-o-1`,
    });

    const status = json(await handler(httpRequest("GET", "/executions/ship-o-1"), invocationContext(clock)));
    expect(status).toMatchObject({ execution: { id: "ship-o-1", status: "suspended", waitingFor: [{ kind: "timer" }] } });

    // A tick before the timer is due does nothing; the one after it runs the execution on to the event wait.
    expect(await handler(scheduleTick(clock.now()), invocationContext(clock))).toMatchObject({ ok: true, resumed: 0 });
    clock.set(clock.now() + 10 * 60_000);
    expect(await handler(scheduleTick(clock.now()), invocationContext(clock))).toMatchObject({ ok: true, resumed: 1, failed: 0 });

    const sent = await handler(httpRequest("POST", "/executions/ship-o-1/events/picked", { by: "ana" }, { "Idempotency-Key": "scan-77" }), invocationContext(clock));
    expect(sent).toMatchObject({ statusCode: 202 });
    expect(json(sent)).toMatchObject({ duplicate: false, status: "suspended" });
    const again = await handler(httpRequest("POST", "/executions/ship-o-1/events/picked", { by: "ana" }, { "idempotency-key": "scan-77" }), invocationContext(clock));
    expect(json(again)).toMatchObject({ duplicate: true });
    expect(state.tokens).toHaveLength(1);

    const completed = await handler(httpRequest("POST", `/callbacks/${state.tokens[0]}/complete`, { ok: true }), invocationContext(clock));
    expect(completed).toMatchObject({ statusCode: 200 });
    expect(json(completed)).toMatchObject({ executionId: "ship-o-1", status: "completed" });

    const done = json(await handler(httpRequest("GET", "/executions/ship-o-1"), invocationContext(clock)));
    expect(done).toMatchObject({ execution: { status: "completed", result: { orderId: "o-1", pickedBy: "ana", approved: true } } });
    expect(effects.get("reserve:o-1")).toBe(1);
    expect(effects.get("ship:o-1")).toBe(1);
    expect(workflowLog.filter((line) => line === "reserved o-1")).toHaveLength(1); // never repeated on replay

    // One JSON line per turn, with what the turn did.
    const turns = lines.filter((line) => line.message === "turn");
    expect(turns.length).toBeGreaterThanOrEqual(4);
    for (const line of turns) {
      expect(line).toMatchObject({ level: "INFO", executionId: "ship-o-1", workflow: "shipment" });
      expect(typeof line.appended).toBe("number");
      expect(typeof line.durationMs).toBe("number");
      expect(typeof line.function_request_id).toBe("string");
    }
    expect(turns.at(-1)).toMatchObject({ outcome: "completed" });
    // The warm container continued from its cache: only the first turn replayed.
    expect(turns.slice(1).every((line) => line.replayed === false)).toBe(true);
  });

  it("takes direct invocations: start, sendEvent, describe, completeCallback, failCallback, resume, cancel", async () => {
    const clock = new VirtualClock();
    const { handler } = container(clock);
    state.tokens = [];
    expect(await handler({ action: "start", workflow: "shipment", input: { orderId: "o-2" }, id: "ship-o-2" }, invocationContext(clock))).toMatchObject({
      ok: true,
      executionId: "ship-o-2",
      created: true,
      status: "suspended",
    });
    clock.set(clock.now() + 10 * 60_000);
    expect(await handler({ action: "resume", executionId: "ship-o-2" }, invocationContext(clock))).toMatchObject({ ok: true, turn: { status: "suspended" } });
    expect(await handler({ action: "sendEvent", executionId: "ship-o-2", name: "picked", payload: { by: "bo" } }, invocationContext(clock))).toMatchObject({
      ok: true,
      duplicate: false,
    });
    const failed = await handler({ action: "failCallback", token: state.tokens[0], error: { name: "Rejected", message: "no stock" } }, invocationContext(clock));
    expect(failed).toMatchObject({ ok: true, executionId: "ship-o-2", status: "failed" });
    expect(await handler({ action: "describe", executionId: "ship-o-2" }, invocationContext(clock))).toMatchObject({
      ok: true,
      execution: { status: "failed", error: { name: "Rejected", message: "no stock" } },
    });
    expect(await handler({ action: "completeCallback", token: state.tokens[0], value: { ok: true } }, invocationContext(clock))).toMatchObject({
      ok: false,
      statusCode: 404,
      error: { name: "CallbackNotFoundError" },
    });

    await handler({ action: "start", workflow: "shipment", input: { orderId: "o-3" }, id: "ship-o-3" }, invocationContext(clock));
    expect(await handler({ action: "cancel", executionId: "ship-o-3", reason: "customer left" }, invocationContext(clock))).toMatchObject({
      ok: true,
      status: "cancelled",
    });
  });
});

describe("time and crashes", () => {
  it("stops starting steps before the invocation's time runs out; a later tick goes on", async () => {
    const clock = new VirtualClock();
    state.stepClock = clock;
    const { handler, engine } = container(clock, [], { safetyMargin: "5s" });
    effects.clear();
    // 25 s left, 5 s kept back: parts 0 and 1 (10 s each) run, part 2 would start at the deadline and does not.
    const first = await handler({ action: "start", workflow: "slow", id: "slow-1" }, invocationContext(clock, 25_000));
    expect(first).toMatchObject({ ok: true, status: "running" });
    expect([effects.get("part-0"), effects.get("part-1"), effects.get("part-2")]).toEqual([1, 1, undefined]);
    expect(await handler(scheduleTick(clock.now()), invocationContext(clock, 60_000))).toMatchObject({ ok: true, resumed: 1 });
    expect(await engine.result("slow-1")).toEqual([0, 1, 2]);
    expect([effects.get("part-0"), effects.get("part-1"), effects.get("part-2")]).toEqual([1, 1, 1]);
    const history = await engine.history("slow-1");
    expect([...completionsPerStep(history).values()]).toEqual([1, 1, 1]);
  });

  it("recovers an invocation cut off mid-turn: another container takes over once the lease runs out", async () => {
    const clock = new VirtualClock();
    state.stepClock = undefined;
    effects.clear();
    state.hangOnce = "part-1";
    const a = container(clock);
    const b = container(clock);
    // Container A's invocation dies inside part 1: its turn never returns and never writes again.
    void a.handler({ action: "start", workflow: "slow", id: "slow-2" }, invocationContext(clock));
    await until(() => state.hangOnce === undefined, 1000);
    expect(state.hangOnce).toBeUndefined(); // part 1 started in A
    // B's tick finds A's lease: it runs nothing while the lease lasts.
    expect(await b.handler(scheduleTick(clock.now()), invocationContext(clock))).toMatchObject({ ok: true, resumed: 0 });
    expect(await b.handler({ action: "resume", executionId: "slow-2" }, invocationContext(clock))).toMatchObject({ ok: true, turn: { busyUntil: expect.any(Number) } });
    clock.set(clock.now() + 2 * 60_000);
    expect(await b.handler(scheduleTick(clock.now()), invocationContext(clock))).toMatchObject({ ok: true, resumed: 1, failed: 0 });
    expect(await b.engine.result("slow-2")).toEqual([0, 1, 2]);
    const history: HistoryEvent[] = await b.engine.history("slow-2");
    expect(isGapless(history)).toBe(true);
    expect([...completionsPerStep(history).values()]).toEqual([1, 1, 1]);
    // Part 1 ran in A (crashed, unrecorded) and once more in B; the others once.
    expect([effects.get("part-0"), effects.get("part-1"), effects.get("part-2")]).toEqual([1, 2, 1]);
  });
});

describe("SQS batches", () => {
  it("resumes executions and reports only the messages to deliver again", async () => {
    const clock = new VirtualClock();
    state.stepClock = undefined;
    const { handler, engine } = container(clock);
    await handler({ action: "start", workflow: "shipment", input: { orderId: "q-1" }, id: "ship-q-1" }, invocationContext(clock));
    clock.set(clock.now() + 10 * 60_000);
    const response = (await handler(
      sqsBatch([
        JSON.stringify({ executionId: "ship-q-1" }),
        "not json",
        JSON.stringify({ executionId: "no-such-execution" }),
        JSON.stringify({ action: "sendEvent", executionId: "ship-q-1", name: "picked", payload: { by: "cy" }, idempotencyKey: "q" }),
        JSON.stringify({ executionID: "ship-q-1" }),
      ], clock.now()),
      invocationContext(clock),
    )) as SqsBatchResponse;
    // Every refused message goes back, and on to the dead-letter queue: malformed ones, and the unknown execution.
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(["msg-1", "msg-2", "msg-4"]);
    const execution = await engine.describe("ship-q-1");
    expect(execution.waitingFor).toMatchObject([{ kind: "callback", name: "approve" }]);
  });

  it("hands back the messages the deadline left unstarted, and in a FIFO queue everything after a failure", async () => {
    const clock = new VirtualClock();
    const { handler } = container(clock, [], { safetyMargin: "5s" });
    const bodies = [1, 2, 3].map((i) => JSON.stringify({ action: "start", workflow: "shipment", input: { orderId: `f-${i}` }, id: `ship-f-${i}` }));
    const late = (await handler(sqsBatch(bodies, clock.now()), invocationContext(clock, 4_000))) as SqsBatchResponse;
    expect(late.batchItemFailures).toHaveLength(3);
    const fifo = (await handler(sqsBatch([bodies[0]!, "{", bodies[1]!], clock.now(), "spindle-resume.fifo"), invocationContext(clock))) as SqsBatchResponse;
    expect(fifo.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(["msg-1", "msg-2"]);
  });
});

describe("malformed and refused requests", () => {
  it("answers each with a 4xx that names the problem, and stores nothing", async () => {
    const clock = new VirtualClock();
    const lines: Record<string, unknown>[] = [];
    const { handler, store } = container(clock, lines);
    const context = () => invocationContext(clock);
    const http = async (event: unknown) => {
      const response = (await handler(event, context())) as HttpResponse;
      return { status: response.statusCode, error: (json(response).error ?? {}) as Record<string, string> };
    };
    expect(await http({ ...httpRequest("POST", "/executions"), body: "{not json" })).toMatchObject({ status: 400, error: { message: expect.stringContaining("not JSON") } });
    expect(await http(httpRequest("POST", "/executions", { workflow: "shipment", input: { orderId: 7 }, id: "bad-1" }))).toMatchObject({
      status: 400,
      error: { name: "ValidationError" },
    });
    expect(await store.get("bad-1")).toBeUndefined();
    expect(await http(httpRequest("POST", "/executions", { workflow: "shipment", input: {}, extra: 1 }))).toMatchObject({ status: 400, error: { message: expect.stringContaining("extra") } });
    expect(await http(httpRequest("POST", "/executions", { workflow: "nope", id: "bad-2" }))).toMatchObject({ status: 404, error: { name: "WorkflowNotFoundError" } });
    expect(await http(httpRequest("DELETE", "/executions/x"))).toMatchObject({ status: 405 });
    expect(await http(httpRequest("GET", "/orders"))).toMatchObject({ status: 404, error: { message: expect.stringContaining("No route GET /orders") } });
    expect(await http(httpRequest("GET", "/executions/missing"))).toMatchObject({ status: 404, error: { name: "ExecutionNotFoundError" } });
    expect(await http(httpRequest("POST", "/executions/missing/events/picked", { by: "x" }))).toMatchObject({ status: 404 });
    expect(await http(httpRequest("POST", "/callbacks/garbage/complete", { ok: true }))).toMatchObject({ status: 404, error: { name: "CallbackNotFoundError" } });
    expect(await http(httpRequest("GET", "/executions/%E0%A4%A"))).toMatchObject({ status: 400 });
    expect(await http({ ...httpRequest("GET", "/executions/x"), version: "1.0" })).toMatchObject({ status: 400, error: { message: expect.stringContaining("payload format 2.0") } });

    expect(await handler({ action: "resume", executionID: "x" }, context())).toMatchObject({
      ok: false,
      statusCode: 400,
      error: { message: expect.stringContaining("executionID") },
    });
    expect(await handler({ action: "explode" }, context())).toMatchObject({ ok: false, statusCode: 400 });
    // Events that are none of Spindle's shapes, with no route: thrown (Lambda retries them, then the DLQ), never answered.
    await expect(handler({ hello: "world" }, context())).rejects.toThrow(/No route for the event: the handler has no route option/);
    await expect(handler(null, context())).rejects.toThrow(/No route for the null event/);
    await expect(handler({ ...scheduleTick(clock.now()), "detail-type": "EC2 Instance State-change Notification" }, context())).rejects.toThrow(
      /No route for the event from aws.events \(EC2 Instance State-change Notification\)/,
    );
    expect(lines.filter((line) => line.level === "WARN").length).toBeGreaterThanOrEqual(10);
  });

  it("routes below a named stage and points Location and statusUrl at it", async () => {
    const clock = new VirtualClock();
    const { handler } = container(clock);
    const started = (await handler(
      httpRequest("POST", "/executions", { workflow: "slow", id: "staged-1" }, {}, clock.now(), "prod"),
      invocationContext(clock),
    )) as HttpResponse;
    expect(started.statusCode).toBe(202);
    expect(started.headers.location).toBe("/prod/executions/staged-1");
    expect(json(started).statusUrl).toBe(`https://${API_HOST}/prod/executions/staged-1`);
    const status = (await handler(httpRequest("GET", "/executions/staged-1", undefined, {}, clock.now(), "prod"), invocationContext(clock))) as HttpResponse;
    expect(json(status)).toMatchObject({ execution: { id: "staged-1" } });
  });

  it("checks a callback value against the declared schema at the call, keeping the token valid", async () => {
    const clock = new VirtualClock();
    const { handler } = container(clock);
    state.tokens = [];
    await handler({ action: "start", workflow: "shipment", input: { orderId: "c-1" }, id: "ship-c-1" }, invocationContext(clock));
    clock.set(clock.now() + 10 * 60_000);
    await handler({ action: "sendEvent", executionId: "ship-c-1", name: "picked", payload: { by: "di" } }, invocationContext(clock));
    await handler({ action: "resume", executionId: "ship-c-1" }, invocationContext(clock));
    const refused = (await handler(httpRequest("POST", `/callbacks/${state.tokens[0]}/complete`, { ok: "yes" }), invocationContext(clock))) as HttpResponse;
    expect(refused.statusCode).toBe(400);
    const accepted = (await handler(httpRequest("POST", `/callbacks/${state.tokens[0]}/complete`, { ok: false }), invocationContext(clock))) as HttpResponse;
    expect(json(accepted)).toMatchObject({ status: "completed" });
  });

  it("reports a turn that failed after its write without failing the write", async () => {
    const clock = new VirtualClock();
    const { store, engine } = container(clock);
    const failing = Object.create(store) as DynamoDBStore;
    failing.acquireLease = () => Promise.reject(new StoreUnavailableError("DynamoDB is throttling (simulated)."));
    const broken = createEngine({ store: failing, workflows: [slow], clock, mode: "external", logger: silentLogger });
    const handler = createLambdaHandler(broken, { log: false });
    const answer = await handler({ action: "start", workflow: "slow", id: "slow-turn-failed" }, invocationContext(clock));
    expect(answer).toMatchObject({ ok: true, created: true, turnFailed: { name: "StoreUnavailableError" } });
    expect((await engine.describe("slow-turn-failed")).status).toBe("running"); // stored, and due for the schedule
  });

  it("labels each turn line with its own invocation's request id, even when invocations overlap", async () => {
    const clock = new VirtualClock();
    const lines: Record<string, unknown>[] = [];
    const { handler } = container(clock, lines);
    const start = (id: string, requestId: string) =>
      handler({ action: "start", workflow: "slow", id }, { awsRequestId: requestId, getRemainingTimeInMillis: () => 60_000 });
    await Promise.all([start("overlap-a", "A"), start("overlap-b", "B")]);
    const turns = lines.filter((line) => line.message === "turn");
    expect(turns.filter((line) => line.executionId === "overlap-a").map((line) => line.function_request_id)).toEqual(["A"]);
    expect(turns.filter((line) => line.executionId === "overlap-b").map((line) => line.function_request_id)).toEqual(["B"]);
  });

  it("refuses an engine in in-process mode", async () => {
    const client = makeClient();
    const engine = createEngine({ store: new DynamoDBStore({ client, tableName: currentTable() }), workflows: [slow] });
    try {
      expect(() => createLambdaHandler(engine)).toThrow(/mode: "external"/);
    } finally {
      await engine.close();
      client.destroy();
    }
  });
});
