// The replayer's view of an execution's unread inbox: items by type and name, in arrival order, and the first
// cancellation. Items are found by their type as well as their name, so no user event (whatever its name, say
// "child:x" or "callback:<token>") can stand in for a child's outcome or a callback's completion. An item can be taken
// only once the recorded time has reached its arrival: what arrived later has not happened yet.
import type { InboxItem } from "./decision.js";

/** Shared by views whose turn brought no inbox items; never written to. */
const NO_ITEMS: Map<string, InboxItem[]> = new Map();

/** Unread inbox items, by name. */
export class InboxView {
  /** The first unread cancellation, if any. */
  cancel: InboxItem | undefined;
  /** Unread items by name; the shared empty map until a turn brings items (most turns bring none). */
  private byName: Map<string, InboxItem[]> = NO_ITEMS;

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
      if (queue) queue.push(item);
      else this.byName.set(key, [item]);
    }
  }

  /** The first unread item of this type and name. */
  head(type: InboxItem["type"], name: string): InboxItem | undefined {
    return this.byName.get(keyOf(type, name))?.[0];
  }

  /** Takes the first unread item of this type and name if it had arrived by `now`. */
  take(type: InboxItem["type"], name: string, now: number): InboxItem | undefined {
    const queue = this.byName.get(keyOf(type, name));
    const head = queue?.[0];
    if (!head || head.at > now) return undefined;
    queue!.shift();
    return head;
  }

  /** Puts an item taken but never used back at the front of its queue. */
  putBack(item: InboxItem): void {
    if (this.byName === NO_ITEMS) this.byName = new Map();
    const key = keyOf(item.type, item.name);
    const queue = this.byName.get(key);
    if (queue) queue.unshift(item);
    else this.byName.set(key, [item]);
  }
}

/** Where items of a type and name are kept: the type is part of the key. */
function keyOf(type: InboxItem["type"], name: string): string {
  return type === "event" ? name : `\u0000${type}\u0000${name}`;
}
