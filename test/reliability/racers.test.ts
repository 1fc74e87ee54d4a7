// Concurrent resumers of one execution, on both stores: with leases, no step runs more often than it is recorded when
// processes race without crashing, and the history never forks. The two minimal reproductions pin the lease bugs
// this scenario found (fixed in 7bb98e9): a turn that loaded the history before another turn ran a step and released
// its lease took the lease anyway and ran the step again; a turn whose lease request met an execution closed
// meanwhile failed with a TypeError.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { LoadOptions } from "spindle/store";
import { createEngine, MemoryStore, silentLogger, sleep, step, workflow } from "spindle";
import { VirtualClock } from "spindle/testing";
import { racers } from "./scenarios/racers.js";
import { SUBJECTS } from "./subjects.js";
import type { StoreTarget } from "./targets.js";
import { dynamoTarget, memoryTarget } from "./targets.js";

let dynamo: StoreTarget;
beforeAll(async () => {
  dynamo = await dynamoTarget(inject("dynamodbEndpoint"), "racers");
});
afterAll(() => dynamo.close());

describe("2 to 16 processes resuming one execution at once", () => {
  it("on MemoryStore, never run a step more often than it is recorded, nor fork the history", async () => {
    const result = await racers(memoryTarget(), { subjects: SUBJECTS, racers: [2, 4, 16], seeds: 1 });
    expect(result.violations).toEqual([]);
  }, 120_000);

  it("on DynamoDBStore, never run a step more often than it is recorded, nor fork the history", async () => {
    const result = await racers(dynamo, { subjects: SUBJECTS.filter((_, i) => i % 3 === 0), racers: [2, 16], seeds: 1 });
    expect(result.violations).toEqual([]);
  }, 120_000);
});

/** A MemoryStore whose first load of `id` waits for `gate`: the turn that makes it holds a stale version. */
function staleLoader(store: MemoryStore, gate: Promise<void>): MemoryStore {
  const slow = Object.create(store) as MemoryStore;
  let first = true;
  slow.load = async (id: string, options?: LoadOptions) => {
    const page = await store.load(id, options);
    if (first) {
      first = false;
      await gate;
    }
    return page;
  };
  return slow;
}

describe("minimal reproductions", () => {
  it("a turn that loaded a stale version does not take the lease and run a step another turn recorded", async () => {
    let runs = 0;
    const wf = workflow("stale-lease", async function* () {
      yield* step("effect", () => ++runs);
      yield* sleep("1h");
      return runs;
    });
    const store = new MemoryStore();
    const clock = new VirtualClock();
    const options = { workflows: [wf], clock, mode: "external" as const, logger: silentLogger };
    await createEngine({ store, ...options }).start(wf, undefined, { id: "stale-1" });
    let open!: () => void;
    const stale = createEngine({ store: staleLoader(store, new Promise<void>((resolve) => (open = resolve))), ...options });
    const pending = stale.resume("stale-1").catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await createEngine({ store, ...options }).resume("stale-1"); // runs the step, suspends, releases its lease
    open();
    await pending;
    expect(runs).toBe(1);
  });

  it("a turn whose lease request meets an execution closed meanwhile ends without a TypeError", async () => {
    const wf = workflow("closed-lease", async function* () {
      return yield* step("s", () => 1);
    });
    const store = new MemoryStore();
    const clock = new VirtualClock();
    const options = { workflows: [wf], clock, mode: "external" as const, logger: silentLogger };
    await createEngine({ store, ...options }).start(wf, undefined, { id: "closed-1" });
    let open!: () => void;
    const stale = createEngine({ store: staleLoader(store, new Promise<void>((resolve) => (open = resolve))), ...options });
    const pending = stale.resume("closed-1").then((turn) => turn, (error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await createEngine({ store, ...options }).resume("closed-1"); // completes the execution
    open();
    expect(await pending).not.toBeInstanceOf(TypeError);
  });
});
