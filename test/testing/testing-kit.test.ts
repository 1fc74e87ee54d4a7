// spindle/testing: golden-history replay, replay checks against edited histories, the timeline printer, mocks,
// the virtual clock and seeded randomness.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "spindle";
import { HistoryCorruptedError, NonDeterminismError, sleep, step, uuid, workflow } from "spindle";
import { createTestEngine, formatTimeline, replayHistory, VirtualClock } from "spindle/testing";
import recorded from "../golden/approval.history.json" with { type: "json" };
import { approval } from "../golden/approval.workflow.js";
import bookingRecorded from "../golden/booking.history.json" with { type: "json" };
import { booking } from "../golden/booking.workflow.js";

const golden = recorded as HistoryEvent[];

describe("golden history", () => {
  it("replays the recorded approval history against today's code to the same result", async () => {
    const report = await replayHistory(approval, golden);
    expect(report).toEqual({ executionId: "approval-req-7", events: golden.length, outcome: "completed", patches: [] });
  });

  it("reports NonDeterminismError when the recorded history names a step the code no longer has", async () => {
    const edited = structuredClone(golden);
    const audit = edited.find((e) => e.name === "audit")!;
    audit.name = "audit-v0";
    await expect(replayHistory(approval, edited)).rejects.toThrowError(/#5.*step 'audit-v0'.*step 'audit'/);
  });

  it("reports NonDeterminismError when the recorded result differs from what the code computes", async () => {
    const edited = structuredClone(golden);
    const risk = edited.find((e) => e.name === "assess-risk") as { result?: string };
    risk.result = '"low"';
    await expect(replayHistory(approval, edited)).rejects.toBeInstanceOf(NonDeterminismError);
  });

  it("replays a history cut short and names the first operation it does not hold", async () => {
    const cut = golden.slice(0, 4);
    const report = await replayHistory(approval, cut);
    expect(report).toMatchObject({ outcome: "waiting", frontier: { opId: "2", kind: "waitForEvent", name: "decision" } });
  });

  it("refuses a malformed history with HistoryCorruptedError", async () => {
    const broken = [golden[0], { ...golden[1], seq: 7 }];
    await expect(replayHistory(approval, broken)).rejects.toBeInstanceOf(HistoryCorruptedError);
  });
});

describe("golden history of a composed workflow", () => {
  const recordedBooking = bookingRecorded as HistoryEvent[];

  it("replays groups, map, race, a callback and a child to the recorded result", async () => {
    expect(await replayHistory(booking, recordedBooking)).toMatchObject({ outcome: "completed" });
  });

  it("reports NonDeterminismError when a map item's step was renamed in the code", async () => {
    const edited = structuredClone(recordedBooking);
    (edited.find((e) => e.name === "seat-1B") as { name: string }).name = "seat-1X";
    await expect(replayHistory(booking, edited)).rejects.toBeInstanceOf(NonDeterminismError);
  });

  it("reports NonDeterminismError when the recorded race winner is not what the code does with it", async () => {
    const edited = structuredClone(recordedBooking);
    (edited.find((e) => e.type === "GroupSettled" && e.opId === "2") as { index: number }).index = 1;
    await expect(replayHistory(booking, edited)).rejects.toBeInstanceOf(NonDeterminismError);
  });
});

describe("formatTimeline", () => {
  it("prints one readable line per event with times relative to the start", () => {
    const lines = formatTimeline(golden).split("\n");
    expect(lines).toHaveLength(golden.length);
    expect(lines[0]).toMatch(/^#1\s+\+0ms\s+ExecutionStarted\s+approval\s+input \{"requestId":"req-7"/);
    expect(lines.find((l) => l.includes("WaitStarted"))).toMatch(/\[2\]\s+WaitStarted\s+waitForEvent 'decision'\s+times out at \+1d/);
    expect(lines.find((l) => l.includes("EventReceived"))).toMatch(/^#\d+\s+\+3h\s/);
    expect(lines.at(-1)).toMatch(/ExecutionCompleted\s+approval\s+-> \{"approved":true/);
    expect(formatTimeline([])).toBe("(no events)");
  });

  it("keeps the time and operation columns apart when an offset is long", async () => {
    const wf = workflow("long-sleep", async function* () {
      yield* sleep("23h59m30s");
    });
    const t = createTestEngine({ workflows: [wf] });
    await (await t.start(wf, undefined, { id: "w" })).result();
    const fired = formatTimeline(await t.history("w")).split("\n").find((line) => line.includes("TimerFired"))!;
    expect(fired).toMatch(/\+23h 59m 30s\s+\[0\]/);
  });
});

describe("test engine", () => {
  it("replaces steps with mocks by name", async () => {
    const t = createTestEngine({
      workflows: [approval],
      mocks: { "assess-risk": () => "mocked", audit: () => ({ mocked: true }) },
    });
    const run = await t.start(approval, { requestId: "r", amount: 1 }, { id: "m-1" });
    await t.sendEvent("m-1", "decision", { approved: false, by: "bot" });
    expect(await run.result()).toMatchObject({ risk: "mocked", approved: false });
  });

  it("gives the same uuid() sequence for the same seed and another for another seed", async () => {
    const wf = workflow("ids", async function* () {
      return [yield* uuid(), yield* uuid()];
    });
    const a = await (await createTestEngine({ workflows: [wf] }).start(wf, undefined, { id: "x" })).result();
    const b = await (await createTestEngine({ workflows: [wf] }).start(wf, undefined, { id: "x" })).result();
    const c = await (await createTestEngine({ workflows: [wf], seed: 2 }).start(wf, undefined, { id: "x" })).result();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("runs many executions side by side, skipping time across all of them", async () => {
    const wf = workflow("staggered", async function* (minutes: number) {
      yield* sleep({ minutes });
      return yield* step("done", () => minutes);
    });
    const t = createTestEngine({ workflows: [wf] });
    const runs = await Promise.all([30, 10, 20].map((m) => t.start(wf, m, { id: `s-${m}` })));
    expect(await Promise.all(runs.map((r) => r.result()))).toEqual([30, 10, 20]);
    expect(t.now().getTime() - Date.parse("2026-01-01T00:00:00Z")).toBe(30 * 60_000);
  });
});

describe("VirtualClock", () => {
  it("fires timers in time order (insertion order on ties) and never moves backwards", () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    clock.setTimer(3000, () => fired.push("c"));
    clock.setTimer(2000, () => fired.push("a"));
    clock.setTimer(2000, () => fired.push("b"));
    const cancel = clock.setTimer(2500, () => fired.push("cancelled"));
    cancel();
    clock.setTimer(500, () => fired.push("past"));
    while (clock.fireNext());
    expect(fired).toEqual(["past", "a", "b", "c"]);
    expect(clock.now()).toBe(3000);
    clock.set(100);
    expect(clock.now()).toBe(3000);
  });
});
