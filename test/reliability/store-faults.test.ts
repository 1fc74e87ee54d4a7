// CI sample of the fault scenarios: random crash storms, ambiguous writes, throttling and server errors, and outages,
// on MemoryStore and DynamoDBStore (DynamoDB Local).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { crashStorms } from "./scenarios/crash-storms.js";
import { ambiguousWrites, outage, throttling } from "./scenarios/store-faults.js";
import { SUBJECTS } from "./subjects.js";
import type { StoreTarget } from "./targets.js";
import { dynamoTarget, memoryTarget } from "./targets.js";

let dynamo: StoreTarget;
const memory = memoryTarget();
beforeAll(async () => {
  dynamo = await dynamoTarget(inject("dynamodbEndpoint"), "store-faults");
});
afterAll(() => dynamo.close());

const targets = () => [memory, dynamo] as const;
const some = SUBJECTS.filter((_, i) => i % 3 === 0);

describe.each(["MemoryStore", "DynamoDBStore"])("on %s", (name) => {
  const target = () => targets().find((t) => t.name === name)!;

  it("random crash storms end at the fault-free outcome with every invariant intact", async () => {
    const result = await crashStorms(target(), { subjects: SUBJECTS, seeds: name === "MemoryStore" ? 60 : 12 });
    expect(result.violations).toEqual([]);
    expect(result.faults).toBeGreaterThan(0);
  }, 120_000);

  it("ambiguous writes are recognised: nothing lost, duplicated or forked", async () => {
    const result = await ambiguousWrites(target(), { subjects: some, seeds: 2, rates: [] });
    expect(result.violations).toEqual([]);
    expect(result.figures["ambiguous writes"]).toBeGreaterThan(0);
  }, 120_000);

  it("throttling and server errors at 1 to 50 %, then recovery, end at the fault-free outcome", async () => {
    const result = await throttling(target(), { subjects: some, seeds: 1, rates: [0.01, 0.5] });
    expect(result.violations).toEqual([]);
  }, 120_000);

  it("an outage, then recovery, ends at the fault-free outcome", async () => {
    const result = await outage(target(), { subjects: some, seeds: 2, rates: [] });
    expect(result.violations).toEqual([]);
  }, 120_000);
});
