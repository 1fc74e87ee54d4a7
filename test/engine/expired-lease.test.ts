// No step starts on an expired lease. A turn's write comes back after its lease ran out (a slow store, a paused
// process); meanwhile another engine took the execution over and ran the next step. The first turn must renew its
// lease, at the version it holds, before its next step, find the execution moved on, and stop: every step runs once.
// On MemoryStore and on DynamoDBStore (DynamoDB Local).
import { describe, expect, it } from "vitest";
import { createEngine, silentLogger, step, workflow } from "spindle";
import type { AppendRequest, HistoryStore } from "spindle/store";
import { VirtualClock } from "spindle/testing";
import { bothStores } from "../dynamodb/helpers.js";

const stores = bothStores("leases");

let ids = 0;
describe.each(stores)("an expired lease on %s", (_label, makeStore) => {
  it("stops a turn whose write came back after its lease ended, before it runs another step", async () => {
    const runs: Record<string, number> = {};
    const counted = (name: string) => step(name, () => void (runs[name] = (runs[name] ?? 0) + 1));
    const wf = workflow("lease-steps", async function* () {
      yield* counted("one");
      yield* counted("two");
      yield* counted("three");
      return "done";
    });
    const clock = new VirtualClock();
    const store = makeStore();
    const other = createEngine({ store, workflows: [wf], clock, mode: "external", logger: silentLogger, staleTurnTimeout: "1m" });
    let slowWrites = 1;
    // The first engine's store: its write after step "one" comes back five minutes late, and by then the other engine
    // has taken the execution over and finished it.
    const slow: HistoryStore = Object.create(store) as HistoryStore;
    slow.append = async (id: string, request: AppendRequest) => {
      const record = await store.append(id, request);
      if (request.events.some((event) => event.type === "StepCompleted") && slowWrites-- > 0) {
        clock.set(clock.now() + 5 * 60_000);
        await other.resume(id);
      }
      return record;
    };
    const first = createEngine({ store: slow, workflows: [wf], clock, mode: "external", logger: silentLogger, staleTurnTimeout: "1m" });
    const id = `lease-${process.pid}-${Date.now().toString(36)}-${++ids}`;
    await first.start(wf, undefined, { id });
    await first.resume(id).catch(() => undefined);
    expect(await other.result(id)).toBe("done");
    expect(runs).toEqual({ one: 1, two: 1, three: 1 });
  });
});
