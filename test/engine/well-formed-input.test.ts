// Ids, names, keys and reasons are well-formed Unicode, and ids and names are at most MAX_ID_BYTES (1,000) UTF-8 bytes,
// on every store. DynamoDB keeps text as UTF-8 and turns a lone surrogate into U+FFFD, so "a\ud800b" and "a\udbffb"
// were one key there: the second start got the first execution, and a second idempotency key dropped an event. The
// engine refuses ill-formed and oversized input with ValidationError before any store call; MemoryStore and
// DynamoDBStore (DynamoDB Local) accept exactly the same ids.
import { describe, expect, it } from "vitest";
import type { AnyWorkflow } from "spindle";
import {
  callback,
  createEngine,
  ExecutionNotFoundError,
  silentLogger,
  sleep,
  step,
  ValidationError,
  waitForEvent,
  workflow,
} from "spindle";
import type { HistoryStore } from "spindle/store";
import { newExecution } from "spindle/store";
import { VirtualClock } from "spindle/testing";
import { bothStores } from "../dynamodb/helpers.js";

const LIMIT = 1000;

const collect = workflow("well-formed-collect", async function* () {
  const seen: unknown[] = [];
  for (;;) {
    const next = yield* waitForEvent<string>("x");
    if (next === "stop") return seen;
    seen.push(next);
  }
});

const approval = workflow("well-formed-approval", async function* () {
  return yield* callback<string>("approve", () => undefined);
});

const stores = bothStores("well-formed");

let ids = 0;
describe.each(stores)("well-formed ids, names and keys on %s", (label, makeStore) => {
  const unique = (tag: string) => `wf-${tag}-${label}-${process.pid}-${Date.now().toString(36)}-${++ids}`;
  function engineOn(store: HistoryStore, workflows: readonly AnyWorkflow[] = [collect, approval]) {
    return createEngine({ store, workflows, clock: new VirtualClock(), mode: "external", logger: silentLogger });
  }

  it("refuses execution ids with a lone surrogate with ValidationError; they never alias one execution", async () => {
    const store = makeStore();
    const engine = engineOn(store);
    const base = unique("alias");
    for (const id of [`${base}a\ud800b`, `${base}a\udbffb`, `${base}\udc00`, `${base}\ud83d`]) {
      await expect(engine.start(collect, undefined, { id })).rejects.toThrow(ValidationError);
      await expect(engine.start(collect, undefined, { id })).rejects.toThrow(/well-formed Unicode/);
      expect(await store.get(id)).toBeUndefined();
    }
    expect(await store.get(`${base}a\ufffdb`)).toBeUndefined();
    // The replacement character itself is a well-formed id: an ill-formed one never finds its execution.
    await engine.start(collect, undefined, { id: `${base}a\ufffdb` });
    expect(await store.get(`${base}a\ud800b`)).toBeUndefined();
    await expect(engine.describe(`${base}a\ud800b`)).rejects.toBeInstanceOf(ExecutionNotFoundError);
    await expect(engine.sendEvent(`${base}a\ud800b`, "x", "1")).rejects.toBeInstanceOf(ValidationError);
    await expect(engine.sendEvent(collect, `${base}a\ud800b`, "x", "1")).rejects.toBeInstanceOf(ValidationError);
    await expect(engine.cancel(`${base}a\ud800b`)).rejects.toBeInstanceOf(ValidationError);
    await expect(engine.terminate(`${base}a\ud800b`)).rejects.toBeInstanceOf(ValidationError);
    expect((await store.get(`${base}a\ufffdb`))?.inboxSeq).toBe(0);
  });

  it("refuses idempotency keys and event names with a lone surrogate; no event is dropped or stored", async () => {
    const store = makeStore();
    const engine = engineOn(store);
    const id = unique("keys");
    await engine.start(collect, undefined, { id });
    await expect(engine.sendEvent(id, "x", "1", { idempotencyKey: "k\ud800" })).rejects.toThrow(ValidationError);
    await expect(engine.sendEvent(id, "x", "2", { idempotencyKey: "k\udbff" })).rejects.toThrow(/idempotency key "k\\ud[b8][0f]{2}"/);
    await expect(engine.sendEvent(id, "x\udfff", "3")).rejects.toThrow(ValidationError);
    expect((await store.get(id))?.inboxSeq).toBe(0);
    // Keys that differ in one astral character are two keys, on every store.
    expect(await engine.sendEvent(id, "x", "1", { idempotencyKey: "k\ud83d\ude00" })).toEqual({ duplicate: false });
    expect(await engine.sendEvent(id, "x", "2", { idempotencyKey: "k\ud83d\ude01" })).toEqual({ duplicate: false });
    expect(await engine.sendEvent(id, "x", "1", { idempotencyKey: "k\ud83d\ude00" })).toEqual({ duplicate: true });
    await engine.sendEvent(id, "x", "stop");
    await engine.resume(id);
    expect(await engine.result(id)).toEqual(["1", "2"]);
  });

  it("refuses cancel and terminate reasons and callback tokens with a lone surrogate", async () => {
    const store = makeStore();
    const engine = engineOn(store);
    const id = unique("reasons");
    await engine.start(approval, undefined, { id });
    await engine.resume(id);
    const before = await store.get(id);
    await expect(engine.cancel(id, "because \ud800")).rejects.toThrow(ValidationError);
    await expect(engine.terminate(id, "because \udc00")).rejects.toThrow(ValidationError);
    const token = ((await engine.history(id)).find((event) => event.type === "CallbackCreated") as { token: string }).token;
    await expect(engine.completeCallback(`${token}\ud800`, "yes")).rejects.toThrow(ValidationError);
    await expect(engine.failCallback(`\udc00${token}`, "no")).rejects.toThrow(ValidationError);
    const after = await store.get(id);
    expect(after?.status).toBe(before?.status);
    expect(after?.version).toBe(before?.version);
    expect(after?.inboxSeq).toBe(before?.inboxSeq);
    await engine.completeCallback(token, "yes");
    await engine.resume(id);
    expect(await engine.result(id)).toBe("yes");
  });

  it("refuses a workflow name with a lone surrogate with ValidationError, not WorkflowNotFoundError", async () => {
    const odd = workflow("odd\ud800", async function* () {
      return 1;
    });
    const store = makeStore();
    const engine = engineOn(store, [odd]);
    const id = unique("odd-name");
    await expect(engine.start(odd, undefined, { id })).rejects.toThrow(ValidationError);
    await expect(engine.start("odd\udbff", undefined, { id })).rejects.toThrow(ValidationError);
    expect(await store.get(id)).toBeUndefined();
  });

  it.each([
    ["ASCII", (n: number) => "i".repeat(n)],
    ["two-byte", (n: number) => "é".repeat(n / 2)],
    ["astral (four-byte)", (n: number) => "\u{1F600}".repeat(n / 4)],
  ])(`takes ${LIMIT}-byte %s ids and event names and refuses ${LIMIT + 4}-byte ones, with nothing stored`, async (_kind, make) => {
    const store = makeStore();
    const engine = engineOn(store);
    const prefix = unique("len").slice(0, 40);
    const fits = prefix + "-".repeat(4 - (prefix.length % 4)) + make(LIMIT - prefix.length - (4 - (prefix.length % 4)));
    expect(Buffer.byteLength(fits)).toBe(LIMIT);
    const tooLong = fits + make(4);
    await expect(engine.start(collect, undefined, { id: tooLong })).rejects.toThrow(ValidationError);
    await expect(engine.start(collect, undefined, { id: tooLong })).rejects.toThrow(/1004 bytes in UTF-8; the limit is 1000 bytes/);
    expect(await store.get(tooLong)).toBeUndefined();
    await engine.start(collect, undefined, { id: fits });
    await expect(engine.sendEvent(fits, make(LIMIT + 4), "n")).rejects.toThrow(ValidationError);
    expect((await store.get(fits))?.inboxSeq).toBe(0);
    const name = make(LIMIT);
    const named = workflow(name, async function* () {
      return yield* waitForEvent<string>(name);
    });
    const byName = engineOn(store, [named]);
    await byName.start(named, undefined, { id: `${prefix}-named` });
    await byName.sendEvent(`${prefix}-named`, name, "ok");
    await byName.resume(`${prefix}-named`);
    expect(await byName.result(`${prefix}-named`)).toBe("ok");
    expect((await byName.list({ workflow: name })).executions.map((execution) => execution.id)).toEqual([`${prefix}-named`]);
  });

  it(`refuses to create an execution whose id is ill-formed or over ${LIMIT} bytes at the store, as every store does`, async () => {
    const store = makeStore();
    for (const id of ["", `${unique("store")}\ud800`, "s".repeat(LIMIT + 1)]) {
      await expect(store.create(newExecution({ id, workflow: "w", runId: "r", at: 1 }))).rejects.toThrow(ValidationError);
    }
    const fits = unique("store-fits").padEnd(LIMIT, "s");
    expect((await store.create(newExecution({ id: fits, workflow: "w", runId: "r", at: 1 }))).created).toBe(true);
  });
});

describe("operation names", () => {
  it.each([
    ["step", () => step("a\ud800b", () => 1)],
    ["waitForEvent", () => waitForEvent("a\udbffb")],
    ["sleep", () => sleep("a\ud800", "1s")],
    ["a name over 1,000 bytes", () => step("é".repeat(501), () => 1)],
  ])("refuses %s with an ill-formed or oversized name with ValidationError when the operation is made", (_what, make) => {
    expect(make).toThrow(ValidationError);
  });
});
