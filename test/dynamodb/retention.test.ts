// Retention without transactions: the close is one transaction that stamps the record and marks its other items'
// stamps pending; the stamps are written after it (BatchWriteItem). A process that dies in between leaves the mark and a
// due entry a minute after the close; the next load finishes the stamps and clears both.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBStore } from "spindle/dynamodb";
import { execution, freshId, inboxItem, request, steps, update } from "./fixtures.js";
import { countRequests, freshTable, makeClient } from "./helpers.js";

let tableName: string;
const clients: DynamoDBClient[] = [];
const retentionMs = 7 * 24 * 3600 * 1000;
const closedAt = 1_700_000_100_000;
const expiry = Math.ceil((closedAt + retentionMs) / 1000);

beforeAll(async () => {
  tableName = await freshTable("retention");
});

afterAll(() => {
  for (const client of clients) client.destroy();
});

function client(failBatchWrites = false): DynamoDBClient {
  const made = makeClient({ maxAttempts: 1 });
  clients.push(made);
  if (failBatchWrites) {
    made.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "BatchWriteItemCommand") throw new Error("process died");
        return next(args);
      },
      { step: "initialize", name: "dies" },
    );
  }
  return made;
}

async function items(id: string): Promise<Record<string, unknown>[]> {
  const doc = DynamoDBDocumentClient.from(client());
  const output = await doc.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: "pk = :id", ExpressionAttributeValues: { ":id": id }, ConsistentRead: true }));
  return output.Items ?? [];
}

/** An execution with an inbox item and four events, closed (completed) at `closedAt`. */
async function closeOne(store: DynamoDBStore, id: string): Promise<void> {
  await store.create(execution(id));
  await store.writeInbox(id, inboxItem(`late-${id}`));
  await store.append(id, request(`run-${id}`, 1, steps(2, 3), { update: update({ status: "suspended" }) }));
  await store.append(id, request(`run-${id}`, 4, steps(5, 1), { update: update({ status: "completed", result: '"done"', updatedAt: closedAt }) }));
}

describe("DynamoDBStore retention", () => {
  it("stamps a closed execution's items after the close, with no transaction but the close itself", async () => {
    const made = client();
    const counts = countRequests(made);
    const store = new DynamoDBStore({ client: made, tableName, retentionMs });
    const id = freshId("stamp");
    await store.create(execution(id));
    await store.append(id, request(`run-${id}`, 1, steps(2, 30), { update: update({ status: "suspended" }) }));
    const transactionsBefore = counts.get("TransactWriteItemsCommand") ?? 0;
    await store.append(id, request(`run-${id}`, 31, steps(32, 1), { update: update({ status: "completed", updatedAt: closedAt }) }));
    expect((counts.get("TransactWriteItemsCommand") ?? 0) - transactionsBefore).toBe(1);
    expect(counts.get("BatchWriteItemCommand")).toBe(2); // 32 events, 25 a request
    const stored = await items(id);
    for (const item of stored) expect(item.expiresAt, String(item.sk)).toBe(item.sk === "R" ? expiry + 24 * 3600 : expiry);
    const record = stored.find((item) => item.sk === "R")!;
    expect(record.ttlPending).toBeUndefined();
    expect(record.dueAt).toBeUndefined();
  });

  it("leaves the stamps pending and the execution due when the process dies after the close; a load finishes them", async () => {
    const warnings: string[] = [];
    const dying = new DynamoDBStore({ client: client(true), tableName, retentionMs, logger: { warn: (message) => void warnings.push(message) } });
    const id = freshId("pending");
    await closeOne(dying, id);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(id);
    const before = await items(id);
    const record = before.find((item) => item.sk === "R")!;
    expect(record.ttlPending).toBe(expiry);
    expect(before.filter((item) => item.sk !== "R").every((item) => item.expiresAt === undefined)).toBe(true);

    const healthy = new DynamoDBStore({ client: client(), tableName, retentionMs });
    expect(await healthy.listDue(closedAt + 1_000, { limit: 1000 })).not.toContain(id);
    expect(await healthy.listDue(closedAt + 61_000, { limit: 1000 })).toContain(id);

    const page = await healthy.load(id);
    expect(page!.record.status).toBe("completed");
    const after = await items(id);
    for (const item of after) {
      const sk = String(item.sk);
      expect(item.expiresAt, sk).toBe(sk.startsWith("R") ? expiry + 24 * 3600 : expiry);
    }
    expect(after.map((item) => String(item.sk)[0]).sort().join("")).toBe("DEEEEERU");
    expect(after.find((item) => item.sk === "R")!.ttlPending).toBeUndefined();
    expect(await healthy.listDue(closedAt + 61_000, { limit: 1000 })).not.toContain(id);
  });
});
