// Names are just names: a workflow, an event, a callback, a step or a patch named `constructor`, `toString` or
// `__proto__` works like any other — declared schemas are found as own properties only (an undeclared callback named
// `constructor` met Object as its "schema": `schema.safeParse is not a function`), registries are keyed by the name
// alone. End to end on MemoryStore and on DynamoDBStore (DynamoDB Local), and through the test engine's step mocks.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  callback,
  createEngine,
  patched,
  silentLogger,
  step,
  ValidationError,
  waitForEvent,
  workflow,
  WorkflowNotFoundError,
} from "spindle";
import { createTestEngine, VirtualClock } from "spindle/testing";
import { bothStores } from "../dynamodb/helpers.js";

const NAMES = ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"] as const;

/** Schemas by name as own properties (a `__proto__` key written literally would set the prototype instead). */
function schemas<S>(make: () => S): Record<string, S> {
  const map: Record<string, S> = {};
  for (const name of NAMES) Object.defineProperty(map, name, { value: make(), enumerable: true, writable: true, configurable: true });
  return map;
}

/** One workflow per prototype-like name: it waits for an event and a callback of that name, and runs a step of it. */
function named(name: string) {
  return workflow(
    name,
    { events: schemas(() => z.object({ n: z.number() })), callbacks: schemas(() => z.object({ ok: z.boolean() })) },
    async function* () {
      const event = (yield* waitForEvent(name)) as { n: number };
      const decision = (yield* callback(name, () => undefined)) as { ok: boolean };
      const stepped = yield* step(name, () => `ran ${name}`);
      const patch = yield* patched(name);
      return { event, decision, stepped, patch };
    },
  );
}

const flows = NAMES.map(named);

const stores = bothStores("proto-names");

let ids = 0;
describe.each(stores)("prototype-like names on %s", (label, makeStore) => {
  it.each(NAMES.map((name, i) => [name, flows[i]!] as const))(
    "runs a workflow named %s that waits for an event and a callback of that name, with their declared schemas",
    async (name, flow) => {
      const engine = createEngine({ store: makeStore(), workflows: flows, clock: new VirtualClock(), mode: "external", logger: silentLogger });
      const id = `proto-${label}-${process.pid}-${Date.now().toString(36)}-${++ids}`;
      const started = await engine.start(name, undefined, { id });
      expect(started.id).toBe(id);
      await engine.resume(id);
      await expect(engine.sendEvent(id, name, { n: "one" })).rejects.toBeInstanceOf(ValidationError);
      await engine.sendEvent(id, name, { n: 1 }, { idempotencyKey: name });
      expect(await engine.sendEvent(id, name, { n: 1 }, { idempotencyKey: name })).toEqual({ duplicate: true });
      await engine.resume(id);
      const token = ((await engine.history(id)).find((event) => event.type === "CallbackCreated") as { token: string }).token;
      await expect(engine.completeCallback(token, { ok: "yes" })).rejects.toBeInstanceOf(ValidationError);
      await engine.completeCallback(token, { ok: true });
      await engine.resume(id);
      expect(await engine.result(id)).toEqual({ event: { n: 1 }, decision: { ok: true }, stepped: `ran ${name}`, patch: true });
      expect((await engine.list({ workflow: name })).executions.map((execution) => execution.id)).toContain(id);
    },
  );

  it.each(NAMES)(
    "completes a callback named %s that its workflow does not declare (it declares others), and refuses an event of that name",
    async (name) => {
      const other = workflow(
        `undeclared-${name}`,
        { events: { paid: z.number() }, callbacks: { approve: z.boolean() } },
        async function* () {
          return [yield* waitForEvent("paid"), yield* callback(name, () => undefined)];
        },
      );
      const engine = createEngine({ store: makeStore(), workflows: [other], clock: new VirtualClock(), mode: "external", logger: silentLogger });
      const id = `proto-undeclared-${label}-${process.pid}-${Date.now().toString(36)}-${++ids}`;
      await expect(engine.start(name, undefined, { id })).rejects.toBeInstanceOf(WorkflowNotFoundError);
      await engine.start(other, undefined, { id });
      await expect(engine.sendEvent(id, name, 1)).rejects.toBeInstanceOf(ValidationError);
      await engine.sendEvent(id, "paid", 1);
      await engine.resume(id);
      const token = ((await engine.history(id)).find((event) => event.type === "CallbackCreated") as { token: string }).token;
      await engine.completeCallback(token, { any: "value" });
      await engine.resume(id);
      expect(await engine.result(id)).toEqual([1, { any: "value" }]);
    },
  );
});

describe("prototype-like names in the test engine", () => {
  it.each(NAMES)("mocks a step named %s, and runs the real one of a name without a mock", async (name) => {
    const flow = workflow(`mocked-${name}`, async function* () {
      return [yield* step(name, () => "real"), yield* step("plain", () => "real")];
    });
    const mocks: Record<string, () => unknown> = {};
    Object.defineProperty(mocks, name, { value: () => "mocked", enumerable: true });
    const t = createTestEngine({ workflows: [flow], mocks });
    const run = await t.start(flow, undefined);
    expect(await t.result(run.id)).toEqual(["mocked", "real"]);
    const unmocked = createTestEngine({ workflows: [flow], mocks: {} });
    const again = await unmocked.start(flow, undefined);
    expect(await unmocked.result(again.id)).toEqual(["real", "real"]);
  });
});
