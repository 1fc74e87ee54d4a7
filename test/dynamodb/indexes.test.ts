// The two GSIs: due wake-ups spread over shards (wake-up time reached, or unread inbox items), and listing by workflow
// and status across shards, newest first, page by page. Each test uses its own table, so the indexes hold only its
// executions.
import { QueryCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import type { ExecutionStatus } from "spindle";
import { DynamoDBStore } from "spindle/dynamodb";
import { execution, freshId, inboxItem, request, steps, update } from "./fixtures.js";
import { freshTable, makeClient } from "./helpers.js";

const client = makeClient();
afterAll(() => client.destroy());

async function shardsUsed(tableName: string, ids: string[]): Promise<Set<string>> {
  const raw = DynamoDBDocumentClient.from(client);
  const shards = new Set<string>();
  for (const id of ids) {
    const page = await raw.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :id AND sk = :r",
        ExpressionAttributeValues: { ":id": id, ":r": "R" },
        ConsistentRead: true,
      }),
    );
    const shard = page.Items?.[0]?.dueShard;
    if (typeof shard === "string") shards.add(shard);
  }
  return shards;
}

describe("due wake-ups across shards", () => {
  it("lists exactly the open executions whose wake-up time has come or whose inbox is unread, oldest first", async () => {
    const tableName = await freshTable("due");
    const store = new DynamoDBStore({ client, tableName, dueShards: 8 });
    const base = 1_900_000_000_000;
    const due: string[] = [];
    const notDue: string[] = [];
    for (let i = 0; i < 40; i++) {
      const id = freshId(`due-${i}`);
      await store.create(execution(id, { at: base }));
      const kind = i % 4;
      if (kind === 0) {
        await store.append(id, request(`run-${id}`, 1, [], { update: update({ status: "suspended", wakeAt: base + 100 + i }) }));
        due.push(id);
      } else if (kind === 1) {
        await store.append(id, request(`run-${id}`, 1, [], { update: update({ status: "suspended", wakeAt: base + 10_000_000 }) }));
        notDue.push(id);
      } else if (kind === 2) {
        await store.append(id, request(`run-${id}`, 1, [], { update: update({ status: "suspended", wakeAt: null }) }));
        await store.writeInbox(id, inboxItem(`wake-${i}`, { at: base + 200 + i }));
        due.push(id);
      } else {
        await store.append(id, request(`run-${id}`, 1, [], { update: update({ status: "completed", wakeAt: null }) }));
        notDue.push(id);
      }
    }
    expect((await shardsUsed(tableName, due)).size).toBeGreaterThan(3);
    const listed = await store.listDue(base + 5_000);
    expect([...listed].sort()).toEqual([...due].sort());
    // Oldest first: the timers (base + 100 + i) come before the inbox wake-ups (base + 200 + i).
    expect(listed.slice(0, 10)).toEqual(due.filter((_, i) => i % 2 === 0));
    expect(await store.listDue(base + 5_000, { limit: 3 })).toEqual(listed.slice(0, 3));
    expect(await store.listDue(base + 100)).toEqual([due[0]]);
  });

  it("an inbox item that arrives during a turn keeps the execution due after the turn's append", async () => {
    const tableName = await freshTable("due-race");
    const store = new DynamoDBStore({ client, tableName });
    const sender = new DynamoDBStore({ client, tableName });
    const id = freshId("late-item");
    await store.create(execution(id, { at: 1_000 }));
    const page = await store.load(id);
    await sender.writeInbox(id, inboxItem("during-the-turn", { at: 2_000 }));
    // The turn read inboxSeq 0; it suspends without a wake-up time.
    const record = await store.append(id, request(`run-${id}`, 1, steps(2, 1), {
      update: update({ status: "suspended", inboxSeen: page!.record.inboxSeq, updatedAt: 3_000 }),
    }));
    expect(record.inboxSeq).toBe(1);
    expect(record.inboxSeen).toBe(0);
    expect(await store.listDue(10_000)).toEqual([id]);
    // The next turn reads the item and records it as seen: no longer due.
    const next = await store.load(id);
    expect(next!.inbox).toHaveLength(1);
    await store.append(id, request(`run-${id}`, 2, [], {
      consumeInbox: [next!.inbox[0]!.id],
      update: update({ status: "suspended", inboxSeen: next!.record.inboxSeq }),
    }));
    expect(await store.listDue(10_000)).toEqual([]);
  });
});

describe("listing across shards", () => {
  it("pages through executions by workflow and status, newest first, without repeats", async () => {
    const tableName = await freshTable("list");
    const store = new DynamoDBStore({ client, tableName, listShards: 4 });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = freshId(`list-${String(i).padStart(2, "0")}`);
      ids.push(id);
      // Every fifth has an input over 1 KB, stored in its own item and read back with the listed record.
      const input = i % 5 === 4 ? JSON.stringify({ note: "n".repeat(5000), i }) : JSON.stringify({ i });
      await store.create(execution(id, { workflow: i % 3 === 2 ? "other" : "orders", at: 1_700_000_000_000 + i * 1000, input }));
    }
    const statusOf = (i: number): ExecutionStatus => (i % 5 === 0 ? "completed" : i % 5 === 1 ? "suspended" : "running");
    for (let i = 0; i < 30; i++) {
      if (statusOf(i) === "running") continue;
      await store.append(ids[i]!, request(`run-${ids[i]}`, 1, [], { update: update({ status: statusOf(i) }) }));
    }
    const orders = ids.filter((_, i) => i % 3 !== 2);
    const expected = (statuses: ExecutionStatus[]) =>
      orders.filter((id) => statuses.includes(statusOf(ids.indexOf(id)))).reverse();

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list({ workflow: "orders", status: ["running", "suspended"], limit: 4, ...(cursor ? { cursor } : {}) });
      expect(page.records.length).toBeLessThanOrEqual(4);
      seen.push(...page.records.map((record) => record.id));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(expected(["running", "suspended"]));
    expect(pages).toBe(Math.ceil(seen.length / 4));

    const completed = await store.list({ workflow: "orders", status: "completed" });
    expect(completed.records.map((record) => record.id)).toEqual(expected(["completed"]));
    expect(completed.records.every((record) => record.status === "completed")).toBe(true);
    expect(completed.cursor).toBeUndefined();

    // Without a workflow: every workflow in the catalog.
    const everything = await store.list({ limit: 100 });
    expect(everything.records.map((record) => record.id)).toEqual([...ids].reverse());
    expect(everything.records.map((record) => JSON.parse(record.input!).i)).toEqual(ids.map((_, i) => i).reverse());
    const failed = await store.list({ status: "failed" });
    expect(failed.records).toEqual([]);
  });
});
