// The single-table design of DynamoDBStore: key layout, index names, and the table itself as a CreateTable input, a
// `createTable` helper and a CloudFormation resource. Everything that names an attribute or a key lives here.
//
// One partition per execution (pk = execution id), sort keys ordered so one Query reads what a turn needs:
//
//   pk = <execution id>
//   ├── D#<idempotency key>      inbox dedupe marker (the item as first written; kept after consumption)
//   ├── E#<run 8>#<seq 10>       history events, run by run (run = 0, 1, ... one per continueAsNew), by sequence
//   ├── R                        the execution record (GSI keys, version, rev, status, ...)
//   ├── R#<field>                a record field over 1 KB (input, result, error, customStatus, waitingFor)
//   └── U#<item id>              unread inbox items, in arrival order (ids are monotonic ULIDs)
//   pk = #catalog
//   └── W#<workflow>             workflow names, for listing executions without a workflow filter
//
// Load = Query pk = id AND sk >= E#<run>#<afterSeq + 1>: the rest of the run's events, then R, R#*, U#* — one request
// per 1 MB (or, when the run is not known yet, the same partition read backwards from the top). GSI "due" (dueShard, dueAt) holds open executions that have a wake-up time or unread inbox items, spread
// over `dueShards` partitions; GSI "list" (listPk = <workflow>#<status>#<shard>, listSk = <createdAt>#<id>) lists by
// workflow and status, newest first. `expiresAt` is the TTL attribute (epoch seconds).
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import type { CreateTableCommandInput, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createHash } from "node:crypto";

/** Attribute names of the table's keys and of its indexes' keys. */
export const ATTR = {
  pk: "pk",
  sk: "sk",
  dueShard: "dueShard",
  dueAt: "dueAt",
  listPk: "listPk",
  listSk: "listSk",
  expiresAt: "expiresAt",
} as const;

/** Name of the GSI that finds executions due to run. */
export const DUE_INDEX = "due";
/** Name of the GSI that lists executions by workflow and status. */
export const LIST_INDEX = "list";

/** Sort key of the execution record. */
export const RECORD_SK = "R";
/** First sort key after the record and its parts: the range `sk >= R` holds the record, its parts and the inbox. */
export const RECORD_PART_PREFIX = "R#";
export const INBOX_PREFIX = "U#";
export const DEDUPE_PREFIX = "D#";
export const EVENT_PREFIX = "E#";
export const CATALOG_PK = "#catalog";
export const CATALOG_PREFIX = "W#";

/** DynamoDB's item size limit: 400 KB, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** DynamoDB's limit on one TransactWriteItems request: 100 actions. */
export const MAX_TRANSACTION_ACTIONS = 100;
/** DynamoDB's limit on one TransactWriteItems request is 4 MB; keep room for request overhead. */
export const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024 - 64 * 1024;
/** Partition keys may be 2,048 bytes; an execution id is also part of a 1,024-byte GSI sort key, so 1,000 bytes. */
export const MAX_ID_BYTES = 1000;

const RUN_DIGITS = 8;
const SEQ_DIGITS = 10;

/** Sort key of event `seq` of run `run` (0 for the first run, + 1 per continueAsNew). */
export function eventKey(run: number, seq: number): string {
  return `${EVENT_PREFIX}${String(run).padStart(RUN_DIGITS, "0")}#${String(seq).padStart(SEQ_DIGITS, "0")}`;
}

/** Run and sequence number of an event sort key, or undefined when the key is not an event's. */
export function parseEventKey(sk: string): { run: number; seq: number } | undefined {
  if (!sk.startsWith(EVENT_PREFIX)) return undefined;
  const run = Number(sk.slice(2, 2 + RUN_DIGITS));
  const seq = Number(sk.slice(3 + RUN_DIGITS));
  return Number.isInteger(run) && Number.isInteger(seq) ? { run, seq } : undefined;
}

/** Sort key of a large record field stored as its own item. */
export function recordPartKey(field: string): string {
  return `${RECORD_PART_PREFIX}${field}`;
}

/** Sort key of an unread inbox item. */
export function inboxKey(itemId: string): string {
  return `${INBOX_PREFIX}${itemId}`;
}

/** Sort key of an inbox dedupe marker. */
export function dedupeKey(key: string): string {
  const plain = `${DEDUPE_PREFIX}${key}`;
  if (Buffer.byteLength(plain, "utf8") <= 1000) return plain;
  // Sort keys may be 1,024 bytes; a longer idempotency key is stored under its hash.
  return `${DEDUPE_PREFIX}#sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/** Shard (0 .. shards - 1) of an execution id: FNV-1a, so the same id always lands on the same shard. */
export function shardOf(id: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/** Partition key of the due GSI for a shard. */
export function dueShardKey(shard: number): string {
  return `due#${shard}`;
}

/** Partition key of the list GSI. */
export function listPartitionKey(workflow: string, status: string, shard: number): string {
  return `${workflow}#${status}#${shard}`;
}

/** Sort key of the list GSI: creation time (15 digits), then id, so newest-first order is (createdAt, id) desc. */
export function listSortKey(createdAt: number, id: string): string {
  const ms = Number.isFinite(createdAt) ? Math.min(Math.max(Math.floor(createdAt), 0), 999_999_999_999_999) : 0;
  return `${String(ms).padStart(15, "0")}#${id}`;
}

/** Options of `tableDefinition` and `createTable`. */
export interface TableOptions {
  /** Default "PAY_PER_REQUEST". With "PROVISIONED", `capacity` applies to the table and both indexes. */
  billingMode?: "PAY_PER_REQUEST" | "PROVISIONED";
  capacity?: { read: number; write: number };
}

/**
 * The table as a CreateTable input: keys, the two GSIs and their key attributes.
 *
 * @example
 * ```ts
 * await client.send(new CreateTableCommand(tableDefinition("spindle")));
 * ```
 */
export function tableDefinition(tableName: string, options: TableOptions = {}): CreateTableCommandInput {
  const provisioned = options.billingMode === "PROVISIONED";
  const throughput = provisioned
    ? {
        ProvisionedThroughput: {
          ReadCapacityUnits: options.capacity?.read ?? 5,
          WriteCapacityUnits: options.capacity?.write ?? 5,
        },
      }
    : {};
  return {
    TableName: tableName,
    BillingMode: provisioned ? "PROVISIONED" : "PAY_PER_REQUEST",
    ...throughput,
    AttributeDefinitions: [
      { AttributeName: ATTR.pk, AttributeType: "S" },
      { AttributeName: ATTR.sk, AttributeType: "S" },
      { AttributeName: ATTR.dueShard, AttributeType: "S" },
      { AttributeName: ATTR.dueAt, AttributeType: "N" },
      { AttributeName: ATTR.listPk, AttributeType: "S" },
      { AttributeName: ATTR.listSk, AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: ATTR.pk, KeyType: "HASH" },
      { AttributeName: ATTR.sk, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: DUE_INDEX,
        KeySchema: [
          { AttributeName: ATTR.dueShard, KeyType: "HASH" },
          { AttributeName: ATTR.dueAt, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "KEYS_ONLY" },
        ...throughput,
      },
      {
        IndexName: LIST_INDEX,
        KeySchema: [
          { AttributeName: ATTR.listPk, KeyType: "HASH" },
          { AttributeName: ATTR.listSk, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "KEYS_ONLY" },
        ...throughput,
      },
    ],
  };
}

/**
 * Creates the table (unless it exists), waits until it is active, and turns on TTL on `expiresAt`.
 *
 * @example
 * ```ts
 * import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
 * import { createTable } from "spindle/dynamodb";
 * await createTable(new DynamoDBClient({}), "spindle");
 * ```
 * @throws the SDK's error when the table cannot be created (permissions, limits).
 */
export async function createTable(client: DynamoDBClient, tableName: string, options: TableOptions = {}): Promise<void> {
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName, options)));
  } catch (error) {
    if ((error as { name?: string }).name !== "ResourceInUseException") throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: tableName });
  const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (described.Table?.TableStatus !== "ACTIVE") {
    throw new Error(`createTable: table '${tableName}' is ${described.Table?.TableStatus}, not ACTIVE.`);
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: ATTR.expiresAt, Enabled: true },
      }),
    );
  } catch (error) {
    // Already enabled (a second createTable on the same table) is fine.
    if (!/already enabled/i.test(String((error as Error).message))) throw error;
  }
}

/**
 * The same table as a CloudFormation resource (YAML), for `Resources:` in a template.
 *
 * @example
 * ```ts
 * console.log(cloudFormationTable("SpindleTable", "spindle"));
 * ```
 */
export function cloudFormationTable(logicalId = "SpindleTable", tableName = "spindle"): string {
  return `${logicalId}:
  Type: AWS::DynamoDB::Table
  Properties:
    TableName: ${tableName}
    BillingMode: PAY_PER_REQUEST
    AttributeDefinitions:
      - { AttributeName: pk, AttributeType: S }
      - { AttributeName: sk, AttributeType: S }
      - { AttributeName: dueShard, AttributeType: S }
      - { AttributeName: dueAt, AttributeType: N }
      - { AttributeName: listPk, AttributeType: S }
      - { AttributeName: listSk, AttributeType: S }
    KeySchema:
      - { AttributeName: pk, KeyType: HASH }
      - { AttributeName: sk, KeyType: RANGE }
    GlobalSecondaryIndexes:
      - IndexName: due
        KeySchema:
          - { AttributeName: dueShard, KeyType: HASH }
          - { AttributeName: dueAt, KeyType: RANGE }
        Projection: { ProjectionType: KEYS_ONLY }
      - IndexName: list
        KeySchema:
          - { AttributeName: listPk, KeyType: HASH }
          - { AttributeName: listSk, KeyType: RANGE }
        Projection: { ProjectionType: KEYS_ONLY }
    TimeToLiveSpecification:
      AttributeName: expiresAt
      Enabled: true
    PointInTimeRecoverySpecification:
      PointInTimeRecoveryEnabled: true
`;
}
