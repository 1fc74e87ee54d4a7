// What can happen next to a waiting workflow, in recorded-time order: a timer or deadline falling due, an inbox item
// arriving (OccurrenceQueue), a step attempt settling (SettledQueue, in the order they settled). The
// interpreter takes them one at a time, earliest first, so a turn that runs late resolves every wait and race as if
// it had run on time. Ties go to the earlier position in the workflow.
import type { Fiber } from "./fibers.js";
import type { Position } from "./position.js";

/** Something that happens at `at`, to the operation at `position`. */
export interface Occurrence {
  readonly at: number;
  readonly position: Position;
}

/**
 * A binary min-heap of occurrences, ordered by time, then by position (operation ids compared segment by segment:
 * "2" < "10", "3.0.4" < "3.1"). Entries are not removed when they go stale; the reader skips them.
 */
export class OccurrenceQueue<T extends Occurrence> {
  private readonly heap: T[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(occurrence: T): void {
    const heap = this.heap;
    heap.push(occurrence);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  peek(): T | undefined {
    return this.heap[0];
  }

  pop(): T | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && earlier(heap[left]!, heap[least]!)) least = left;
      if (right < heap.length && earlier(heap[right]!, heap[least]!)) least = right;
      if (least === i) break;
      [heap[i], heap[least]] = [heap[least]!, heap[i]!];
      i = least;
    }
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}

/** A waiting fiber to look at again at `at`; stale once the fiber waits anew, is woken or is dropped. */
export interface WaitWake extends Occurrence {
  readonly fiber: Fiber;
  readonly version: number;
}

/** Waiting fibers' next times, earliest first: an entry is skipped once it is stale. */
export class FiberWakes extends OccurrenceQueue<WaitWake> {
  /** The earliest entry that is still current (stale ones before it are dropped). */
  next(): WaitWake | undefined {
    for (let next = this.peek(); next; next = this.peek()) {
      const fiber = next.fiber;
      if (fiber.wait !== undefined && fiber.waitVersion === next.version && !fiber.dead) return next;
      this.pop();
    }
    return undefined;
  }

  /** Queues the next time something may happen to a waiting fiber: its own time or `arrival`, not before `now`. */
  schedule(fiber: Fiber, arrival: number | undefined, now: number): void {
    const until = fiber.wait!.until;
    const at = until === undefined ? arrival : arrival === undefined ? until : Math.min(until, arrival);
    if (at !== undefined) this.push({ at: Math.max(at, now), position: fiber.position!, fiber, version: fiber.waitVersion });
  }
}

/** Settled step attempts in the order they settled, so in time order; attempts no longer wanted are skipped. */
export class SettledQueue<T extends { readonly active: boolean }> {
  private readonly items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  /** The first attempt still wanted (a dropped branch's is not), if any. */
  peek(): T | undefined {
    const items = this.items;
    while (this.head < items.length && !items[this.head]!.active) this.head++;
    if (this.head < items.length) return items[this.head];
    if (items.length > 0) {
      while (items.length > 0) items.pop(); // in place (a sequential workflow empties it at each step); not by length
      this.head = 0;
    }
    return undefined;
  }

  /** Takes the attempt `peek` returned. */
  pop(): void {
    this.head++;
  }
}

/** True when `a` happens before `b`: earlier in time, or at the same time at an earlier position. */
export function earlier(a: Occurrence, b: Occurrence): boolean {
  if (a.at !== b.at) return a.at < b.at;
  return comparePositions(a.position.opId, b.position.opId) < 0;
}

/** Orders operation ids as the workflow reaches them: numerically, segment by segment ("2" < "10", "3" < "3.0"). */
export function comparePositions(a: string, b: string): number {
  if (a === b) return 0;
  const la = a.length;
  const lb = b.length;
  let i = 0;
  let j = 0;
  for (;;) {
    let x = 0;
    while (i < la && a.charCodeAt(i) !== DOT) x = x * 10 + a.charCodeAt(i++) - ZERO;
    let y = 0;
    while (j < lb && b.charCodeAt(j) !== DOT) y = y * 10 + b.charCodeAt(j++) - ZERO;
    if (x !== y) return x - y;
    const aDone = i >= la;
    const bDone = j >= lb;
    if (aDone || bDone) return aDone === bDone ? 0 : aDone ? -1 : 1;
    i++;
    j++;
  }
}

const DOT = 46;
const ZERO = 48;
