// A group's shape is part of the history: on an execution suspended after a completed all([a, b]), code that drops
// b or adds c is a NonDeterminismError before any new effect — on MemoryStore, on DynamoDBStore, and in replayHistory
// (so the README's CI check catches it too).
import { describe, expect, it } from "vitest";
import type { Yieldable } from "spindle";
import { all, allSettled, createEngine, NonDeterminismError, race, silentLogger, step, waitForEvent, workflow } from "spindle";
import { replayHistory } from "spindle/testing";
import { bothStores } from "../dynamodb/helpers.js";

const ran: string[] = [];
const work = (name: string) => step(name, () => void ran.push(name));

type Group = (operations: readonly Yieldable<unknown>[]) => Yieldable<unknown>;
const groups: [string, Group][] = [
  ["all", (operations) => all(operations)],
  ["allSettled", (operations) => allSettled(operations)],
  ["race", (operations) => race(operations)],
];

function version(name: string, group: Group, branches: string[]) {
  return workflow(`shape-${name}`, async function* () {
    yield* group(branches.map(work));
    yield* waitForEvent("go");
    yield* work("after");
    return "done";
  });
}

const stores = bothStores("shapes");

let ids = 0;
describe.each(stores)("group shapes on %s", (_label, makeStore) => {
  describe.each(groups)("%s", (name, group) => {
    it.each([
      ["drops a branch", ["a"]],
      ["adds a branch", ["a", "b", "c"]],
    ])("stops with NonDeterminismError before any new effect when the code %s", async (_change, changed) => {
      const store = makeStore();
      const recorded = version(name, group, ["a", "b"]);
      const first = createEngine({ store, workflows: [recorded], mode: "external", logger: silentLogger });
      const id = `shape-${name}-${process.pid}-${Date.now().toString(36)}-${++ids}`;
      await first.start(recorded, undefined, { id });
      await first.resume(id);
      expect((await first.describe(id)).status).toBe("suspended");
      const history = await first.history(id);

      const next = version(name, group, changed as string[]);
      const deployed = createEngine({ store, workflows: [next], mode: "external", logger: silentLogger, cacheSize: 0 });
      await deployed.sendEvent(id, "go");
      ran.length = 0;
      const error = await deployed.resume(id).catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(NonDeterminismError);
      expect((error as Error).message).toMatch(/of 2 branches.*of (1 branch|3 branches)/);
      expect(ran).toEqual([]);
      expect(await deployed.history(id)).toEqual(history);
      await expect(replayHistory(next, history)).rejects.toBeInstanceOf(NonDeterminismError);
      await expect(replayHistory(recorded, history)).resolves.toMatchObject({ outcome: "waiting" });
    });
  });
});
