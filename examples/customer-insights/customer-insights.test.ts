// Pins the customer-insights example: aggregates and insights after the stream, duplicates dropped across runs,
// events kept in order when they arrive before the wait, continueAsNew carrying the state, and the golden history.
import { describe, expect, it } from "vitest";
import { NonDeterminismError } from "../../src/index.js";
import { createTestEngine, replayHistory } from "../../src/testing/index.js";
import { renameOperation } from "../support/golden.js";
import golden from "./customer-insights.history.json" with { type: "json" };
import type { Activity } from "./customer-insights.workflow.js";
import { createModels, customerInsightsWorkflow } from "./customer-insights.workflow.js";
import { CUSTOMER_ID, runStream } from "./scenario.js";

const click = (n: number): Activity => ({ type: "click", eventId: `e-${n}`, page: `/p${n}` });
const purchase = (n: number, amount: number): Activity => ({ type: "purchase", eventId: `e-${n}`, category: "shoes", amount });

function customer(eventsPerRun: number) {
  const models = createModels();
  const insightsWorkflow = customerInsightsWorkflow(models);
  const t = createTestEngine({ workflows: [insightsWorkflow] });
  const send = (event: Activity) => t.sendEvent("c-1", "activity", event, { idempotencyKey: event.eventId });
  const start = () => t.start(insightsWorkflow, { customerId: "c-1", eventsPerRun }, { id: "c-1" });
  return { models, t, send, start };
}

describe("customer-insights: the stream", () => {
  it("aggregates every event once, scores twice, and ends with the summary after 30 quiet days", async () => {
    const { t, models, duplicates, summary } = await runStream({ narrate: false });
    expect(duplicates).toEqual(["e-4", "e-6"]);
    expect(summary).toMatchObject({ purchases: 5, clicks: 6, spend: 436, spendSinceScoring: 0, scorings: 2 });
    expect(summary.categories).toEqual({ shoes: 3, socks: 1, jackets: 1 });
    expect(models.calls).toEqual({ churn: 2, lifetimeValue: 2, nextOffer: 2 });
    expect(models.published.get(CUSTOMER_ID)).toEqual(summary.insights);
    expect(await t.describe(CUSTOMER_ID)).toMatchObject({ status: "completed", runs: 1 });
    expect(t.now().toISOString()).toBe("2026-04-01T10:41:00.000Z");
  });
});

describe("customer-insights: one customer", () => {
  it("keeps events sent before the workflow waits and delivers them in order", async () => {
    const { t, send, start } = customer(10);
    await start();
    for (const event of [click(1), purchase(2, 10), click(3)]) await send(event);
    await t.idle();
    const received = (await t.history("c-1")).flatMap((e) => (e.type === "EventReceived" ? [JSON.parse(e.payload!).eventId] : []));
    expect(received).toEqual(["e-1", "e-2", "e-3"]);
    expect((await t.describe("c-1")).customStatus).toMatchObject({ purchases: 1, clicks: 2, spend: 10 });
  });

  it("continues as new every N events with the aggregates, and carries events not yet handled to the next run", async () => {
    const { t, send, start } = customer(2);
    await start();
    for (const event of [purchase(1, 100), click(2), purchase(3, 60), click(4), click(5)]) await send(event);
    await t.idle();
    const description = await t.describe("c-1");
    expect(description.runs).toBe(2);
    expect(description.customStatus).toMatchObject({ purchases: 2, clicks: 3, spend: 160, scorings: 1 });
    const [started] = await t.history("c-1");
    const input = started?.type === "ExecutionStarted" ? JSON.parse(started.input!) : undefined;
    expect(input.state).toMatchObject({ purchases: 2, clicks: 2, spend: 160 });
  });

  it("fans out the three models only when the spend since the last scoring reaches the threshold", async () => {
    const { t, models, send, start } = customer(10);
    await start();
    await send(purchase(1, 149));
    await t.idle();
    expect(models.calls.churn).toBe(0);
    await send(purchase(2, 1));
    await t.idle();
    expect(models.calls).toEqual({ churn: 1, lifetimeValue: 1, nextOffer: 1 });
  });
});

describe("customer-insights: golden history", () => {
  const insightsWorkflow = customerInsightsWorkflow(createModels());

  it("replays the recorded last run (scoring and the inactivity timeout) against today's code", async () => {
    expect(await replayHistory(insightsWorkflow, golden)).toMatchObject({ outcome: "completed", events: golden.length });
  });

  it("rejects the history once a scoring step has been renamed", async () => {
    const edited = renameOperation(golden, "score-churn", "score-churn-risk");
    await expect(replayHistory(insightsWorkflow, edited)).rejects.toBeInstanceOf(NonDeterminismError);
  });
});
