// The replayer's view of an execution's unread inbox: items by name, in arrival order, and the first cancellation.
// An item can be taken only once the recorded time has reached its arrival: what arrived later has not happened yet.
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
      const queue = this.byName.get(item.name);
      if (queue) queue.push(item);
      else this.byName.set(item.name, [item]);
    }
  }

  /** The first unread item of this name. */
  head(name: string): InboxItem | undefined {
    return this.byName.get(name)?.[0];
  }

  /** Takes the first unread item of this name if it had arrived by `now`. */
  take(name: string, now: number): InboxItem | undefined {
    const queue = this.byName.get(name);
    const head = queue?.[0];
    if (!head || head.at > now) return undefined;
    queue!.shift();
    return head;
  }

  /** Puts an item taken but never used back at the front of its queue. */
  putBack(item: InboxItem): void {
    if (this.byName === NO_ITEMS) this.byName = new Map();
    const queue = this.byName.get(item.name);
    if (queue) queue.unshift(item);
    else this.byName.set(item.name, [item]);
  }
}
