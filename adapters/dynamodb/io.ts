// The DynamoDB calls the store makes, each through the retrier: paged queries, transactions with an idempotency token
// (ClientRequestToken) whose failed conditions come back as ConditionFailed with the items that failed them, and the
// bounded cache of records the store has seen (so a load or an append needs no extra read).
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import { DynamoDBDocumentClient, PutCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import { randomBytes } from "node:crypto";
import type { Item, RecordState } from "./codec.js";
import { copyState, fromAttributeMap } from "./codec.js";
import type { Retrier } from "./retry.js";

/** One action of a TransactWriteItems request. */
export type TransactAction = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

/** A transaction was cancelled because a condition failed; `reasons[i]` is action i's (with its item, if asked). */
export class ConditionFailed extends Error {
  constructor(readonly reasons: { code: string; item?: Item }[]) {
    super(`transaction cancelled: ${reasons.map((reason) => reason.code).join(", ")}`);
  }

  /** Whether action `index` failed its condition. */
  failed(index: number): boolean {
    return this.reasons[index]?.code === "ConditionalCheckFailed";
  }
}

/** A random token: the writer id stored with each write, and the base of ClientRequestTokens (at most 36 chars). */
export function newToken(): string {
  return randomBytes(12).toString("base64url");
}

/** Wraps a client in a document client, or checks one passed in (numbers must come back as plain numbers). */
export function documentClient(client: DynamoDBClient | DynamoDBDocumentClient): DynamoDBDocumentClient {
  if (client instanceof DynamoDBDocumentClient) {
    if (client.config.translateConfig?.unmarshallOptions?.wrapNumbers) {
      throw new TypeError("DynamoDBStore: the document client must not set unmarshallOptions.wrapNumbers.");
    }
    return client;
  }
  return DynamoDBDocumentClient.from(client as DynamoDBClient, { marshallOptions: { removeUndefinedValues: true } });
}

/** What every store operation needs. */
export class Io {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly table: string,
    readonly retrier: Retrier,
  ) {}

  /** One page of a query. */
  async queryPage(what: string, id: string | undefined, input: Omit<QueryCommandInput, "TableName">) {
    const output = await this.retrier.run(what, id, (signal) => this.doc.send(new QueryCommand({ TableName: this.table, ...input }), { abortSignal: signal }));
    return { items: (output.Items ?? []) as Item[], lastKey: output.LastEvaluatedKey };
  }

  /** Every page of a query. */
  async queryAll(what: string, id: string | undefined, input: Omit<QueryCommandInput, "TableName">): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.queryPage(what, id, startKey ? { ...input, ExclusiveStartKey: startKey } : input);
      for (const item of page.items) items.push(item);
      startKey = page.lastKey;
    } while (startKey);
    return items;
  }

  /**
   * Runs a transaction; retries reuse its ClientRequestToken, so a retry of a write that was applied succeeds
   * without applying it twice (within DynamoDB's 10-minute window).
   * @throws ConditionFailed when a condition failed; StoreUnavailableError when retries ran out.
   */
  async transact(what: string, id: string, actions: TransactAction[], token: string): Promise<void> {
    try {
      await this.retrier.run(what, id, (signal) =>
        this.doc.send(new TransactWriteCommand({ TransactItems: actions, ClientRequestToken: token }), { abortSignal: signal }),
      );
    } catch (error) {
      const e = error as { name?: string; CancellationReasons?: { Code?: string; Item?: Record<string, never> }[] };
      if (e.name === "TransactionCanceledException" && e.CancellationReasons?.some((r) => r.Code === "ConditionalCheckFailed")) {
        throw new ConditionFailed(
          e.CancellationReasons.map((reason) => {
            const item = fromAttributeMap(reason.Item);
            return item ? { code: reason.Code ?? "None", item } : { code: reason.Code ?? "None" };
          }),
        );
      }
      throw error;
    }
  }

  /**
   * Writes one conditional Put on its own: half the write units of a one-item transaction, and faster. A retry of a
   * put that was applied fails its condition; the caller tells its own write by the old item it gets back.
   * @throws ConditionFailed (one reason, with the old item) when the condition failed; StoreUnavailableError.
   */
  async putOne(what: string, id: string, action: TransactAction): Promise<void> {
    try {
      await this.retrier.run(what, id, (signal) => this.doc.send(new PutCommand(action.Put!), { abortSignal: signal }));
    } catch (error) {
      const e = error as { name?: string; Item?: Record<string, never> };
      if (e.name !== "ConditionalCheckFailedException") throw error;
      const item = fromAttributeMap(e.Item);
      throw new ConditionFailed([item ? { code: "ConditionalCheckFailed", item } : { code: "ConditionalCheckFailed" }]);
    }
  }

  /** Put/Delete/ConditionCheck actions on this table. */
  put(item: Item, condition?: { expression: string; values?: Record<string, unknown>; names?: Record<string, string> }): TransactAction {
    return {
      Put: {
        TableName: this.table,
        Item: item,
        ...(condition
          ? {
              ConditionExpression: condition.expression,
              ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
              ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
              ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
            }
          : {}),
      },
    };
  }
}

/**
 * Records the store has seen, newest last. An entry is the base of the next append (its `rev` is the append's
 * condition) and tells loads which run to read. `invalidate` keeps only the run: after an inbox write the record's rev
 * is unknown, its run is not. Bounded by entries and by the size of the values held (inputs and results can be large).
 */
export class RecordCache {
  private readonly entries = new Map<string, { state: RecordState; current: boolean; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  /** A copy of the record as last written or read, unless invalidated since. */
  get(id: string): RecordState | undefined {
    const entry = this.entries.get(id);
    return entry?.current ? copyState(entry.state) : undefined;
  }

  /**
   * The version this store last saw run `run` at (0 when it has not seen that run): events up to it exist, whatever
   * was written since (events are never removed from a run).
   */
  versionOf(id: string, run: number): number {
    const state = this.entries.get(id)?.state;
    return state?.record.runs === run ? state.record.version : 0;
  }

  /** The execution's current run number as last seen, or undefined when never seen. */
  runOf(id: string): number | undefined {
    return this.entries.get(id)?.state.record.runs;
  }

  set(state: RecordState): void {
    if (this.capacity <= 0) return;
    const id = state.record.id;
    this.remove(id);
    const bytes = approximateSize(state);
    this.entries.set(id, { state: copyState(state), current: true, bytes });
    this.bytes += bytes;
    while (this.entries.size > this.capacity || (this.bytes > this.maxBytes && this.entries.size > 1)) {
      this.remove(this.entries.keys().next().value as string);
    }
  }

  /** The record changed in a way this store cannot replay (an inbox write): keep the run, drop the rest. */
  invalidate(id: string): void {
    const entry = this.entries.get(id);
    if (entry) entry.current = false;
  }

  private remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.bytes -= entry.bytes;
    this.entries.delete(id);
  }
}

function approximateSize(state: RecordState): number {
  const { record } = state;
  return (
    512 +
    (record.input?.length ?? 0) +
    (record.result?.length ?? 0) +
    (record.customStatus?.length ?? 0) +
    (record.error ? JSON.stringify(record.error).length : 0) +
    record.waitingFor.length * 64
  );
}
