// The two index reads: due executions (every shard of the "due" GSI, merged oldest first) and listings (the "list"
// GSI per workflow, status and shard, merged newest first, then the records themselves read strongly consistent).
// GSI reads are eventually consistent: a just-changed execution may show up once too often or too late, which the
// engine tolerates (resuming an execution that is not due changes nothing).
import type { ListQuery } from "spindle";
import { ValidationError } from "spindle";
import type { ListPage } from "spindle/store";
import { EXECUTION_STATUSES } from "spindle/store";
import type { Io } from "./io.js";
import { readRecords } from "./reads.js";
import { ATTR, CATALOG_PK, CATALOG_PREFIX, DUE_INDEX, dueShardKey, LIST_INDEX, listPartitionKey } from "./table.js";

/** Index queries in flight at once for one call. */
const PARALLEL_QUERIES = 16;

/** Ids of executions due at `now` across `shards` shards, oldest first. */
export async function listDue(io: Io, shards: number, now: number, limit: number): Promise<string[]> {
  if (!(limit >= 1)) return [];
  limit = Math.floor(limit);
  const perShard = await inParallel(
    Array.from({ length: shards }, (_, shard) => shard),
    async (shard) => {
      const found: { id: string; at: number }[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await io.queryPage("listDue", undefined, {
          IndexName: DUE_INDEX,
          KeyConditionExpression: "#shard = :shard AND #due <= :now",
          ExpressionAttributeNames: { "#shard": ATTR.dueShard, "#due": ATTR.dueAt },
          ExpressionAttributeValues: { ":shard": dueShardKey(shard), ":now": now },
          ...(limit === Infinity ? {} : { Limit: limit }),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        });
        for (const item of page.items) found.push({ id: String(item[ATTR.pk]), at: Number(item[ATTR.dueAt]) });
        startKey = page.lastKey;
      } while (startKey && found.length < limit);
      return found;
    },
  );
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const { id } of perShard.flat().sort((a, b) => a.at - b.at)) {
    if (ids.length >= limit) break;
    if (!seen.has(id)) {
      seen.add(id);
      ids.push(id);
    }
  }
  return ids;
}

/** A page of executions by workflow and status, newest first; the cursor is the last list-index key returned. */
export async function listExecutions(io: Io, listShards: number, query: ListQuery): Promise<ListPage> {
  const statuses = query.status === undefined ? EXECUTION_STATUSES : [query.status].flat();
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const workflows = query.workflow !== undefined ? [query.workflow] : await catalogued(io);
  const limit = Math.max(1, Math.floor(query.limit ?? 100));
  const partitions: string[] = [];
  for (const workflow of workflows) {
    for (const status of statuses) {
      for (let shard = 0; shard < listShards; shard++) partitions.push(listPartitionKey(workflow, status, shard));
    }
  }
  let more = false;
  const found = await inParallel(partitions, async (partition) => {
    const page = await io.queryPage("list", undefined, {
      IndexName: LIST_INDEX,
      KeyConditionExpression: after === undefined ? "#pk = :pk" : "#pk = :pk AND #sk < :after",
      ExpressionAttributeNames: { "#pk": ATTR.listPk, ...(after === undefined ? {} : { "#sk": ATTR.listSk }) },
      ExpressionAttributeValues: { ":pk": partition, ...(after === undefined ? {} : { ":after": after }) },
      ScanIndexForward: false,
      Limit: limit,
    });
    if (page.lastKey) more = true;
    return page.items.map((item) => ({ id: String(item[ATTR.pk]), key: String(item[ATTR.listSk]) }));
  });
  const candidates = found.flat().sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  if (candidates.length > limit) more = true;
  const taken = candidates.slice(0, limit);
  const wanted = new Set<string>(statuses);
  // The index may lag the records: keep only those that still match.
  const records = (await readRecords(io, taken.map((candidate) => candidate.id))).filter(
    (record) => wanted.has(record.status) && (query.workflow === undefined || record.workflow === query.workflow),
  );
  const page: ListPage = { records };
  if (more && taken.length > 0) page.cursor = Buffer.from(taken[taken.length - 1]!.key, "utf8").toString("base64url");
  return page;
}

/**
 * The list-index sort key a cursor holds (base64url of `<createdAt, 15 digits>#<id>`).
 * @throws ValidationError for a cursor this store did not make: a mistyped one would otherwise list from the start.
 */
function decodeCursor(cursor: unknown): string {
  if (typeof cursor === "string" && cursor !== "") {
    const key = Buffer.from(cursor, "base64url").toString("utf8");
    // Base64url decoding skips what it cannot read: only the exact encoding of a sort key is a cursor.
    if (/^\d{15}#./su.test(key) && Buffer.from(key, "utf8").toString("base64url") === cursor) return key;
  }
  const shown = typeof cursor === "string" ? JSON.stringify(cursor.length > 80 ? `${cursor.slice(0, 80)}…` : cursor) : `of type ${typeof cursor}`;
  throw new ValidationError(
    `list: the cursor ${shown} is not one this store made. Pass the \`cursor\` of a page this store returned ` +
      `(unchanged), or none for the first page.`,
    { operation: "list" },
  );
}

/** Every workflow name the catalog holds (written once per store instance and workflow, at create). */
async function catalogued(io: Io): Promise<string[]> {
  const items = await io.queryAll("list", undefined, {
    KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
    ExpressionAttributeValues: { ":pk": CATALOG_PK, ":prefix": CATALOG_PREFIX },
    ConsistentRead: true,
  });
  return items.map((item) => String(item[ATTR.sk]).slice(CATALOG_PREFIX.length));
}

/** Maps `items` through `fn`, at most PARALLEL_QUERIES at a time, results in order. */
async function inParallel<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_QUERIES, items.length) }, worker));
  return results;
}
