// Helpers of the DynamoDB tests: a client for the DynamoDB Local that the global setup started (fake credentials),
// a fresh table per test file, and a request counter (a client middleware) for assertions on the calls made.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, inject } from "vitest";
import { MemoryStore } from "spindle";
import type { HistoryStore } from "spindle/store";
import { createTable, DynamoDBStore } from "spindle/dynamodb";
import { localClient } from "../../examples/dynamodb-local/local-server.js";

let tables = 0;

/** A new client for DynamoDB Local (no SDK retries unless asked: the store's own retries are under test). */
export function makeClient(options: { maxAttempts?: number } = {}): DynamoDBClient {
  return localClient(inject("dynamodbEndpoint"), { maxAttempts: options.maxAttempts ?? 3 });
}

/** Creates a table with a unique name for one test file. */
export async function freshTable(label: string): Promise<string> {
  tables += 1;
  const name = `spindle-${label}-${process.pid}-${Date.now().toString(36)}-${tables}`;
  const client = makeClient();
  await createTable(client, name);
  client.destroy();
  return name;
}

/** Counts the commands a client sends, by name (e.g. "QueryCommand", "TransactWriteItemsCommand"). */
export function countRequests(client: DynamoDBClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = context.commandName ?? "unknown";
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "spindleTestCounter" },
  );
  return counts;
}

/**
 * This test file's own table (made before its tests run, named after `label`) and the clients made for it with
 * `client()` (closed after them). `name()` is read inside tests, once the table exists.
 */
export function fileTable(label: string): { name(): string; client(options?: { maxAttempts?: number }): DynamoDBClient } {
  let name = "";
  const clients: DynamoDBClient[] = [];
  beforeAll(async () => {
    name = await freshTable(label);
  });
  afterAll(() => {
    for (const client of clients) client.destroy();
  });
  return {
    name: () => name,
    client: (options = {}) => {
      const client = makeClient(options);
      clients.push(client);
      return client;
    },
  };
}

/**
 * The two stores a behaviour is checked on, for `describe.each`: a MemoryStore, and a DynamoDBStore on a table of this
 * file's own (made before the file's tests run, its client closed after them).
 */
export function bothStores(label: string): [string, () => HistoryStore][] {
  const table = fileTable(label);
  let client: DynamoDBClient | undefined;
  return [
    ["MemoryStore", () => new MemoryStore()],
    ["DynamoDBStore", () => new DynamoDBStore({ client: (client ??= table.client()), tableName: table.name() })],
  ];
}
