// Callback tokens are verified whole: a token whose secret part does not match the waiting callback (forged,
// truncated, padded with whitespace) gets CallbackNotFoundError and stores nothing, and failCallback refuses an error
// that is not one with ValidationError. On MemoryStore and on DynamoDBStore (DynamoDB Local).
import { describe, expect, it } from "vitest";
import { callback, CallbackNotFoundError, createEngine, silentLogger, ValidationError, workflow } from "spindle";
import { VirtualClock } from "spindle/testing";
import { bothStores } from "../dynamodb/helpers.js";

const approval = workflow("token-approval", async function* () {
  try {
    return { value: yield* callback<string>("approve", () => undefined) };
  } catch (error) {
    return { error: (error as Error).message };
  }
});

const stores = bothStores("tokens");

/** The same execution, run and operation as `token`, with another secret. */
function forge(token: string): string {
  const parts = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as string[];
  parts[3] = "00000000-0000-4000-8000-000000000000";
  return Buffer.from(JSON.stringify(parts), "utf8").toString("base64url");
}

let ids = 0;
describe.each(stores)("callback tokens on %s", (_label, makeStore) => {
  async function waiting() {
    const store = makeStore();
    const engine = createEngine({ store, workflows: [approval], clock: new VirtualClock(), mode: "external", logger: silentLogger });
    const id = `token-${process.pid}-${Date.now().toString(36)}-${++ids}`;
    await engine.start(approval, undefined, { id });
    await engine.resume(id);
    const token = ((await engine.history(id)).find((event) => event.type === "CallbackCreated") as { token: string }).token;
    return { engine, store, id, token };
  }

  it.each([
    ["forged (another secret)", forge],
    ["truncated", (token: string) => token.slice(0, -4)],
    ["padded with whitespace", (token: string) => ` ${token}\n`],
  ])("refuses a %s token with CallbackNotFoundError and stores nothing", async (_kind, alter) => {
    const { engine, store, id, token } = await waiting();
    const before = await store.get(id);
    await expect(engine.completeCallback(alter(token), "forged")).rejects.toBeInstanceOf(CallbackNotFoundError);
    await expect(engine.failCallback(alter(token), "forged")).rejects.toBeInstanceOf(CallbackNotFoundError);
    expect((await store.get(id))?.inboxSeq).toBe(before?.inboxSeq);
    await engine.completeCallback(token, "genuine");
    await engine.resume(id);
    expect(await engine.result(id)).toEqual({ value: "genuine" });
  });

  it.each([
    ["undefined", undefined],
    ["null", null],
    ["a number", 42],
    ["an empty string", ""],
  ])("refuses failCallback with %s as the error (ValidationError), stores nothing, and keeps the token valid", async (_kind, error) => {
    const { engine, store, id, token } = await waiting();
    const before = await store.get(id);
    await expect(engine.failCallback(token, error as never)).rejects.toBeInstanceOf(ValidationError);
    expect((await store.get(id))?.inboxSeq).toBe(before?.inboxSeq);
    await engine.failCallback(token, { name: "Rejected", message: "not this quarter" });
    await engine.resume(id);
    expect(await engine.result(id)).toEqual({ error: "not this quarter" });
  });

  it("copies a failure's fields as data: a __proto__ field from JSON never becomes a prototype", async () => {
    const { engine, id, token } = await waiting();
    const parsed = JSON.parse('{"name":"Rejected","message":"no","__proto__":{"polluted":true}}') as { message: string };
    await engine.failCallback(token, parsed);
    await engine.resume(id);
    expect(await engine.result(id)).toEqual({ error: "no" });
    const [failed] = (await engine.history(id)).filter((event) => event.type === "CallbackCompleted") as { error?: { data?: object } }[];
    expect(Object.getPrototypeOf(failed!.error!.data ?? {})).toBe(Object.prototype);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it("records a plain failure object without a stack of the failCallback call (only what the object carries)", async () => {
    const { engine, id, token } = await waiting();
    await engine.failCallback(token, { name: "Rejected", message: "no", code: "BANK_SAID_NO" });
    await engine.resume(id);
    const [failed] = (await engine.history(id)).filter((event) => event.type === "CallbackCompleted") as { error?: { stack?: string; code?: string } }[];
    expect(failed!.error).toMatchObject({ name: "Rejected", message: "no", code: "BANK_SAID_NO" });
    expect(failed!.error!.stack).toBeUndefined();
    // An Error keeps its own stack: it says where the failure was made.
    const second = await waiting();
    await second.engine.failCallback(second.token, new Error("made here"));
    await second.engine.resume(second.id);
    const [withStack] = (await second.engine.history(second.id)).filter((event) => event.type === "CallbackCompleted") as { error?: { stack?: string } }[];
    expect(withStack!.error!.stack).toContain("made here");
  });
});
