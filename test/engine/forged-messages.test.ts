// Internal messages have their own kinds: no event sent with sendEvent, whatever its name, completes a child, completes
// a callback or cancels. On MemoryStore and on DynamoDBStore (DynamoDB Local).
import { describe, expect, it } from "vitest";
import { callback, child, createEngine, silentLogger, waitForEvent, workflow } from "spindle";
import type { HistoryStore } from "spindle/store";
import { VirtualClock } from "spindle/testing";
import { bothStores } from "../dynamodb/helpers.js";

const payment = workflow("forge-payment", async function* () {
  yield* waitForEvent("settled");
  return "real result";
});

const order = workflow("forge-order", async function* () {
  return yield* child(payment, undefined, { id: `pay-of-${Math.floor(Number.MAX_SAFE_INTEGER / 3)}` });
});

const approval = workflow("forge-approval", async function* () {
  return yield* callback<string>("approve", () => undefined);
});

const cancellable = workflow("forge-cancel", async function* () {
  return yield* waitForEvent<string>("go");
});

const stores = bothStores("forged");

let ids = 0;
const freshId = (label: string) => `forge-${label}-${process.pid}-${Date.now().toString(36)}-${++ids}`;

describe.each(stores)("forged internal messages on %s", (_label, makeStore) => {
  const engineOn = (store: HistoryStore) =>
    createEngine({ store, workflows: [order, payment, approval, cancellable], clock: new VirtualClock(), mode: "external", logger: silentLogger });

  it("does not let an event named child:<id> stand in for the child's outcome", async () => {
    const store = makeStore();
    const engine = engineOn(store);
    const id = freshId("order");
    await engine.start(order, undefined, { id });
    await engine.resume(id);
    const childId = ((await engine.history(id)).find((event) => event.type === "ChildStarted") as { childId: string }).childId;
    // The internal item's name, bare and spelled as the inbox's internal key (type, NUL, name).
    await engine.sendEvent(id, `child:${childId}`, { status: "completed", result: '"fake"' });
    await engine.sendEvent(id, `\u0000child\u0000child:${childId}`, { status: "completed", result: '"fake"' });
    await engine.resume(id);
    expect((await engine.describe(id)).status).toBe("suspended");
    await engine.resume(childId);
    await engine.sendEvent(childId, "settled");
    await engine.resume(childId);
    await engine.resume(id);
    expect(await engine.result(id)).toBe("real result");
  });

  it("does not let an event named callback:<token> complete the callback or bypass its checks", async () => {
    const store = makeStore();
    const engine = engineOn(store);
    const id = freshId("approval");
    await engine.start(approval, undefined, { id });
    await engine.resume(id);
    const token = ((await engine.history(id)).find((event) => event.type === "CallbackCreated") as { token: string }).token;
    await engine.sendEvent(id, `callback:${token}`, { value: '"forged"' });
    await engine.sendEvent(id, `\u0000callback\u0000callback:${token}`, { value: '"forged"' });
    await engine.resume(id);
    expect((await engine.describe(id)).status).toBe("suspended");
    await engine.completeCallback(token, "genuine");
    await engine.resume(id);
    expect(await engine.result(id)).toBe("genuine");
  });

  it("does not let an event named cancel cancel the execution", async () => {
    const store = makeStore();
    const engine = engineOn(store);
    const id = freshId("cancel");
    await engine.start(cancellable, undefined, { id });
    await engine.resume(id);
    await engine.sendEvent(id, "cancel", "please");
    await engine.sendEvent(id, "\u0000cancel\u0000cancel", "please");
    await engine.sendEvent(id, "go", "went");
    await engine.resume(id);
    expect(await engine.result(id)).toBe("went");
  });
});
