// Faults between DynamoDBStore and DynamoDB, injected through a client middleware in front of a real DynamoDB Local:
// ambiguous writes (applied, then the response lost), throttling and 5xx (retried, then StoreUnavailableError with no
// partial turn), and other writers landing in the middle of a turn split over several transactions.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { ConcurrencyError, StoreUnavailableError } from "spindle";
import { checkHistory } from "spindle/store";
import { DynamoDBStore } from "spindle/dynamodb";
import { execution, freshId, inboxItem, loadAll, request, steps, update } from "./fixtures.js";
import { fileTable } from "./helpers.js";

const table = fileTable("faults");

/** What the fault middleware does with one call: `before` throws instead of sending, `after` throws once applied. */
interface Fault {
  before?: () => unknown;
  after?: () => unknown;
  /** Runs before the call is sent (e.g. another writer's append). */
  first?: () => Promise<void>;
  /** Changes the request (e.g. a fresh ClientRequestToken, as after DynamoDB's 10-minute window). */
  edit?: (input: Record<string, unknown>) => void;
}

/** A client whose calls pass through `decide(command, n)` (n counts that command's calls from 1). */
function faultyClient(decide: (command: string, n: number) => Fault | undefined): DynamoDBClient {
  const client = table.client({ maxAttempts: 1 });
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "";
      const n = (counts.get(command) ?? 0) + 1;
      counts.set(command, n);
      const fault = decide(command, n);
      await fault?.first?.();
      fault?.edit?.(args.input as Record<string, unknown>);
      if (fault?.before) throw fault.before();
      const output = await next(args);
      if (fault?.after) throw fault.after();
      return output;
    },
    { step: "initialize", name: "spindleFaults" },
  );
  return client;
}

const TRANSACT = "TransactWriteItemsCommand";
const retry = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 4 };
const timeout = () => Object.assign(new Error("socket timed out after the request was sent"), { name: "TimeoutError" });
const throttled = () =>
  Object.assign(new Error("Throughput exceeds the current capacity of your table or index."), {
    name: "ProvisionedThroughputExceededException",
    $fault: "client",
    $metadata: { httpStatusCode: 400 },
  });
const serverError = () =>
  Object.assign(new Error("Internal server error"), { name: "InternalServerError", $fault: "server", $metadata: { httpStatusCode: 500 } });

const plain = () => new DynamoDBStore({ client: table.client(), tableName: table.name(), cacheSize: 0 });

describe("ambiguous writes", () => {
  it("an append applied but unanswered is retried with its ClientRequestToken and succeeds once", async () => {
    const id = freshId("amb-token");
    const store = new DynamoDBStore({ client: faultyClient((c, n) => (c === TRANSACT && n === 2 ? { after: timeout } : undefined)), tableName: table.name(), retry });
    await store.create(execution(id));
    const record = await store.append(id, request(`run-${id}`, 1, steps(2, 3)));
    expect(record.version).toBe(4);
    expect(checkHistory(id, await loadAll(plain(), id))).toHaveLength(4);
  });

  it("a retry that fails its condition against the store's own write is recognised by its writer token, not a conflict", async () => {
    const id = freshId("amb-writer");
    let fresh = 0;
    const store = new DynamoDBStore({
      client: faultyClient((c, n) => {
        if (c !== TRANSACT) return undefined;
        if (n === 2) return { after: timeout };
        // The retry comes after the token's window: DynamoDB no longer knows it and checks the condition again.
        if (n === 3) return { edit: (input) => (input.ClientRequestToken = `expired-${++fresh}`) };
        return undefined;
      }),
      tableName: table.name(),
      retry,
    });
    await store.create(execution(id));
    const record = await store.append(id, request(`run-${id}`, 1, steps(2, 2)));
    expect(record.version).toBe(3);
    expect(fresh).toBe(1);
    const events = await loadAll(plain(), id);
    expect(checkHistory(id, events)).toHaveLength(3);
    await expect(store.append(id, request(`run-${id}`, 1, steps(2, 1)))).rejects.toBeInstanceOf(ConcurrencyError);
  });

  it("recognises its own create and inbox write after a lost response", async () => {
    const id = freshId("amb-create");
    const store = new DynamoDBStore({
      client: faultyClient((c, n) =>
        c === TRANSACT && (n === 1 || n === 3)
          ? { after: timeout }
          : c === TRANSACT && (n === 2 || n === 4)
            ? { edit: (input) => (input.ClientRequestToken = `expired-${n}`) }
            : undefined,
      ),
      tableName: table.name(),
      retry,
    });
    expect((await store.create(execution(id))).created).toBe(true);
    expect(await store.writeInbox(id, inboxItem("once"))).toEqual({ status: "written" });
    expect((await plain().load(id))!.inbox.map((item) => item.key)).toEqual(["once"]);
    expect((await plain().get(id))!.inboxSeq).toBe(1);
  });
});

describe("throttling and server errors", () => {
  it("retries throttled and failed calls with backoff, then succeeds", async () => {
    const id = freshId("throttle");
    let calls = 0;
    const store = new DynamoDBStore({
      client: faultyClient((c, n) => {
        calls++;
        if (c === TRANSACT && n >= 2 && n <= 3) return { before: throttled };
        if (c === TRANSACT && n === 4) return { before: serverError };
        if (c === "QueryCommand" && n <= 2) return { before: throttled };
        return undefined;
      }),
      tableName: table.name(),
      retry,
    });
    await store.create(execution(id));
    expect((await store.append(id, request(`run-${id}`, 1, steps(2, 1)))).version).toBe(2);
    expect((await store.load(id))!.events).toHaveLength(2);
    expect(calls).toBeGreaterThanOrEqual(8);
  });

  it("gives up with StoreUnavailableError when throttling persists, and writes no part of the turn", async () => {
    const id = freshId("throttle-out");
    const store = new DynamoDBStore({
      client: faultyClient((c, n) => (c === TRANSACT && n >= 2 ? { before: throttled } : undefined)),
      tableName: table.name(),
      retry,
    });
    await store.create(execution(id));
    const error = await store.append(id, request(`run-${id}`, 1, steps(2, 5))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).executionId).toBe(id);
    expect((error as Error).cause).toMatchObject({ name: "ProvisionedThroughputExceededException" });
    expect((await plain().get(id))!.version).toBe(1);
    expect(await loadAll(plain(), id)).toHaveLength(1);
  });

  it("leaves no partial turn when a split turn's last transaction never gets through", async () => {
    const id = freshId("split-out");
    const splitter = new DynamoDBStore({
      // create, claim + first chunk, second chunk, then the commit is throttled for good.
      client: faultyClient((c, n) => (c === TRANSACT && n >= 4 ? { before: throttled } : undefined)),
      tableName: table.name(),
      retry,
    });
    await splitter.create(execution(id));
    await expect(splitter.append(id, request(`run-${id}`, 1, steps(2, 250)))).rejects.toBeInstanceOf(StoreUnavailableError);
    const other = plain();
    expect((await other.get(id))!.version).toBe(1);
    expect(await loadAll(other, id)).toHaveLength(1);
    // A normal writer continues at the old version; the split's leftovers stay invisible and are overwritten.
    await other.append(id, request(`run-${id}`, 1, steps(2, 3, '"other"')));
    const events = await loadAll(plain(), id);
    expect(checkHistory(id, events)).toHaveLength(4);
    expect(events.slice(1).every((event) => (event as { result?: string }).result === '"other"')).toBe(true);
  });
});

describe("split turns and other writers", () => {
  it("a normal writer that commits between a split turn's chunks wins; the split turn fails and nothing forks", async () => {
    const id = freshId("split-race");
    const competitor = plain();
    const splitter = new DynamoDBStore({
      client: faultyClient((c, n) =>
        c === TRANSACT && n === 3 // after the claim and the first chunk
          ? { first: async () => void (await competitor.append(id, request(`run-${id}`, 1, steps(2, 2, '"competitor"')))) }
          : undefined,
      ),
      tableName: table.name(),
      retry,
    });
    await splitter.create(execution(id));
    await expect(splitter.append(id, request(`run-${id}`, 1, steps(2, 250, '"splitter"')))).rejects.toBeInstanceOf(ConcurrencyError);
    const events = await loadAll(plain(), id);
    expect(checkHistory(id, events)).toHaveLength(3);
    expect(events.slice(1).map((event) => (event as { result?: string }).result)).toEqual(['"competitor"', '"competitor"']);
    await competitor.append(id, request(`run-${id}`, 3, steps(4, 1, '"next"')));
    const after = await loadAll(plain(), id);
    expect(checkHistory(id, after)).toHaveLength(4);
    expect((after[3] as { result?: string }).result).toBe('"next"');
  });

  it("a second split writer at the same version is refused while the first holds the version", async () => {
    const id = freshId("split-split");
    let second: Promise<unknown> | undefined;
    const other = new DynamoDBStore({ client: table.client(), tableName: table.name() });
    const first = new DynamoDBStore({
      client: faultyClient((c, n) =>
        c === TRANSACT && n === 3
          ? {
              first: async () => {
                second = other.append(id, request(`run-${id}`, 1, steps(2, 150, '"second"'))).catch((e: unknown) => e);
                await second;
              },
            }
          : undefined,
      ),
      tableName: table.name(),
      retry,
    });
    await first.create(execution(id));
    const record = await first.append(id, request(`run-${id}`, 1, steps(2, 250, '"first"')));
    expect(record.version).toBe(251);
    expect(await second).toBeInstanceOf(ConcurrencyError);
    const events = await loadAll(plain(), id);
    expect(checkHistory(id, events)).toHaveLength(251);
    expect(events.slice(1).every((event) => (event as { result?: string }).result === '"first"')).toBe(true);
  });

  it("a split writer that died holding the version is taken over once its lock expires", async () => {
    const id = freshId("split-takeover");
    const dying = new DynamoDBStore({
      client: faultyClient((c, n) => (c === TRANSACT && n === 3 ? { before: () => new Error("process died") } : undefined)),
      tableName: table.name(),
      retry,
      lockMs: 50,
    });
    await dying.create(execution(id));
    await expect(dying.append(id, request(`run-${id}`, 1, steps(2, 250, '"dead"')))).rejects.toThrow("process died");
    await new Promise((resolve) => setTimeout(resolve, 60));
    const survivor = new DynamoDBStore({ client: table.client(), tableName: table.name(), lockMs: 50 });
    const record = await survivor.append(id, request(`run-${id}`, 1, steps(2, 120, '"alive"')));
    expect(record.version).toBe(121);
    const events = await loadAll(plain(), id);
    expect(checkHistory(id, events)).toHaveLength(121);
    expect(events.slice(1).every((event) => (event as { result?: string }).result === '"alive"')).toBe(true);
  });

  it("a load that read a dead split writer's leftovers before another writer replaced them returns the committed events", async () => {
    const id = freshId("split-reread");
    const dying = new DynamoDBStore({
      client: faultyClient((c, n) => (c === TRANSACT && n === 3 ? { before: () => new Error("process died") } : undefined)),
      tableName: table.name(),
      retry,
    });
    await dying.create(execution(id));
    // The claim writes 99 leftovers of 12 KB (seq 2..100): more than one 1 MB query page.
    const big = JSON.stringify("g".repeat(12 * 1024));
    await expect(dying.append(id, request(`run-${id}`, 1, steps(2, 250, big)))).rejects.toThrow("process died");
    const competitor = plain();
    const reader = new DynamoDBStore({
      // Between the load's first page (leftovers) and its second (the record), another writer commits seq 2..4.
      client: faultyClient((c, n) =>
        c === "QueryCommand" && n === 3
          ? { first: async () => void (await competitor.append(id, request(`run-${id}`, 1, steps(2, 3, '"committed"')))) }
          : undefined,
      ),
      tableName: table.name(),
      retry,
    });
    expect((await reader.get(id))!.version).toBe(1); // query 1; the reader now knows the run and reads forwards
    const page = await reader.load(id);
    expect(page!.record.version).toBe(4);
    expect(checkHistory(id, page!.events)).toHaveLength(4);
    expect(page!.events.slice(1).map((event) => (event as { result?: string }).result)).toEqual(Array(3).fill('"committed"'));
  });

  it("a failed clean-up after a split turn is logged, not thrown; the next append deletes the hidden inbox items", async () => {
    const id = freshId("sweep");
    const warnings: string[] = [];
    const store = new DynamoDBStore({
      client: faultyClient((c) => (c === "BatchWriteItemCommand" ? { before: () => new Error("clean-up lost") } : undefined)),
      tableName: table.name(),
      retry,
      logger: { warn: (message) => void warnings.push(message) },
    });
    await store.create(execution(id));
    const items = Array.from({ length: 120 }, (_, i) => inboxItem(`sweep-${i}`));
    for (const item of items) await store.writeInbox(id, item);
    const loaded = await store.load(id);
    const record = await store.append(id, request(`run-${id}`, 1, steps(2, 1), {
      consumeInbox: items.map((item) => item.id),
      update: update({ status: "suspended", inboxSeen: loaded!.record.inboxSeq }),
    }));
    expect(record.version).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("clean-up lost");
    expect((await plain().load(id))!.inbox).toEqual([]);
    const unread = async () => {
      const page = await DynamoDBDocumentClient.from(faultyClient(() => undefined)).send(
        new QueryCommand({
          TableName: table.name(),
          KeyConditionExpression: "pk = :id AND begins_with(sk, :u)",
          ExpressionAttributeValues: { ":id": id, ":u": "U#" },
          ConsistentRead: true,
        }),
      );
      return page.Items?.length;
    };
    expect(await unread()).toBeGreaterThan(0); // still stored, hidden by the record
    await store.append(id, request(`run-${id}`, 2, steps(3, 1)));
    expect(await unread()).toBe(0);
    expect((await plain().load(id))!.record.version).toBe(3);
  });

  it("a cold load that read the inbox before an inbox write and the record after it reads the inbox again", async () => {
    const id = freshId("cold-inbox");
    const sender = plain();
    await sender.create(execution(id));
    const big = JSON.stringify("p".repeat(390 * 1024));
    for (const key of ["a", "b", "c"]) await sender.writeInbox(id, inboxItem(key, { payload: big }));
    // Backwards from the top, the first page holds the inbox (1.2 MB); the record is on the second.
    const reader = new DynamoDBStore({
      client: faultyClient((c, n) =>
        c === "QueryCommand" && n === 2 ? { first: async () => void (await sender.writeInbox(id, inboxItem("late"))) } : undefined,
      ),
      tableName: table.name(),
      retry,
    });
    const page = await reader.load(id);
    expect(page!.record.inboxSeq).toBe(4);
    expect(page!.inbox.map((item) => item.key)).toEqual(["a", "b", "c", "late"]);
    expect(page!.events).toHaveLength(1);
  });
});
