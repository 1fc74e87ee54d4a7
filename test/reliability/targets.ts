// The stores every scenario runs against: MemoryStore, and DynamoDBStore on a DynamoDB Local table of its own (one
// table per test file or per report run). Execution ids are unique per target, so scenarios share a table safely.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { HistoryStore } from "spindle/store";
import { MemoryStore } from "spindle";
import { createTable, DynamoDBStore } from "spindle/dynamodb";
import { localClient } from "../../examples/dynamodb-local/local-server.js";

/** A kind of store: each `make()` is a fresh store instance (for DynamoDB, on the target's table). */
export interface StoreTarget {
  name: "MemoryStore" | "DynamoDBStore";
  make(): HistoryStore;
  /** A new execution id, unique on this target. */
  id(label: string): string;
  close(): void;
}

let ids = 0;
const uniqueId = (label: string) => `${label}-${(++ids).toString(36)}`;

/** MemoryStore: every `make()` is an empty store. */
export function memoryTarget(): StoreTarget {
  return { name: "MemoryStore", make: () => new MemoryStore(), id: uniqueId, close: () => {} };
}

/**
 * DynamoDBStore on a new table of the DynamoDB Local at `endpoint`. The store's retries are short (a few ms), so
 * injected faults cost little time; the SDK's own retries are off, as the store retries by itself.
 */
export async function dynamoTarget(endpoint: string, label: string): Promise<StoreTarget> {
  const client: DynamoDBClient = localClient(endpoint, { maxAttempts: 1 });
  const tableName = `reliability-${label}-${process.pid}-${Date.now().toString(36)}`;
  await createTable(client, tableName);
  return {
    name: "DynamoDBStore",
    make: () => new DynamoDBStore({ client, tableName, retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 8 } }),
    id: (name) => uniqueId(`${tableName.slice(-6)}-${name}`),
    close: () => client.destroy(),
  };
}
