// engine.redrive of a failed execution: the failed step runs again with a fresh attempt budget, the steps that
// completed before it are not rerun, the redriven history replays deterministically (engine, replayHistory, the test
// engine's cold replay), two redrives at once leave one ExecutionRedriven, and any other status is refused with a
// typed error. On MemoryStore and on DynamoDBStore (DynamoDB Local).
import { describe, expect, it } from "vitest";
import type { Engine, StepContext } from "spindle";
import {
  child,
  createEngine,
  ExecutionNotFoundError,
  RedriveRefusedError,
  silentLogger,
  sleep,
  step,
  StepFailedError,
  waitForEvent,
  workflow,
} from "spindle";
import type { HistoryStore } from "spindle/store";
import { createTestEngine, replayHistory, VirtualClock } from "spindle/testing";
import { bothStores } from "../dynamodb/helpers.js";

const stores = bothStores("redrive");
let ids = 0;
const fresh = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${++ids}`;

/** Runs turns (moving the clock to each wake-up) until the execution is closed or stuck. */
async function drive(engine: Engine, clock: VirtualClock, id: string): Promise<string> {
  for (let turns = 0; turns < 50; turns++) {
    const turn = await engine.resume(id);
    if (turn.status !== "suspended" && turn.status !== "running") return turn.status;
    if (turn.status === "suspended") {
      if (turn.wakeAt === undefined) return turn.status;
      clock.set(Math.max(clock.now(), turn.wakeAt));
    }
  }
  throw new Error(`execution '${id}' did not settle`);
}

/** reserve (once), charge (fails while `down`, 2 attempts), ship: the calls and the attempt numbers charge saw. */
function order(name: string, state: { down: boolean }) {
  const calls = { reserve: 0, charge: 0, ship: 0, chargeAttempts: [] as number[] };
  const wf = workflow(name, async function* () {
    const reserved = yield* step("reserve", () => ++calls.reserve);
    const charged = yield* step(
      "charge",
      ({ attempt }: StepContext) => {
        calls.charge++;
        calls.chargeAttempts.push(attempt);
        if (state.down) throw new Error("card service down");
        return "charged";
      },
      { retry: { maxAttempts: 2, initialInterval: "1s" } },
    );
    yield* sleep("1m");
    const shipped = yield* step("ship", () => ++calls.ship);
    return { reserved, charged, shipped };
  });
  return { wf, calls };
}

function engineOn(store: HistoryStore, clock: VirtualClock, workflows: Parameters<typeof createEngine>[0]["workflows"]) {
  return createEngine({ store, workflows, clock, mode: "external", logger: silentLogger, cacheSize: 0 });
}

/**
 * Of two redrives at once exactly one puts the execution back; the other either lost the write (`redriven: false`) or
 * came after it and was refused because the execution is running again.
 */
async function expectOneWinner(redrives: Promise<{ redriven: boolean; status: string }>[]): Promise<void> {
  const settled = await Promise.allSettled(redrives);
  const winners = settled.filter((result) => result.status === "fulfilled" && result.value.redriven);
  expect(winners).toHaveLength(1);
  for (const result of settled) {
    if (result.status === "fulfilled") expect(result.value.status).toBe("running");
    else {
      expect(result.reason).toBeInstanceOf(RedriveRefusedError);
      expect((result.reason as RedriveRefusedError).status).toBe("running");
    }
  }
}

describe.each(stores)("redrive of a failed execution on %s", (_label, makeStore) => {
  it("reruns the failed step with a fresh attempt budget, keeps what completed, and completes", async () => {
    const state = { down: true };
    const { wf, calls } = order("redrive-order", state);
    const clock = new VirtualClock();
    const engine = engineOn(makeStore(), clock, [wf]);
    const id = fresh("order");
    await engine.start(wf, undefined, { id });
    expect(await drive(engine, clock, id)).toBe("failed");
    expect(calls).toMatchObject({ reserve: 1, charge: 2, chargeAttempts: [1, 2] });

    // Still down: the redriven step gets two attempts again, and the execution fails again.
    const first = await engine.redrive(id);
    expect(first).toEqual({ executionId: id, redriven: true, from: "failed", status: "running", rerun: { opId: "1", name: "charge" } });
    const reopened = await engine.describe(id);
    expect(reopened.status).toBe("running");
    expect(reopened.error).toBeUndefined();
    expect(await drive(engine, clock, id)).toBe("failed");
    expect(calls.chargeAttempts).toEqual([1, 2, 1, 2]);

    // Fixed: one more redrive completes it; reserve never ran again.
    state.down = false;
    expect((await engine.redrive(id)).redriven).toBe(true);
    expect(await drive(engine, clock, id)).toBe("completed");
    expect(await engine.result(id)).toEqual({ reserved: 1, charged: "charged", shipped: 1 });
    expect(calls).toMatchObject({ reserve: 1, charge: 5, ship: 1, chargeAttempts: [1, 2, 1, 2, 1] });

    const history = await engine.history(id);
    expect(history.filter((event) => event.type === "ExecutionRedriven")).toHaveLength(2);
    expect(history.filter((event) => event.type === "ExecutionFailed")).toHaveLength(2);
    // The redriven history replays to the same ending, on a fresh engine with no warm state and through replayHistory.
    expect(await replayHistory(wf, history)).toMatchObject({ outcome: "completed" });
    const cold = engineOn(makeStore === stores[0]![1] ? engine.store : makeStore(), clock, [wf]);
    expect((await cold.resume(id)).status).toBe("completed");
    expect(calls.reserve).toBe(1);
  });

  it("lets one of two redrives at once win; the other changes nothing and says so", async () => {
    const state = { down: true };
    const { wf, calls } = order("redrive-race", state);
    const clock = new VirtualClock();
    const store = makeStore();
    const a = engineOn(store, clock, [wf]);
    const b = engineOn(makeStore === stores[0]![1] ? store : makeStore(), clock, [wf]);
    const id = fresh("race");
    await a.start(wf, undefined, { id });
    expect(await drive(a, clock, id)).toBe("failed");
    state.down = false;
    await expectOneWinner([a.redrive(id), b.redrive(id)]);
    expect((await a.history(id)).filter((event) => event.type === "ExecutionRedriven")).toHaveLength(1);
    expect(await drive(b, clock, id)).toBe("completed");
    expect(calls.reserve).toBe(1);
    // Redriving again after it completed is refused.
    await expect(a.redrive(id)).rejects.toBeInstanceOf(RedriveRefusedError);
  });

  it("refuses every other status, and an unknown id, with a typed error naming the execution and the status", async () => {
    const clock = new VirtualClock();
    const waits = workflow("redrive-waits", async function* () {
      yield* waitForEvent("go");
      return "done";
    });
    const engine = engineOn(makeStore(), clock, [waits]);
    const cases: [string, (id: string) => Promise<unknown>][] = [
      ["running", async () => {}],
      ["suspended", (id) => engine.resume(id)],
      ["completed", async (id) => (await engine.resume(id), await engine.sendEvent(id, "go"), await engine.resume(id))],
      ["cancelled", async (id) => (await engine.resume(id), await engine.cancel(id), await engine.resume(id))],
      ["terminated", (id) => engine.terminate(id)],
    ];
    for (const [status, reach] of cases) {
      const id = fresh(`refuse-${status}`);
      await engine.start(waits, undefined, { id });
      await reach(id);
      expect((await engine.describe(id)).status).toBe(status);
      const error = await engine.redrive(id).catch((e: unknown) => e);
      expect(error, status).toBeInstanceOf(RedriveRefusedError);
      expect((error as RedriveRefusedError).status).toBe(status);
      expect((error as Error).message).toContain(`'${id}'`);
      expect((error as Error).message).toContain(status === "running" || status === "suspended" ? "needs no redrive" : "start a new execution");
    }
    await expect(engine.redrive(fresh("missing"))).rejects.toBeInstanceOf(ExecutionNotFoundError);
  });

  it("refuses a failed run that took a delivered event after its failure, changing nothing", async () => {
    const clock = new VirtualClock();
    const wf = workflow("redrive-consumed", async function* () {
      try {
        yield* step("charge", () => {
          throw new Error("declined");
        });
      } catch (error) {
        yield* waitForEvent("acknowledged"); // an operator acknowledged the failure: the event is taken
        throw error;
      }
    });
    const engine = engineOn(makeStore(), clock, [wf]);
    const id = fresh("consumed");
    await engine.start(wf, undefined, { id });
    await engine.resume(id);
    await engine.sendEvent(id, "acknowledged", { by: "ops" });
    expect(await drive(engine, clock, id)).toBe("failed");
    const before = await engine.history(id);
    const error = await engine.redrive(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedriveRefusedError);
    expect((error as Error).message).toMatch(/EventReceived #\d+ at waitForEvent 'acknowledged'/);
    expect(await engine.history(id)).toEqual(before);
    expect((await engine.describe(id)).status).toBe("failed");
  });

  it("redrives a failed child without reopening the parent that already received its failure", async () => {
    const state = { down: true };
    const clock = new VirtualClock();
    const payment = workflow("redrive-payment", async function* () {
      return yield* step("pay", () => {
        if (state.down) throw new Error("bank down");
        return "paid";
      });
    });
    const parent = workflow("redrive-parent", async function* () {
      return yield* child(payment, undefined, { id: `${parentId}-payment` });
    });
    const engine = engineOn(makeStore(), clock, [payment, parent]);
    const parentId = fresh("parent");
    await engine.start(parent, undefined, { id: parentId });
    await engine.resume(parentId);
    expect(await drive(engine, clock, `${parentId}-payment`)).toBe("failed");
    expect(await drive(engine, clock, parentId)).toBe("failed");
    state.down = false;
    expect((await engine.redrive(`${parentId}-payment`)).redriven).toBe(true);
    expect(await drive(engine, clock, `${parentId}-payment`)).toBe("completed");
    // The parent keeps the failure it received: its record and history do not move.
    const before = await engine.history(parentId);
    expect((await engine.resume(parentId)).status).toBe("failed");
    expect(await engine.history(parentId)).toEqual(before);
    await expect(engine.result(parentId)).rejects.toBeInstanceOf(StepFailedError);
  });
});

describe("redrive on the test engine", () => {
  it("completes a redriven execution and its cold replay agrees", async () => {
    const state = { down: true };
    const { wf, calls } = order("redrive-test-engine", state);
    const t = createTestEngine({ workflows: [wf] });
    await t.start(wf, undefined, { id: "te-1" });
    await expect(t.result("te-1")).rejects.toBeInstanceOf(StepFailedError);
    state.down = false;
    expect(await t.redrive("te-1")).toMatchObject({ redriven: true, rerun: { name: "charge" } });
    expect(await t.result("te-1")).toEqual({ reserved: 1, charged: "charged", shipped: 1 });
    expect(calls).toMatchObject({ reserve: 1, charge: 3, ship: 1 });
  });
});
