// An order as a saga: reserve the inventory, charge the card, book the shipping. Each completed stage adds its
// compensation (release, refund); when a later stage fails for good, or the order is cancelled, the compensations
// run in reverse order as durable steps. It also shows the two kinds of failure: a TerminalError (out of stock,
// card declined) stops at the first attempt, while a plain error (gateway or carrier down) is retried with backoff
// until the attempts run out.
// Outside this repository, import from "spindle" instead of "../../src/index.js".
import { z } from "zod";
import { CancelledError, saga, step, StepFailedError, TerminalError, workflow } from "../../src/index.js";
import type { Commerce } from "./commerce.js";

export { Commerce, createCommerce, DECLINED_CARD, ServiceUnavailableError } from "./commerce.js";
export type { CommerceOptions, Item } from "./commerce.js";

const input = z.object({
  orderId: z.string(),
  items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).min(1),
  amount: z.number().positive(),
  card: z.string(),
  country: z.string().length(2),
});

const outcome = z.discriminatedUnion("status", [
  z.object({ status: z.literal("confirmed"), chargeId: z.string(), tracking: z.string() }),
  z.object({
    status: z.literal("failed"),
    failedStep: z.string(),
    attempts: z.number(),
    kind: z.enum(["terminal", "retries exhausted"]),
    reason: z.string(),
    compensated: z.array(z.string()),
  }),
]);

export type OrderInput = z.input<typeof input>;
export type SagaOutcome = z.output<typeof outcome>;

/** The order saga, bound to its services (create both per engine). */
export function orderSagaWorkflow(commerce: Commerce) {
  return workflow("order-saga", { input, output: outcome }, async function* (order, ctx) {
    const compensations = saga();
    // Names of the compensations added so far, in the order they would run.
    const undo: string[] = [];
    try {
      const { holdId } = yield* step("reserve-inventory", () => commerce.reserve(order.orderId, order.items));
      compensations.add(step("release-inventory", () => commerce.release(holdId)));
      undo.unshift("release-inventory");
      ctx.log.info(`inventory held (${holdId})`);

      const { chargeId } = yield* step(
        "charge-card",
        ({ attempt, idempotencyKey }) => {
          try {
            return commerce.charge({ orderId: order.orderId, card: order.card, amount: order.amount, idempotencyKey });
          } catch (error) {
            ctx.log.info(`charge attempt ${attempt}: ${(error as Error).name}: ${(error as Error).message}`);
            throw error;
          }
        },
        { retry: { maxAttempts: 4, initialInterval: "2s" } },
      );
      compensations.add(step("refund-payment", () => commerce.refund(chargeId)));
      undo.unshift("refund-payment");
      ctx.log.info(`charged ${order.amount.toFixed(2)} EUR (${chargeId})`);

      const { tracking } = yield* step(
        "book-shipping",
        ({ attempt }) => {
          try {
            return commerce.book(order.orderId, order.country);
          } catch (error) {
            ctx.log.info(`shipping attempt ${attempt}: ${(error as Error).message}`);
            throw error;
          }
        },
        { retry: { maxAttempts: 3, initialInterval: "1m", maxInterval: "10m" } },
      );
      ctx.log.info(`shipping booked: ${tracking}`);
      return { status: "confirmed" as const, chargeId, tracking };
    } catch (error) {
      if (!(error instanceof StepFailedError) && !(error instanceof CancelledError)) throw error;
      if (undo.length > 0) ctx.log.info(`compensating: ${undo.join(", ")}`);
      yield* compensations.compensate();
      if (error instanceof CancelledError) throw error;
      const kind = error.cause instanceof TerminalError ? ("terminal" as const) : ("retries exhausted" as const);
      ctx.log.info(`failed at ${error.stepName} after ${error.attempts} attempt(s) (${kind}): ${error.cause.message}`);
      return {
        status: "failed" as const,
        failedStep: error.stepName,
        attempts: error.attempts,
        kind,
        reason: error.cause.message,
        compensated: undo,
      };
    }
  });
}
