// Record rewrites racing an inbox write (an event lands between the rewrite's read and its conditional write, which
// moves the record item's rev): a failed turn is still counted, and a takeover's lease after a crash that left step
// puts behind the record item still delivers the event and never reruns the steps that were put. A turn that made
// progress is not counted (the count is of failed turns in a row). On MemoryStore and DynamoDBStore (DynamoDB Local).
import { describe, expect, it } from "vitest";
import { createEngine, MemoryStore, silentLogger, step, StoreUnavailableError, waitForEvent, workflow } from "spindle";
import { DynamoDBStore } from "spindle/dynamodb";
import type { AppendRequest, HistoryStore } from "spindle/store";
import { VirtualClock } from "spindle/testing";
import { fileTable } from "./helpers.js";

const table = fileTable("turn-failures");
let runs = 0;

/**
 * A store whose next write (a lease, a turn-failures rewrite: PutItem, or a transaction with a takeover's marker) is
 * preceded, once armed, by `race()` (which writes through `raw`: the same data, another client). On DynamoDB that
 * lands between the rewrite's read and its conditional write; on MemoryStore the race runs before the call (its calls
 * are atomic).
 */
type Racing = { store: HistoryStore; raw: HistoryStore; arm(race: () => Promise<unknown>): void };
const racingStores: [string, () => Racing][] = [
  [
    "MemoryStore",
    () => {
      let armed: (() => Promise<unknown>) | undefined;
      const inner = new MemoryStore();
      const store = new Proxy(inner, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver) as unknown;
          if (key !== "updateTurnFailures" && key !== "acquireLease") return value;
          return async (...args: unknown[]) => {
            const race = armed;
            armed = undefined;
            await race?.();
            return (value as (...args: unknown[]) => Promise<unknown>).apply(target, args);
          };
        },
      });
      return { store, raw: inner, arm: (race) => void (armed = race) };
    },
  ],
  [
    "DynamoDBStore",
    () => {
      let armed: (() => Promise<unknown>) | undefined;
      const client = table.client();
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (armed && (context.commandName === "PutItemCommand" || context.commandName === "TransactWriteItemsCommand")) {
            const race = armed;
            armed = undefined;
            await race();
          }
          return next(args);
        },
        { step: "initialize", name: "spindleTestRace" },
      );
      const raw = new DynamoDBStore({ client: table.client(), tableName: table.name() });
      return { store: new DynamoDBStore({ client, tableName: table.name() }), raw, arm: (race) => void (armed = race) };
    },
  ],
];

describe.each(racingStores)("a failed turn on %s", (_label, makeStore) => {
  it("is recorded after step puts and a concurrent event moved the record under it", async () => {
    const tag = `${process.pid}-${Date.now().toString(36)}-${++runs}`;
    const flow = workflow(`steps-then-wait-${tag}`, async function* () {
      yield* step("one", () => 1);
      yield* step("two", () => 2);
      return yield* waitForEvent<string>("go");
    });
    const clock = new VirtualClock(Date.parse("2030-01-01T00:00:00.000Z"));
    const { store: inner, raw, arm } = makeStore();
    const options = { clock, mode: "external" as const, logger: silentLogger, cacheSize: 0, workflows: [flow] };
    const other = createEngine({ ...options, store: raw });
    const id = `tf-${tag}`;
    // The suspending write (a turn's last) fails for a reason no retry fixes, twice; after the second, while its failure
    // is being recorded, another process delivers an event, which moves the record item's rev.
    let failures = 0;
    const store = new Proxy(inner, {
      get(target, key, receiver) {
        if (key !== "append") return Reflect.get(target, key, receiver) as unknown;
        return async (executionId: string, request: AppendRequest) => {
          if (failures < 2 && request.update.status === "suspended") {
            failures++;
            if (failures === 2) arm(() => other.sendEvent(executionId, "go", "early", { idempotencyKey: "go-1" }));
            throw new Error("the serializer broke (injected)");
          }
          return target.append(executionId, request);
        };
      },
    }) as HistoryStore;
    const engine = createEngine({ ...options, store });
    await engine.start(flow, undefined, { id });

    // The first turn puts both steps, then fails: it made progress, so nothing is counted.
    const first = await engine.resume(id).catch((error: unknown) => error);
    expect(String(first)).toContain("the serializer broke");
    expect((await engine.describe(id)).turnFailures).toBeUndefined();
    // The second replays them and fails at the same write, with the event landed meanwhile: counted.
    const second = await engine.resume(id).catch((error: unknown) => error);
    expect(String(second)).toContain("the serializer broke");
    const described = await engine.describe(id);
    expect(described.status).toBe("running");
    expect(described.turnFailures).toMatchObject({ count: 1 });
    expect(described.turnFailures!.reason).toContain("the serializer broke");

    // The next turn after the backoff completes with the event that arrived meanwhile; the failure is cleared.
    clock.set(clock.now() + 1_000);
    await engine.resume(id);
    const done = await engine.describe(id);
    expect(done.status).toBe("completed");
    expect(await engine.result(id)).toBe("early");
  });

  it("taken over after a crash that left step puts behind the record item: a racing event never makes it rerun them", async () => {
    const tag = `${process.pid}-${Date.now().toString(36)}-${++runs}`;
    const ran = new Map<string, number>();
    const effect = (name: string, value: number) => () => {
      ran.set(name, (ran.get(name) ?? 0) + 1);
      return value;
    };
    const flow = workflow(`takeover-${tag}`, async function* () {
      yield* step("one", effect("one", 1));
      yield* step("two", effect("two", 2));
      yield* step("three", effect("three", 3)); // its completion rides with the suspending write, lost in the crash
      return yield* waitForEvent<string>("go");
    });
    const clock = new VirtualClock(Date.parse("2030-01-01T00:00:00.000Z"));
    const { store: inner, raw, arm } = makeStore();
    const options = { clock, mode: "external" as const, logger: silentLogger, cacheSize: 0, workflows: [flow], staleTurnTimeout: "1m" };
    const other = createEngine({ ...options, store: raw });
    const id = `to-${tag}`;
    // The first process puts the first two steps, then dies at its suspending write: the record item still says the version
    // it had before the steps, and its lease stays until it runs out.
    let crashed = false;
    const dying = new Proxy(inner, {
      get(target, key, receiver) {
        if (key !== "append") return Reflect.get(target, key, receiver) as unknown;
        return async (executionId: string, request: AppendRequest) => {
          if (!crashed && request.update.status === "suspended") {
            crashed = true;
            throw new StoreUnavailableError("the process died here (injected)", { executionId });
          }
          return target.append(executionId, request);
        };
      },
    }) as HistoryStore;
    await other.start(flow, undefined, { id });
    await createEngine({ ...options, store: dying }).resume(id).catch(() => undefined);
    expect(crashed).toBe(true);

    // Past the lease, a second process takes over; an event lands between its read and its lease write.
    clock.set(clock.now() + 2 * 60_000);
    arm(() => other.sendEvent(id, "go", "early", { idempotencyKey: "go-1" }));
    const second = createEngine({ ...options, store: inner });
    await second.resume(id).catch(() => undefined);
    for (let turn = 0; turn < 3 && (await second.describe(id)).status !== "completed"; turn++) {
      await second.resume(id).catch(() => undefined);
    }
    expect(await second.result(id)).toBe("early");
    expect([ran.get("one"), ran.get("two")]).toEqual([1, 1]);
    const completed = (await second.history(id)).filter((event) => event.type === "StepCompleted").map((event) => event.name);
    expect(completed).toEqual(["one", "two", "three"]);
  });
});
