// The engine end to end on DynamoDBStore: real workflows (steps, status, events, timers, parallel steps,
// continue-as-new) recorded in DynamoDB Local, resumed by another process's engine through the due index, and read
// back by a store that has never seen them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { all, continueAsNew, createEngine, setStatus, silentLogger, sleep, step, workflow } from "spindle";
import { checkHistory } from "spindle/store";
import { createTestEngine, VirtualClock } from "spindle/testing";
import { DynamoDBStore } from "spindle/dynamodb";
import { freshId, loadAll } from "./fixtures.js";
import { freshTable, makeClient } from "./helpers.js";

let tableName = "";
const client = makeClient();
beforeAll(async () => {
  tableName = await freshTable("engine");
});
afterAll(() => client.destroy());

const order = workflow(
  "ddb-order",
  { input: z.object({ orderId: z.string(), amount: z.number() }), events: { paid: z.object({ ref: z.string() }) } },
  async function* (input, ctx) {
    const quote = yield* step("quote", () => ({ total: input.amount * 2 }));
    yield* setStatus({ stage: "waiting-for-payment" });
    const paid = yield* ctx.waitForEvent("paid", { timeout: "1h" });
    yield* sleep(20);
    const [label, mail] = yield* all([step("label", () => `L-${input.orderId}`), step("mail", () => true)]);
    return { total: quote.total, ref: paid.ref, label, mail };
  },
);

describe("engine on DynamoDBStore", () => {
  it("runs a workflow with steps, status, an event, a timer and parallel steps to completion", async () => {
    const engine = createEngine({ store: new DynamoDBStore({ client, tableName }), workflows: [order], logger: silentLogger });
    const id = freshId("order");
    const run = await engine.start(order, { orderId: "o-1", amount: 21 }, { id });
    await engine.idle();
    expect(await engine.describe(id)).toMatchObject({ status: "suspended", customStatus: { stage: "waiting-for-payment" } });
    await engine.sendEvent(id, "paid", { ref: "r-9" }, { idempotencyKey: "psp-1" });
    expect(await engine.sendEvent(id, "paid", { ref: "r-9" }, { idempotencyKey: "psp-1" })).toEqual({ duplicate: true });
    expect(await run.result()).toEqual({ total: 42, ref: "r-9", label: "L-o-1", mail: true });
    await engine.close();

    // A store that has never seen it reads the same history, and it validates.
    const cold = new DynamoDBStore({ client: makeClient(), tableName, cacheSize: 0 });
    const stored = await loadAll(cold, id);
    expect(checkHistory(id, stored).map((event) => event.type)).toEqual([
      "ExecutionStarted",
      "StepCompleted",
      "StatusSet",
      "WaitStarted",
      "EventReceived",
      "TimerScheduled",
      "TimerFired",
      "GroupStarted",
      "StepCompleted",
      "StepCompleted",
      "ExecutionCompleted",
    ]);
    expect(await cold.get(id)).toMatchObject({ status: "completed", workflow: "ddb-order" });
    expect((await cold.load(id))!.inbox).toEqual([]);
  });

  it("lets a second process's engine pick up the execution through the due index after an event", async () => {
    const clock = new VirtualClock();
    const options = { workflows: [order], clock, mode: "external" as const, logger: silentLogger };
    const first = createEngine({ ...options, store: new DynamoDBStore({ client, tableName }) });
    const otherClient = makeClient();
    const second = createEngine({ ...options, store: new DynamoDBStore({ client: otherClient, tableName }) });
    const id = freshId("handover");
    await first.start(order, { orderId: "o-2", amount: 1 }, { id });
    expect(await first.resume(id)).toMatchObject({ status: "suspended" });
    await second.sendEvent(id, "paid", { ref: "r-2" });
    const resumed = await second.resumeDue();
    expect(resumed.failed).toEqual([]);
    expect(resumed.resumed).toBeGreaterThanOrEqual(1);
    clock.set(clock.now() + 1000);
    await second.resumeDue();
    expect(await second.result(id)).toEqual({ total: 2, ref: "r-2", label: "L-o-2", mail: true });
    await first.close();
    await second.close();
    otherClient.destroy();
  });

  it("continues as new across runs and skips hours of timers with the test engine's virtual clock", async () => {
    const counter = workflow("ddb-counter", async function* (input: unknown) {
      const state = input as { run: number; total: number };
      const added = yield* step("add", () => state.run * 10);
      yield* sleep("2h");
      if (state.run < 3) return yield* continueAsNew({ run: state.run + 1, total: state.total + added });
      return state.total + added;
    });
    const store = new DynamoDBStore({ client, tableName });
    const t = createTestEngine({ workflows: [counter], store });
    const id = freshId("counter");
    const run = await t.start(counter, { run: 1, total: 0 }, { id });
    expect(await run.result()).toBe(60);
    const record = await new DynamoDBStore({ client, tableName, cacheSize: 0 }).get(id);
    expect(record).toMatchObject({ status: "completed", runs: 2, input: JSON.stringify({ run: 3, total: 30 }) });
    expect(checkHistory(id, await loadAll(store, id))[0]).toMatchObject({ type: "ExecutionStarted", runId: record!.runId });
  });
});
