// spindle/lambda against DynamoDB Local, driven only through handler invocations with real event shapes: HTTP API
// requests, EventBridge ticks, SQS batches and direct invocations. The engine's clock is virtual so sleeps and the
// invocation's remaining time can be moved; the store is real.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { HistoryEvent } from "spindle";
import { callback, createEngine, silentLogger, sleep, step, StoreUnavailableError, TimeoutError, waitForEvent, workflow } from "spindle";
import type { Logger } from "spindle";
import { DynamoDBStore } from "spindle/dynamodb";
import { createLambdaHandler } from "spindle/lambda";
import type { HttpResponse, SqsBatchResponse } from "spindle/lambda";
import { VirtualClock } from "spindle/testing";
import { completionsPerStep, isGapless, until } from "../helpers.js";
import { freshTable, makeClient } from "../dynamodb/helpers.js";
import { API_HOST, httpRequest, invocationContext, scheduleTick, sqsBatch } from "../../examples/lambda-dynamodb/aws-events.js";

let tableName = "";
const clients: DynamoDBClient[] = [];
beforeAll(async () => {
  tableName = await freshTable("lambda");
});
afterAll(() => {
  for (const client of clients) client.destroy();
});

/** Effects of every step, by name: the ledger the tests check against the history. */
const effects = new Map<string, number>();
const effect = (name: string): void => {
  effects.set(name, (effects.get(name) ?? 0) + 1);
};
let tokens: string[] = [];
const workflowLog: string[] = [];

const shipment = workflow(
  "shipment",
  {
    input: z.object({ orderId: z.string() }),
    events: { picked: z.object({ by: z.string() }) },
    callbacks: { approve: z.object({ ok: z.boolean() }) },
  },
  async function* (input, ctx) {
    yield* step("reserve", () => effect(`reserve:${input.orderId}`));
    ctx.log.info(`reserved ${input.orderId}`);
    yield* sleep("10m");
    const picked = yield* ctx.waitForEvent("picked", { timeout: "1h" });
    const approval = yield* callback<{ ok: boolean }>("approve", (token) => void tokens.push(token), { timeout: "1h" });
    yield* step("ship", () => effect(`ship:${input.orderId}`));
    return { orderId: input.orderId, pickedBy: picked.by, approved: approval.ok };
  },
);

/** A "container": an engine on the shared table and the handler built on it, as a cold start makes them. */
function container(clock: VirtualClock, lines: Record<string, unknown>[] = [], extra: Parameters<typeof createLambdaHandler>[1] = {}) {
  const client = makeClient();
  clients.push(client);
  const logger: Logger = {
    info: (message) => workflowLog.push(message),
    warn: () => {},
    error: () => {},
    debug: () => {},
  } as Logger;
  const store = new DynamoDBStore({ client, tableName });
  const engine = createEngine({ store, workflows: [shipment, slow, tally], clock, mode: "external", logger, staleTurnTimeout: "2m" });
  const handler = createLambdaHandler(engine, { log: (line) => lines.push(line), ...extra });
  return { engine, store, handler };
}

/** When set, each part of `slow` takes 10 s of this clock's time. */
let stepClock: VirtualClock | undefined;
/** The part of `slow` that hangs (once): its invocation is cut off there. */
let hangOnce: string | undefined;

const slow = workflow("slow", async function* () {
  const done: number[] = [];
  for (let i = 0; i < 3; i++) {
    done.push(
      yield* step(`part-${i}`, () => {
        effect(`part-${i}`);
        stepClock?.set(stepClock.now() + 10_000);
        if (hangOnce === `part-${i}`) {
          hangOnce = undefined;
          return new Promise<number>(() => {});
        }
        return i;
      }),
    );
  }
  return done;
});

/** Takes "scan" events until none comes for a minute, and returns them in order. */
const tally = workflow("tally", async function* () {
  const scans: unknown[] = [];
  for (;;) {
    try {
      scans.push(yield* waitForEvent("scan", { timeout: "1m" }));
    } catch (error) {
      if (error instanceof TimeoutError) return scans;
      throw error;
    }
  }
});

const json = (response: unknown) => JSON.parse((response as HttpResponse).body) as Record<string, unknown>;

describe("a whole workflow through handler invocations", () => {
  it("runs a sleep, an event and a callback from HTTP requests and schedule ticks; every step recorded once", async () => {
    const clock = new VirtualClock();
    const lines: Record<string, unknown>[] = [];
    const { handler } = container(clock, lines);
    tokens = [];

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
    expect(tokens).toHaveLength(1);

    const completed = await handler(httpRequest("POST", `/callbacks/${tokens[0]}/complete`, { ok: true }), invocationContext(clock));
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
    tokens = [];
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
    const failed = await handler({ action: "failCallback", token: tokens[0], error: { name: "Rejected", message: "no stock" } }, invocationContext(clock));
    expect(failed).toMatchObject({ ok: true, executionId: "ship-o-2", status: "failed" });
    expect(await handler({ action: "describe", executionId: "ship-o-2" }, invocationContext(clock))).toMatchObject({
      ok: true,
      execution: { status: "failed", error: { name: "Rejected", message: "no stock" } },
    });
    expect(await handler({ action: "completeCallback", token: tokens[0], value: { ok: true } }, invocationContext(clock))).toMatchObject({
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
    stepClock = clock;
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
    stepClock = undefined;
    effects.clear();
    hangOnce = "part-1";
    const a = container(clock);
    const b = container(clock);
    // Container A's invocation dies inside part 1: its turn never returns and never writes again.
    void a.handler({ action: "start", workflow: "slow", id: "slow-2" }, invocationContext(clock));
    await until(() => hangOnce === undefined, 1000);
    expect(hangOnce).toBeUndefined(); // part 1 started in A
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
    stepClock = undefined;
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
    tokens = [];
    await handler({ action: "start", workflow: "shipment", input: { orderId: "c-1" }, id: "ship-c-1" }, invocationContext(clock));
    clock.set(clock.now() + 10 * 60_000);
    await handler({ action: "sendEvent", executionId: "ship-c-1", name: "picked", payload: { by: "di" } }, invocationContext(clock));
    await handler({ action: "resume", executionId: "ship-c-1" }, invocationContext(clock));
    const refused = (await handler(httpRequest("POST", `/callbacks/${tokens[0]}/complete`, { ok: "yes" }), invocationContext(clock))) as HttpResponse;
    expect(refused.statusCode).toBe(400);
    const accepted = (await handler(httpRequest("POST", `/callbacks/${tokens[0]}/complete`, { ok: false }), invocationContext(clock))) as HttpResponse;
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

  it("refuses an engine in in-process mode", () => {
    const engine = createEngine({ store: new DynamoDBStore({ client: makeClient(), tableName }), workflows: [slow] });
    expect(() => createLambdaHandler(engine)).toThrow(/mode: "external"/);
  });
});

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
    tokens = [];
    await handler({ action: "start", workflow: "shipment", input: { orderId: "r-3" }, id: "ship-r-3" }, invocationContext(clock));
    clock.set(clock.now() + 10 * 60_000);
    await handler({ action: "resume", executionId: "ship-r-3" }, invocationContext(clock));
    await handler({ action: "sendEvent", executionId: "ship-r-3", name: "picked", payload: { by: "ed" } }, invocationContext(clock));
    const token = tokens[0]!;
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
    tokens = [];
    await handler({ action: "start", workflow: "shipment", input: { orderId: "r-4" }, id: "ship-r-4" }, invocationContext(clock));
    clock.set(clock.now() + 10 * 60_000);
    await handler({ action: "resume", executionId: "ship-r-4" }, invocationContext(clock));
    await handler({ action: "sendEvent", executionId: "ship-r-4", name: "picked", payload: { by: "fa" } }, invocationContext(clock));
    const fail = (error: unknown) => handler({ action: "failCallback", token: tokens[0], error }, invocationContext(clock));
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
