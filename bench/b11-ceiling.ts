// B11 (a)'s reference: what DynamoDB Local itself serves on this machine when sent, with nothing of Spindle's in
// between, the three requests a cold wake-up sends (a strongly consistent Query of the execution's partition, a
// conditional PutItem that takes the lease, a three-item TransactWriteItems that writes the step, the end and the
// record), at the drain's concurrency. The drain cannot beat this ceiling, whatever it does.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { inPool, now } from "./util.js";

/** Wake-ups per second DynamoDB Local could serve: `count` request triples, `concurrency` at a time. */
export async function wakeupCeiling(client: DynamoDBClient, tableName: string, count: number, concurrency: number): Promise<number> {
  const doc = DynamoDBDocumentClient.from(client);
  const pad = "x".repeat(200); // about the size of a small record and its events
  const wake = async (i: number) => {
    const pk = `ceiling-${concurrency}-${i}`;
    await doc.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": pk }, ConsistentRead: true }));
    await doc.send(new PutCommand({ TableName: tableName, Item: { pk, sk: "r", pad }, ConditionExpression: "attribute_not_exists(pk)" }));
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: { pk, sk: "e1", pad }, ConditionExpression: "attribute_not_exists(sk)" } },
          { Put: { TableName: tableName, Item: { pk, sk: "e2", pad }, ConditionExpression: "attribute_not_exists(sk)" } },
          { Put: { TableName: tableName, Item: { pk, sk: "r", pad, done: 1 }, ConditionExpression: "attribute_exists(pk)" } },
        ],
      }),
    );
  };
  const started = now();
  await inPool(Array.from({ length: count }, (_, i) => i), concurrency, wake);
  return count / ((now() - started) / 1000);
}
