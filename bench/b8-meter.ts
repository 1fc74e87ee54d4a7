// What B8 and B8b count: every request a DynamoDB client sends (reads and writes, lease writes included), attributed
// to the store method that sent it, and the write and read units DynamoDB reports for each (ReturnConsumedCapacity
// TOTAL is added to every request by a client middleware, so nothing is estimated).
import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { fromAttributeMap, itemSize } from "../adapters/dynamodb/codec.js";
import { AsyncLocalStorage } from "node:async_hooks";
import { createTable } from "../adapters/dynamodb/index.js";
import { startDynamoDBLocal } from "../examples/dynamodb-local/local-server.js";
import { localClient } from "../examples/dynamodb-local/local-server.js";
import type { LocalServer } from "../examples/dynamodb-local/local-server.js";
import type { HistoryStore } from "../src/store/index.js";

const READS = new Set(["QueryCommand", "GetItemCommand", "BatchGetItemCommand", "ScanCommand"]);
const WRITES = new Set([
  "TransactWriteItemsCommand",
  "PutItemCommand",
  "UpdateItemCommand",
  "DeleteItemCommand",
  "BatchWriteItemCommand",
]);

interface Capacity {
  CapacityUnits?: number;
  WriteCapacityUnits?: number;
  ReadCapacityUnits?: number;
}

/** Units of a ConsumedCapacity answer (one entry, or one per table of a transaction or batch). */
function units(consumed: Capacity | Capacity[] | undefined): number {
  if (consumed === undefined) return 0;
  const list = Array.isArray(consumed) ? consumed : [consumed];
  return list.reduce((sum, entry) => sum + (entry.CapacityUnits ?? (entry.WriteCapacityUnits ?? 0) + (entry.ReadCapacityUnits ?? 0)), 0);
}

interface TransactInput {
  TransactItems?: { Put?: { Item?: Record<string, AttributeValue> }; Update?: unknown; Delete?: unknown; ConditionCheck?: unknown }[];
}

/**
 * Write units of a transaction as DynamoDB bills them: two per started KB of each item written (DynamoDB Local's
 * own figure for a transaction is not per item). A Put's item is in the request; an Update, Delete or ConditionCheck
 * is counted as one KB (every such item these benchmarks touch is under 1 KB).
 */
function transactionUnits(input: TransactInput): number {
  let total = 0;
  for (const action of input.TransactItems ?? []) {
    const item = action.Put?.Item;
    total += 2 * (item ? Math.max(1, Math.ceil(itemSize(fromAttributeMap(item)!) / 1024)) : 1);
  }
  return total;
}

/**
 * Requests and capacity units a client spends, by store method (AsyncLocalStorage) and by command. Every method of
 * the store is metered, `acquireLease` included: a lease write is a write the workflow pays for.
 */
export class RequestCounter {
  readonly reads = new Map<string, number>();
  readonly writes = new Map<string, number>();
  readonly wru = new Map<string, number>();
  readonly rru = new Map<string, number>();
  readonly commands = new Map<string, number>();
  private readonly context = new AsyncLocalStorage<string>();

  constructor(client: DynamoDBClient) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? "";
        const method = this.context.getStore() ?? "other";
        const isRead = READS.has(command);
        const isWrite = WRITES.has(command);
        if (isRead || isWrite) (args.input as Record<string, unknown>).ReturnConsumedCapacity = "TOTAL";
        const tally = isRead ? this.reads : isWrite ? this.writes : undefined;
        tally?.set(method, (tally.get(method) ?? 0) + 1);
        this.commands.set(command, (this.commands.get(command) ?? 0) + 1);
        const add = (consumed: Capacity | Capacity[] | undefined) => {
          const spent = isRead ? this.rru : this.wru;
          if (isRead || isWrite) spent.set(method, (spent.get(method) ?? 0) + units(consumed));
        };
        const billed = command === "TransactWriteItemsCommand" ? transactionUnits(args.input as TransactInput) : undefined;
        try {
          const result = await next(args);
          const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
          add(billed === undefined ? consumed : { CapacityUnits: billed });
          return result;
        } catch (error) {
          // A failed condition is charged too; DynamoDB reports it on the error when asked.
          add((error as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity);
          throw error;
        }
      },
      // After the document client has marshalled the input, before it is serialized.
      { step: "serialize", priority: "high", name: "benchRequestCounter" },
    );
  }

  /** The store, with each call's requests attributed to its method. */
  meter(store: HistoryStore): HistoryStore {
    const run = <T>(method: string, call: () => Promise<T>) => this.context.run(method, call);
    const metered: HistoryStore = {
      limits: store.limits,
      create: (execution) => run("create", () => store.create(execution)),
      get: (id) => run("get", () => store.get(id)),
      load: (id, options) => run("load", () => store.load(id, options)),
      append: (id, request) => run("append", () => store.append(id, request)),
      writeInbox: (id, item) => run("writeInbox", () => store.writeInbox(id, item)),
      listDue: (at, options) => run("listDue", () => store.listDue(at, options)),
      list: (query) => run("list", () => store.list(query)),
    };
    if (store.acquireLease) metered.acquireLease = (id, request) => run("acquireLease", () => store.acquireLease!(id, request));
    return metered;
  }

  /** Calls `fn` with its requests attributed to `method`. */
  as<T>(method: string, fn: () => Promise<T>): Promise<T> {
    return this.context.run(method, fn);
  }

  total(tally: Map<string, number>, method?: string): number {
    if (method !== undefined) return tally.get(method) ?? 0;
    let sum = 0;
    for (const count of tally.values()) sum += count;
    return sum;
  }

  reset(): void {
    for (const tally of [this.reads, this.writes, this.wru, this.rru, this.commands]) tally.clear();
  }
}

/** DynamoDB Local with one fresh table. */
export async function localTable(label: string): Promise<{ server: LocalServer; tableName: string }> {
  const server = await startDynamoDBLocal();
  const tableName = `bench-${label}`;
  const client = localClient(server.endpoint);
  await createTable(client, tableName);
  client.destroy();
  return { server, tableName };
}
