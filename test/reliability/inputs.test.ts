// CI run of the input and behaviour scenarios on MemoryStore and DynamoDBStore (DynamoDB Local): code changed after
// recording, corrupted records, bad values, repeated and badly timed deliveries, clock skew and poison steps.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { codeChanges } from "./scenarios/code-changes.js";
import { corruption } from "./scenarios/corruption.js";
import { deliveries } from "./scenarios/deliveries.js";
import { clockSkew, poisonSteps } from "./scenarios/time-and-poison.js";
import { values } from "./scenarios/values.js";
import type { StoreTarget } from "./targets.js";
import { dynamoTarget, memoryTarget } from "./targets.js";

const targets: Record<string, StoreTarget> = { MemoryStore: memoryTarget() };
beforeAll(async () => {
  targets.DynamoDBStore = await dynamoTarget(inject("dynamodbEndpoint"), "inputs");
});
afterAll(() => targets.DynamoDBStore?.close());

describe.each(["MemoryStore", "DynamoDBStore"])("on %s", (name) => {
  it("code changed after recording stops with NonDeterminismError before any new effect", async () => {
    const result = await codeChanges(targets[name]!);
    expect(result.violations).toEqual([]);
    expect(result.figures["changes detected"]).toBe(7);
  });

  it("corrupted or foreign records stop with HistoryCorruptedError and overwrite nothing", async () => {
    const result = await corruption(targets[name]!);
    expect(result.violations).toEqual([]);
    expect(result.figures["corruptions detected"]).toBe(7);
  });

  it("schema-invalid, oversized and non-JSON values are refused with typed errors, never retried", async () => {
    const result = await values(targets[name]!);
    expect(result.violations).toEqual([]);
  }, 60_000);

  it("repeated and badly timed deliveries are recorded once each, in order", async () => {
    const result = await deliveries(targets[name]!, { maxRepeats: name === "MemoryStore" ? 10 : 3 });
    expect(result.violations).toEqual([]);
  }, 60_000);

  it("timers never fire early nor twice, whatever the resumes and the clock do", async () => {
    const result = await clockSkew(targets[name]!, { schedules: 3 });
    expect(result.violations).toEqual([]);
  });

  it("poison steps use exactly their attempts and end in a typed StepFailedError", async () => {
    const result = await poisonSteps(targets[name]!);
    expect(result.violations).toEqual([]);
  });
});
