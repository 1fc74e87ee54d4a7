// Late turns: a turn often runs long after things happened (ticks a minute apart, a busy lease, a turn cut at its
// deadline, a restart). Waits, callbacks, races, allSettled and map must resolve by what happened first in recorded
// time, so the same scenario gives the same outcome whether its turn runs on time, one period late or many periods
// late — on MemoryStore and on DynamoDBStore (DynamoDB Local).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HistoryStore } from "spindle/store";
import {
  allSettled,
  callback,
  CallbackNotFoundError,
  createEngine,
  MemoryStore,
  mapSettled,
  race,
  silentLogger,
  sleep,
  TimeoutError,
  waitForEvent,
  workflow,
} from "spindle";
import { DynamoDBStore } from "spindle/dynamodb";
import { VirtualClock } from "spindle/testing";
import { freshTable, makeClient } from "../dynamodb/helpers.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The period: every wait below has a one-hour deadline. Turns run this many periods after the last thing happened. */
const LATENESS = [0, 1, 12] as const;

const outcome = (settled: { status: string }[]) => settled.map((entry) => entry.status);

const awaitEvent = workflow("late-wait", async function* () {
  try {
    return { first: yield* waitForEvent<string>("x", { timeout: "1h" }) };
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    // The late event was not taken by the wait that timed out: it is still there for the next one.
    return { first: "timed out", next: yield* waitForEvent<string>("x") };
  }
});

const approval = workflow("late-callback", async function* () {
  try {
    return yield* callback<string>("approve", () => undefined, { timeout: "1h" });
  } catch (error) {
    if (error instanceof TimeoutError) return "timed out";
    throw error;
  }
});

const raced = workflow("late-race", async function* () {
  const { index } = yield* race([sleep("1h"), waitForEvent("x")]);
  return index === 0 ? "timer" : "event";
});

const settled = workflow("late-all-settled", async function* () {
  return outcome(yield* allSettled([waitForEvent("a", { timeout: "1h" }), waitForEvent("b", { timeout: "1h" })]));
});

const mapped = workflow("late-map", async function* () {
  const names = ["a", "b", "c"];
  return outcome(yield* mapSettled(names, (name) => waitForEvent(name, { timeout: "1h" }), { concurrency: 3 }));
});

const workflows = [awaitEvent, approval, raced, settled, mapped];

interface Harness {
  clock: VirtualClock;
  engine: ReturnType<typeof createEngine>;
  /** Starts the workflow at the clock's time and runs its first turn on time. */
  start(wf: (typeof workflows)[number]): Promise<string>;
  /** Moves the clock to `at` (ms after the start) without running any turn. */
  at(offset: number): void;
  /** Runs the execution's turn now and returns its result. */
  finish(id: string): Promise<unknown>;
}

let ids = 0;
function harness(store: HistoryStore): Harness {
  const clock = new VirtualClock();
  const start = clock.now();
  const engine = createEngine({ store, workflows, clock, mode: "external", logger: silentLogger });
  return {
    clock,
    engine,
    async start(wf) {
      const run = await engine.start(wf, undefined, { id: `late-${process.pid}-${Date.now().toString(36)}-${++ids}` });
      await engine.resume(run.id);
      return run.id;
    },
    at(offset) {
      clock.set(start + offset);
    },
    async finish(id) {
      await engine.resume(id);
      return engine.result(id);
    },
  };
}

const stores: [string, () => Promise<HistoryStore>][] = [
  ["MemoryStore", async () => new MemoryStore()],
  ["DynamoDBStore", async () => new DynamoDBStore({ client, tableName })],
];
let tableName = "";
const client = makeClient();
beforeAll(async () => {
  tableName = await freshTable("late");
});
afterAll(() => client.destroy());

describe.each(stores)("late turns on %s", (_label, makeStore) => {
  describe.each(LATENESS)("with the turn %i periods late", (periods) => {
    const late = periods * HOUR;

    it("delivers an event that arrived before the wait's deadline", async () => {
      const h = harness(await makeStore());
      const id = await h.start(awaitEvent);
      h.at(30 * MINUTE);
      await h.engine.sendEvent(id, "x", "on time");
      h.at(30 * MINUTE + late);
      expect(await h.finish(id)).toEqual({ first: "on time" });
    });

    it("times a wait out when its event arrived after the deadline, and keeps the event for the next wait", async () => {
      const h = harness(await makeStore());
      const id = await h.start(awaitEvent);
      h.at(2 * HOUR);
      await h.engine.sendEvent(id, "x", "too late");
      h.at(2 * HOUR + late);
      expect(await h.finish(id)).toEqual({ first: "timed out", next: "too late" });
    });

    it("delivers a callback completed before its deadline, and refuses a completion after it", async () => {
      const h = harness(await makeStore());
      const id = await h.start(approval);
      const token = ((await h.engine.history(id)).find((event) => event.type === "CallbackCreated") as { token: string }).token;
      h.at(59 * MINUTE);
      await h.engine.completeCallback(token, "approved at 23:59");
      h.at(59 * MINUTE + late);
      expect(await h.finish(id)).toBe("approved at 23:59");

      const expired = await h.start(approval);
      const other = ((await h.engine.history(expired)).find((event) => event.type === "CallbackCreated") as { token: string }).token;
      h.at(HOUR + 59 * MINUTE + (late > 0 ? late : 1));
      await expect(h.engine.completeCallback(other, "too late")).rejects.toBeInstanceOf(CallbackNotFoundError);
      expect(await h.finish(expired)).toBe("timed out");
    });

    it("lets the event win a race against a timer when it arrived first, and the timer when it did", async () => {
      const h = harness(await makeStore());
      const early = await h.start(raced);
      const tardy = await h.start(raced);
      h.at(30 * MINUTE);
      await h.engine.sendEvent(early, "x");
      h.at(90 * MINUTE);
      await h.engine.sendEvent(tardy, "x");
      h.at(90 * MINUTE + late);
      expect(await h.finish(early)).toBe("event");
      expect(await h.finish(tardy)).toBe("timer");
    });

    it("settles allSettled waits each by its own deadline", async () => {
      const h = harness(await makeStore());
      const id = await h.start(settled);
      h.at(30 * MINUTE);
      await h.engine.sendEvent(id, "a");
      h.at(90 * MINUTE);
      await h.engine.sendEvent(id, "b");
      h.at(90 * MINUTE + late);
      expect(await h.finish(id)).toEqual(["fulfilled", "rejected"]);
    });

    it("settles map branches each by its own deadline, whatever order the events arrived in", async () => {
      const h = harness(await makeStore());
      const id = await h.start(mapped);
      h.at(10 * MINUTE);
      await h.engine.sendEvent(id, "c");
      h.at(50 * MINUTE);
      await h.engine.sendEvent(id, "a");
      h.at(70 * MINUTE);
      await h.engine.sendEvent(id, "b");
      h.at(70 * MINUTE + late);
      expect(await h.finish(id)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    });
  });
});

describe("the README's recorded-time snippet", () => {
  it("approves with an approval sent at 23:59 whose turn runs at 00:01", async () => {
    const approval = workflow("approval", async function* () {
      const { index } = yield* race([waitForEvent("approved"), sleep("24h")]);
      return index === 0 ? "approved" : "timed out";
    });
    const clock = new VirtualClock(Date.parse("2027-01-01T00:00:00Z"));
    const engine = createEngine({ store: new MemoryStore(), workflows: [approval], clock, mode: "external", logger: silentLogger });
    const { id } = await engine.start(approval, undefined);
    await engine.resume(id);
    clock.set(Date.parse("2027-01-01T23:59:00Z"));
    await engine.sendEvent(id, "approved");
    clock.set(Date.parse("2027-01-02T00:01:00Z"));
    await engine.resume(id);
    expect(await engine.result(id)).toBe("approved");
  });
});
