// DynamoDBStore passes the HistoryStore conformance suite against DynamoDB Local, the same suite MemoryStore runs.
import { beforeAll, describe, expect, it } from "vitest";
import { runStoreConformance } from "spindle/testing";
import { DynamoDBStore } from "spindle/dynamodb";
import { freshTable, makeClient } from "./helpers.js";

let tableName = "";
beforeAll(async () => {
  tableName = await freshTable("conformance");
});

// One client for the suite; a store per test (as separate processes would have), so no test leans on another's cache.
const client = makeClient();
runStoreConformance("DynamoDBStore", () => new DynamoDBStore({ client, tableName }), { test: { describe, it, expect } });
// Without its record cache the store reads the record before each append and guesses the run on each load.
runStoreConformance("DynamoDBStore without a record cache", () => new DynamoDBStore({ client, tableName, cacheSize: 0 }), {
  test: { describe, it, expect },
  longHistory: 1200,
});
