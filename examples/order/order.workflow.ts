// The order workflow of the example: wait for payment (24 h at most), capture it with retries, hold the order for a
// one-hour cancellation window, then ship. A cancellation after the capture refunds the customer. The payment
// provider and the warehouse below are in-memory stand-ins for real services; in an application they would make
// HTTP calls. Outside this repository, import from "spindle" instead of "../../src/index.js".
import { z } from "zod";
import { CancelledError, now, setStatus, sleep, step, TimeoutError, uuid, workflow } from "../../src/index.js";

/** A transient provider failure: worth retrying. */
class ProviderUnavailableError extends Error {
  override name = "ProviderUnavailableError";
  readonly status = 503;
}

/**
 * A fake payment provider. It deduplicates by idempotency key, as real ones do, so a retried capture never charges
 * twice. It is unavailable exactly once, so the example shows a retry.
 */
export const payments = {
  outagesLeft: 1,
  captures: new Map<string, string>(),
  capture(request: { orderId: string; amount: number; idempotencyKey: string }): { captureId: string } {
    if (this.outagesLeft > 0) {
      this.outagesLeft--;
      throw new ProviderUnavailableError("provider unavailable (503)");
    }
    const existing = this.captures.get(request.idempotencyKey);
    if (existing) return { captureId: existing };
    const captureId = `cap_${this.captures.size + 1}`;
    this.captures.set(request.idempotencyKey, captureId);
    return { captureId };
  },
  refund(request: { captureId: string; idempotencyKey: string }): { refundId: string } {
    return { refundId: `re_${request.captureId.slice(4)}` };
  },
};

/** A fake warehouse. */
export const warehouse = {
  shipped: 0,
  ship(orderId: string): { tracking: string } {
    this.shipped++;
    return { tracking: `TRK-${orderId.toUpperCase()}-${this.shipped}` };
  },
};

const orderResult = z.object({
  orderNumber: z.string(),
  status: z.enum(["shipped", "expired"]),
  receivedAt: z.string(),
  tracking: z.string().optional(),
});

/** What a finished order returns. */
export type OrderResult = z.output<typeof orderResult>;

/**
 * An order: paid within 24 hours or expired; captured with retries; shipped after a one-hour cancellation window,
 * or refunded when cancelled in it.
 */
export const order = workflow(
  "order",
  {
    input: z.object({ orderId: z.string(), amount: z.number().positive() }),
    output: orderResult,
    // Checked by engine.sendEvent; ctx.waitForEvent("paid") is typed from it.
    events: { paid: z.object({ ref: z.string() }) },
  },
  async function* (input, ctx) {
    // Recorded values: the same on every replay, unlike Date.now() or crypto.randomUUID().
    const receivedAt = (yield* now()).toISOString();
    const orderNumber = (yield* uuid()).slice(0, 8);
    ctx.log.info(`order ${orderNumber} received: ${input.amount.toFixed(2)} EUR, waiting for payment`);

    yield* setStatus({ stage: "awaiting-payment" });
    let paid: { ref: string };
    try {
      paid = yield* ctx.waitForEvent("paid", { timeout: "24h" });
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      ctx.log.info("no payment within 24h: the order expires");
      return { orderNumber, status: "expired" as const, receivedAt };
    }
    ctx.log.info(`payment ${paid.ref} confirmed`);

    const { captureId } = yield* step(
      "capture-payment",
      ({ attempt, idempotencyKey }) => {
        ctx.log.info(`capturing ${input.amount.toFixed(2)} EUR, attempt ${attempt}`);
        try {
          return payments.capture({ orderId: input.orderId, amount: input.amount, idempotencyKey });
        } catch (error) {
          ctx.log.info(`attempt ${attempt} failed: ${(error as Error).message}`);
          throw error;
        }
      },
      { retry: { maxAttempts: 3, initialInterval: "30s" }, timeout: "10s" },
    );
    ctx.log.info(`captured as ${captureId}`);

    try {
      yield* setStatus({ stage: "cancellation-window" });
      yield* sleep("cancellation-window", "1h");
      const { tracking } = yield* step("ship", () => warehouse.ship(input.orderId));
      yield* setStatus({ stage: "shipped", tracking });
      ctx.log.info(`shipped, tracking ${tracking}`);
      return { orderNumber, status: "shipped" as const, receivedAt, tracking };
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
      // Compensation: the money was taken, so give it back, then end as cancelled.
      ctx.log.info(`cancelled (${error.reason ?? "no reason given"}): refunding ${captureId}`);
      const { refundId } = yield* step("refund", ({ idempotencyKey }) => payments.refund({ captureId, idempotencyKey }));
      ctx.log.info(`refunded as ${refundId}`);
      throw error;
    }
  },
);
