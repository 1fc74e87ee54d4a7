// CI sample of the property-based scenario: random workflows under random fault schedules, checked against the
// invariants, on MemoryStore and DynamoDBStore. Seeded (RELIABILITY_SEED overrides the seed); a failure prints the
// fast-check seed and path that replay it.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { randomPrograms } from "./scenarios/property.js";
import type { StoreTarget } from "./targets.js";
import { dynamoTarget, memoryTarget } from "./targets.js";

const seed = Number(process.env.RELIABILITY_SEED ?? 20260101);
let dynamo: StoreTarget;
beforeAll(async () => {
  dynamo = await dynamoTarget(inject("dynamodbEndpoint"), "property");
});
afterAll(() => dynamo.close());

describe(`random workflows under random faults (seed ${seed})`, () => {
  it("on MemoryStore keep every invariant", async () => {
    const result = await randomPrograms(memoryTarget(), { runs: 150, seed });
    expect(result.violations).toEqual([]);
  }, 120_000);

  it("on DynamoDBStore keep every invariant", async () => {
    const result = await randomPrograms(dynamo, { runs: 8, seed });
    expect(result.violations).toEqual([]);
  }, 120_000);
});
