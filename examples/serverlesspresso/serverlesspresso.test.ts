// Pins the serverlesspresso example: how each order of the simulated morning ends, that the shop's capacity is never
// exceeded and always given back, the 5- and 15-minute timeouts, cancellation, and the golden history.
import { describe, expect, it } from "vitest";
import { CallbackNotFoundError, CancelledError, NonDeterminismError } from "../../src/index.js";
import { createTestEngine, replayHistory } from "../../src/testing/index.js";
import { renameOperation } from "../support/golden.js";
import golden from "./serverlesspresso.history.json" with { type: "json" };
import { coffeeOrderWorkflow, createShop } from "./serverlesspresso.workflow.js";
import type { Shop } from "./serverlesspresso.workflow.js";
import { CAPACITY, runShopDay } from "./simulation.js";

/** An open shop, its workflow on a fresh test engine, and the tokens its board hands out. */
function openShop(capacity = 2) {
  const shop = createShop({ capacity });
  shop.setOpen(true);
  const order = coffeeOrderWorkflow(shop);
  const t = createTestEngine({ workflows: [order] });
  const tokens: string[] = [];
  shop.subscribe((event) => void (event.type === "customer-notified" ? undefined : tokens.push(event.token)));
  const start = async (id: string) => {
    const run = await t.start(order, { orderId: id, customer: id }, { id });
    await t.idle();
    return run;
  };
  return { shop, t, tokens, start };
}

const messagesTo = (shop: Shop, orderId: string) =>
  shop.notifications.filter((n) => n.orderId === orderId).map((n) => n.message);

describe("serverlesspresso: the simulated morning", () => {
  it("ends every order as scripted, never holds more slots than the shop has, and gives them all back", async () => {
    const day = await runShopDay({ narrate: false });
    const endings = Object.fromEntries(Object.entries(day.endings).map(([name, { ending }]) => [name, ending]));
    expect(endings).toEqual({
      Dana: "shop-closed",
      Ana: "served",
      Ben: "rejected",
      Chloe: "abandoned",
      Dev: "shop-busy",
      Eli: "cancelled",
      Fay: "timed-out",
      Gus: "served",
    });
    expect(day.endings.Ana!.outcome).toMatchObject({ orderNumber: 1, drink: "latte", barista: "Kim" });
    expect(day.shop.peakInFlight).toBe(CAPACITY);
    expect(day.shop.ordersInFlight).toBe(0);
    // Only orders that got a slot hear back: one message each.
    expect(new Set(day.shop.notifications.map((n) => n.orderId))).toEqual(
      new Set(["order-ana", "order-ben", "order-chloe", "order-eli", "order-fay", "order-gus"]),
    );
    for (const id of Object.values(day.ids)) {
      const report = await replayHistory(day.order, await day.t.history(id));
      expect(report.outcome, id).toBe(id === "order-eli" ? "cancelled" : "completed");
    }
  });
});

describe("serverlesspresso: one order", () => {
  it("is abandoned exactly 5 minutes after opening when nothing is submitted, and frees its slot", async () => {
    const { shop, t, start } = openShop();
    const run = await start("o-1");
    expect(shop.ordersInFlight).toBe(1);
    expect(await run.result()).toEqual({ status: "abandoned" });
    expect(t.now().toISOString()).toBe("2026-01-01T00:05:00.000Z");
    expect(shop.ordersInFlight).toBe(0);
  });

  it("refuses an order when every slot is taken, and takes one again once a slot is released", async () => {
    const { shop, t, start } = openShop(1);
    const first = await start("o-1");
    expect(await (await start("o-2")).result()).toEqual({ status: "shop-busy" });
    await t.cancel("o-1", "customer left");
    await expect(first.result()).rejects.toBeInstanceOf(CancelledError);
    await start("o-3");
    expect((await t.describe("o-3")).customStatus).toEqual({ stage: "awaiting-order" });
    expect(shop.ordersInFlight).toBe(1);
  });

  it("times out 15 minutes after the order number when the drink is accepted but never finished", async () => {
    const { shop, t, tokens, start } = openShop();
    const run = await start("o-1");
    await t.advanceTime("1m");
    await t.sendEvent("o-1", "submitted", { drink: "latte" });
    await t.advanceTime("10m");
    await t.completeCallback(tokens[0]!, { barista: "Kim" });
    expect((await t.describe("o-1")).customStatus).toEqual({ stage: "being-made", orderNumber: 1, barista: "Kim" });
    expect(await run.result()).toEqual({ status: "timed-out", orderNumber: 1, drink: "latte" });
    expect(t.now().toISOString()).toBe("2026-01-01T00:16:00.000Z");
    expect(shop.ordersInFlight).toBe(0);
    await expect(t.completeCallback(tokens[1]!, {})).rejects.toBeInstanceOf(CallbackNotFoundError);
  });

  it("is cancelled by the customer while the drink is made: slot released, customer told, the barista's token refused", async () => {
    const { shop, t, tokens, start } = openShop();
    const run = await start("o-1");
    await t.sendEvent("o-1", "submitted", { drink: "espresso" });
    await t.idle();
    await t.completeCallback(tokens[0]!, { barista: "Lee" });
    await t.idle();
    await t.cancel("o-1", "running late");
    await expect(run.result()).rejects.toBeInstanceOf(CancelledError);
    expect(shop.ordersInFlight).toBe(0);
    expect(messagesTo(shop, "o-1")).toEqual(["order cancelled (running late)"]);
    await expect(t.completeCallback(tokens[1]!, {})).rejects.toBeInstanceOf(CallbackNotFoundError);
  });

  it("reports a barista's refusal as a rejected order", async () => {
    const { shop, t, tokens, start } = openShop();
    const run = await start("o-1");
    await t.sendEvent("o-1", "submitted", { drink: "oat flat white" });
    await t.idle();
    await t.failCallback(tokens[0]!, { name: "OrderRejected", message: "out of oat milk" });
    expect(await run.result()).toMatchObject({ status: "rejected", reason: "out of oat milk" });
    expect(messagesTo(shop, "o-1")).toEqual(["sorry, #1 cannot be made: out of oat milk"]);
  });
});

describe("serverlesspresso: golden history", () => {
  const order = coffeeOrderWorkflow(createShop({ capacity: 1 }));

  it("replays the recorded history of a served order against today's code", async () => {
    const report = await replayHistory(order, golden);
    expect(report).toMatchObject({ outcome: "completed", events: golden.length });
  });

  it("rejects the history once a step it recorded has been renamed", async () => {
    const edited = renameOperation(golden, "assign-order-number", "allocate-order-number");
    await expect(replayHistory(order, edited)).rejects.toBeInstanceOf(NonDeterminismError);
  });
});
