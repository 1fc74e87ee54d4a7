// The three services an order saga calls, in memory: inventory (holds stock), payments (charges and refunds cards,
// with a gateway that has outages) and shipping (books carriers, some destinations unreachable). Each failure is of
// one of two kinds, and says so: a TerminalError (out of stock, card declined: retrying cannot help) or a plain
// error (gateway or carrier down: worth retrying). Every call is idempotent by the key the step passes.
import { TerminalError } from "../../src/index.js";

export interface Item {
  sku: string;
  quantity: number;
}

export interface CommerceOptions {
  /** Units in stock by SKU. */
  stock?: Record<string, number>;
  /** Order id -> how many charge attempts hit a gateway outage before one gets through. */
  gatewayOutages?: Record<string, number>;
  /** Countries no carrier can currently reach (the carrier API answers 503 every time). */
  unreachable?: string[];
}

/** A service that is down for now: retrying may help. */
export class ServiceUnavailableError extends Error {
  override name = "ServiceUnavailableError";
}

/** Cards the payment provider always declines. */
export const DECLINED_CARD = "4000 0000 0000 0002";

export class Commerce {
  readonly stock: Map<string, number>;
  /** Charges not refunded, by charge id. */
  readonly charges = new Map<string, { orderId: string; amount: number }>();
  readonly refunds: string[] = [];
  readonly shipments = new Map<string, string>();
  /** Charge attempts by order id. */
  readonly chargeAttempts = new Map<string, number>();
  private readonly holds = new Map<string, Item[]>();
  private readonly outages: Record<string, number>;
  private readonly unreachable: Set<string>;

  constructor(options: CommerceOptions) {
    this.stock = new Map(Object.entries(options.stock ?? { "beans-1kg": 50, grinder: 5, "espresso-machine": 0 }));
    this.outages = options.gatewayOutages ?? {};
    this.unreachable = new Set(options.unreachable ?? ["AQ"]);
  }

  /** Holds the items; all or nothing. */
  reserve(orderId: string, items: readonly Item[]): { holdId: string } {
    const holdId = `hold-${orderId}`;
    if (this.holds.has(holdId)) return { holdId };
    const short = items.find((item) => (this.stock.get(item.sku) ?? 0) < item.quantity);
    if (short) throw new TerminalError(`out of stock: ${short.sku}`);
    for (const item of items) this.stock.set(item.sku, this.stock.get(item.sku)! - item.quantity);
    this.holds.set(holdId, [...items]);
    return { holdId };
  }

  release(holdId: string): void {
    for (const item of this.holds.get(holdId) ?? []) this.stock.set(item.sku, this.stock.get(item.sku)! + item.quantity);
    this.holds.delete(holdId);
  }

  charge(request: { orderId: string; card: string; amount: number; idempotencyKey: string }): { chargeId: string } {
    const attempts = (this.chargeAttempts.get(request.orderId) ?? 0) + 1;
    this.chargeAttempts.set(request.orderId, attempts);
    if (attempts <= (this.outages[request.orderId] ?? 0)) throw new ServiceUnavailableError("payment gateway 503");
    if (request.card === DECLINED_CARD) throw new TerminalError("card declined");
    const chargeId = `ch-${request.idempotencyKey.split(":")[0]}`;
    this.charges.set(chargeId, { orderId: request.orderId, amount: request.amount });
    return { chargeId };
  }

  refund(chargeId: string): void {
    if (this.charges.delete(chargeId)) this.refunds.push(chargeId);
  }

  book(orderId: string, country: string): { tracking: string } {
    if (this.unreachable.has(country)) throw new ServiceUnavailableError(`no carrier reachable for ${country} (503)`);
    const tracking = `TRK-${orderId.toUpperCase()}`;
    this.shipments.set(orderId, tracking);
    return { tracking };
  }
}

export function createCommerce(options: CommerceOptions = {}): Commerce {
  return new Commerce(options);
}
