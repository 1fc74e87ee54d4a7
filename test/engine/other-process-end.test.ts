// An end another process wrote. Engine A starts an execution and engine B (another process, the same store) runs it to
// its end: a caller of A's result() already waiting is told (A reads waiting callers' records now and then), and so is
// one who comes later: the value, the workflow's error, or CancelledError when B terminates it. On MemoryStore and
// DynamoDBStore (DynamoDB Local). How A's reads back off and stop: test/engine/end-poll.test.ts.
import { describe, expect, it } from "vitest";
import { CancelledError, createEngine, silentLogger, step, waitForEvent, workflow } from "spindle";
import { bothStores } from "../dynamodb/helpers.js";

const stores = bothStores("otherend");

let ids = 0;
describe.each(stores)("an end written by another process on %s", (_label, makeStore) => {
  function engines(body: () => AsyncGenerator<unknown, unknown, unknown>) {
    const store = makeStore();
    const wf = workflow(`otherend-${++ids}`, body as never);
    const options = { store, workflows: [wf], mode: "external" as const, logger: silentLogger };
    return { wf, a: createEngine(options), b: createEngine(options), id: `otherend-${process.pid}-${Date.now().toString(36)}-${ids}` };
  }

  it("reaches a caller of result() already waiting", async () => {
    const { wf, a, b, id } = engines(async function* () {
      return yield* step("total", () => ({ total: 12 }));
    });
    await a.start(wf, undefined, { id });
    const waiting = a.result(id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await b.resume(id);
    expect(await waiting).toEqual({ total: 12 });
  });

  it("reaches a waiting caller with CancelledError when another process terminates the execution", async () => {
    const { wf, a, b, id } = engines(async function* () {
      yield* waitForEvent("go");
      return "done";
    });
    await a.start(wf, undefined, { id });
    await b.resume(id);
    const waiting = a.result(id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await b.terminate(id, "not needed");
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
  });

  it("is read by result() called once describe() shows it", async () => {
    const { wf, a, b, id } = engines(async function* () {
      return yield* step("total", () => ({ total: 12 }));
    });
    await a.start(wf, undefined, { id });
    await b.resume(id);
    expect((await a.describe(id)).status).toBe("completed");
    expect(await a.result(id)).toEqual({ total: 12 });
    expect(await a.result(wf, id)).toEqual({ total: 12 });
  });

  it("rejects result() with the workflow's error when the other process's turn failed the run", async () => {
    const { wf, a, b, id } = engines(async function* () {
      yield* step("charge", () => {
        throw Object.assign(new Error("card declined"), { name: "PaymentDeclined" });
      }, { retry: { maxAttempts: 1 } });
      return "paid";
    });
    await a.start(wf, undefined, { id });
    await b.resume(id);
    expect((await a.describe(id)).status).toBe("failed");
    await expect(a.result(id)).rejects.toMatchObject({ name: "StepFailedError" });
  });
});
