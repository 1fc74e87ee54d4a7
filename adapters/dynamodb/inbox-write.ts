// An inbox write (see DynamoDBStore.writeInbox): one transaction of the dedupe marker, the unread item, the record's
// counters and, while the record shows a lease, a marker at the run's next position (positions.ts), so a turn that
// writes steps without reading the record finds it at its next write. Without a lease, the record must still have none
// when the transaction commits; either way its run must not have moved.
import type { InboxItem, InboxWriteResult } from "spindle/store";
import { copyRecord, indexNumber } from "./codec.js";
import type { Item, Placement, RecordState } from "./codec.js";
import { decodeInboxItem } from "./inbox-items.js";
import type { Io, RecordCache } from "./io.js";
import { ConditionFailed, newToken } from "./io.js";
import { markerAction } from "./positions.js";
import { readItem } from "./reads.js";
import { inboxRecordUpdate } from "./turn-failures.js";
import { ATTR, dueShardKey, RECORD_SK, shardOf } from "./table.js";

const CLOSED = ["completed", "failed", "cancelled", "terminated"] as const;

/** What an inbox write needs from the store. */
export interface InboxDeps {
  io: Io;
  cache: RecordCache;
  placement: Placement;
  readRecord(id: string): Promise<RecordState | undefined>;
}

/**
 * One attempt, on the record as read (`state`, undefined when there is none).
 * @returns the outcome, or "again" when the run moved, a lease came or went, or a step took the marker's position.
 */
export async function inboxTransaction(
deps: InboxDeps,
id: string,
item: InboxItem,
marker: Item,
unread: Item,
state: RecordState | undefined,
): Promise<InboxWriteResult | "again"> {
  const fenced = state?.record.lease !== undefined;
  const writer = newToken();
  const names: Record<string, string> = {
    "#seq": "inboxSeq",
    "#rev": "rev",
    "#unread": "unread",
    "#shard": ATTR.dueShard,
    "#due": ATTR.dueAt,
    "#status": "status",
  };
  const values: Record<string, unknown> = {
    ":one": 1,
    ":shard": dueShardKey(shardOf(id, deps.placement.dueShards)),
    ":due": indexNumber(item.at),
    ":c0": CLOSED[0],
    ":c1": CLOSED[1],
    ":c2": CLOSED[2],
    ":c3": CLOSED[3],
  };
  let condition = "attribute_exists(pk) AND NOT (#status IN (:c0, :c1, :c2, :c3))";
  if (state) {
    condition += " AND #runs = :runs";
    names["#runs"] = "runs";
    values[":runs"] = state.record.runs;
    if (!fenced) {
      condition += " AND attribute_not_exists(#lease)";
      names["#lease"] = "leaseOwner";
    }
  }
  const { update, guard } = inboxRecordUpdate(state?.record.status === "stuck", names, values);
  condition += guard;
  try {
    await deps.io.transact("inbox write", id, [
      deps.io.put(marker, { expression: "attribute_not_exists(pk)" }),
      deps.io.put(unread, { expression: "attribute_not_exists(pk)" }),
      {
        Update: {
          TableName: deps.io.table,
          Key: { [ATTR.pk]: id, [ATTR.sk]: RECORD_SK },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        },
      },
      ...(state && fenced ? [markerAction(deps.io, id, state.record.runs, state.record.version + 1, writer)] : []),
    ], writer);
  } catch (error) {
    if (!(error instanceof ConditionFailed)) throw error;
    const recordFailed = error.failed(2);
    const old = error.reasons[2]?.item;
    if (recordFailed && !old) return { status: "not-found" };
    if (error.failed(0)) {
      const existing = error.reasons[0]?.item ?? (await readItem(deps.io, id, String(marker[ATTR.sk])));
      if (existing && existing.id !== item.id) return { status: "duplicate", existing: decodeInboxItem(existing) };
      if (existing) return { status: "written" }; // our own earlier attempt
    }
    if (error.failed(1) && !recordFailed) return { status: "written" };
    if (recordFailed && CLOSED.includes(old!.status as (typeof CLOSED)[number])) {
      const current = await deps.readRecord(id);
      return current ? { status: "closed", record: copyRecord(current.record) } : { status: "not-found" };
    }
    // The run moved, a lease came or went, or a step took the marker's position: read the record again.
    if (recordFailed || error.failed(3)) return "again";
    throw error;
  }
  deps.cache.invalidate(id);
  return { status: "written" };
}
