// Serverlesspresso: one workflow per coffee order, after the AWS demo of the same name. The order checks that the
// shop is open and takes one of its limited slots, waits up to 5 minutes for the customer to submit the drink,
// gets an order number, then waits for a barista to accept the ticket and to finish the drink (15 minutes for both,
// through two callback tokens), and tells the customer. Whatever happens after the slot is taken (drink served,
// order abandoned, timed out, rejected by the barista, cancelled by the customer) gives the slot back.
// Outside this repository, import from "spindle" instead of "../../src/index.js".
import { z } from "zod";
import type { WorkflowContext } from "../../src/index.js";
import { callback, CancelledError, now, setStatus, step, TimeoutError, workflow } from "../../src/index.js";
import type { Drink, Shop } from "./shop.js";
import { MENU } from "./shop.js";

export { createShop, MENU, Shop } from "./shop.js";
export type { Drink, ShopEvent } from "./shop.js";

/** How long the customer has to submit the order once it is opened. */
export const SUBMIT_TIMEOUT = "5m";
/** How long the baristas have to accept and make the drink. */
export const BARISTA_TIMEOUT_MS = 15 * 60_000;

const drink = z.enum(Object.keys(MENU) as [Drink, ...Drink[]]);

const events = {
  /** The customer's app submits the order. */
  submitted: z.object({ drink }),
};

const outcome = z.object({
  status: z.enum(["served", "shop-closed", "shop-busy", "abandoned", "timed-out", "rejected"]),
  orderNumber: z.number().optional(),
  drink: drink.optional(),
  barista: z.string().optional(),
  reason: z.string().optional(),
});

/** How an order ended (a cancelled order ends as `cancelled` instead, with no result). */
export type OrderOutcome = z.output<typeof outcome>;

type Context = WorkflowContext<typeof events>;
/** The outcomes of an order that got a slot. */
type Taken = OrderOutcome & { status: "served" | "abandoned" | "timed-out" | "rejected" };

/**
 * The order workflow, bound to a shop. Create the shop and the workflow together (`createShop`, then this), one pair
 * per engine: the steps call that shop.
 */
export function coffeeOrderWorkflow(shop: Shop) {
  return workflow(
    "serverlesspresso",
    {
      input: z.object({ orderId: z.string(), customer: z.string() }),
      output: outcome,
      events,
      // Checked by engine.completeCallback: a barista app sending anything else is refused.
      callbacks: { "barista-accepts": z.object({ barista: z.string() }), "drink-made": z.object({}) },
    },
    async function* (input, ctx) {
      const { open, slotsLeft } = yield* step("check-shop", () => shop.status());
      if (!open) {
        ctx.log.info("the shop is closed: no order taken");
        return { status: "shop-closed" as const };
      }
      const { reserved } = yield* step("reserve-slot", () => shop.reserve(input.orderId));
      if (!reserved) {
        ctx.log.info(`all ${shop.capacity} slots taken: try again soon`);
        return { status: "shop-busy" as const };
      }
      ctx.log.info(`slot taken (${slotsLeft - 1} of ${shop.capacity} left), waiting for the order`);

      let result: Taken;
      try {
        result = yield* takeOrder(shop, input.orderId, ctx);
      } catch (error) {
        if (!(error instanceof CancelledError)) throw error;
        // The customer (or the shop) cancelled: free the slot before the order ends as cancelled.
        yield* releaseSlot(shop, input.orderId, ctx);
        yield* notify(shop, input.orderId, `order cancelled (${error.reason ?? "no reason given"})`);
        throw error;
      }
      yield* releaseSlot(shop, input.orderId, ctx);
      yield* notify(shop, input.orderId, message(result));
      return result;
    },
  );
}

/** From the open app to a made drink, or the outcome that stopped it (a cancellation is thrown). */
async function* takeOrder(shop: Shop, orderId: string, ctx: Context) {
  yield* setStatus({ stage: "awaiting-order" });
  let order: { drink: Drink };
  try {
    order = yield* ctx.waitForEvent("submitted", { timeout: SUBMIT_TIMEOUT });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    ctx.log.info(`no order within ${SUBMIT_TIMEOUT}: abandoned`);
    return { status: "abandoned" as const };
  }
  const orderNumber = yield* step("assign-order-number", () => shop.assignOrderNumber(orderId));
  ctx.log.info(`order #${orderNumber}: ${order.drink}, on the barista board`);
  const served = { orderNumber, drink: order.drink };

  // One 15-minute budget for accepting and making: the second wait gets what the first left over.
  const deadline = (yield* now()).getTime() + BARISTA_TIMEOUT_MS;
  try {
    yield* setStatus({ stage: "awaiting-barista", orderNumber });
    const { barista } = yield* callback<{ barista: string }>(
      "barista-accepts",
      (token) => shop.postTicket({ orderId, orderNumber, drink: order.drink, token }),
      { timeout: BARISTA_TIMEOUT_MS },
    );
    ctx.log.info(`#${orderNumber} accepted by ${barista}`);
    yield* setStatus({ stage: "being-made", orderNumber, barista });
    const left = deadline - (yield* now()).getTime();
    yield* callback(
      "drink-made",
      (token) => shop.startMaking({ orderId, orderNumber, drink: order.drink, barista, token }),
      { timeout: left },
    );
    ctx.log.info(`#${orderNumber} ${order.drink} is ready`);
    return { status: "served" as const, ...served, barista };
  } catch (error) {
    if (error instanceof TimeoutError) {
      ctx.log.info(`#${orderNumber} not ready within 15m: timed out`);
      return { status: "timed-out" as const, ...served };
    }
    // A barista turning the ticket down fails the callback with an OrderRejected error.
    if (error instanceof Error && error.name === "OrderRejected") {
      ctx.log.info(`#${orderNumber} rejected: ${error.message}`);
      return { status: "rejected" as const, ...served, reason: error.message };
    }
    throw error;
  }
}

function releaseSlot(shop: Shop, orderId: string, ctx: Context) {
  return step("release-slot", () => {
    const { slotsLeft } = shop.release(orderId);
    ctx.log.info(`slot released (${slotsLeft} free)`);
    return { slotsLeft };
  });
}

function notify(shop: Shop, orderId: string, text: string) {
  return step("notify-customer", () => shop.notify(orderId, text));
}

function message(result: Taken): string {
  switch (result.status) {
    case "served":
      return `#${result.orderNumber} ${result.drink} is ready at the counter`;
    case "abandoned":
      return "order expired: nothing was submitted within 5 minutes";
    case "timed-out":
      return `sorry, #${result.orderNumber} took too long; it is on us next time`;
    case "rejected":
      return `sorry, #${result.orderNumber} cannot be made: ${result.reason}`;
  }
}
