// The invariant checker itself: a clean run passes, and each kind of damage (an effect with no recorded attempt, a
// different outcome, an acknowledged write that is gone, a step completed twice) is reported under its invariant.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "spindle";
import type { HistoryStore, LoadOptions } from "spindle/store";
import { MemoryStore } from "spindle";
import { FaultStore } from "spindle/testing";
import { drive } from "./driver.js";
import { checkInvariants, loadAll } from "./invariants.js";
import { SUBJECTS } from "./subjects.js";

const subject = SUBJECTS.find((s) => s.name === "patterns/chaining")!;

async function cleanRun(inner: HistoryStore = new MemoryStore()) {
  const faults = new FaultStore(inner);
  const driven = await drive({ subject, faults, id: "checked" });
  const evidence = { faults, ledger: driven.ledger, rootId: "checked", faultedTurns: 0 };
  return { faults, driven, evidence, report: await checkInvariants(evidence) };
}

const broken = (violations: { invariant: string }[]) => violations.map((v) => v.invariant);

describe("the invariant checker", () => {
  it("passes a fault-free run", async () => {
    const { report } = await cleanRun();
    expect(report.violations).toEqual([]);
    expect(report.outcome.status).toBe("completed");
  });

  it("reports an effect that no recorded attempt or faulted turn accounts for (I5)", async () => {
    const { evidence } = await cleanRun();
    evidence.ledger.count("ship");
    expect(broken((await checkInvariants(evidence)).violations)).toEqual(["I5"]);
  });

  it("reports an outcome that differs from the fault-free one (I1)", async () => {
    const { evidence, report } = await cleanRun();
    const expected = { ...report.outcome, result: { other: true } };
    expect(broken((await checkInvariants({ ...evidence, expected })).violations)).toEqual(["I1"]);
  });

  it("reports an acknowledged write missing from the history (I3)", async () => {
    const inner = new MemoryStore();
    const lossy = Object.create(inner) as MemoryStore;
    let forget = false;
    lossy.load = async (id: string, options?: LoadOptions) => {
      const page = await inner.load(id, options);
      return page && forget ? { ...page, events: page.events.slice(0, -1) } : page;
    };
    const { evidence } = await cleanRun(lossy);
    forget = true;
    expect(broken((await checkInvariants(evidence)).violations)).toContain("I3");
  });

  it("reports a step completed twice (I2)", async () => {
    const { evidence, faults } = await cleanRun();
    const { record, events } = await loadAll(faults.inner, "checked");
    const completed = (events as HistoryEvent[]).find((event) => event.type === "StepCompleted")!;
    await faults.append("checked", {
      runId: record.runId,
      expectedVersion: record.version,
      events: [{ ...completed, seq: record.version + 1 }],
      update: { status: record.status, waitingFor: [], wakeAt: null, inboxSeen: record.inboxSeen, updatedAt: record.updatedAt },
      consumeInbox: [],
    });
    expect(broken((await checkInvariants(evidence)).violations)).toEqual(["I2"]);
  });
});
