// Limits are counted once, the same way on every store: a value whose JSON text is under `limits.maxValueBytes` is
// taken whatever it is made of (quotes and backslashes are escaped once, never a second time inside an inbox item),
// and a value nested too deep is refused as too deep, with the limit, never called circular. On MemoryStore and on
// DynamoDBStore (DynamoDB Local).
import { describe, expect, it } from "vitest";
import {
  callback,
  child,
  createEngine,
  IdempotencyConflictError,
  SerializationError,
  silentLogger,
  step,
  waitForEvent,
  workflow,
} from "spindle";
import type { HistoryStore } from "spindle/store";
import { VirtualClock } from "spindle/testing";
import { bothStores } from "../dynamodb/helpers.js";

const DEPTH_LIMIT = 1000;

/** `levels` arrays, each holding the next: `[[[]]]` is 3 levels. */
function nested(levels: number): unknown {
  let value: unknown[] = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

/** A string of quotes whose JSON text is `bytes` long: every quote escaped once, plus the two around it. */
const quotes = (bytes: number) => '"'.repeat((bytes - 2) / 2);
/** The same with backslashes. */
const backslashes = (bytes: number) => "\\".repeat((bytes - 2) / 2);

const approval = workflow("limits-approval", async function* () {
  const value = yield* callback<string>("approve", () => undefined);
  return value.length;
});

const echo = workflow("limits-echo", async function* (text: string) {
  return text;
});

const parent = workflow("limits-parent", async function* (text: string) {
  const result = yield* child(echo, text);
  return result.length;
});

const events = workflow("limits-event", async function* () {
  return (yield* waitForEvent<{ text: string }>("big")).text.length;
});

const deep = workflow("limits-deep", async function* (levels: number) {
  return yield* step("nest", () => nested(levels));
});

const stores = bothStores("value-limits");

let ids = 0;
describe.each(stores)("value limits on %s", (label, makeStore) => {
  const unique = (tag: string) => `lim-${tag}-${label}-${++ids}`;
  function engineOn(store: HistoryStore) {
    return createEngine({ store, workflows: [approval, echo, parent, events, deep], clock: new VirtualClock(), mode: "external", logger: silentLogger });
  }

  it.each([
    ["300 KB of quotes", quotes(300 * 1024)],
    ["300 KB of backslashes", backslashes(300 * 1024)],
    ["quotes up to maxValueBytes", "max"],
  ])("takes a callback value of %s (its JSON text under maxValueBytes)", async (_kind, made) => {
    const store = makeStore();
    const engine = engineOn(store);
    const value = made === "max" ? quotes(store.limits.maxValueBytes) : made;
    expect(Buffer.byteLength(JSON.stringify(value))).toBeLessThanOrEqual(store.limits.maxValueBytes);
    const id = unique("callback");
    await engine.start(approval, undefined, { id });
    await engine.resume(id);
    const token = ((await engine.history(id)).find((event) => event.type === "CallbackCreated") as { token: string }).token;
    await engine.completeCallback(token, value);
    await engine.resume(id);
    expect(await engine.result(id)).toBe(value.length);
  });

  it("reports a child's result of 300 KB of quotes to its parent", async () => {
    const store = makeStore();
    const engine = engineOn(store);
    const id = unique("parent");
    const text = quotes(300 * 1024);
    await engine.start(parent, text, { id });
    await engine.resume(id);
    const childId = ((await engine.history(id)).find((event) => event.type === "ChildStarted") as { childId: string }).childId;
    await engine.resume(childId);
    await engine.resume(id);
    expect(await engine.result(id)).toBe(text.length);
  });

  it("takes an event payload of 300 KB of quotes, and tells a duplicate from a conflict", async () => {
    const store = makeStore();
    const engine = engineOn(store);
    const id = unique("event");
    const text = quotes(300 * 1024);
    await engine.start(events, undefined, { id });
    expect(await engine.sendEvent(id, "big", { text }, { idempotencyKey: "k" })).toEqual({ duplicate: false });
    expect(await engine.sendEvent(id, "big", { text }, { idempotencyKey: "k" })).toEqual({ duplicate: true });
    await expect(engine.sendEvent(id, "big", { text: `${text}"` }, { idempotencyKey: "k" })).rejects.toBeInstanceOf(IdempotencyConflictError);
    await engine.resume(id);
    expect(await engine.result(id)).toBe(text.length);
  });

  it(`refuses a 10,000-level value as deeper than ${DEPTH_LIMIT} levels, not as circular, and stores nothing`, async () => {
    const store = makeStore();
    const engine = engineOn(store);
    const id = unique("deep-input");
    const error = await engine.start(echo, nested(10_000) as never, { id }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as Error).message).toMatch(/more than 1000 levels deep.*the limit is 1000 levels/);
    expect((error as Error).message).not.toMatch(/circular/);
    expect(await store.get(id)).toBeUndefined();
    await expect(engine.start(echo, nested(DEPTH_LIMIT + 1) as never, { id })).rejects.toThrow(/more than 1000 levels deep/);
    expect(await store.get(id)).toBeUndefined();
    await engine.start(echo, nested(DEPTH_LIMIT) as never, { id });
    await engine.resume(id);
    expect(await engine.result(id)).toEqual(nested(DEPTH_LIMIT));
  });

  it("fails a step whose result is 10,000 levels deep with the depth and the limit", async () => {
    const store = makeStore();
    const engine = engineOn(store);
    const id = unique("deep-step");
    await engine.start(deep, 10_000, { id });
    await engine.resume(id);
    const error = await engine.result(id).catch((thrown: unknown) => thrown);
    const cause = (error as { cause?: Error }).cause ?? (error as Error);
    expect(cause.message).toMatch(/more than 1000 levels deep/);
    expect(cause.message).not.toMatch(/circular/);
  });
});
