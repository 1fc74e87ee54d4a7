// A DynamoDB meter: a client middleware that counts the requests a client sends, by operation, and what they cost in
// capacity units. Reads and index writes are what DynamoDB reports (ReturnConsumedCapacity: INDEXES). Writes to the
// table itself are computed from the items each request carries, by DynamoDB's published rules (1 WRU per KB of
// item, 2 per KB in a transaction), because DynamoDB Local reports a transactional replace of an existing item at
// half that. The local run prints what each invocation cost with it; cost.ts measures a step, a turn and an event.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { itemSize } from "../../adapters/dynamodb/codec.js";

/** What a client used: requests by operation (e.g. `Query`, `TransactWriteItems`) and capacity units. */
export interface Usage {
  requests: Record<string, number>;
  /** Read request units (on-demand) or read capacity units consumed. */
  readUnits: number;
  /** Write request units (on-demand) or write capacity units consumed, index writes included. */
  writeUnits: number;
  /** The part of `writeUnits` spent on the global secondary indexes. */
  indexWriteUnits: number;
}

/** On-demand prices in us-east-1: $0.625 per million write request units, $0.125 per million read request units. */
export const PRICE_PER_WRITE_UNIT = 0.625 / 1_000_000;
export const PRICE_PER_READ_UNIT = 0.125 / 1_000_000;

const READS = new Set(["Query", "Scan", "GetItem", "BatchGetItem", "TransactGetItems"]);
const KB = 1024;

type Item = Record<string, unknown>;
type Consumed = { CapacityUnits?: number; GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }> };

/** Units of one item write: one per KB (rounded up), the item's size as the store sizes it. */
function units(item: Item | undefined): number {
  return item ? Math.max(1, Math.ceil(itemSize(item as never) / KB)) : 1;
}

/**
 * Base-table write units of a write request. A put is charged by the item written; a delete, update or condition
 * check by the item it touches, which the request does not carry: the store's are small (inbox items, TTL stamps, a
 * record checked for its lock), so one KB is counted for each.
 */
export function tableWriteUnits(operation: string, input: Record<string, unknown>): number {
  switch (operation) {
    case "PutItem":
      return units(input.Item as Item);
    case "UpdateItem":
    case "DeleteItem":
      return 1;
    case "BatchWriteItem": {
      const requests = Object.values((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: Item } }[]>).flat();
      return requests.reduce((sum, request) => sum + units(request.PutRequest?.Item), 0);
    }
    case "TransactWriteItems": {
      const actions = (input.TransactItems ?? []) as { Put?: { Item: Item } }[];
      return actions.reduce((sum, action) => sum + 2 * units(action.Put?.Item), 0);
    }
    default:
      return 0;
  }
}

/** The DynamoDB operation behind a command name of either client (`QueryCommand`, `TransactWriteCommand`, ...). */
export function operationOf(commandName: string): string {
  const base = commandName.replace(/Command$/, "");
  const documentClientNames: Record<string, string> = {
    Put: "PutItem",
    Get: "GetItem",
    Update: "UpdateItem",
    Delete: "DeleteItem",
    BatchGet: "BatchGetItem",
    BatchWrite: "BatchWriteItem",
    TransactWrite: "TransactWriteItems",
    TransactGet: "TransactGetItems",
  };
  return documentClientNames[base] ?? base;
}

/** Counts what `client` sends from now on. */
export class Meter {
  private readonly usage: Usage = { requests: {}, readUnits: 0, writeUnits: 0, indexWriteUnits: 0 };

  constructor(client: DynamoDBClient) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = operationOf(context.commandName ?? "Unknown");
        this.usage.requests[operation] = (this.usage.requests[operation] ?? 0) + 1;
        const input = args.input as Record<string, unknown>;
        input.ReturnConsumedCapacity ??= "INDEXES";
        let result: Awaited<ReturnType<typeof next>>;
        try {
          result = await next(args);
        } catch (error) {
          // A write whose condition fails is still charged for the items it would have written.
          if (!READS.has(operation)) this.usage.writeUnits += tableWriteUnits(operation, input);
          throw error;
        }
        const consumed = (result.output as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity;
        const entries = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
        if (READS.has(operation)) {
          this.usage.readUnits += entries.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
        } else {
          const index = entries
            .flatMap((entry) => Object.values(entry.GlobalSecondaryIndexes ?? {}))
            .reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
          this.usage.indexWriteUnits += index;
          this.usage.writeUnits += tableWriteUnits(operation, input) + index;
        }
        return result;
      },
      { step: "initialize", name: "spindleExampleMeter", priority: "high" },
    );
  }

  /** A copy of everything counted so far. */
  snapshot(): Usage {
    return { ...this.usage, requests: { ...this.usage.requests } };
  }

  /** What was used since `before` (a snapshot). */
  since(before: Usage): Usage {
    const requests: Record<string, number> = {};
    for (const [operation, count] of Object.entries(this.usage.requests)) {
      const delta = count - (before.requests[operation] ?? 0);
      if (delta > 0) requests[operation] = delta;
    }
    return {
      requests,
      readUnits: this.usage.readUnits - before.readUnits,
      writeUnits: this.usage.writeUnits - before.writeUnits,
      indexWriteUnits: this.usage.indexWriteUnits - before.indexWriteUnits,
    };
  }
}

/** Total requests of a usage. */
export function requestCount(usage: Usage): number {
  return Object.values(usage.requests).reduce((sum, count) => sum + count, 0);
}

/** `3 requests (Query 1, TransactWriteItems 2), 1 RRU, 8 WRU (2 of them on indexes)` */
export function formatUsage(usage: Usage): string {
  const parts = Object.entries(usage.requests)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, count]) => `${operation} ${count}`);
  const total = requestCount(usage);
  const index = usage.indexWriteUnits > 0 ? ` (${round(usage.indexWriteUnits)} of them on indexes)` : "";
  return `${total} request${total === 1 ? "" : "s"}${parts.length ? ` (${parts.join(", ")})` : ""}, ${round(usage.readUnits)} RRU, ${round(usage.writeUnits)} WRU${index}`;
}

function round(units: number): string {
  return Number.isInteger(units) ? String(units) : units.toFixed(1);
}
