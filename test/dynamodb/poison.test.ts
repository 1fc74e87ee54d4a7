// Poison executions never starve the others. More executions fail every turn than one resumeDue call takes (a bad
// deploy: their workflow is not registered); healthy executions due at the same time still wake, the poisoned ones
// back off, become `stuck` after the bound and leave the due index; an event sent to a stuck one lands without putting
// it back; redrive after the fix puts them back and they complete. On MemoryStore and DynamoDBStore (DynamoDB Local).
import { describe, expect, it } from "vitest";
import { createEngine, RedriveRefusedError, silentLogger, sleep, step, workflow } from "spindle";
import { VirtualClock } from "spindle/testing";
import { bothStores } from "./helpers.js";

const stores = bothStores("poison");
let runs = 0;

describe.each(stores)("poison executions on %s", (_label, makeStore) => {
  it("back off, go stuck after the bound and leave the due index while healthy ones wake; redrive completes them", async () => {
    const tag = `${process.pid}-${Date.now().toString(36)}-${++runs}`;
    const healthy = workflow(`healthy-${tag}`, async function* () {
      yield* sleep("1m");
      return "well";
    });
    const poison = workflow(`poison-${tag}`, async function* () {
      return yield* step("finish", () => "fixed");
    });
    const clock = new VirtualClock(Date.parse("2030-01-01T00:00:00.000Z") + runs * 86_400_000);
    const store = makeStore();
    const options = { store, clock, mode: "external" as const, logger: silentLogger, cacheSize: 0 };
    const full = createEngine({ ...options, workflows: [healthy, poison] });
    // The bad deploy: `poison` is missing from this engine, so each of its executions fails every turn.
    const broken = createEngine({ ...options, workflows: [healthy], maxTurnFailures: 3 });

    const poisoned = Array.from({ length: 8 }, (_, i) => `p-${tag}-${i}`);
    const well = Array.from({ length: 3 }, (_, i) => `h-${tag}-${i}`);
    for (const id of poisoned) await full.start(poison, undefined, { id });
    clock.set(clock.now() + 10); // the healthy ones are younger: oldest-first hands out the poisoned ones first
    for (const id of well) await full.start(healthy, undefined, { id });

    // Three calls of at most 5 at the same instant: the poisoned ones back off after failing once, so the healthy
    // ones are reached (without backoff every call would take the same 5 poisoned executions).
    for (let call = 0; call < 3; call++) await broken.resumeDue({ limit: 5 });
    for (const id of well) expect((await broken.describe(id)).status, id).toBe("suspended");
    for (const id of poisoned) {
      const { status, turnFailures } = await broken.describe(id);
      expect(status).toBe("running");
      expect(turnFailures).toMatchObject({ count: 1, code: "WORKFLOW_NOT_FOUND" });
      expect(turnFailures!.reason).toContain("WorkflowNotFoundError");
      expect(turnFailures!.nextAttemptAt!.getTime()).toBe(clock.now() + 1000);
    }

    // Time passes: the healthy ones complete; the poisoned ones fail twice more (after 1 s, then 2 s) and are stuck.
    for (let tick = 0; tick < 8; tick++) {
      clock.set(clock.now() + 15_000);
      await broken.resumeDue({ limit: 5 });
    }
    for (const id of well) expect((await broken.describe(id)).status).toBe("completed");
    for (const id of poisoned) {
      const { status, turnFailures, wakeAt } = await broken.describe(id);
      expect(status).toBe("stuck");
      expect(turnFailures).toMatchObject({ count: 3, code: "WORKFLOW_NOT_FOUND" });
      expect(turnFailures!.nextAttemptAt).toBeUndefined();
      expect(wakeAt).toBeUndefined();
    }
    const later = clock.now() + 3_600_000;
    const dueLater = await store.listDue(later);
    expect(dueLater.filter((id) => poisoned.includes(id))).toEqual([]);
    const listed = await full.list({ status: "stuck", workflow: poison.name, limit: 100 });
    expect(listed.executions.map((execution) => execution.id).sort()).toEqual([...poisoned].sort());

    // An event sent to a stuck execution lands, and leaves it stuck and out of the due index.
    await full.sendEvent(poisoned[0]!, "note", "ops");
    expect((await full.describe(poisoned[0]!)).status).toBe("stuck");
    expect((await store.listDue(later)).filter((id) => poisoned.includes(id))).toEqual([]);
    // A resume of a stuck execution runs nothing: it waits for redrive.
    expect((await broken.resume(poisoned[1]!)).status).toBe("stuck");
    expect((await broken.describe(poisoned[1]!)).turnFailures?.count).toBe(3);

    // The fix is deployed: redrive puts them back (failure count reset), and they complete.
    for (const id of poisoned) {
      expect(await full.redrive(id)).toEqual({ executionId: id, redriven: true, from: "stuck", status: "running" });
      expect((await full.describe(id)).turnFailures).toBeUndefined();
    }
    expect((await store.listDue(clock.now())).filter((id) => poisoned.includes(id)).sort()).toEqual([...poisoned].sort());
    for (let tick = 0; tick < 4; tick++) {
      await full.resumeDue({ limit: 5 });
      clock.set(clock.now() + 2_000);
    }
    for (const id of poisoned) expect(await full.result(id)).toBe("fixed");
    await expect(full.redrive(poisoned[0]!)).rejects.toBeInstanceOf(RedriveRefusedError);
  });

  it("lets one of two redrives of a stuck execution at once win", async () => {
    const tag = `${process.pid}-${Date.now().toString(36)}-${++runs}`;
    const missing = workflow(`missing-${tag}`, async function* () {
      return yield* step("work", () => "done");
    });
    const clock = new VirtualClock(Date.parse("2030-01-01T00:00:00.000Z") + runs * 86_400_000);
    const store = makeStore();
    const options = { store, clock, mode: "external" as const, logger: silentLogger, cacheSize: 0 };
    const full = createEngine({ ...options, workflows: [missing] });
    const broken = createEngine({ ...options, workflows: [], maxTurnFailures: 1 });
    const id = `stuck-race-${tag}`;
    await full.start(missing, undefined, { id });
    await expect(broken.resume(id)).rejects.toThrow(/not registered/);
    expect((await full.describe(id)).status).toBe("stuck");
    const other = createEngine({ ...options, workflows: [missing] });
    const settled = await Promise.allSettled([full.redrive(id), other.redrive(id)]);
    const winners = settled.filter((result) => result.status === "fulfilled" && result.value.redriven);
    expect(winners).toHaveLength(1);
    for (const result of settled) {
      if (result.status === "rejected") expect((result.reason as RedriveRefusedError).status).toBe("running");
    }
    expect((await full.resume(id)).status).toBe("completed");
  });
});
