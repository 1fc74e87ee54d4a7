// The positions of a run (`E#<run>#<seq>`) and what may stand at them besides events: markers, and a split write's
// leftovers. A step inside a turn that holds the lease is one conditional PutItem of its event at the next position,
// without rewriting the record (see step-put.ts). So the record's `version` may lag behind the run: the events after
// it, contiguous from `version + 1`, are the run's "tail", and every read adds them (`tailEnd`).
//
// What keeps a turn that writes this way from missing what other processes do is that it only ever writes to a free
// position. Whoever must reach a running turn at its next write (an inbox write while the record shows a lease, a
// lease taken over from another owner, an event-less append over another owner's lease) puts a marker at the run's
// next position, together with its own write: the turn's next put finds the position taken, and it falls back to an
// append that reads the record (and so the inbox counter, the lease, the status). Markers are not events: reads skip
// them, and the next append that has read the record writes its event over them. Items a failed split write left
// (`lk`, past the record's version) are replaced the same way.
import type { Item } from "./codec.js";
import type { Io, TransactAction } from "./io.js";
import { ATTR, eventKey, parseEventKey } from "./table.js";

/** Attribute of a marker item. */
export const MARKER_ATTR = "m";
/** Attribute of an event written by a split append (uncommitted while past the record's version). */
export const SPLIT_ATTR = "lk";

/** Condition of an event put that may replace a marker or a split write's leftovers, never an event. */
export const REPLACEABLE = {
  expression: "attribute_not_exists(#sk) OR attribute_exists(#m) OR attribute_exists(#lk)",
  names: { "#sk": ATTR.sk, "#m": MARKER_ATTR, "#lk": SPLIT_ATTR },
};

/** Whether the item at `seq` holds a committed event, given the record's stored version. */
export function isEvent(item: Item, seq: number, stored: number): boolean {
  if (item[MARKER_ATTR] !== undefined) return false;
  return item[SPLIT_ATTR] === undefined || seq <= stored;
}

/**
 * The run's version: `base` (the record's stored version, or a position known to hold an event), extended by the
 * events read after it, one position at a time. `ascending` holds what was read of the run, in order.
 */
export function tailEnd(base: number, stored: number, ascending: readonly { seq: number; item: Item }[]): number {
  let version = base;
  for (const { seq, item } of ascending) {
    if (seq <= version) continue;
    if (seq !== version + 1 || !isEvent(item, seq, stored)) break;
    version = seq;
  }
  return version;
}

/** A marker put at position `seq` of `run` (replacing a marker or leftovers, never an event). */
export function markerAction(io: Io, id: string, run: number, seq: number, writer: string): TransactAction {
  return io.put({ [ATTR.pk]: id, [ATTR.sk]: eventKey(run, seq), [MARKER_ATTR]: 1, w: writer }, REPLACEABLE);
}

/**
 * Whether the events `from + 1 .. to` of `run` are all stored (keys only): a load asked for events after a position
 * the record does not count yet, and this store has not seen the run get there.
 */
export async function holdsEvents(io: Io, id: string, run: number, from: number, to: number, stored: number): Promise<boolean> {
  if (to <= from) return true;
  const items = await io.queryAll("load", id, {
    KeyConditionExpression: "pk = :id AND sk BETWEEN :from AND :to",
    ExpressionAttributeValues: { ":id": id, ":from": eventKey(run, from + 1), ":to": eventKey(run, to) },
    ProjectionExpression: "#sk, #m, #lk",
    ExpressionAttributeNames: { "#sk": ATTR.sk, "#m": MARKER_ATTR, "#lk": SPLIT_ATTR },
    ConsistentRead: true,
  });
  const read = items.map((item) => ({ seq: parseEventKey(String(item[ATTR.sk]))!.seq, item }));
  return tailEnd(from, stored, read) >= to;
}
