// The deploy gate's sources and reports: a folder of exports (nested folders read, node_modules and dot-folders not,
// finished histories must finish the same way, unreadable files and unknown workflows fail the gate), children
// checked on their own histories, the patch report ("safe to remove"), a store's history cut inside a turn, a
// DynamoDB check that makes only read requests (Query, BatchGetItem), progress, and refused options.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnyWorkflow } from "spindle";
import { child, continueAsNew, createEngine, MemoryStore, silentLogger, step, ValidationError, waitForEvent, workflow } from "spindle";
import type { HistoryStore } from "spindle/store";
import { newExecution } from "spindle/store";
import { checkExecutions, formatCheckReport } from "spindle/testing";
import { DynamoDBStore } from "spindle/dynamodb";
import { approval } from "../golden/approval.workflow.js";
import { booking, invoice } from "../golden/booking.workflow.js";
import { countRequests, freshTable, makeClient } from "../dynamodb/helpers.js";
import { notifyBefore, notifyPatched } from "./fixtures/notify.js";

const engineOn = (store: HistoryStore, workflows: AnyWorkflow[]) => createEngine({ store, workflows, mode: "external", logger: silentLogger });

const orderV1 = workflow("order", async function* () {
  yield* step("reserve", () => "r");
  yield* waitForEvent("paid");
  return "shipped";
});
const orderRenamed = workflow("order", async function* () {
  yield* step("hold", () => "r");
  yield* waitForEvent("paid");
  return "shipped";
});
const orderV2Result = workflow("order", async function* () {
  yield* step("reserve", () => "r");
  yield* waitForEvent("paid");
  return "delivered";
});

describe("a folder of exported histories", () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "spindle-check-"));
    const engine = engineOn(new MemoryStore(), [orderV1]);
    for (const id of ["o-open", "o-done"]) {
      await engine.start(orderV1, undefined, { id });
      await engine.resume(id);
    }
    await engine.sendEvent("o-done", "paid", null);
    await engine.resume("o-done");
    await mkdir(join(folder, "nested", "deeper"), { recursive: true });
    await mkdir(join(folder, "node_modules"));
    await mkdir(join(folder, ".cache"));
    await writeFile(join(folder, "o-open.json"), JSON.stringify(await engine.history("o-open")));
    await writeFile(join(folder, "nested", "deeper", "o-done.json"), JSON.stringify(await engine.history("o-done"), null, 2));
    await writeFile(join(folder, "node_modules", "junk.json"), "not json");
    await writeFile(join(folder, ".cache", "junk.json"), "not json");
    await writeFile(join(folder, "notes.txt"), "not a history, not read");
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it("replays every *.json under it, nested folders included, node_modules and dot-folders left out", async () => {
    const report = await checkExecutions({ from: folder, workflows: [orderV1] });
    expect(report).toMatchObject({ ok: true, checked: 2, passed: 2, source: `folder ${folder}` });
    expect(report.executions.map((result) => [result.file, result.executionId, result.status === "ok" && result.outcome])).toEqual([
      ["nested/deeper/o-done.json", "o-done", "completed"],
      ["o-open.json", "o-open", "waiting"],
    ]);
  });

  it("names the file, the execution and both sides of a divergence", async () => {
    const report = await checkExecutions({ from: folder, workflows: [orderRenamed] });
    expect(report).toMatchObject({ ok: false, diverged: 2 });
    expect(report.executions[1]).toMatchObject({
      file: "o-open.json",
      executionId: "o-open",
      workflow: "order",
      status: "diverged",
      opId: "0",
      expected: { kind: "step", name: "reserve" },
      found: { kind: "step", name: "hold" },
    });
    expect(formatCheckReport(report)).toContain("DIVERGED  o-open (order, o-open.json) at operation #0\n  recorded: step 'reserve'\n  now:      step 'hold'");
  });

  it("fails a finished history that the new build finishes differently, at the execution's end", async () => {
    const report = await checkExecutions({ from: folder, workflows: [orderV2Result] });
    expect(report).toMatchObject({ ok: false, diverged: 1, passed: 1 });
    expect(report.executions[0]).toMatchObject({
      executionId: "o-done",
      status: "diverged",
      opId: "-",
      expected: { text: 'ExecutionCompleted with result "shipped"' },
      found: { text: 'ExecutionCompleted with result "delivered"' },
    });
    expect(formatCheckReport(report)).toContain("o-done (order, nested/deeper/o-done.json) at the execution's end");
  });

  it("fails the gate on a file that is not a history and on a workflow the build no longer has", async () => {
    const more = await mkdtemp(join(tmpdir(), "spindle-check-"));
    try {
      await writeFile(join(more, "broken.json"), "{ not json");
      await writeFile(join(more, "object.json"), "{}");
      const other = engineOn(new MemoryStore(), [approval]);
      await other.start(approval, { requestId: "r-1", amount: 10 }, { id: "approval-1" });
      await other.resume("approval-1");
      await writeFile(join(more, "approval.json"), JSON.stringify(await other.history("approval-1")));
      const report = await checkExecutions({ from: more, workflows: [orderV1] });
      expect(report).toMatchObject({ ok: false, errors: 3, diverged: 0, checked: 3 });
      expect(report.executions).toEqual([
        expect.objectContaining({ file: "approval.json", executionId: "approval-1", status: "error", code: "WORKFLOW_NOT_FOUND" }),
        expect.objectContaining({ file: "broken.json", executionId: "broken.json", status: "error", code: "HISTORY_CORRUPTED" }),
        expect.objectContaining({ file: "object.json", status: "error", code: "HISTORY_CORRUPTED" }),
      ]);
      expect(report.executions[0]).toMatchObject({ message: expect.stringContaining("no workflow 'approval' (it has 'order')") });
      expect(report.executions[2]).toMatchObject({ message: expect.stringContaining("object.json holds JSON object, not an array of events") });
    } finally {
      await rm(more, { recursive: true, force: true });
    }
  });

  it("only checks the workflow asked for", async () => {
    const report = await checkExecutions({ from: "test/golden", workflows: [approval], workflow: "approval" });
    expect(report).toMatchObject({ ok: true, checked: 1, passed: 1 });
  });

  it("passes the repository's golden histories on today's code", async () => {
    const report = await checkExecutions({ from: "test/golden", workflows: [approval, booking, invoice] });
    expect(report).toMatchObject({ ok: true, checked: 2, passed: 2 });
  });

  it("refuses a folder it cannot read with HistoryCorruptedError naming it", async () => {
    await expect(checkExecutions({ from: join(folder, "missing"), workflows: [orderV1] })).rejects.toThrow(/cannot read the folder '.*missing'/);
  });
});

describe("children", () => {
  const kid = (name: string) =>
    workflow("kid", async function* () {
      yield* step(name, () => name);
      yield* waitForEvent("go");
      return name;
    });
  const parent = (first?: string) =>
    workflow("parent", async function* () {
      if (first !== undefined) yield* step(first, () => first);
      return yield* child(kid("k1"), undefined);
    });

  it("checks each child on its own history, naming the one that diverged", async () => {
    const store = new MemoryStore();
    const recorded = parent();
    const engine = engineOn(store, [recorded, kid("k1")]);
    await engine.start(recorded, undefined, { id: "p-1" });
    await engine.resume("p-1");
    const kids = (await engine.list({ workflow: "kid" })).executions.map((execution) => execution.id);
    expect(kids).toHaveLength(1);
    await engine.resume(kids[0]!);
    expect((await engine.describe(kids[0]!)).status).toBe("suspended");

    const changedKid = await checkExecutions({ store, workflows: [parent(), kid("k2")] });
    expect(changedKid).toMatchObject({ ok: false, checked: 2, passed: 1, diverged: 1 });
    expect(changedKid.executions.find((result) => result.status === "diverged")).toMatchObject({ executionId: kids[0], workflow: "kid", opId: "0" });

    const changedParent = await checkExecutions({ store, workflows: [parent("audit"), kid("k1")] });
    expect(changedParent.executions.find((result) => result.status === "diverged")).toMatchObject({
      executionId: "p-1",
      expected: { kind: "child", name: "kid" },
      found: { kind: "step", name: "audit" },
    });
    expect(changedParent.executions.find((result) => result.executionId === kids[0])).toMatchObject({ status: "ok" });
  });
});

describe("the patch report", () => {
  const before = notifyBefore;
  const patchedBuild = notifyPatched;

  it("counts the open executions on each branch and says when the old branch is safe to remove", async () => {
    const store = new MemoryStore();
    const old = engineOn(store, [before]);
    for (const id of ["n-old-1", "n-old-2"]) {
      await old.start(before, undefined, { id });
      await old.resume(id);
    }
    const current = engineOn(store, [patchedBuild]);
    for (const id of ["n-new-1", "n-new-2", "n-new-3"]) {
      await current.start(patchedBuild, undefined, { id });
      await current.resume(id);
    }
    const report = await checkExecutions({ store, workflows: [patchedBuild] });
    expect(report.ok).toBe(true);
    expect(report.patches).toEqual([{ id: "sms", oldBranch: expect.arrayContaining(["n-old-1", "n-old-2"]), newBranch: 3, unchecked: 0, safeToRemove: false }]);
    expect(formatCheckReport(report)).toMatch(/sms {2}2 executions still run the old branch \(n-old-\d, n-old-\d; 3 on the new one\): keep it/);

    for (const id of ["n-old-1", "n-old-2"]) {
      await current.sendEvent(id, "go", null);
      await current.resume(id);
    }
    const later = await checkExecutions({ store, workflows: [patchedBuild] });
    expect(later.patches).toEqual([{ id: "sms", oldBranch: [], newBranch: 3, unchecked: 0, safeToRemove: true }]);
    expect(formatCheckReport(later)).toContain("sms  no execution runs the old branch (3 on the new one): safe to remove the old branch");

    // An execution of the workflow that does not replay may run the old branch: not safe while it is there.
    await store.create(newExecution({ id: "n-fax", workflow: "notify", runId: "r-fax", at: 1 }));
    await store.append("n-fax", {
      runId: "r-fax",
      expectedVersion: 1,
      events: [{ v: 1, seq: 2, type: "StepCompleted", opId: "0", kind: "step", name: "fax", at: 2, attempt: 1 }],
      update: { status: "suspended", waitingFor: [], wakeAt: null, inboxSeen: 0, updatedAt: 2 },
      consumeInbox: [],
    });
    const unsure = await checkExecutions({ store, workflows: [patchedBuild] });
    expect(unsure.patches).toEqual([{ id: "sms", oldBranch: [], newBranch: 3, unchecked: 1, safeToRemove: false }]);
  });
});

describe("a store's history cut inside a turn", () => {
  const twoSteps = workflow("cut", async function* () {
    yield* step("a", () => 1);
    return "done";
  });

  async function recordedAfterStep(status: "running" | "suspended"): Promise<HistoryStore> {
    const store = new MemoryStore();
    await store.create(newExecution({ id: "cut-1", workflow: "cut", runId: "r-1", at: 1 }));
    await store.append("cut-1", {
      runId: "r-1",
      expectedVersion: 1,
      events: [{ v: 1, seq: 2, type: "StepCompleted", opId: "0", kind: "step", name: "a", at: 2, attempt: 1, result: "1" }],
      update: { status, waitingFor: [], wakeAt: null, inboxSeen: 0, updatedAt: 2 },
      consumeInbox: [],
    });
    return store;
  }

  it("passes a running execution whose code ends right after its last recorded step (a turn died between writes)", async () => {
    const report = await checkExecutions({ store: await recordedAfterStep("running"), workflows: [twoSteps] });
    expect(report).toMatchObject({ ok: true, passed: 1 });
  });

  it("fails an execution at rest whose code now ends where it was waiting", async () => {
    const report = await checkExecutions({ store: await recordedAfterStep("suspended"), workflows: [twoSteps] });
    expect(report.executions[0]).toMatchObject({ status: "diverged", opId: "-", found: { text: "the code completed" } });
  });
});

describe("an execution that continued as new", () => {
  const looping = (name: string) =>
    workflow("looping", async function* (round: number) {
      yield* step(`${name}-${round}`, () => round);
      if (round < 2) return yield* continueAsNew(round + 1);
      yield* waitForEvent("stop");
    });

  it("is checked on its current run alone", async () => {
    const store = new MemoryStore();
    const recorded = looping("tick");
    const engine = engineOn(store, [recorded]);
    await engine.start(recorded, 0, { id: "loop-1" });
    for (let turn = 0; turn < 3; turn++) await engine.resume("loop-1");
    expect(await engine.describe("loop-1")).toMatchObject({ status: "suspended", runs: 2 });
    expect(await checkExecutions({ store, workflows: [recorded] })).toMatchObject({ ok: true, passed: 1 });
    const changed = await checkExecutions({ store, workflows: [looping("tock")] });
    expect(changed.executions[0]).toMatchObject({ status: "diverged", opId: "0", expected: { text: "step 'tick-2'" }, found: { text: "step 'tock-2'" } });
  });
});

describe("a stuck execution", () => {
  it("is open, so it is checked: the build that fixes what made it stuck passes, the broken one fails", async () => {
    const store = new MemoryStore();
    const engine = engineOn(store, [orderV1]);
    await engine.start(orderV1, undefined, { id: "o-stuck" });
    await engine.resume("o-stuck");
    await engine.sendEvent("o-stuck", "paid", null);
    const broken = createEngine({ store, workflows: [orderRenamed], mode: "external", logger: silentLogger, maxTurnFailures: 1 });
    await expect(broken.resume("o-stuck")).rejects.toThrow();
    expect((await engine.describe("o-stuck")).status).toBe("stuck");
    expect(await checkExecutions({ store, workflows: [orderV1] })).toMatchObject({ ok: true, passed: 1 });
    expect(await checkExecutions({ store, workflows: [orderRenamed] })).toMatchObject({ ok: false, diverged: 1 });
  });
});

describe("checkExecutions on DynamoDB with read-only access", () => {
  it("lists and loads with Query and BatchGetItem only, and reports progress to the total", async () => {
    const tableName = await freshTable("check-readonly");
    const writer = makeClient();
    const engine = engineOn(new DynamoDBStore({ client: writer, tableName }), [orderV1]);
    for (let index = 0; index < 5; index++) {
      await engine.start(orderV1, undefined, { id: `ro-${index}` });
      await engine.resume(`ro-${index}`);
    }
    await engine.close();
    writer.destroy();

    const reader = makeClient();
    const requests = countRequests(reader);
    const progress: string[] = [];
    try {
      const report = await checkExecutions({
        store: new DynamoDBStore({ client: reader, tableName }),
        workflows: [orderRenamed],
        pageSize: 2,
        onProgress: ({ done, total }) => progress.push(`${done}/${total}`),
      });
      expect(report).toMatchObject({ ok: false, checked: 5, diverged: 5 });
      expect(progress).toEqual(["1/5", "2/5", "3/5", "4/5", "5/5"]);
      expect([...requests.keys()].sort()).toEqual(["BatchGetItemCommand", "QueryCommand"]);
    } finally {
      reader.destroy();
    }
  });
});

describe("refused options", () => {
  it("refuses neither or both of store and from, and two workflows of one name, with ValidationError", async () => {
    await expect(checkExecutions({ workflows: [orderV1] })).rejects.toThrow(ValidationError);
    await expect(checkExecutions({ workflows: [orderV1], store: new MemoryStore(), from: "test/golden" })).rejects.toThrow(/not both/);
    await expect(checkExecutions({ workflows: [orderV1, orderRenamed], store: new MemoryStore() })).rejects.toThrow(/two workflows are named 'order'/);
  });

  it("refuses a workflow name that neither the build nor any history has (a typo would pass with nothing checked)", async () => {
    for (const source of [{ store: new MemoryStore() }, { from: "test/golden" }]) {
      const refused = checkExecutions({ workflows: [orderV1], workflow: "nosuch", ...source });
      await expect(refused).rejects.toThrow(ValidationError);
      await expect(checkExecutions({ workflows: [orderV1], workflow: "nosuch", ...source })).rejects.toThrow(/the build has no workflow 'nosuch' \(it has 'order'\)/);
    }
    // A name the build has, with nothing to check, is fine.
    expect((await checkExecutions({ workflows: [orderV1], workflow: "order", store: new MemoryStore() })).ok).toBe(true);
  });
});
