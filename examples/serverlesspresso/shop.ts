// The coffee shop the serverlesspresso workflow talks to: an in-memory stand-in for the shop's backend (opening
// state, a capacity shared by every order in flight, order numbers, the baristas' board, customer notifications).
// Every method a step calls is idempotent by order id, as a real backend behind retried steps must be. Observers
// (the example's simulated baristas, a test) subscribe to what the shop publishes.

/** The menu, and how long each drink takes a barista. */
export const MENU = {
  espresso: 2,
  cappuccino: 3,
  latte: 4,
  "oat flat white": 3,
  "pumpkin spice latte": 18,
} as const satisfies Record<string, number>;

/** A drink on the menu. */
export type Drink = keyof typeof MENU;

/** What the shop publishes: a new ticket on the barista board, a drink being made, a message to a customer. */
export type ShopEvent =
  | { type: "ticket-posted"; orderId: string; orderNumber: number; drink: Drink; token: string }
  | { type: "making-started"; orderId: string; orderNumber: number; drink: Drink; barista: string; token: string }
  | { type: "customer-notified"; orderId: string; message: string };

/** The shop's backend. Create one per simulation or test with `createShop`. */
export class Shop {
  readonly capacity: number;
  /** The most orders that were ever in flight at once: never more than `capacity`. */
  peakInFlight = 0;
  /** Every message sent to a customer, in order. */
  readonly notifications: { orderId: string; message: string }[] = [];
  private isOpen = false;
  private readonly inFlight = new Set<string>();
  private readonly orderNumbers = new Map<string, number>();
  private readonly observers: ((event: ShopEvent) => void)[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Opens or closes the shop to new orders (orders in flight carry on). */
  setOpen(open: boolean): void {
    this.isOpen = open;
  }

  /** Calls `observer` with everything the shop publishes from now on. */
  subscribe(observer: (event: ShopEvent) => void): void {
    this.observers.push(observer);
  }

  /** Orders currently holding a slot. */
  get ordersInFlight(): number {
    return this.inFlight.size;
  }

  status(): { open: boolean; slotsLeft: number } {
    return { open: this.isOpen, slotsLeft: this.capacity - this.inFlight.size };
  }

  /** Takes a slot for the order, if one is free. Asking again for an order that holds one answers yes. */
  reserve(orderId: string): { reserved: boolean; slotsLeft: number } {
    if (!this.inFlight.has(orderId)) {
      if (this.inFlight.size >= this.capacity) return { reserved: false, slotsLeft: 0 };
      this.inFlight.add(orderId);
      this.peakInFlight = Math.max(this.peakInFlight, this.inFlight.size);
    }
    return { reserved: true, slotsLeft: this.capacity - this.inFlight.size };
  }

  /** Gives the order's slot back; releasing twice is harmless. */
  release(orderId: string): { slotsLeft: number } {
    this.inFlight.delete(orderId);
    return { slotsLeft: this.capacity - this.inFlight.size };
  }

  /** The next order number, the same one again for an order that already has one. */
  assignOrderNumber(orderId: string): number {
    const existing = this.orderNumbers.get(orderId);
    if (existing !== undefined) return existing;
    const orderNumber = this.orderNumbers.size + 1;
    this.orderNumbers.set(orderId, orderNumber);
    return orderNumber;
  }

  /** Puts the order on the barista board with the token a barista completes to accept it. */
  postTicket(ticket: { orderId: string; orderNumber: number; drink: Drink; token: string }): void {
    this.publish({ type: "ticket-posted", ...ticket });
  }

  /** Hands the accepting barista the token to complete once the drink is made. */
  startMaking(job: { orderId: string; orderNumber: number; drink: Drink; barista: string; token: string }): void {
    this.publish({ type: "making-started", ...job });
  }

  notify(orderId: string, message: string): void {
    this.notifications.push({ orderId, message });
    this.publish({ type: "customer-notified", orderId, message });
  }

  private publish(event: ShopEvent): void {
    for (const observer of this.observers) observer(event);
  }
}

/** A closed shop with `capacity` slots for orders in flight. */
export function createShop(options: { capacity: number }): Shop {
  return new Shop(options.capacity);
}
