// An end another process wrote: the README's recipe for result() where other processes run the turns. Engine A starts
// an execution and engine B (another process, the same store) runs it to its end; A's describe() then shows the end,
// and A's result() reads it: the value, or the workflow's error. On MemoryStore and DynamoDBStore (DynamoDB Local).
import { describe, expect, it } from "vitest";
import { createEngine, silentLogger, step, workflow } from "spindle";
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
