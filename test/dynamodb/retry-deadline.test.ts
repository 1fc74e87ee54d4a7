// The store's one retry layer against DynamoDB Local: throttled calls are retried by the store alone (the client has
// maxAttempts 1) and each retry is reported through onRetry; no attempt starts after the caller's deadline, and a call
// that hangs (a server that accepts and never answers) is aborted at the deadline with StoreUnavailableError naming the
// execution and the operation. The deadline reaches the store from a turn's resume({ deadline }).
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, silentLogger, step, StoreUnavailableError, workflow } from "spindle";
import type { AppendRequest } from "spindle/store";
import { DynamoDBStore } from "spindle/dynamodb";
import type { RetryInfo } from "spindle/dynamodb";
import { localClient } from "../../examples/dynamodb-local/local-server.js";
import { execution, freshId, request, steps } from "./fixtures.js";
import { freshTable, makeClient } from "./helpers.js";

let tableName: string;
const clients: DynamoDBClient[] = [];
let silent: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  tableName = await freshTable("retry");
  silent = createServer((socket) => void sockets.push(socket)); // accepts, never answers
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

const throttled = () =>
  Object.assign(new Error("Throughput exceeds the current capacity of your table or index."), {
    name: "ProvisionedThroughputExceededException",
    $fault: "client",
    $metadata: { httpStatusCode: 400 },
  });

/** A client without SDK retries whose `commands` fail as throttled while `failing(n)` says so; attempt times kept. */
function throttlingClient(commands: string[], failing: (n: number) => boolean, starts: number[] = []): DynamoDBClient {
  const client = makeClient({ maxAttempts: 1 });
  clients.push(client);
  let n = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!commands.includes(context.commandName ?? "")) return next(args);
      n += 1;
      starts.push(Date.now());
      if (failing(n)) throw throttled();
      return next(args);
    },
    { step: "initialize", name: "throttle" },
  );
  return client;
}

describe("DynamoDBStore retries: one layer, bounded by the deadline", () => {
  it("retries throttled writes itself and reports each retry with the operation, attempt, delay and error", async () => {
    const retries: RetryInfo[] = [];
    const client = throttlingClient(["TransactWriteItemsCommand"], (n) => n <= 3);
    const store = new DynamoDBStore({ client, tableName, retry: { baseDelayMs: 1, maxDelayMs: 4 }, onRetry: (info) => void retries.push(info) });
    const id = freshId("throttled");
    expect((await store.create(execution(id))).created).toBe(true);
    expect(retries.map((info) => [info.operation, info.executionId, info.attempt, info.errorName])).toEqual([
      ["create", id, 1, "ProvisionedThroughputExceededException"],
      ["create", id, 2, "ProvisionedThroughputExceededException"],
      ["create", id, 3, "ProvisionedThroughputExceededException"],
    ]);
    for (const info of retries) expect(info.delayMs).toBeGreaterThanOrEqual(0);
    expect((await store.get(id))!.version).toBe(1);
  });

  it("starts no attempt after the deadline of a throttled append and fails with StoreUnavailableError", async () => {
    const id = freshId("deadline");
    await new DynamoDBStore({ client: throttlingClient([], () => false), tableName }).create(execution(id));
    const starts: number[] = [];
    const client = throttlingClient(["TransactWriteItemsCommand", "QueryCommand", "PutItemCommand"], () => true, starts);
    const store = new DynamoDBStore({ client, tableName, retry: { maxAttempts: 1000, baseDelayMs: 20, maxDelayMs: 40 } });
    const deadline = Date.now() + 400;
    const append: AppendRequest = { ...request(`run-${id}`, 1, steps(2, 1)), deadline };
    const error = await store.append(id, append).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).code).toBe("STORE_UNAVAILABLE");
    expect((error as StoreUnavailableError).message).toContain(`execution '${id}'`);
    expect((error as StoreUnavailableError).message).toContain("ran out of the turn's time");
    expect((error as StoreUnavailableError).executionId).toBe(id);
    expect(starts.length).toBeGreaterThan(1);
    for (const start of starts) expect(start).toBeLessThan(deadline);
    // Nothing was written.
    expect((await new DynamoDBStore({ client: makeClient(), tableName }).get(id))!.version).toBe(1);
  });

  it("says a failed read changed nothing, and a failed write left nothing partial", async () => {
    const client = throttlingClient(["QueryCommand", "TransactWriteItemsCommand"], () => true);
    const store = new DynamoDBStore({ client, tableName, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    const read = (await store.list({ limit: 5 }).catch((e: unknown) => e)) as StoreUnavailableError;
    expect(read).toBeInstanceOf(StoreUnavailableError);
    expect(read.message).toContain("DynamoDB list kept failing after 2 attempts");
    expect(read.message).toContain("Nothing was changed; try the call again.");
    expect(read.message).not.toContain("resumed from its stored history");
    const id = freshId("unwritten");
    const write = (await store.create(execution(id)).catch((e: unknown) => e)) as StoreUnavailableError;
    expect(write.message).toContain("Nothing partial was written; the execution is resumed from its stored history later.");
  });

  it("aborts a call that hangs at the deadline (a server that never answers)", async () => {
    const address = silent.address() as { port: number };
    const client = localClient(`http://127.0.0.1:${address.port}`, { maxAttempts: 1 });
    clients.push(client);
    const store = new DynamoDBStore({ client, tableName, retry: { attemptTimeoutMs: 60_000 } });
    const id = freshId("hang");
    const deadline = Date.now() + 300;
    const error = await store.acquireLease(id, { owner: "a", until: Date.now() + 60_000, now: Date.now(), deadline }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(`execution '${id}'`);
    expect(((error as Error).cause as Error).name).toBe("TimeoutError");
  });

  it("gets the write deadline of a turn resumed with one (5 s after its deadline unless given), on every write of the turn", async () => {
    const seen: (number | undefined)[] = [];
    const store = new DynamoDBStore({ client: makeClient({ maxAttempts: 1 }), tableName });
    const watched = Object.create(store) as DynamoDBStore;
    watched.append = (id, append) => {
      seen.push(append.deadline);
      return store.append(id, append);
    };
    const flow = workflow("retry-deadline", async function* () {
      return (yield* step("a", () => 1)) + (yield* step("b", () => 2));
    });
    const engine = createEngine({ store: watched, workflows: [flow], logger: silentLogger, mode: "external" });
    const handle = await engine.start(flow, undefined);
    const deadline = Date.now() + 60_000;
    expect((await engine.resume(handle.id, { deadline })).status).toBe("completed");
    expect(seen.length).toBeGreaterThan(0);
    for (const value of seen) {
      expect(value).toBeGreaterThan(deadline);
      expect(value).toBeLessThanOrEqual(deadline + 5_000);
    }
    // An explicit write deadline is the one the store gets.
    seen.length = 0;
    const second = await engine.start(flow, undefined);
    const writeDeadline = Date.now() + 30_000;
    expect((await engine.resume(second.id, { deadline, writeDeadline })).status).toBe("completed");
    expect(seen.length).toBeGreaterThan(0);
    for (const value of seen) {
      expect(value).toBeGreaterThan(Date.now());
      expect(value).toBeLessThanOrEqual(writeDeadline);
    }
    await engine.close();
  });
});
