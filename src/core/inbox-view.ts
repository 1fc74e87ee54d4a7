// The replayer's view of an execution's unread inbox: items by type and name, in arrival order, and the first
// cancellation. Items are found by their type as well as their name, so no user event (whatever its name, say
// "child:x" or "callback:<token>") can stand in for a child's outcome or a callback's completion. An item can be taken
// only once the recorded time has reached its arrival: what arrived later has not happened yet.
import type { InboxItem } from "./decision.js";

/** Unread items of one type and name, in arrival order, from `head` on (taking one is O(1), however many wait). */
interface Queue {
  items: InboxItem[];
  head: number;
}

/** Shared by views whose turn brought no inbox items; never written to. */
const NO_ITEMS: Map<string, Queue> = new Map();

/** Unread inbox items, by name. */
export class InboxView {
  /** The first unread cancellation, if any. */
  cancel: InboxItem | undefined;
  /** Unread items by name; the shared empty map until a turn brings items (most turns bring none). */
  private byName: Map<string, Queue> = NO_ITEMS;

  /** Replaces the view (items in arrival order); items the history consumed are left out. */
  set(items: readonly InboxItem[], consumed: ReadonlySet<string>): void {
    this.byName = items.length === 0 ? NO_ITEMS : new Map();
    this.cancel = undefined;
    for (const item of items) {
      if (consumed.has(item.id)) continue;
      if (item.type === "cancel") {
        this.cancel ??= item;
        continue;
      }
      const key = keyOf(item.type, item.name);
      const queue = this.byName.get(key);
      if (queue) queue.items.push(item);
      else this.byName.set(key, { items: [item], head: 0 });
    }
  }

  /** The first unread item of this type and name. */
  head(type: InboxItem["type"], name: string): InboxItem | undefined {
    const queue = this.byName.get(keyOf(type, name));
    return queue?.items[queue.head];
  }

  /** Takes the first unread item of this type and name if it had arrived by `now` (and before `before`, if given). */
  take(type: InboxItem["type"], name: string, now: number, before?: number): InboxItem | undefined {
    const queue = this.byName.get(keyOf(type, name));
    const head = queue?.items[queue.head];
    if (!head || head.at > now || (before !== undefined && head.at >= before)) return undefined;
    queue!.head++;
    return head;
  }

  /** Puts an item taken but never used back at the front of its queue. */
  putBack(item: InboxItem): void {
    if (this.byName === NO_ITEMS) this.byName = new Map();
    const key = keyOf(item.type, item.name);
    const queue = this.byName.get(key);
    if (!queue) this.byName.set(key, { items: [item], head: 0 });
    else if (queue.head > 0) queue.items[--queue.head] = item;
    else queue.items.unshift(item);
  }
}

/**
 * Where items of a type and name are kept: the type leads every key, up to the first NUL (a type never holds one), so
 * no user event name, whatever characters it holds, can spell the key of a child result, a callback completion or a
 * cancellation.
 */
function keyOf(type: InboxItem["type"], name: string): string {
  return `${type}\u0000${name}`;
}
