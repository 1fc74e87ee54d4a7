// The deploy gate on MemoryStore and DynamoDBStore: executions recorded on the original code, then checkExecutions on
// each changed build. It catches the seven code changes of the reliability suite and changed group shapes (all,
// allSettled, race, map: branch count or names; dag: tasks and edges), naming the execution, the first differing
// operation and both sides, with no step run; the unchanged build passes (no false positive).
import { beforeAll, describe, expect, it } from "vitest";
import type { AnyWorkflow, Yieldable } from "spindle";
import { all, allSettled, createEngine, dag, map, race, silentLogger, sleep, step, task, waitForEvent, workflow } from "spindle";
import type { HistoryStore } from "spindle/store";
import { checkExecutions, VirtualClock } from "spindle/testing";
import type { CheckReport } from "spindle/testing";
import { CHANGES } from "../reliability/scenarios/code-changes.js";
import { bothStores } from "../dynamodb/helpers.js";

const stores = bothStores("check");
const run = `${process.pid}-${Date.now().toString(36)}`;
const fx = (effects: string[], name: string) => () => void effects.push(name);

/** The reliability suite's original code: a, b, a one-minute pause, a wait for "go", c. */
const original = (effects: string[]) =>
  workflow("evolving", async function* () {
    yield* step("a", fx(effects, "a"));
    yield* step("b", fx(effects, "b"));
    yield* sleep("pause", "1m");
    yield* waitForEvent("go");
    yield* step("c", fx(effects, "c"));
    return "v1";
  });

/** Where each change of CHANGES first differs from the original's history, and both sides. */
const FIRST_DIFFERENCE: Record<string, [string, string, string]> = {
  "two steps reordered": ["0", "step 'a'", "step 'b'"],
  "a step inserted": ["1", "step 'b'", "step 'new'"],
  "a step removed": ["1", "step 'b'", "sleep 'pause'"],
  "a step renamed": ["1", "step 'b'", "step 'b2'"],
  "a sleep swapped for a step": ["2", "sleep 'pause'", "step 'pause'"],
  "a wait swapped for a sleep": ["3", "waitForEvent 'go'", "sleep 'go'"],
  "the workflow now ends early": ["1", "step 'b'", "the code ended there"],
};

async function check(store: HistoryStore, workflows: AnyWorkflow[], name: string): Promise<CheckReport> {
  return checkExecutions({ store, workflows, workflow: name });
}

describe.each(stores)("checkExecutions on %s", (_label, makeStore) => {
  describe("the seven code changes of the reliability suite", () => {
    let store: HistoryStore;
    const id = `evolving-${run}`;
    beforeAll(async () => {
      store = makeStore();
      const clock = new VirtualClock();
      const engine = createEngine({ store, workflows: [original([])], clock, mode: "external", logger: silentLogger });
      await engine.start("evolving", undefined, { id });
      await engine.resume(id);
      clock.set(clock.now() + 60_000);
      await engine.resume(id);
      await engine.sendEvent(id, "go", null, { idempotencyKey: "go-1" });
    });

    it("has a first difference for each change", () => {
      expect(CHANGES.map(([label]) => label).sort()).toEqual(Object.keys(FIRST_DIFFERENCE).sort());
    });

    it.each(CHANGES.map(([label, changed]) => [label, changed] as const))(
      "fails the build where %s, naming the execution, the first differing operation and both sides",
      async (label, changed) => {
        const effects: string[] = [];
        const report = await check(store, [changed(effects)], "evolving");
        const [opId, recorded, now] = FIRST_DIFFERENCE[label]!;
        expect(report).toMatchObject({ ok: false, checked: 1, diverged: 1, errors: 0, passed: 0 });
        expect(report.executions).toEqual([
          expect.objectContaining({ executionId: id, workflow: "evolving", status: "diverged", opId }),
        ]);
        const [result] = report.executions;
        expect(result).toMatchObject({ expected: { text: recorded }, found: { text: now } });
        expect(effects).toEqual([]);
      },
    );

    it("passes the unchanged build: the execution replays up to its wait", async () => {
      const effects: string[] = [];
      const report = await check(store, [original(effects)], "evolving");
      expect(report).toMatchObject({ ok: true, checked: 1, passed: 1, diverged: 0, errors: 0 });
      expect(report.executions[0]).toMatchObject({ executionId: id, status: "ok", outcome: "waiting" });
      expect(effects).toEqual([]);
    });
  });

  describe("changed group shapes", () => {
    type Group = (operations: readonly Yieldable<unknown>[], name?: string) => Yieldable<unknown>;
    const groups: [string, Group][] = [
      ["all", (operations, name) => all(operations, name === undefined ? {} : { name })],
      ["allSettled", (operations, name) => allSettled(operations, name === undefined ? {} : { name })],
      ["race", (operations, name) => race(operations, name === undefined ? {} : { name })],
      ["map", (operations, name) => map(operations, (operation) => operation, name === undefined ? {} : { name })],
    ];
    const grouped = (kind: string, group: Group, branches: string[], name?: string) =>
      workflow(`shape-${kind}`, async function* () {
        yield* group(branches.map((branch) => step(branch, () => branch)), name);
        yield* waitForEvent("go");
      });
    const pipeline = (shape: Record<string, string[]>) =>
      workflow("shape-dag", async function* () {
        yield* dag(Object.fromEntries(Object.entries(shape).map(([name, deps]) => [name, task(deps, () => name)])) as never);
        yield* waitForEvent("go");
      });
    const recordedDag = { extract: [], clean: ["extract"], load: ["clean"] };

    let store: HistoryStore;
    beforeAll(async () => {
      store = makeStore();
      const builds = [...groups.map(([kind, group]) => grouped(kind, group, ["a", "b"])), pipeline(recordedDag)];
      const engine = createEngine({ store, workflows: builds, mode: "external", logger: silentLogger });
      for (const build of builds) {
        const id = `${build.name}-${run}`;
        await engine.start(build, undefined, { id });
        await engine.resume(id);
        expect((await engine.describe(id)).status).toBe("suspended");
      }
    });

    describe.each(groups)("%s", (kind, group) => {
      const name = `shape-${kind}`;
      const id = `${name}-${run}`;
      it.each([
        ["drops a branch", ["a"], `${kind} '${kind}' of 1 branch`],
        ["adds a branch", ["a", "b", "c"], `${kind} '${kind}' of 3 branches`],
      ])("fails the build that %s, at operation #0 with both branch counts", async (_change, branches, now) => {
        const report = await check(store, [grouped(kind, group, branches as string[])], name);
        expect(report).toMatchObject({ ok: false, diverged: 1 });
        expect(report.executions[0]).toMatchObject({
          executionId: id,
          status: "diverged",
          opId: "0",
          expected: { kind, name: kind, text: `${kind} '${kind}' of 2 branches` },
          found: { kind, text: now },
        });
      });

      it("fails the build that renames a branch's operation, at that operation in the branch's scope", async () => {
        const report = await check(store, [grouped(kind, group, ["a2", "b"])], name);
        expect(report.executions[0]).toMatchObject({ status: "diverged", opId: "0.0.0", expected: { text: "step 'a'" }, found: { text: "step 'a2'" } });
      });

      it("fails the build that renames the group", async () => {
        const report = await check(store, [grouped(kind, group, ["a", "b"], "fan")], name);
        expect(report.executions[0]).toMatchObject({ status: "diverged", opId: "0", found: { kind, name: "fan" } });
      });

      it("passes the unchanged build", async () => {
        const report = await check(store, [grouped(kind, group, ["a", "b"])], name);
        expect(report).toMatchObject({ ok: true, passed: 1 });
      });
    });

    describe("dag", () => {
      const id = `shape-dag-${run}`;
      it.each([
        ["adds a task", { ...recordedDag, audit: ["load"] }],
        ["removes a task", { extract: [], clean: ["extract"] }],
        ["renames a task", { extract: [], scrub: ["extract"], load: ["scrub"] }],
        ["rewires an edge", { extract: [], clean: ["extract"], load: ["extract"] }],
      ])("fails the build that %s, at the dag with both shapes", async (_change, shape) => {
        const report = await check(store, [pipeline(shape)], "shape-dag");
        expect(report).toMatchObject({ ok: false, diverged: 1 });
        const [result] = report.executions;
        expect(result).toMatchObject({ executionId: id, status: "diverged", opId: "0", expected: { kind: "dag" }, found: { kind: "dag" } });
        if (result?.status !== "diverged") throw new Error("unreachable");
        expect(result.expected?.text).toContain("'load' <- ['clean']");
        expect(result.found?.text).not.toEqual(result.expected?.text);
      });

      it("passes the unchanged build", async () => {
        expect(await check(store, [pipeline(recordedDag)], "shape-dag")).toMatchObject({ ok: true, passed: 1 });
      });
    });
  });
});
