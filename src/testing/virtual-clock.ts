// A virtual clock for tests: time stands still until the test engine moves it, and timers fire in time order.
// No global fake timers: the engine is simply given this clock.
import type { Clock } from "../engine/clock.js";

interface Timer {
  at: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A Clock whose time moves only when told to.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock(Date.parse("2026-01-01T00:00:00Z"));
 * clock.setTimer(clock.now() + 1000, () => console.log("fired"));
 * clock.fireNext(); // moves to the timer's time and fires it
 * ```
 */
export class VirtualClock implements Clock {
  private current: number;
  private readonly heap: Timer[] = [];
  private order = 0;

  constructor(start = Date.parse("2026-01-01T00:00:00.000Z")) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(at: number, callback: () => void): () => void {
    const timer: Timer = { at, order: this.order++, callback, cancelled: false };
    this.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Time of the earliest pending timer, if any. */
  nextTimerAt(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Moves time to the earliest timer (never backwards) and fires it. False when no timer is pending. */
  fireNext(): boolean {
    this.dropCancelled();
    const timer = this.pop();
    if (!timer) return false;
    this.current = Math.max(this.current, timer.at);
    timer.callback();
    return true;
  }

  /** Moves time forward without firing anything (timers due by then fire on the next `fireNext`). */
  set(time: number): void {
    this.current = Math.max(this.current, time);
  }

  private dropCancelled(): void {
    while (this.heap[0]?.cancelled) this.pop();
  }

  private before(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && this.before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && this.before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}
