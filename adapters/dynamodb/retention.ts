// Retention: a closed execution's items get their TTL (`expiresAt`) after the close, without transactions. The close
// itself (one transaction) stamps the record item and marks it `ttlPending` (the TTL the rest gets), and puts it in the
// due index a minute later. After the commit, the closing process reads the partition and re-puts every item that has
// no TTL yet with one (BatchWriteItem, 25 items a request: one write unit per KB instead of a transaction's two), then
// clears the mark and the due entry. If it dies in between, the mark stays: the due index hands the execution out,
// the engine's turn loads it, and the load finishes the stamps (so do `history()` and any other load). A previous
// run's events, when the execution continues as new, are stamped the same way; if that is interrupted, the close
// stamps them, since it stamps everything in the partition that has no TTL.
import { BatchWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Item, Placement, RecordState } from "./codec.js";
import { expiryOf, indexNumber, RECORD_GRACE_MS } from "./codec.js";
import type { Io } from "./io.js";
import { ATTR, dueShardKey, eventKey, RECORD_PART_PREFIX, RECORD_SK, shardOf } from "./table.js";

/** Attribute of the record item: the TTL (epoch s) its execution's other items still wait for. */
export const STAMPS_PENDING = "ttlPending";
/** How long after the close the due index hands out an execution whose stamps are still pending. */
export const STAMPS_DUE_MS = 60_000;

/** Marks a closing record item: stamps pending at `expiresAt`, due again a minute after `closedAt` until they are done. */
export function markStampsPending(item: Item, placement: Placement, expiresAt: number, closedAt: number): void {
  const id = String(item[ATTR.pk]);
  item[STAMPS_PENDING] = expiresAt;
  item[ATTR.dueShard] = dueShardKey(shardOf(id, placement.dueShards));
  item[ATTR.dueAt] = indexNumber(closedAt + STAMPS_DUE_MS);
}

/** Marks the record item of an append that closes the execution with retention on: its other items' stamps pend. */
export function markClosing(item: Item, prior: RecordState, next: RecordState, placement: Placement): void {
  const expiresAt = expiryOf(next.record, placement);
  if (expiresAt !== undefined && expiryOf(prior.record, placement) === undefined) markStampsPending(item, placement, expiresAt, next.record.updatedAt);
}

/** The TTL a record item says its execution's items still wait for, if any. */
export function pendingStamps(record: Item | undefined): number | undefined {
  const value = record?.[STAMPS_PENDING];
  return typeof value === "number" ? value : undefined;
}

/**
 * Stamps every item of the execution that has no TTL yet (the record's own large fields a day after the rest), then
 * clears the record's mark and due entry, unless the record changed since (`expiresAt` no longer pending).
 */
export async function finishStamps(io: Io, id: string, expiresAt: number): Promise<void> {
  const items = await io.queryAll("retention", id, {
    KeyConditionExpression: "pk = :id",
    ExpressionAttributeValues: { ":id": id },
    ConsistentRead: true,
  });
  const partExpiresAt = expiresAt + RECORD_GRACE_MS / 1000;
  const unstamped = items.filter((item) => item[ATTR.sk] !== RECORD_SK && item[ATTR.expiresAt] === undefined);
  await stamp(io, id, unstamped, (item) => (String(item[ATTR.sk]).startsWith(RECORD_PART_PREFIX) ? partExpiresAt : expiresAt));
  try {
    await io.retrier.run("retention", id, (signal) =>
      io.doc.send(
        new UpdateCommand({
          TableName: io.table,
          Key: { [ATTR.pk]: id, [ATTR.sk]: RECORD_SK },
          UpdateExpression: "REMOVE #pending, #shard, #due",
          ConditionExpression: "#pending = :at",
          ExpressionAttributeNames: { "#pending": STAMPS_PENDING, "#shard": ATTR.dueShard, "#due": ATTR.dueAt },
          ExpressionAttributeValues: { ":at": expiresAt },
        }),
        { abortSignal: signal },
      ),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== "ConditionalCheckFailedException") throw error;
  }
}

/** Stamps the events of a finished run (continue-as-new) that have no TTL yet. */
export async function stampRun(io: Io, id: string, run: number, expiresAt: number): Promise<void> {
  const items = await io.queryAll("retention", id, {
    KeyConditionExpression: "pk = :id AND sk BETWEEN :from AND :to",
    ExpressionAttributeValues: { ":id": id, ":from": eventKey(run, 0), ":to": eventKey(run, 9_999_999_999) },
    ConsistentRead: true,
  });
  await stamp(io, id, items.filter((item) => item[ATTR.expiresAt] === undefined), () => expiresAt);
}

/**
 * An execution reopened (engine.redrive of a failed run): its items other than previous runs' events are kept again
 * until it closes anew (re-put without their TTL).
 */
export async function unstamp(io: Io, id: string, run: number): Promise<void> {
  const items = await io.queryAll("retention", id, {
    KeyConditionExpression: "pk = :id",
    ExpressionAttributeValues: { ":id": id },
    ConsistentRead: true,
  });
  const current = eventKey(run, 0).slice(0, -10);
  const stamped = items.filter((item) => {
    const sk = String(item[ATTR.sk]);
    return item[ATTR.expiresAt] !== undefined && sk !== RECORD_SK && (!sk.startsWith("E#") || sk.startsWith(current));
  });
  await stamp(io, id, stamped, () => undefined);
}

/** Re-puts `items` with their TTL (none: without one), 25 a request; unprocessed ones again after a short backoff. */
async function stamp(io: Io, id: string, items: Item[], expiry: (item: Item) => number | undefined): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let requests: Record<string, unknown>[] = items.slice(i, i + 25).map((item) => {
      const stamped: Item = { ...item };
      const at = expiry(item);
      if (at === undefined) delete stamped[ATTR.expiresAt];
      else stamped[ATTR.expiresAt] = at;
      return { PutRequest: { Item: stamped } };
    });
    for (let round = 0; requests.length > 0; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** Math.min(round, 6)));
      const output = await io.retrier.run("retention", id, (signal) =>
        io.doc.send(new BatchWriteCommand({ RequestItems: { [io.table]: requests as never } }), { abortSignal: signal }),
      );
      requests = (output.UnprocessedItems?.[io.table] ?? []) as Record<string, unknown>[];
    }
  }
}
