// Bounding the turns a process runs at once, and how many of them start within one pass of the event loop.
//
// Turns that never wait for I/O (MemoryStore, steps that return at once) gain nothing from running side by side: they
// only take turns on the microtask queue, so each one's state lives as long as all of them take, and thousands started
// together fill the young heap with it. So past EAGER_TURNS running, more turns start only once the event loop has
// come round (setImmediate): turns that wait for I/O (DynamoDB, a step's fetch) let it come round at once, and the
// process still reaches the full bound; turns that keep the CPU busy hold it at EAGER_TURNS until they end.
import { setImmediate } from "node:timers";

/** Turns that may run at once without the event loop coming round; more start one batch per pass of the loop. */
export const EAGER_TURNS = 16;

/**
 * A counting semaphore over queued items, first come first served (a head index, so a long queue costs O(1) per
 * start). An item waits as itself: no promise or closure per waiting item, since thousands may wait at once.
 */
export class TurnSlots<T> {
  private free: number;
  private readonly queue: (T | undefined)[] = [];
  private head = 0;
  /** Turns started since the event loop last came round. */
  private startedThisPass = 0;
  private passArmed = false;

  /** `start` is called with each item once it holds a slot; the item gives it back with `release`. */
  constructor(
    private readonly size: number,
    private readonly start: (item: T) => void,
  ) {
    this.free = size;
  }

  /** Starts the item now if it may (see the file's header), else after the items queued before it. */
  enter(item: T): void {
    if (this.head === this.queue.length && this.mayStart()) {
      this.take(item);
      return;
    }
    this.queue.push(item);
    if (this.free > 0) this.armPass();
  }

  /** Gives a slot back and starts what may start now. */
  release(): void {
    this.free++;
    this.startQueued();
  }

  private mayStart(): boolean {
    return this.free > 0 && (this.size - this.free < EAGER_TURNS || this.startedThisPass < EAGER_TURNS);
  }

  private startQueued(): void {
    while (this.head < this.queue.length && this.mayStart()) {
      const next = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.take(next);
    }
    if (this.head < this.queue.length && this.free > 0) this.armPass();
  }

  private take(item: T): void {
    this.free--;
    this.startedThisPass++;
    this.start(item);
  }

  /** Starts another batch once the event loop has come round (a free slot waits only for that). */
  private armPass(): void {
    if (this.passArmed) return;
    this.passArmed = true;
    setImmediate(() => {
      this.passArmed = false;
      this.startedThisPass = 0;
      this.startQueued();
    });
  }
}
