// CI sample of the crash-point scenario: every subject, a crash before and after every store call on MemoryStore,
// every 7th call on DynamoDBStore (DynamoDB Local).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { crashPoints } from "./scenarios/crash-points.js";
import { SUBJECTS } from "./subjects.js";
import type { StoreTarget } from "./targets.js";
import { dynamoTarget, memoryTarget } from "./targets.js";

let dynamo: StoreTarget;
beforeAll(async () => {
  dynamo = await dynamoTarget(inject("dynamodbEndpoint"), "crash-points");
});
afterAll(() => dynamo.close());

describe("a process that dies at any store call", () => {
  it("on MemoryStore, leaves every subject at its fault-free outcome with every invariant intact", async () => {
    const result = await crashPoints(memoryTarget(), { subjects: SUBJECTS, stride: 1 });
    expect(result.violations).toEqual([]);
    expect(result.figures["crash points"]).toBeGreaterThan(SUBJECTS.length * 20);
  }, 120_000);

  it("on DynamoDBStore, leaves every subject at its fault-free outcome with every invariant intact", async () => {
    const result = await crashPoints(dynamo, { subjects: SUBJECTS, stride: 7 });
    expect(result.violations).toEqual([]);
    expect(result.figures["crash points"]).toBeGreaterThan(SUBJECTS.length * 4);
  }, 120_000);
});
