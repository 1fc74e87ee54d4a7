// Pins the order-saga example: the four outcomes, compensations in reverse order, terminal failures not retried,
// retryable ones retried until the attempts run out, compensation on cancellation, and the golden history.
import { describe, expect, it } from "vitest";
import { CancelledError, NonDeterminismError } from "../../src/index.js";
import { createTestEngine, replayHistory } from "../../src/testing/index.js";
import { renameOperation } from "../support/golden.js";
import golden from "./order-saga.history.json" with { type: "json" };
import type { CommerceOptions, OrderInput } from "./order-saga.workflow.js";
import { createCommerce, orderSagaWorkflow } from "./order-saga.workflow.js";
import { runOrders } from "./scenario.js";

const grinderTo = (country: string): OrderInput => ({
  orderId: "o-9",
  items: [{ sku: "grinder", quantity: 1 }],
  amount: 129,
  card: "4242 4242 4242 4242",
  country,
});

function shop(options: CommerceOptions = {}) {
  const commerce = createCommerce(options);
  const sagaWorkflow = orderSagaWorkflow(commerce);
  const t = createTestEngine({ workflows: [sagaWorkflow] });
  const completedSteps = async (id: string) =>
    (await t.history(id)).flatMap((event) => (event.type === "StepCompleted" ? [event.name] : []));
  return { commerce, sagaWorkflow, t, completedSteps };
}

describe("order-saga: the four orders", () => {
  it("confirms one, and undoes exactly what each failed order had done", async () => {
    const { outcomes, commerce } = await runOrders({ narrate: false });
    expect(outcomes).toEqual({
      "o-1": { status: "confirmed", chargeId: "ch-o-1", tracking: "TRK-O-1" },
      "o-2": { status: "failed", failedStep: "reserve-inventory", attempts: 1, kind: "terminal", reason: "out of stock: espresso-machine", compensated: [] },
      "o-3": { status: "failed", failedStep: "charge-card", attempts: 1, kind: "terminal", reason: "card declined", compensated: ["release-inventory"] },
      "o-4": {
        status: "failed",
        failedStep: "book-shipping",
        attempts: 3,
        kind: "retries exhausted",
        reason: "no carrier reachable for AQ (503)",
        compensated: ["refund-payment", "release-inventory"],
      },
    });
    expect(Object.fromEntries(commerce.stock)).toEqual({ "beans-1kg": 48, grinder: 5, "espresso-machine": 0 });
    expect([...commerce.charges.keys()]).toEqual(["ch-o-1"]);
    expect(commerce.refunds).toEqual(["ch-o-4"]);
    expect(Object.fromEntries(commerce.chargeAttempts)).toEqual({ "o-1": 3, "o-3": 1, "o-4": 1 });
  });
});

describe("order-saga: one order", () => {
  it("runs the compensations in reverse order, after the retries with growing backoff", async () => {
    const { t, sagaWorkflow, completedSteps } = shop();
    await (await t.start(sagaWorkflow, grinderTo("AQ"), { id: "o-9" })).result();
    expect(await completedSteps("o-9")).toEqual(["reserve-inventory", "charge-card", "refund-payment", "release-inventory"]);
    // 1 minute, then 2: three attempts of book-shipping.
    expect(t.now().toISOString()).toBe("2026-01-01T00:03:00.000Z");
  });

  it("retries a payment gateway that stays down, then releases the stock", async () => {
    const { t, sagaWorkflow, commerce } = shop({ gatewayOutages: { "o-9": 10 } });
    const outcome = await (await t.start(sagaWorkflow, grinderTo("DE"), { id: "o-9" })).result();
    expect(outcome).toMatchObject({ failedStep: "charge-card", attempts: 4, kind: "retries exhausted", compensated: ["release-inventory"] });
    expect(commerce.stock.get("grinder")).toBe(5);
  });

  it("compensates when cancelled during a retry backoff, and ends as cancelled", async () => {
    const { t, sagaWorkflow, commerce, completedSteps } = shop();
    const run = await t.start(sagaWorkflow, grinderTo("AQ"), { id: "o-9" });
    await t.advanceTime("30s");
    await t.cancel("o-9", "customer cancelled");
    await expect(run.result()).rejects.toBeInstanceOf(CancelledError);
    expect(await completedSteps("o-9")).toEqual(["reserve-inventory", "charge-card", "refund-payment", "release-inventory"]);
    expect(commerce.charges.size).toBe(0);
    expect(commerce.stock.get("grinder")).toBe(5);
  });
});

describe("order-saga: golden history", () => {
  const sagaWorkflow = orderSagaWorkflow(createCommerce());

  it("replays the recorded history of a compensated order against today's code", async () => {
    expect(await replayHistory(sagaWorkflow, golden)).toMatchObject({ outcome: "completed", events: golden.length });
  });

  it("rejects the history once a compensation step has been renamed", async () => {
    const edited = renameOperation(golden, "refund-payment", "refund-card");
    await expect(replayHistory(sagaWorkflow, edited)).rejects.toBeInstanceOf(NonDeterminismError);
  });
});
