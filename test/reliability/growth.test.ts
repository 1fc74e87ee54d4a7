// CI check of long histories: 1,000 and 5,000-step histories (200 on DynamoDB) replay cold to the same state on both stores, appending
// nothing. Timing and memory growth to 10^5 events are measured by `npm run reliability`, not asserted here.
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { growth } from "./scenarios/growth.js";
import type { StoreTarget } from "./targets.js";
import { dynamoTarget, memoryTarget } from "./targets.js";

let dynamo: StoreTarget;
beforeAll(async () => {
  dynamo = await dynamoTarget(inject("dynamodbEndpoint"), "growth");
});
afterAll(() => dynamo.close());

it("a long history replays cold to the same state, appending nothing, on MemoryStore", async () => {
  expect((await growth(memoryTarget(), { sizes: [1000, 5000] })).violations).toEqual([]);
});

it("a long history replays cold to the same state, appending nothing, on DynamoDBStore", async () => {
  expect((await growth(dynamo, { sizes: [200] })).violations).toEqual([]);
}, 60_000);
