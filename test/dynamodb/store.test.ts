// DynamoDBStore beyond the shared contract: long histories across query pages, racing writers on separate clients,
// the 400 KB item limit, turns larger than one transaction, large record fields, continue-as-new runs, exact value
// round-trips, inbox consumption beyond one transaction, and TTL stamps. All against DynamoDB Local.
import { QueryCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HistoryEvent } from "spindle";
import { ConcurrencyError, PayloadTooLargeError } from "spindle";
import { checkHistory, HISTORY_VERSION, newExecution } from "spindle/store";
import { DynamoDBStore } from "spindle/dynamodb";
import { execution, fillHistory, freshId, inboxItem, loadAll, request, steps, update } from "./fixtures.js";
import { countRequests, freshTable, makeClient } from "./helpers.js";

let tableName = "";
const client = makeClient();
const raw = DynamoDBDocumentClient.from(client);

beforeAll(async () => {
  tableName = await freshTable("store");
});
afterAll(() => client.destroy());

const store = (options: Partial<ConstructorParameters<typeof DynamoDBStore>[0]> = {}) =>
  new DynamoDBStore({ client, tableName, ...options });

/** Every item of an execution's partition, as stored. */
async function items(id: string): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await raw.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :id",
        ExpressionAttributeValues: { ":id": id },
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    found.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return found;
}

describe("DynamoDBStore reads", () => {
  it("loads a 5,000-event history of several 1 MB query pages in order, with one query per page", async () => {
    const writer = store();
    const id = freshId("long");
    await writer.create(execution(id));
    const result = JSON.stringify("x".repeat(500));
    await fillHistory(writer, id, 5000, 99, result);

    const coldClient = makeClient();
    const counts = countRequests(coldClient);
    const cold = new DynamoDBStore({ client: coldClient, tableName });
    const page = await cold.load(id);
    expect(page!.more).toBe(false);
    expect(page!.events).toHaveLength(5000);
    expect(checkHistory(id, page!.events)).toHaveLength(5000);
    expect((page!.events[4999] as HistoryEvent).seq).toBe(5000);
    // ~3.4 MB of events: four pages of 1 MB, and nothing else.
    expect(counts.get("QueryCommand")).toBe(4);
    expect(counts.size).toBe(1);

    const paged: unknown[] = [];
    let pages = 0;
    for (;;) {
      const next = await cold.load(id, { afterSeq: paged.length, limit: 1000 });
      pages++;
      paged.push(...next!.events);
      if (!next!.more) break;
    }
    expect(pages).toBe(5);
    expect(paged.map((event) => (event as HistoryEvent).seq)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    coldClient.destroy();
  });

  it("returns the record and the unread inbox with the events in one query", async () => {
    const s = store();
    const id = freshId("one-query");
    await s.create(execution(id));
    await s.writeInbox(id, inboxItem("a"));
    await s.writeInbox(id, inboxItem("b"));
    const probe = makeClient();
    const counts = countRequests(probe);
    const page = await new DynamoDBStore({ client: probe, tableName }).load(id);
    expect(page!.events).toHaveLength(1);
    expect(page!.inbox.map((item) => item.key)).toEqual(["a", "b"]);
    expect(page!.record.inboxSeq).toBe(2);
    expect([...counts.entries()]).toEqual([["QueryCommand", 1]]);
    probe.destroy();
  });
});

describe("DynamoDBStore writes", () => {
  it("lets exactly one of 16 appenders on separate clients win each version", async () => {
    const id = freshId("race");
    await store().create(execution(id));
    const clients = Array.from({ length: 16 }, () => makeClient());
    const racers = clients.map((c) => new DynamoDBStore({ client: c, tableName }));
    let version = 1;
    for (let round = 0; round < 4; round++) {
      const outcomes = await Promise.allSettled(
        racers.map((racer, i) => racer.append(id, request(`run-${id}`, version, steps(version + 1, 2, `"r${round}-${i}"`)))),
      );
      const won = outcomes.filter((outcome) => outcome.status === "fulfilled");
      expect(won).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(ConcurrencyError);
      }
      version += 2;
    }
    const events = await loadAll(store(), id);
    expect(events).toHaveLength(9);
    for (let round = 0; round < 4; round++) {
      const pair = events.slice(1 + round * 2, 3 + round * 2) as { result?: string }[];
      expect(pair[0]!.result).toBe(pair[1]!.result); // both events of a version come from one writer
    }
    for (const c of clients) c.destroy();
  });

  it("stores a 399 KB value byte for byte and refuses a 401 KB one with PayloadTooLargeError, writing nothing", async () => {
    const s = store();
    const id = freshId("size");
    await s.create(execution(id));
    const fits = JSON.stringify("é".repeat((399 * 1024 - 2) / 2));
    expect(Buffer.byteLength(fits)).toBe(399 * 1024);
    expect(s.limits.maxValueBytes).toBe(399 * 1024);
    await s.append(id, request(`run-${id}`, 1, steps(2, 1, fits)));
    expect(((await loadAll(store(), id))[1] as { result?: string }).result).toBe(fits);

    const tooLarge = JSON.stringify("x".repeat(401 * 1024));
    const error = await s.append(id, request(`run-${id}`, 2, steps(3, 1, tooLarge))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    const refused = error as PayloadTooLargeError;
    expect(refused.executionId).toBe(id);
    expect(refused.operation).toBe("step 's3' (#1)");
    expect(refused.size).toBeGreaterThan(401 * 1024);
    expect(refused.limit).toBe(400 * 1024);
    expect(refused.message).toContain(id);
    expect((await store().get(id))!.version).toBe(2);
  });

  it("writes a turn of 250 events (more than one transaction holds) atomically", async () => {
    const s = store();
    const id = freshId("split");
    await s.create(execution(id));
    const record = await s.append(id, request(`run-${id}`, 1, steps(2, 250), { update: update({ status: "suspended", wakeAt: 5 }) }));
    expect(record).toMatchObject({ version: 251, status: "suspended", wakeAt: 5 });
    const events = await loadAll(store(), id);
    expect(checkHistory(id, events)).toHaveLength(251);
    const next = await s.append(id, request(`run-${id}`, 251, steps(252, 1)));
    expect(next.version).toBe(252);
  });

  it("splits a turn larger than 4 MB by size", async () => {
    const s = store();
    const id = freshId("split-bytes");
    await s.create(execution(id));
    const big = JSON.stringify("b".repeat(380 * 1024));
    await s.append(id, request(`run-${id}`, 1, steps(2, 12, big)));
    const events = await loadAll(store(), id);
    expect(events).toHaveLength(13);
    expect(events.slice(1).every((event) => (event as { result?: string }).result === big)).toBe(true);
  });

  it("keeps record fields over 1 KB (input, result, custom status, error, waits) in their own items, up to 400 KB each", async () => {
    const s = store();
    const id = freshId("fields");
    const input = JSON.stringify({ blob: "i".repeat(300 * 1024) });
    await s.create(execution(id, { input }));
    const waits = Array.from({ length: 400 }, (_, i) => ({ kind: "event" as const, opId: String(i), name: `wait-for-something-${i}-`.repeat(5) }));
    await s.append(id, request(`run-${id}`, 1, steps(2, 1), {
      update: update({ status: "suspended", waitingFor: waits, customStatus: JSON.stringify("c".repeat(200 * 1024)) }),
    }));
    const result = JSON.stringify("r".repeat(300 * 1024));
    const error = { name: "Boom", message: "m".repeat(40 * 1024), data: { n: 1 } };
    const done = await s.append(id, request(`run-${id}`, 2, steps(3, 1), { update: update({ status: "failed", result, error }) }));
    const fresh = await store().get(id);
    expect(fresh).toEqual(done);
    expect(fresh!.input).toBe(input);
    expect(fresh!.result).toBe(result);
    expect(fresh!.error).toEqual(error);
    expect(fresh!.customStatus).toBe(JSON.stringify("c".repeat(200 * 1024)));
    expect((await store().load(id))!.record).toEqual(done);
  });

  it("continues as new: the previous run's events stay under their run, loads see only the new run", async () => {
    const s = store();
    const id = freshId("can");
    await s.create(execution(id));
    await fillHistory(s, id, 30, 29);
    const next = newExecution({ id, workflow: "ddb-test", runId: "run-2", at: 1_700_000_005_000, input: '{"n":2}' });
    const record = await s.append(id, request(`run-${id}`, 30, steps(31, 1), {
      continueAsNew: { runId: "run-2", input: '{"n":2}', events: next.events },
    }));
    expect(record).toMatchObject({ runId: "run-2", runs: 1, version: 1, input: '{"n":2}' });
    const cold = await store({ cacheSize: 0 }).load(id);
    expect(cold!.events).toEqual(next.events);
    const kept = (await items(id)).filter((item) => String(item.sk).startsWith("E#00000000#"));
    expect(kept).toHaveLength(31);
    await s.append(id, request("run-2", 1, steps(2, 3)));
    expect(checkHistory(id, await loadAll(store({ cacheSize: 0 }), id))).toHaveLength(4);
  });

  it("round-trips events and records exactly: floats, big numbers, empty strings, unicode, booleans, nested data", async () => {
    const s = store();
    const id = freshId("exact");
    await s.create(execution(id, { at: 1_700_000_000_000.25, input: '{"emoji":"\u{1F9F5}","empty":""}' }));
    const failed: HistoryEvent = {
      v: HISTORY_VERSION,
      seq: 2,
      type: "StepFailed",
      opId: "0",
      kind: "step",
      name: "",
      at: 1_700_000_000_123.5,
      attempt: 2,
      error: { name: "E", message: "", code: "X", data: { big: 1e300, tiny: 5e-324, list: [0.1, -1, null, true, ""], nested: { s: "ü" } } },
      retryAt: 1_700_000_000_999.75,
    };
    const cancelled: HistoryEvent = {
      v: HISTORY_VERSION,
      seq: 3,
      type: "ExecutionCancelled",
      opId: "-",
      kind: "execution",
      name: "ddb-test",
      at: 1_700_000_001_000,
      terminated: true,
      reason: "",
    };
    const record = await s.append(id, request(`run-${id}`, 1, [failed, cancelled], {
      update: update({ status: "terminated", wakeAt: 2 ** 53 + 2, updatedAt: -0, error: failed.error }),
    }));
    const page = await store({ cacheSize: 0 }).load(id);
    expect(page!.events.slice(1)).toEqual([failed, cancelled]);
    expect(checkHistory(id, page!.events)).toHaveLength(3);
    expect(page!.record).toEqual(record);
    expect(Object.is(page!.record.updatedAt, -0)).toBe(true);
    expect(page!.record.wakeAt).toBe(2 ** 53 + 2);
    expect(page!.record.createdAt).toBe(1_700_000_000_000.25);
  });

  it("hides inbox items consumed by a turn larger than one transaction at once, and deletes them after", async () => {
    const s = store();
    const id = freshId("consume");
    await s.create(execution(id));
    const written = [];
    for (let i = 0; i < 130; i++) {
      const item = inboxItem(`k${String(i).padStart(3, "0")}`);
      written.push(item);
      await s.writeInbox(id, item);
    }
    const loaded = await s.load(id);
    expect(loaded!.inbox).toHaveLength(130);
    const record = await s.append(id, request(`run-${id}`, 1, steps(2, 1), {
      consumeInbox: written.map((item) => item.id),
      update: update({ status: "suspended", inboxSeen: loaded!.record.inboxSeq }),
    }));
    expect(record.inboxSeen).toBe(130);
    expect((await store().load(id))!.inbox).toEqual([]);
    const left = await items(id);
    expect(left.filter((item) => String(item.sk).startsWith("U#"))).toEqual([]);
    expect(left.filter((item) => String(item.sk).startsWith("D#"))).toHaveLength(130);
    expect(left.find((item) => item.sk === "R")!.consumed).toBeUndefined();
    expect(await s.writeInbox(id, inboxItem("k000"))).toMatchObject({ status: "duplicate" });
  });

  it("stamps TTL on every item of a closed execution, the record a day after the rest", async () => {
    const retentionMs = 7 * 24 * 3600 * 1000;
    const s = store({ retentionMs });
    const id = freshId("ttl");
    await s.create(execution(id));
    await s.writeInbox(id, inboxItem("late"));
    await s.append(id, request(`run-${id}`, 1, steps(2, 3), { update: update({ status: "suspended" }) }));
    expect((await items(id)).some((item) => item.expiresAt !== undefined)).toBe(false);
    await s.append(id, request(`run-${id}`, 4, steps(5, 1), {
      update: update({ status: "completed", result: JSON.stringify("r".repeat(40 * 1024)), updatedAt: 1_700_000_100_000 }),
    }));
    const stored = await items(id);
    const expiry = Math.ceil((1_700_000_100_000 + retentionMs) / 1000);
    for (const item of stored) {
      const sk = String(item.sk);
      expect(item.expiresAt, sk).toBe(sk.startsWith("R") ? expiry + 24 * 3600 : expiry);
    }
    expect(stored.map((item) => String(item.sk)[0]).sort().join("")).toBe("DEEEEERRU");
  });

  it("stamps TTL on a previous run's events when the execution continues as new, not on the new run's", async () => {
    const retentionMs = 24 * 3600 * 1000;
    const s = store({ retentionMs });
    const id = freshId("ttl-can");
    await s.create(execution(id));
    const next = newExecution({ id, workflow: "ddb-test", runId: "run-2", at: 1_700_000_005_000 });
    await s.append(id, request(`run-${id}`, 1, steps(2, 2), {
      continueAsNew: { runId: "run-2", events: next.events },
      update: update({ updatedAt: 1_700_000_200_000 }),
    }));
    const stored = await items(id);
    const expiry = Math.ceil((1_700_000_200_000 + retentionMs) / 1000);
    const previous = stored.filter((item) => String(item.sk).startsWith("E#00000000#"));
    expect(previous).toHaveLength(3);
    expect(previous.every((item) => item.expiresAt === expiry)).toBe(true);
    expect(stored.filter((item) => !String(item.sk).startsWith("E#00000000#")).every((item) => item.expiresAt === undefined)).toBe(true);
  });
});
