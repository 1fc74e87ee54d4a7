// An unreadable error never wedges an execution: a step that throws an error whose message getter throws, a Proxy
// whose traps throw, or a revoked Proxy has its attempt recorded as failed (UnreadableError, with what failed), and
// the retry policy decides. The step runs once with maxAttempts 1. On MemoryStore and on DynamoDBStore.
import { describe, expect, it } from "vitest";
import { createEngine, silentLogger, step, StepFailedError, workflow } from "spindle";
import { bothStores } from "../dynamodb/helpers.js";

const stores = bothStores("unreadable");

const throwingGetter = () => {
  const error = new Error("x");
  Object.defineProperty(error, "message", {
    get() {
      throw new Error("the message getter broke");
    },
  });
  return error;
};
const hostileProxy = () =>
  new Proxy(new Error("x"), {
    get() {
      throw new Error("no property may be read");
    },
    getPrototypeOf() {
      throw new Error("no prototype either");
    },
    ownKeys() {
      throw new Error("no keys either");
    },
  });
const revokedProxy = () => {
  const { proxy, revoke } = Proxy.revocable(new Error("x"), {});
  revoke();
  return proxy;
};

let ids = 0;
describe.each(stores)("unreadable errors on %s", (_label, makeStore) => {
  it.each([
    ["an error whose message getter throws", throwingGetter],
    ["a Proxy whose traps throw", hostileProxy],
    ["a revoked Proxy", revokedProxy],
  ])("records %s as a failed attempt and lets the retry policy decide", async (_kind, make) => {
    let attempts = 0;
    const wf = workflow(`unreadable-${++ids}`, async function* () {
      try {
        yield* step(
          "fragile",
          () => {
            attempts += 1;
            throw make();
          },
          { retry: { maxAttempts: 1 } },
        );
        return "no";
      } catch (error) {
        return error instanceof StepFailedError ? `${error.cause.name}: ${error.cause.message}` : "other";
      }
    });
    const engine = createEngine({ store: makeStore(), workflows: [wf], mode: "external", logger: silentLogger });
    const id = `unreadable-${process.pid}-${Date.now().toString(36)}-${ids}`;
    await engine.start(wf, undefined, { id });
    await engine.resume(id);
    await engine.resume(id);
    expect(await engine.result(id)).toMatch(/^UnreadableError: the thrown value could not be read \(.+\)$/);
    expect(attempts).toBe(1);
  });

  it.each([
    ["a Proxy whose traps throw", hostileProxy],
    ["a revoked Proxy", revokedProxy],
  ])("fails the execution with a recorded UnreadableError when the body itself throws %s", async (_kind, make) => {
    const wf = workflow(`unreadable-body-${++ids}`, async function* () {
      yield* step("before", () => 1);
      throw make();
    });
    const engine = createEngine({ store: makeStore(), workflows: [wf], mode: "external", logger: silentLogger });
    const id = `unreadable-body-${process.pid}-${Date.now().toString(36)}-${ids}`;
    await engine.start(wf, undefined, { id });
    await engine.resume(id);
    expect(await engine.describe(id)).toMatchObject({ status: "failed", error: { name: "UnreadableError" } });
  });
});
